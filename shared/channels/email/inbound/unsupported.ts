import type { BlobToStore } from '#shared/channels/inbound.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { withoutConversationTag } from './addressing.ts';
import { sha256Hex } from './attachments.ts';
import type { InboundEmailContext } from './context.ts';

/**
 * An e-mail the hub cannot turn into a message (too large, unparsable, no sender or no business
 * recipient) is still passed on, pointing at its raw MIME: stored now when nobody stored it yet.
 */
export const unsupportedEmail = (
  rawMime: Uint8Array,
  context: InboundEmailContext,
  providerType: string,
  details: Record<string, unknown>,
): { events: HubEvent[]; blobs: BlobToStore[] } => {
  const digest = sha256Hex(rawMime);
  const blobs: BlobToStore[] = [];
  let rawMimeKey = context.rawMimeKey;
  if (rawMimeKey === undefined) {
    rawMimeKey = `${PAYLOAD_BUCKET.prefixes.rawEmail}${digest}.eml`;
    blobs.push({ key: rawMimeKey, contentType: 'message/rfc822', bytes: rawMime });
  }
  const firstRecipient = context.envelopeRecipients[0];
  const endpointAddress = firstRecipient ? withoutConversationTag(firstRecipient) : undefined;
  const event = buildEvent(
    'switchboard.provider.unsupported',
    eventIdFor('email', 'unsupported', providerType, digest),
    {
      channel: 'email',
      provider: context.provider,
      ...(endpointAddress ? { endpoint: { type: 'email_address', id: endpointAddress } } : {}),
      providerTimestamp: null,
      receivedAt: context.receivedAt.toISOString(),
      providerType,
      raw: { ...details, sizeBytes: rawMime.byteLength, sha256: digest, rawMimeKey },
    },
  );
  return { events: [event], blobs };
};

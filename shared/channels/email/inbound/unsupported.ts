import type { BlobToStore } from '#shared/channels/inbound.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { knownSenderOf, withoutConversationTag } from './addressing.ts';
import { sha256Hex } from './attachments.ts';
import type { InboundEmailContext } from './context.ts';

/**
 * An e-mail the hub cannot turn into a message (too large, unparsable, no sender or no business
 * recipient) is still passed on, pointing at its raw MIME: stored now when nobody stored it yet.
 * The sender, where the hub still knows it (knownSenderOf), is the event's contact: the recorder
 * files the raw object under them, so their erasure deletes it (shared/store/unreadable-emails.ts).
 */
export const unsupportedEmail = (
  rawMime: Uint8Array,
  context: InboundEmailContext,
  providerType: string,
  details: Record<string, unknown>,
  /** The From address of a mail the hub parsed but could not place (no business recipient). */
  parsedFrom?: string,
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
  const sender = knownSenderOf(
    parsedFrom,
    context.headerFrom,
    context.envelopeSender,
    context.envelopeRecipients,
    context.ownDomains,
  );
  const event = buildEvent(
    'switchboard.provider.unsupported',
    eventIdFor('email', 'unsupported', providerType, digest),
    {
      channel: 'email',
      provider: context.provider,
      ...(endpointAddress ? { endpoint: { type: 'email_address', id: endpointAddress } } : {}),
      ...(sender ? { contact: { identities: [{ type: 'email', value: sender }] } } : {}),
      providerTimestamp: null,
      receivedAt: context.receivedAt.toISOString(),
      providerType,
      raw: { ...details, sizeBytes: rawMime.byteLength, sha256: digest, rawMimeKey },
    },
  );
  return { events: [event], blobs };
};

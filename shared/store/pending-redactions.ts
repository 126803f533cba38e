import { z } from 'zod';
import { BusinessEndpointSchema } from '#shared/contract/common.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import { keyOf, queryAll } from './contacts.ts';
import {
  contactsConversationsPartition,
  type ItemKey,
  PENDING_REDACTION_PREFIX,
  pendingRedactionKey,
} from './keys.ts';
import { epochSeconds, type TableContext } from './table.ts';
import { WhatsAppMediaIdSchema } from './whatsapp-uploads.ts';

/*
 * What a provider still holds of an erased person (key catalogue: `pendingRedaction`): a Twilio
 * message it did not redact yet, or a file the hub uploaded to WhatsApp that Meta did not delete
 * yet. The erasure writes one per thing left; the next erasure call of the same person finds them
 * with the rest of the person's footprint, retries each, and deletes what is done.
 */

/** How long the hub keeps retrying, from the first failure: after that only the provider's own retention applies. */
const PENDING_REDACTION_SECONDS = 30 * 24 * 3_600;

export type UnfinishedRedaction = {
  readonly endpoint: BusinessEndpoint;
  /** The last failure's code (an error code, never a text). */
  readonly code: string;
} & (
  | { readonly provider: 'twilio'; readonly providerMessageId: string }
  /** A file the hub uploaded to WhatsApp for a send (its media id). */
  | { readonly provider: 'whatsapp'; readonly mediaId: string }
);

const pendingFields = {
  endpoint: BusinessEndpointSchema,
  code: z.string().max(128),
  attempts: z.number().int().positive(),
  firstFailedAt: z.string(),
};
const PendingRedactionSchema = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('twilio'), providerMessageId: z.string().min(1).max(64), ...pendingFields }),
  z.object({ provider: z.literal('whatsapp'), mediaId: WhatsAppMediaIdSchema, ...pendingFields }),
]);
export type PendingRedaction = z.infer<typeof PendingRedactionSchema>;

/** What a pending redaction is about, unique per person: a Twilio SID, or `WAMEDIA#<media id>`. */
export const pendingRedactionRef = (pending: UnfinishedRedaction | PendingRedaction): string =>
  pending.provider === 'twilio' ? pending.providerMessageId : `WAMEDIA#${pending.mediaId}`;

/** A stored pending redaction, or undefined for anything else. */
export const pendingRedactionOf = (item: Record<string, unknown>): PendingRedaction | undefined =>
  PendingRedactionSchema.safeParse(item).data;

/** The person's pending redactions' keys (one Query of their partition). */
export const pendingRedactionKeys = async (context: TableContext, contactId: string): Promise<ItemKey[]> =>
  (
    await queryAll(context, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': contactsConversationsPartition(contactId),
        ':prefix': PENDING_REDACTION_PREFIX,
      },
    })
  ).map(keyOf);

/** The item for one thing still held by its provider; a retry keeps the first failure's time (and so its expiry). */
export const pendingRedactionItem = (
  contactId: string,
  unfinished: UnfinishedRedaction,
  earlier: PendingRedaction | undefined,
  now: Date,
): Record<string, unknown> => {
  const firstFailedAt = earlier?.firstFailedAt ?? now.toISOString();
  return {
    ...pendingRedactionKey(contactId, pendingRedactionRef(unfinished)),
    ...(unfinished.provider === 'twilio'
      ? { provider: 'twilio', providerMessageId: unfinished.providerMessageId }
      : { provider: 'whatsapp', mediaId: unfinished.mediaId }),
    endpoint: unfinished.endpoint,
    code: unfinished.code,
    attempts: (earlier?.attempts ?? 0) + 1,
    firstFailedAt,
    expiresAt: epochSeconds(new Date(firstFailedAt)) + PENDING_REDACTION_SECONDS,
  };
};

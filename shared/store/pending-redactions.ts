import { DeleteItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { WhatsAppMediaIdSchema } from '#shared/channels/whatsapp/media-id.ts';
import { BusinessEndpointSchema } from '#shared/contract/common.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import { keyOf, queryAll } from './contacts.ts';
import { epochSeconds, isConditionFailure } from './item-rules.ts';
import {
  contactIdOfPendingRedactionKey,
  contactsConversationsPartition,
  type ItemKey,
  PENDING_REDACTION_INDEX_PARTITION,
  PENDING_REDACTION_PREFIX,
  pendingRedactionIndexKeys,
  pendingRedactionKey,
} from './keys.ts';
import { batchGetItems, type TableContext, track } from './table.ts';

/*
 * What a provider still holds of an erased person (key catalogue: `pendingRedaction`): a Twilio
 * message it did not redact yet, or a file the hub uploaded to WhatsApp that Meta did not delete
 * yet. The erasure writes one per thing left; the next erasure call of the same person finds them
 * with the rest of the person's footprint, retries each, and deletes what is done. Each is also in
 * gsi4 under `REDACT` by when it is next due, so the attention sweeper retries it without anyone
 * calling (shared/outbound/pending-redaction-retry.ts): a few minutes after the failure, then less
 * and less often.
 */

/** How long the hub keeps retrying, from the first failure: after that only the provider's own retention applies. */
const PENDING_REDACTION_SECONDS = 30 * 24 * 3_600;

/** The sweeper's retry is due 5 minutes after a failure, doubling per attempt up to 6 hours. */
const retryDelaySeconds = (attempts: number): number => Math.min(6 * 3_600, 300 * 2 ** (attempts - 1));

/**
 * The gsi4 entry of a pending redaction that failed for the `attempts`th time at `failedAt`: due for
 * the sweeper's retry after retryDelaySeconds. Written with each pending redaction, and given by
 * `npm run reindex-people` to one written before there was any (shared/store/legacy-person-index.ts).
 */
export const pendingRedactionDueKeys = (attempts: number, failedAt: Date) =>
  pendingRedactionIndexKeys(new Date(failedAt.getTime() + retryDelaySeconds(attempts) * 1000).toISOString());

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
  const attempts = (earlier?.attempts ?? 0) + 1;
  return {
    ...pendingRedactionKey(contactId, pendingRedactionRef(unfinished)),
    ...(unfinished.provider === 'twilio'
      ? { provider: 'twilio', providerMessageId: unfinished.providerMessageId }
      : { provider: 'whatsapp', mediaId: unfinished.mediaId }),
    endpoint: unfinished.endpoint,
    code: unfinished.code,
    attempts,
    firstFailedAt,
    expiresAt: epochSeconds(new Date(firstFailedAt)) + PENDING_REDACTION_SECONDS,
    ...pendingRedactionDueKeys(attempts, now),
  };
};

/** A pending redaction as stored, with the erased person it is kept under. */
export interface DuePendingRedaction {
  readonly contactId: string;
  readonly pending: PendingRedaction;
  /** The stored item, as the provider erasure reads it. */
  readonly item: Record<string, unknown>;
}

/**
 * The pending redactions due by now, oldest due first, at most `limit` (one Query of gsi4's `REDACT`
 * partition, one BatchGetItem). Past their expiry they are given apart, as keys: TTL deletes lazily,
 * and left in the index they would take the oldest places of every later Query.
 */
export const duePendingRedactions = async (
  context: TableContext,
  limit: number,
): Promise<{ due: DuePendingRedaction[]; expired: ItemKey[] }> => {
  const output = await context.client.send(
    new QueryCommand({
      TableName: context.tableName,
      IndexName: 'gsi4',
      KeyConditionExpression: 'gsi4pk = :pk AND gsi4sk <= :now',
      ExpressionAttributeValues: marshall({
        ':pk': PENDING_REDACTION_INDEX_PARTITION,
        ':now': context.now().toISOString(),
      }),
      Limit: limit,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'Query', output);
  const keys = (output.Items ?? []).map((raw) => keyOf(unmarshall(raw)));
  const items = await batchGetItems(context, keys);
  const live = new Set(items.map((item) => `${String(item.pk)}\u0000${String(item.sk)}`));
  return {
    due: items.flatMap((item) => {
      const pending = pendingRedactionOf(item);
      return pending ? [{ contactId: contactIdOfPendingRedactionKey(keyOf(item)), pending, item }] : [];
    }),
    expired: keys.filter((key) => !live.has(`${key.pk}\u0000${key.sk}`)),
  };
};

/** Deletes a pending redaction past its expiry (only if it still is: a key already gone is no error). */
export const forgetExpiredPendingRedaction = async (context: TableContext, key: ItemKey): Promise<void> => {
  try {
    const output = await context.client.send(
      new DeleteItemCommand({
        TableName: context.tableName,
        Key: marshall(key),
        ConditionExpression: 'expiresAt <= :now',
        ExpressionAttributeValues: marshall({ ':now': epochSeconds(context.now()) }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'DeleteItem', output);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

/**
 * After a retry: deleted when done, else written again with the new code and its next due time.
 * Either only if nobody changed it since it was read (an erasure call retrying it at the same time):
 * then that one's word stands.
 */
export const settlePendingRedaction = async (
  context: TableContext,
  due: DuePendingRedaction,
  unfinished: UnfinishedRedaction | undefined,
): Promise<'done' | 'left' | 'changed'> => {
  const unchanged = {
    ConditionExpression: 'attempts = :attempts',
    ExpressionAttributeValues: marshall({ ':attempts': due.pending.attempts }),
    ReturnConsumedCapacity: 'TOTAL' as const,
  };
  try {
    if (!unfinished) {
      const output = await context.client.send(
        new DeleteItemCommand({ TableName: context.tableName, Key: marshall(keyOf(due.item)), ...unchanged }),
      );
      track(context, 'DeleteItem', output);
      return 'done';
    }
    const item = pendingRedactionItem(due.contactId, unfinished, due.pending, context.now());
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall(item, { removeUndefinedValues: true }),
        ...unchanged,
      }),
    );
    track(context, 'PutItem', output);
    return 'left';
  } catch (error) {
    if (isConditionFailure(error)) return 'changed';
    throw error;
  }
};

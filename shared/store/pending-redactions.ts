import {
  type AttributeValue,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
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

/** The longest failure code kept (a longer one is cut: the code is for logs, the id is what matters). */
const MAX_CODE_LENGTH = 128;

const pendingFields = {
  endpoint: BusinessEndpointSchema,
  code: z.string().max(MAX_CODE_LENGTH),
  attempts: z.number().int().positive(),
  firstFailedAt: z.string(),
};
/**
 * A stored pending redaction: what the sweeper and an erasure call read back, and what
 * pendingRedactionItem checks each item it builds against, so nothing is written that is never read
 * again. A Twilio id is at most 64 characters (a Message SID has 34), which also keeps the item's
 * sort key, `REDACT#<id>`, far inside DynamoDB's 1,024 bytes.
 */
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

const itemFor = (
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
    code: unfinished.code.slice(0, MAX_CODE_LENGTH),
    attempts,
    firstFailedAt,
    expiresAt: epochSeconds(new Date(firstFailedAt)) + PENDING_REDACTION_SECONDS,
    ...pendingRedactionDueKeys(attempts, now),
  };
};

/**
 * Whether an unfinished redaction can be kept as a pending one: the store reads it back
 * (PendingRedactionSchema). The provider erasure keeps no other (shared/outbound/provider-erasure.ts),
 * so pendingRedactionItem never refuses one of its.
 */
export const isKeepableRedaction = (unfinished: UnfinishedRedaction): boolean =>
  pendingRedactionOf(itemFor('', unfinished, undefined, new Date(0))) !== undefined;

/**
 * The item for one thing still held by its provider; a retry keeps the first failure's time (and so
 * its expiry). Refuses (throws) what PendingRedactionSchema would not read back: written, it would
 * never be retried nor leave the sweeper's index (until 2026-12-06 a Twilio id of 65 characters or
 * more was written so, and one over about 1,000 failed the whole erasure's write; found by a review).
 */
export const pendingRedactionItem = (
  contactId: string,
  unfinished: UnfinishedRedaction,
  earlier: PendingRedaction | undefined,
  now: Date,
): Record<string, unknown> => {
  const item = itemFor(contactId, unfinished, earlier, now);
  if (pendingRedactionOf(item) === undefined)
    throw new Error('a pending redaction the store could not read back (see isKeepableRedaction)');
  return item;
};

/** A pending redaction as stored, with the erased person it is kept under. */
export interface DuePendingRedaction {
  readonly contactId: string;
  readonly pending: PendingRedaction;
  /** The stored item, as the provider erasure reads it. */
  readonly item: Record<string, unknown>;
}

/** Query pages of gsi4's `REDACT` partition one run reads at most: past the first only for places expired or unreadable items took. */
const MAX_DUE_PAGES = 4;

/**
 * The pending redactions due by now, oldest due first, at most `limit` (a Query of gsi4's `REDACT`
 * partition and a BatchGetItem per page). Two kinds are given apart, and the next page read for the
 * places they took (at most MAX_DUE_PAGES): those past their expiry, as keys (TTL deletes lazily),
 * and those the store cannot read back, as items (written before 2026-12-06: a Twilio id over 64
 * characters). Left in the index, either would take the oldest places of every later Query.
 */
export const duePendingRedactions = async (
  context: TableContext,
  limit: number,
): Promise<{ due: DuePendingRedaction[]; expired: ItemKey[]; unreadable: Record<string, unknown>[] }> => {
  const due: DuePendingRedaction[] = [];
  const expired: ItemKey[] = [];
  const unreadable: Record<string, unknown>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  for (let page = 0; page < MAX_DUE_PAGES && due.length < limit; page++) {
    const output = await context.client.send(
      new QueryCommand({
        TableName: context.tableName,
        IndexName: 'gsi4',
        KeyConditionExpression: 'gsi4pk = :pk AND gsi4sk <= :now',
        ExpressionAttributeValues: marshall({
          ':pk': PENDING_REDACTION_INDEX_PARTITION,
          ':now': context.now().toISOString(),
        }),
        Limit: limit - due.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'Query', output);
    const keys = (output.Items ?? []).map((raw) => keyOf(unmarshall(raw)));
    const items = await batchGetItems(context, keys);
    const live = new Set(items.map((item) => `${String(item.pk)}\u0000${String(item.sk)}`));
    for (const item of items) {
      const pending = pendingRedactionOf(item);
      if (pending) due.push({ contactId: contactIdOfPendingRedactionKey(keyOf(item)), pending, item });
      else unreadable.push(item);
    }
    expired.push(...keys.filter((key) => !live.has(`${key.pk}\u0000${key.sk}`)));
    startKey = output.LastEvaluatedKey;
    if (!startKey) break;
  }
  return { due, expired, unreadable };
};

/**
 * Deletes a pending redaction only while `condition` holds of it; one that no longer matches (gone,
 * or written again meanwhile) is no error.
 */
const deleteWhile = async (
  context: TableContext,
  key: ItemKey,
  condition: string,
  values: Record<string, unknown>,
): Promise<void> => {
  try {
    const output = await context.client.send(
      new DeleteItemCommand({
        TableName: context.tableName,
        Key: marshall(key),
        ConditionExpression: condition,
        ExpressionAttributeValues: marshall(values),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'DeleteItem', output);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

/** Deletes a pending redaction past its expiry (only if it still is: a key already gone is no error). */
export const forgetExpiredPendingRedaction = (context: TableContext, key: ItemKey): Promise<void> =>
  deleteWhile(context, key, 'expiresAt <= :now', { ':now': epochSeconds(context.now()) });

/**
 * Deletes a pending redaction the store cannot read back: nothing can retry it, and in the index it
 * would hold a place of every run for 30 days. Only if it is still where it was found in the index (an
 * erasure call writing it again meanwhile wins).
 */
export const forgetUnreadablePendingRedaction = async (
  context: TableContext,
  item: Record<string, unknown>,
): Promise<void> => {
  // Found by the index but no longer in it: it holds no place.
  if (typeof item.gsi4sk !== 'string') return;
  await deleteWhile(context, keyOf(item), 'gsi4sk = :seen', { ':seen': item.gsi4sk });
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

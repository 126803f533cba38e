import { UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ConversationStatusSchema } from '#shared/contract/conversation.ts';
import { canonicalTime } from '#shared/domain/time.ts';
import { type IndexPosition, queryIndex } from './helpdesk-queries.ts';
import { isConditionFailure } from './item-rules.ts';
import {
  attentionPartitions,
  conversationIdOfKey,
  kindOfKey,
  shardOf,
  unshardedIndexPartitions,
} from './keys.ts';
import { type TableContext, track } from './table.ts';

/*
 * The by-status (gsi1) and waiting (gsi4) entries a conversation wrote before 2026-12-05 sit in the
 * unsharded partitions, and a conversation's entry moves into its shard only when its status, its
 * hour of activity or its wait changes. Until then listings read those partitions too (a 17th Query
 * a page). This moves every entry left there into its shard. And a snooze a PATCH kept before
 * 2026-12-02 (e0f83ba) with the offset it was given (`…T19:30:00+09:00`) sits in gsi4 `SNOOZED`
 * under that text, which the attention sweeper's "due by now" read orders as a UTC time: it woke up
 * to 14 hours late (one with a negative offset was read, not yet due, every minute for as long). This
 * rewrites such an entry's time in UTC, the form every snooze has been kept in since.
 */

/** Entries a Query of an unsharded partition reads at a time (keys only). */
const PAGE = 500;

export interface ReshardReport {
  /** Entries found in the unsharded partitions. */
  readonly found: number;
  readonly moved: number;
  /** Entries that had moved by themselves (a message, a status change) or gone (an erasure) before this run reached them. */
  readonly movedMeanwhile: number;
  /** Snooze entries (gsi4 `SNOOZED`) whose time is not in UTC (kept with an offset before 2026-12-02). */
  readonly offsetSnoozes: number;
  /** Those rewritten in UTC (the rest woke, or changed, before this run reached them). */
  readonly offsetSnoozesFixed: number;
}

/**
 * The conversations' entries of one index partition, oldest first, a page of PAGE keys at a time
 * (another item kind sharing the partition is passed over), with the entry's sort key.
 */
async function* conversationEntries(
  context: TableContext,
  indexName: string,
  partition: { readonly name: string; readonly value: string },
): AsyncGenerator<{ readonly key: { pk: string; sk: string }; readonly item: Record<string, unknown> }> {
  let from: IndexPosition | undefined;
  do {
    const page = await queryIndex(context, indexName, partition, { limit: PAGE, ascending: true, from });
    from = page.last;
    for (const item of page.items) {
      const key = { pk: String(item.pk), sk: String(item.sk) };
      if (kindOfKey(key) === 'conversation') yield { key, item };
    }
  } while (from);
}

/** One conditional UpdateItem of an entry: false when its condition no longer held (the hub moved it meanwhile). */
const updatedUnlessMoved = async (
  context: TableContext,
  input: Omit<UpdateItemCommandInput, 'TableName' | 'ReturnConsumedCapacity'>,
): Promise<boolean> => {
  try {
    const updated = await context.client.send(
      new UpdateItemCommand({ ...input, TableName: context.tableName, ReturnConsumedCapacity: 'TOTAL' }),
    );
    track(context, 'UpdateItem', updated);
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
};

/**
 * Moves each entry of the unsharded partitions to its shard: one conditional UpdateItem of the
 * index key attribute per entry, on the condition that it still names the unsharded partition (a
 * conversation that moved meanwhile keeps where the hub put it). Reads only those partitions (keys
 * only), so a table whose entries all moved already costs one Query per partition. Safe beside the
 * running hub and again: nothing is lost or left behind. A by-status listing paged through meanwhile
 * lists a moved conversation once (shared/store/helpdesk-queries.ts mergedRead); the waiting list
 * may list one twice (its tied sort keys rule that out there).
 */
export const reshardLegacyIndexEntries = async (
  context: TableContext,
  { dryRun = false }: { readonly dryRun?: boolean } = {},
): Promise<ReshardReport> => {
  let found = 0;
  let moved = 0;
  let movedMeanwhile = 0;
  for (const legacy of unshardedIndexPartitions(ConversationStatusSchema.options)) {
    const partition = { name: legacy.attribute, value: legacy.partition };
    for await (const { key } of conversationEntries(context, legacy.indexName, partition)) {
      found += 1;
      if (dryRun) continue;
      const updated = await updatedUnlessMoved(context, {
        Key: marshall(key),
        UpdateExpression: 'SET #partition = :shard',
        ConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': legacy.attribute },
        ExpressionAttributeValues: marshall({
          ':partition': legacy.partition,
          ':shard': shardOf(legacy.partition, conversationIdOfKey(key)),
        }),
      });
      if (updated) moved += 1;
      else movedMeanwhile += 1;
    }
  }
  const snoozes = await rekeyOffsetSnoozes(context, dryRun);
  return { found, moved, movedMeanwhile, ...snoozes };
};

/**
 * Rewrites in UTC the time of each snooze entry kept with an offset: one conditional UpdateItem of
 * gsi4sk per entry, on the condition that the entry is still that snooze's (a conversation woken or
 * snoozed again meanwhile keeps what the hub wrote). Only the index entry: the conversation keeps
 * `snoozedUntil` as it was given, which the sweeper reads as the instant it is (and every write moves
 * the entry from there as before). A rewritten entry moves to an earlier place in the partition (a
 * positive offset), behind this read, or a later one, where it is read again, in UTC: each is
 * rewritten once.
 */
const rekeyOffsetSnoozes = async (
  context: TableContext,
  dryRun: boolean,
): Promise<Pick<ReshardReport, 'offsetSnoozes' | 'offsetSnoozesFixed'>> => {
  let offsetSnoozes = 0;
  let offsetSnoozesFixed = 0;
  for (const partition of attentionPartitions('snoozed')) {
    for await (const { key, item } of conversationEntries(context, 'gsi4', {
      name: 'gsi4pk',
      value: partition,
    })) {
      const at = String(item.gsi4sk);
      if (!Number.isFinite(Date.parse(at))) continue;
      const utc = canonicalTime(at);
      if (utc === at) continue;
      offsetSnoozes += 1;
      if (dryRun) continue;
      const updated = await updatedUnlessMoved(context, {
        Key: marshall(key),
        UpdateExpression: 'SET gsi4sk = :utc',
        ConditionExpression: 'gsi4pk = :partition AND gsi4sk = :at',
        ExpressionAttributeValues: marshall({ ':partition': partition, ':at': at, ':utc': utc }),
      });
      if (updated) offsetSnoozesFixed += 1;
    }
  }
  return { offsetSnoozes, offsetSnoozesFixed };
};

import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ConversationStatusSchema } from '#shared/contract/conversation.ts';
import { type IndexPosition, queryIndex } from './helpdesk-queries.ts';
import { isConditionFailure } from './item-rules.ts';
import { conversationIdOfKey, kindOfKey, shardOf, unshardedIndexPartitions } from './keys.ts';
import { type TableContext, track } from './table.ts';

/*
 * The by-status (gsi1) and waiting (gsi4) entries a conversation wrote before 2026-12-05 sit in the
 * unsharded partitions, and a conversation's entry moves into its shard only when its status, its
 * hour of activity or its wait changes. Until then listings read those partitions too (a 17th Query
 * a page). This moves every entry left there into its shard.
 */

/** Entries a Query of an unsharded partition reads at a time (keys only). */
const PAGE = 500;

export interface ReshardReport {
  /** Entries found in the unsharded partitions. */
  readonly found: number;
  readonly moved: number;
  /** Entries that had moved by themselves (a message, a status change) or gone (an erasure) before this run reached them. */
  readonly movedMeanwhile: number;
}

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
    let from: IndexPosition | undefined;
    do {
      const page = await queryIndex(
        context,
        legacy.indexName,
        { name: legacy.attribute, value: legacy.partition },
        { limit: PAGE, ascending: true, from },
      );
      from = page.last;
      for (const item of page.items) {
        const key = { pk: String(item.pk), sk: String(item.sk) };
        if (kindOfKey(key) !== 'conversation') continue;
        found += 1;
        if (dryRun) continue;
        try {
          const updated = await context.client.send(
            new UpdateItemCommand({
              TableName: context.tableName,
              Key: marshall(key),
              UpdateExpression: 'SET #partition = :shard',
              ConditionExpression: '#partition = :partition',
              ExpressionAttributeNames: { '#partition': legacy.attribute },
              ExpressionAttributeValues: marshall({
                ':partition': legacy.partition,
                ':shard': shardOf(legacy.partition, conversationIdOfKey(key)),
              }),
              ReturnConsumedCapacity: 'TOTAL',
            }),
          );
          track(context, 'UpdateItem', updated);
          moved += 1;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          movedMeanwhile += 1;
        }
      }
    } while (from);
  }
  return { found, moved, movedMeanwhile };
};

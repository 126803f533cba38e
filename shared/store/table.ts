import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type ConsumedCapacity,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { isLive } from './item-rules.ts';

export interface TableContext {
  readonly client: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
  /** The clock that decides what has expired (TTL deletion lags by days, so reads filter themselves). */
  readonly now: () => Date;
  /** Receives the units each request consumed, indexes included (cost accounting in tests and benchmarks). */
  readonly onCapacity?: (operation: string, capacity: ConsumedCapacity | undefined) => void;
}

/** Reports what a request consumed, when someone listens. */
export const track = (
  context: TableContext,
  operation: string,
  output: { readonly ConsumedCapacity?: ConsumedCapacity | undefined },
): void => context.onCapacity?.(operation, output.ConsumedCapacity);

/** Keys of a table item. */
export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

/** Unprocessed keys are asked again after 50 ms, 100 ms, … up to 1.6 s, then the read fails. */
const BATCH_GET_RETRIES = 6;

/**
 * Reads of any number of items, 100 keys per BatchGetItem, unprocessed keys retried with backoff;
 * expired items are left out. Items come back in no particular order. Consistent unless told
 * otherwise: the helpdesk API hydrates pages of an (eventually consistent) index at half the units.
 */
export const batchGetItems = async (
  context: TableContext,
  keys: readonly TableKey[],
  { consistent = true }: { readonly consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += 100) {
    const chunk = keys.slice(start, start + 100).map((key) => marshall(key));
    let request: Record<string, KeysAndAttributes> | undefined = {
      [context.tableName]: { Keys: chunk, ConsistentRead: consistent },
    };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > BATCH_GET_RETRIES) throw new Error('BatchGetItem left keys unprocessed after retries');
      if (attempt > 0) await new Promise((done) => setTimeout(done, 25 * 2 ** attempt));
      const output: BatchGetItemCommandOutput = await context.client.send(
        new BatchGetItemCommand({ RequestItems: request, ReturnConsumedCapacity: 'TOTAL' }),
      );
      for (const capacity of output.ConsumedCapacity ?? []) context.onCapacity?.('BatchGetItem', capacity);
      for (const raw of output.Responses?.[context.tableName] ?? []) {
        const item = unmarshall(raw);
        if (isLive(item, context.now())) items.push(item);
      }
      request = output.UnprocessedKeys;
    }
  }
  return items;
};

import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type ConsumedCapacity,
  type DynamoDBClient,
  GetItemCommand,
  type KeysAndAttributes,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mapConcurrently } from './concurrency.ts';
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

/**
 * The item under each key among `items` (a BatchGetItem's answer, which comes in no order): where
 * partitions hold several items (a message and its send), the key names one.
 */
export const itemsByKey = <T extends Record<string, unknown>>(
  items: readonly T[],
): ((key: TableKey) => T | undefined) => {
  const byKey = new Map(items.map((item) => [`${String(item.pk)}\u0000${String(item.sk)}`, item]));
  return (key) => byKey.get(`${key.pk}\u0000${key.sk}`);
};

/** One item, read consistently: undefined when there is none or it has expired (TTL deletes lazily). */
export const getItem = async (
  context: TableContext,
  key: TableKey,
): Promise<Record<string, unknown> | undefined> => {
  const output = await context.client.send(
    new GetItemCommand({
      TableName: context.tableName,
      Key: marshall(key),
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'GetItem', output);
  const item = output.Item ? unmarshall(output.Item) : undefined;
  return item && isLive(item, context.now()) ? item : undefined;
};

/** What a batch left unprocessed is sent again after 50 ms, 100 ms, … up to 1.6 s, then the call fails. */
const BATCH_RETRIES = 6;

/**
 * Sends `first`, then what each answer left unprocessed (`send` returns it), with backoff, until
 * nothing is left; throws `failure` when something still is after BATCH_RETRIES.
 */
const untilProcessed = async <Request extends object>(
  first: Request,
  send: (request: Request) => Promise<Request | undefined>,
  failure: string,
): Promise<void> => {
  let request: Request | undefined = first;
  for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
    if (attempt > BATCH_RETRIES) throw new Error(failure);
    if (attempt > 0) await new Promise((done) => setTimeout(done, 25 * 2 ** attempt));
    request = await send(request);
  }
};

/** Slices of `size` of `items`, in order. */
const chunksOf = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );

/**
 * Reads of any number of items, 100 keys per BatchGetItem, unprocessed keys retried with backoff;
 * expired items are left out. Items come back in no particular order. Consistent unless told
 * otherwise: the helpdesk API hydrates pages of an (eventually consistent) index at half the units.
 * The requests go one after another unless `concurrency` lets that many go at once (each with its
 * own retries).
 */
export const batchGetItems = async (
  context: TableContext,
  keys: readonly TableKey[],
  {
    consistent = true,
    concurrency = 1,
  }: { readonly consistent?: boolean; readonly concurrency?: number } = {},
): Promise<Record<string, unknown>[]> => {
  const chunks = await mapConcurrently(chunksOf(keys, 100), concurrency, async (chunk) => {
    const items: Record<string, unknown>[] = [];
    const first: Record<string, KeysAndAttributes> = {
      [context.tableName]: { Keys: chunk.map((key) => marshall(key)), ConsistentRead: consistent },
    };
    await untilProcessed(
      first,
      async (request) => {
        const output: BatchGetItemCommandOutput = await context.client.send(
          new BatchGetItemCommand({ RequestItems: request, ReturnConsumedCapacity: 'TOTAL' }),
        );
        for (const capacity of output.ConsumedCapacity ?? []) context.onCapacity?.('BatchGetItem', capacity);
        for (const raw of output.Responses?.[context.tableName] ?? []) {
          const item = unmarshall(raw);
          if (isLive(item, context.now())) items.push(item);
        }
        return output.UnprocessedKeys;
      },
      'BatchGetItem left keys unprocessed after retries',
    );
    return items;
  });
  return chunks.flat();
};

/**
 * Puts and deletes of any number of items, 25 per BatchWriteItem, unprocessed items retried with
 * backoff. The requests go one after another unless `concurrency` lets that many go at once: only
 * for writes that need no order among themselves (DynamoDB applies one request's in no stated
 * order anyway); writes that must land in order are separate calls.
 */
export const batchWriteItems = async (
  context: TableContext,
  requests: readonly WriteRequest[],
  { concurrency = 1 }: { readonly concurrency?: number } = {},
): Promise<void> => {
  await mapConcurrently(chunksOf(requests, 25), concurrency, async (chunk) => {
    const first: Record<string, WriteRequest[]> = { [context.tableName]: chunk };
    await untilProcessed(
      first,
      async (request) => {
        const output: BatchWriteItemCommandOutput = await context.client.send(
          new BatchWriteItemCommand({ RequestItems: request, ReturnConsumedCapacity: 'TOTAL' }),
        );
        for (const capacity of output.ConsumedCapacity ?? [])
          context.onCapacity?.('BatchWriteItem', capacity);
        return output.UnprocessedItems;
      },
      'BatchWriteItem left items unprocessed after retries',
    );
  });
};

/**
 * The whole table, a page at a time, strongly consistent (an item saved just before the read is
 * seen as saved), filtered by `filter` (its values marshalled here): the operators' one-off upgrades,
 * which look for items no index leads to. Yields each page's items, unmarshalled, expired ones
 * included (an upgrade moves what is stored).
 */
export async function* scanPages(
  context: TableContext,
  filter: { readonly expression: string; readonly values: Record<string, unknown> },
): AsyncGenerator<Record<string, unknown>[]> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const output = await context.client.send(
      new ScanCommand({
        TableName: context.tableName,
        ConsistentRead: true,
        FilterExpression: filter.expression,
        ExpressionAttributeValues: marshall(filter.values),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'Scan', output);
    startKey = output.LastEvaluatedKey;
    yield (output.Items ?? []).map((raw) => unmarshall(raw));
  } while (startKey);
}

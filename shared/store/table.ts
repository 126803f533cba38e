import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface TableContext {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The clock that decides what has expired (TTL deletion lags by days, so reads filter themselves). */
  readonly now: () => Date;
  /** Receives the base-table units each request consumed (cost accounting in tests and benchmarks). */
  readonly onCapacity?: (operation: string, capacity: ConsumedCapacity | undefined) => void;
}

export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** TTL deletes lazily: an item past its expiry is treated as gone. */
export const isLive = (item: Record<string, unknown> | undefined, now: Date): boolean => {
  if (!item) return false;
  const expiresAt = item.expiresAt;
  return typeof expiresAt !== 'number' || expiresAt > epochSeconds(now);
};

export const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/**
 * Rules every store module applies to table items, kept apart from shared/store/table.ts so that
 * code without the DynamoDB SDK (the Mailgun webhook's replay guard, through the webhooks' shared
 * wiring) can use them without bringing the SDK into a bundle's import graph.
 */

export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** TTL deletes lazily: an item past its expiry is treated as gone. */
export const isLive = (item: Record<string, unknown> | undefined, now: Date): boolean => {
  if (!item) return false;
  const expiresAt = item.expiresAt;
  return typeof expiresAt !== 'number' || expiresAt > epochSeconds(now);
};

/** By name: a second copy of the SDK in a bundle would defeat instanceof. */
export const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

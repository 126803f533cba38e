import { createHash } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import { replayGuardKey } from './keys.ts';
import { epochSeconds, isConditionFailure, type TableContext } from './table.ts';

/** The token is hashed: the table never holds a usable token, and any length fits the key. */
export const replayKeyFor = (token: string): string =>
  replayGuardKey(createHash('sha256').update(token, 'utf8').digest('hex')).pk;

/**
 * One conditional put per claim on the hub table (`REPLAY#<sha256>` / `REPLAY`). DynamoDB deletes
 * expired items lazily (within days), so an item whose `expiresAt` has passed counts as absent: the
 * condition lets it be overwritten.
 */
export class DynamoReplayGuard implements ReplayGuard {
  constructor(private readonly context: Omit<TableContext, 'onCapacity'>) {}

  async claim(token: string, ttlSeconds: number): Promise<boolean> {
    const nowSeconds = epochSeconds(this.context.now());
    const key = replayGuardKey(createHash('sha256').update(token, 'utf8').digest('hex'));
    try {
      await this.context.client.send(
        new PutItemCommand({
          TableName: this.context.tableName,
          Item: marshall({ ...key, expiresAt: nowSeconds + ttlSeconds }),
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: marshall({ ':now': nowSeconds }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

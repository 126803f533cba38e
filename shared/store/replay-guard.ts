import { createHash } from 'node:crypto';
import type { PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { ReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import { epochSeconds, isConditionFailure } from './item-rules.ts';
import { replayGuardKey } from './keys.ts';

/** The token is hashed: the table never holds a usable token, and any length fits the key. */
export const replayKeyFor = (token: string): string =>
  replayGuardKey(createHash('sha256').update(token, 'utf8').digest('hex')).pk;

export interface ReplayGuardContext {
  /**
   * One PutItem: the Mailgun webhook's is a signed request (shared/aws/signed/dynamodb.ts), so its
   * bundle leaves the DynamoDB SDK out; tests pass the SDK client's (`sdkPutItem`).
   */
  readonly putItem: (input: PutItemCommandInput) => Promise<unknown>;
  readonly tableName: string;
  readonly now: () => Date;
}

/**
 * One conditional put per claim on the hub table (`REPLAY#<sha256>` / `REPLAY`). DynamoDB deletes
 * expired items lazily (within days), so an item whose `expiresAt` has passed counts as absent: the
 * condition lets it be overwritten.
 */
export class DynamoReplayGuard implements ReplayGuard {
  constructor(private readonly context: ReplayGuardContext) {}

  async claim(token: string, ttlSeconds: number): Promise<boolean> {
    const nowSeconds = epochSeconds(this.context.now());
    const key = replayGuardKey(createHash('sha256').update(token, 'utf8').digest('hex'));
    try {
      await this.context.putItem({
        TableName: this.context.tableName,
        Item: { pk: { S: key.pk }, sk: { S: key.sk }, expiresAt: { N: String(nowSeconds + ttlSeconds) } },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
      });
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

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
 * One conditional put per claim on the hub table (`REPLAY#<sha256>` / `REPLAY`, with the content's
 * digest and an expiry). DynamoDB deletes expired items lazily (within days), so an item whose
 * `expiresAt` has passed counts as absent: the condition lets it be overwritten. The put with the
 * same digest succeeds again (refreshing the expiry), so a retry of the put itself after a lost
 * answer, by the caller or by the next delivery, is not mistaken for a replay.
 */
export class DynamoReplayGuard implements ReplayGuard {
  constructor(private readonly context: ReplayGuardContext) {}

  async claim(token: string, contentDigest: string, ttlSeconds: number, create: boolean): Promise<boolean> {
    const nowSeconds = epochSeconds(this.context.now());
    const key = replayGuardKey(createHash('sha256').update(token, 'utf8').digest('hex'));
    const sameContent = 'expiresAt >= :now AND contentDigest = :digest';
    try {
      await this.context.putItem({
        TableName: this.context.tableName,
        Item: {
          pk: { S: key.pk },
          sk: { S: key.sk },
          contentDigest: { S: contentDigest },
          expiresAt: { N: String(nowSeconds + ttlSeconds) },
        },
        ConditionExpression: create
          ? `attribute_not_exists(pk) OR expiresAt < :now OR (${sameContent})`
          : `attribute_exists(pk) AND ${sameContent}`,
        ExpressionAttributeValues: { ':now': { N: String(nowSeconds) }, ':digest': { S: contentDigest } },
      });
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

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
 * same digest succeeds again, so a retry of the put itself after a lost answer, by the caller or by
 * the next delivery, is not mistaken for a replay; it writes the same item (the caller's expiry comes
 * from the signed timestamp, the same each time), and the condition refuses one that would move the
 * expiry later: before 2026-12-04 each put set a new expiry from its own time, so a token replayed
 * within every 24 h was remembered, and accepted, for ever.
 */
export class DynamoReplayGuard implements ReplayGuard {
  constructor(private readonly context: ReplayGuardContext) {}

  async claim(token: string, contentDigest: string, expiresAt: Date): Promise<boolean> {
    const key = replayGuardKey(createHash('sha256').update(token, 'utf8').digest('hex'));
    const expiresAtSeconds = String(epochSeconds(expiresAt));
    try {
      await this.context.putItem({
        TableName: this.context.tableName,
        Item: {
          pk: { S: key.pk },
          sk: { S: key.sk },
          contentDigest: { S: contentDigest },
          expiresAt: { N: expiresAtSeconds },
        },
        ConditionExpression:
          'attribute_not_exists(pk) OR expiresAt < :now OR (contentDigest = :digest AND expiresAt >= :expiresAt)',
        ExpressionAttributeValues: {
          ':now': { N: String(epochSeconds(this.context.now())) },
          ':digest': { S: contentDigest },
          ':expiresAt': { N: expiresAtSeconds },
        },
      });
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import { errorNameOf } from '#shared/observability/logger.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';

export interface DynamoReplayGuardOptions {
  readonly client: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
  readonly now?: () => number;
}

/** The token is hashed: the table never holds a usable token, and any length fits the key. */
export const replayKeyFor = (token: string): string =>
  `REPLAY#${createHash('sha256').update(token, 'utf8').digest('hex')}`;

/**
 * One conditional put per claim on the hub table. DynamoDB deletes expired items lazily (within
 * days), so an item whose `expiresAt` has passed counts as absent: the condition lets it be
 * overwritten.
 */
export class DynamoReplayGuard implements ReplayGuard {
  private readonly now: () => number;

  constructor(private readonly options: DynamoReplayGuardOptions) {
    this.now = options.now ?? Date.now;
  }

  async claim(token: string, ttlSeconds: number): Promise<boolean> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const ttlAttribute = HUB_TABLE.timeToLiveAttribute;
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            [HUB_TABLE.partitionKey.name]: { S: replayKeyFor(token) },
            [HUB_TABLE.sortKey.name]: { S: 'REPLAY' },
            [ttlAttribute]: { N: String(nowSeconds + ttlSeconds) },
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
          ExpressionAttributeNames: { '#pk': HUB_TABLE.partitionKey.name, '#expiresAt': ttlAttribute },
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
        }),
      );
      return true;
    } catch (error) {
      // By name too: a second copy of the SDK in a bundle would defeat instanceof.
      if (
        error instanceof ConditionalCheckFailedException ||
        errorNameOf(error) === 'ConditionalCheckFailedException'
      ) {
        return false;
      }
      throw error;
    }
  }
}

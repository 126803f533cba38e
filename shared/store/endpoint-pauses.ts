import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import type { BusinessEndpoint, Provider } from '#shared/contract/types.ts';
import { epochSeconds, isConditionFailure } from './item-rules.ts';
import { endpointPauseKey } from './keys.ts';
import type { TableContext } from './table.ts';

/*
 * A provider that refuses the hub's credentials (an expired or revoked token: Graph 190, Twilio
 * 20003, Mailgun 401) refuses every send of that business endpoint until a person fixes the secret.
 * The sender pauses the endpoint for a while instead of calling again for every command; commands
 * in the pause end `send_failed` (credentials, retryable) at once, and the first one after it is
 * over tries again. The pause is one item per endpoint; each execution environment remembers what
 * it read for a short while, so a busy sender reads it about once per endpoint per cache period.
 */

const PauseItemSchema = z.object({ until: z.iso.datetime(), errorCode: z.string().max(64).optional() });

export interface EndpointRef {
  readonly provider: Provider;
  readonly endpoint: BusinessEndpoint;
}

export interface EndpointPauses {
  /** The end of the endpoint's pause, when it is paused now. */
  pausedUntil(ref: EndpointRef): Promise<string | undefined>;
  /**
   * Pauses the endpoint until `until`, unless it is already paused longer (another environment's
   * later pause, which a pause written late must not shorten): that pause stands.
   */
  pause(ref: EndpointRef, until: Date, errorCode: string | undefined): Promise<void>;
}

export interface EndpointPauseOptions {
  /** How long a read is trusted in this environment. @default 30 s */
  readonly cacheMs?: number;
}

export const createEndpointPauses = (
  context: TableContext,
  options: EndpointPauseOptions = {},
): EndpointPauses => {
  const cacheMs = options.cacheMs ?? 30_000;
  const cache = new Map<string, { readAt: number; until: string | undefined }>();
  const live = (until: string | undefined): string | undefined =>
    until !== undefined && Date.parse(until) > context.now().getTime() ? until : undefined;

  return {
    async pausedUntil(ref) {
      const key = endpointPauseKey(ref.provider, ref.endpoint);
      const nowMs = context.now().getTime();
      const cached = cache.get(key.pk);
      if (cached && nowMs - cached.readAt < cacheMs) return live(cached.until);
      const { Item } = await context.client.send(
        new GetItemCommand({ TableName: context.tableName, Key: marshall(key) }),
      );
      const parsed = Item ? PauseItemSchema.safeParse(unmarshall(Item)) : undefined;
      const until = parsed?.success ? parsed.data.until : undefined;
      cache.set(key.pk, { readAt: nowMs, until });
      return live(until);
    },
    async pause(ref, until, errorCode) {
      const key = endpointPauseKey(ref.provider, ref.endpoint);
      try {
        await context.client.send(
          new PutItemCommand({
            TableName: context.tableName,
            Item: marshall(
              {
                ...key,
                until: until.toISOString(),
                errorCode,
                // Kept a day past the pause, then DynamoDB's TTL removes it.
                expiresAt: epochSeconds(until) + 86_400,
              },
              { removeUndefinedValues: true },
            ),
            // Never shorter than a pause already written (ISO times of one format order as strings).
            ConditionExpression: 'attribute_not_exists(pk) OR #until < :until',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: marshall({ ':until': until.toISOString() }),
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // A longer pause stands: read again when next asked.
        cache.delete(key.pk);
        return;
      }
      cache.set(key.pk, { readAt: context.now().getTime(), until: until.toISOString() });
    },
  };
};

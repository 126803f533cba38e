import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedDynamoDbClient } from '#shared/aws/signed/dynamodb.ts';
import { LOCAL_SIGNING_ENV, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { DynamoReplayGuard, replayKeyFor } from '#shared/store/replay-guard.ts';

const T0 = Date.parse('2026-11-22T12:00:00.000Z');

/*
 * Each case runs twice: the guard's PutItem through the SDK client, and as the Mailgun webhook
 * sends it, one signed request of its own (shared/aws/signed/dynamodb.ts). The same answers from
 * the same server are the oracle that the signed request means what the SDK's does.
 */
describe.each(['sdk', 'signed'] as const)(
  'DynamoReplayGuard (%s PutItem) against the local DynamoDB emulator',
  (client) => {
    let emulators: RunningEmulators;
    beforeAll(async () => {
      emulators = await startEmulators();
    });
    afterAll(async () => {
      await emulators?.stop();
    });

    const putItem = (input: ConstructorParameters<typeof PutItemCommand>[0]) => {
      if (client === 'sdk') return emulators.clients.dynamodb.send(new PutItemCommand(input));
      return new SignedDynamoDbClient({
        endpoint: emulators.endpoints.dynamodb,
        env: LOCAL_SIGNING_ENV,
      }).putItem(input);
    };

    const guardAt = (clock: { now: number }) =>
      new DynamoReplayGuard({
        putItem,
        tableName: emulators.resources.tableName,
        now: () => new Date(clock.now),
      });

    it('lets a token vouch for one content only, again and again, while it is remembered', async () => {
      // Prepare
      const guard = guardAt({ now: T0 });
      // Act
      const first = await guard.claim('token-a', 'digest-1', 60, true);
      const again = await guard.claim('token-a', 'digest-1', 60, true);
      const otherContent = await guard.claim('token-a', 'digest-2', 60, true);
      const otherToken = await guard.claim('token-b', 'digest-2', 60, true);
      // Assess
      expect([first, again, otherContent, otherToken]).toEqual([true, true, false, true]);
    });

    it('without create, confirms only a token already remembered with this content', async () => {
      // Prepare
      const guard = guardAt({ now: T0 });
      await guard.claim('token-e', 'digest-1', 60, true);
      // Act
      const unknown = await guard.claim('token-f', 'digest-1', 60, false);
      const unknownStill = await guard.claim('token-f', 'digest-1', 60, true);
      const known = await guard.claim('token-e', 'digest-1', 60, false);
      const knownOther = await guard.claim('token-e', 'digest-2', 60, false);
      // Assess: nothing was remembered for token-f by the refused claim, so it can still be created
      expect([unknown, unknownStill, known, knownOther]).toEqual([false, true, true, false]);
    });

    it('a put whose answer was lost and is made again is not a replay', async () => {
      // Prepare: the first put lands, its answer never arrives
      const guard = guardAt({ now: T0 });
      const lostAnswer = new DynamoReplayGuard({
        putItem: async (input) => {
          await putItem(input);
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        },
        tableName: emulators.resources.tableName,
        now: () => new Date(T0),
      });
      await expect(lostAnswer.claim('token-g', 'digest-1', 60, true)).rejects.toThrow('socket hang up');
      // Act: the caller's retry, and the provider's retry of the whole delivery
      const retried = await guard.claim('token-g', 'digest-1', 60, true);
      const redelivered = await guard.claim('token-g', 'digest-1', 60, false);
      // Assess
      expect([retried, redelivered]).toEqual([true, true]);
    });

    it('accepts a token for other content once its item has expired, even before TTL deletion', async () => {
      // Prepare
      const clock = { now: T0 };
      const guard = guardAt(clock);
      await guard.claim('token-c', 'digest-1', 60, true);
      // Act
      clock.now = T0 + 61_000;
      const afterExpiry = await guard.claim('token-c', 'digest-2', 60, true);
      const oldContentAfterRenewal = await guard.claim('token-c', 'digest-1', 60, true);
      // Assess
      expect([afterExpiry, oldContentAfterRenewal]).toEqual([true, false]);
    });

    it('stores a hash of the token with an epoch-seconds expiry, never the token', async () => {
      // Prepare
      const guard = guardAt({ now: T0 });
      // Act
      await guard.claim(`token-d-${client}`, 'digest-d', 300, true);
      const item = await emulators.clients.dynamodb.send(
        new GetItemCommand({
          TableName: emulators.resources.tableName,
          Key: { pk: { S: replayKeyFor(`token-d-${client}`) }, sk: { S: 'REPLAY' } },
        }),
      );
      // Assess
      expect(item.Item?.expiresAt).toEqual({ N: String(T0 / 1000 + 300) });
      expect(JSON.stringify(item.Item)).not.toContain('token-d');
      expect(item.Item?.contentDigest).toEqual({ S: 'digest-d' });
      expect(Object.keys(item.Item ?? {}).sort()).toEqual(['contentDigest', 'expiresAt', 'pk', 'sk']);
    });
  },
);

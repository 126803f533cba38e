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

    it('accepts a token the first time and refuses it while it is remembered', async () => {
      // Prepare
      const guard = guardAt({ now: T0 });
      // Act
      const first = await guard.claim('token-a', 60);
      const replay = await guard.claim('token-a', 60);
      const other = await guard.claim('token-b', 60);
      // Assess
      expect([first, replay, other]).toEqual([true, false, true]);
    });

    it('accepts a token again once its item has expired, even before TTL deletion', async () => {
      // Prepare
      const clock = { now: T0 };
      const guard = guardAt(clock);
      await guard.claim('token-c', 60);
      // Act
      clock.now = T0 + 61_000;
      const afterExpiry = await guard.claim('token-c', 60);
      const replayAfterRenewal = await guard.claim('token-c', 60);
      // Assess
      expect([afterExpiry, replayAfterRenewal]).toEqual([true, false]);
    });

    it('stores a hash of the token with an epoch-seconds expiry, never the token', async () => {
      // Prepare
      const guard = guardAt({ now: T0 });
      // Act
      await guard.claim(`token-d-${client}`, 300);
      const item = await emulators.clients.dynamodb.send(
        new GetItemCommand({
          TableName: emulators.resources.tableName,
          Key: { pk: { S: replayKeyFor(`token-d-${client}`) }, sk: { S: 'REPLAY' } },
        }),
      );
      // Assess
      expect(item.Item?.expiresAt).toEqual({ N: String(T0 / 1000 + 300) });
      expect(JSON.stringify(item.Item)).not.toContain('token-d');
      expect(Object.keys(item.Item ?? {}).sort()).toEqual(['expiresAt', 'pk', 'sk']);
    });
  },
);

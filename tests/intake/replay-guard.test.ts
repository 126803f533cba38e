import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedDynamoDbClient } from '#shared/aws/signed/dynamodb.ts';
import { InMemoryReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
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

    /** An expiry `seconds` after T0, as the Mailgun check derives one from a signed timestamp. */
    const expiryAt = (seconds: number): Date => new Date(T0 + seconds * 1000);

    it('lets a token vouch for one content only, again and again, while it is remembered', async () => {
      // Prepare
      const guard = guardAt({ now: T0 });
      // Act
      const first = await guard.claim('token-a', 'digest-1', expiryAt(60));
      const again = await guard.claim('token-a', 'digest-1', expiryAt(60));
      const otherContent = await guard.claim('token-a', 'digest-2', expiryAt(60));
      const otherToken = await guard.claim('token-b', 'digest-2', expiryAt(60));
      // Assess
      expect([first, again, otherContent, otherToken]).toEqual([true, true, false, true]);
    });

    it('never moves an expiry later: the same content claimed again is forgotten when the first claim said', async () => {
      // Prepare: a token claimed, then claimed again and again with the same content
      const clock = { now: T0 };
      const guard = guardAt(clock);
      await guard.claim('token-e', 'digest-1', expiryAt(60));
      // Act
      clock.now = T0 + 50_000;
      const later = await guard.claim('token-e', 'digest-1', expiryAt(110));
      const same = await guard.claim('token-e', 'digest-1', expiryAt(60));
      const item = await emulators.clients.dynamodb.send(
        new GetItemCommand({
          TableName: emulators.resources.tableName,
          Key: { pk: { S: replayKeyFor('token-e') }, sk: { S: 'REPLAY' } },
        }),
      );
      clock.now = T0 + 61_000;
      const otherContentOnceForgotten = await guard.claim('token-e', 'digest-2', expiryAt(121));
      // Assess: a claim that would keep it longer is refused, the one of the first expiry accepted
      // and leaves it; past it, the token is free for other content
      expect([later, same, otherContentOnceForgotten]).toEqual([false, true, true]);
      expect(item.Item?.expiresAt).toEqual({ N: String(T0 / 1000 + 60) });
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
      await expect(lostAnswer.claim('token-g', 'digest-1', expiryAt(60))).rejects.toThrow('socket hang up');
      // Act: the caller's retry, and the provider's retry of the whole delivery
      const retried = await guard.claim('token-g', 'digest-1', expiryAt(60));
      const redelivered = await guard.claim('token-g', 'digest-1', expiryAt(60));
      // Assess
      expect([retried, redelivered]).toEqual([true, true]);
    });

    it('accepts a token for other content once its item has expired, even before TTL deletion', async () => {
      // Prepare
      const clock = { now: T0 };
      const guard = guardAt(clock);
      await guard.claim('token-c', 'digest-1', expiryAt(60));
      // Act
      clock.now = T0 + 61_000;
      const afterExpiry = await guard.claim('token-c', 'digest-2', expiryAt(121));
      const oldContentAfterRenewal = await guard.claim('token-c', 'digest-1', expiryAt(121));
      // Assess
      expect([afterExpiry, oldContentAfterRenewal]).toEqual([true, false]);
    });

    it('stores a hash of the token with an epoch-seconds expiry, never the token', async () => {
      // Prepare
      const guard = guardAt({ now: T0 });
      // Act
      await guard.claim(`token-d-${client}`, 'digest-d', expiryAt(300));
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

describe('InMemoryReplayGuard (the local hub and the tests)', () => {
  it('never moves an expiry later: the same content claimed again is forgotten when the first claim said', async () => {
    // Prepare
    const clock = { now: T0 };
    const guard = new InMemoryReplayGuard(() => clock.now);
    await guard.claim('token-e', 'digest-1', new Date(T0 + 60_000));
    // Act
    clock.now = T0 + 50_000;
    const later = await guard.claim('token-e', 'digest-1', new Date(T0 + 110_000));
    const same = await guard.claim('token-e', 'digest-1', new Date(T0 + 60_000));
    const otherContent = await guard.claim('token-e', 'digest-2', new Date(T0 + 60_000));
    clock.now = T0 + 61_000;
    const otherContentOnceForgotten = await guard.claim('token-e', 'digest-2', new Date(T0 + 121_000));
    // Assess
    expect([later, same, otherContent, otherContentOnceForgotten]).toEqual([false, true, false, true]);
  });
});

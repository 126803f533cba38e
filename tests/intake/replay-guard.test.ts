import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { DynamoReplayGuard, replayKeyFor } from '#shared/store/replay-guard.ts';

const T0 = Date.parse('2026-11-22T12:00:00.000Z');

describe('DynamoReplayGuard against the local DynamoDB emulator', () => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const guardAt = (clock: { now: number }) =>
    new DynamoReplayGuard({
      client: emulators.clients.dynamodb,
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
    await guard.claim('token-d', 300);
    const item = await emulators.clients.dynamodb.send(
      new GetItemCommand({
        TableName: emulators.resources.tableName,
        Key: { pk: { S: replayKeyFor('token-d') }, sk: { S: 'REPLAY' } },
      }),
    );
    // Assess
    expect(item.Item?.expiresAt).toEqual({ N: String(T0 / 1000 + 300) });
    expect(JSON.stringify(item.Item)).not.toContain('token-d');
  });
});

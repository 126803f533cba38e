import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import {
  createSendStore,
  type SendFailure,
  SendRaceError,
  type SendRecord,
  type SendStore,
} from '#shared/store/sends.ts';

/*
 * A send's failure lands only on the record as the delivery read it when it decided: still sending,
 * the same next message, the same noted attempt (or none), and no status linked for that message.
 */

const NOW = new Date('2026-12-03T10:00:00.000Z');
const AT = '2026-12-03T09:59:00.000Z';
const failure: SendFailure = {
  reason: 'deadline_exceeded',
  retryable: false,
  failedField: 'deadline',
  decidedAt: NOW.toISOString(),
};

describe('a send record’s failure', () => {
  let emulators: RunningEmulators;
  let sends: SendStore;
  let count = 0;
  beforeAll(async () => {
    emulators = await startEmulators();
    sends = createSendStore({
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => NOW,
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** A claimed send of two messages, `overrides` applied; returns its hub message id. */
  const claimed = async (overrides: Partial<SendRecord> = {}): Promise<string> => {
    count += 1;
    const hubMessageId = `msg_fail-${count}`;
    await sends.claim({
      hubMessageId,
      conversationId: 'conv_fail',
      commandId: `cmd-${count}`,
      commandHash: 'hash',
      state: 'sending',
      acceptedAt: NOW.toISOString(),
      messageCount: 2,
      next: 0,
      providerIds: [],
      links: {},
      ...overrides,
    });
    return hubMessageId;
  };

  it('lands on the record as it was read: its next message, no attempt noted', async () => {
    const hubMessageId = await claimed();
    await sends.fail(hubMessageId, failure, { index: 0 });
    expect(await sends.get(hubMessageId)).toMatchObject({ state: 'failed', failure });
  });

  it('does not land once another delivery accepted that message', async () => {
    // Prepare: read with message 0 next; another delivery notes it, the provider accepts it
    const hubMessageId = await claimed();
    await sends.startAttempt(hubMessageId, 0, AT, 'other');
    await sends.accept(hubMessageId, 0, 'wamid.went');
    // Act / Assess
    await expect(sends.fail(hubMessageId, failure, { index: 0 })).rejects.toBeInstanceOf(SendRaceError);
    expect(await sends.get(hubMessageId)).toMatchObject({
      state: 'sending',
      next: 1,
      providerIds: ['wamid.went'],
    });
  });

  it('does not land over an attempt another delivery noted since it read none', async () => {
    const hubMessageId = await claimed();
    await sends.startAttempt(hubMessageId, 0, AT, 'other');
    await expect(sends.fail(hubMessageId, failure, { index: 0 })).rejects.toBeInstanceOf(SendRaceError);
    expect((await sends.get(hubMessageId))?.state).toBe('sending');
  });

  it('lands over the very attempt it read, and over no other', async () => {
    const noted = { index: 0, at: AT, by: 'caller' };
    const otherTime = await claimed({ inFlight: noted });
    const otherDelivery = await claimed({ inFlight: noted });
    const same = await claimed({ inFlight: noted });
    await expect(
      sends.fail(otherTime, failure, { index: 0, attempt: { at: NOW.toISOString(), by: 'caller' } }),
    ).rejects.toBeInstanceOf(SendRaceError);
    await expect(
      sends.fail(otherDelivery, failure, { index: 0, attempt: { at: AT, by: 'another' } }),
    ).rejects.toBeInstanceOf(SendRaceError);
    await sends.fail(same, failure, { index: 0, attempt: { at: AT, by: 'caller' } });
    expect((await sends.get(same))?.state).toBe('failed');
    expect((await sends.get(same))?.inFlight).toBeUndefined();
  });

  it('lands over an attempt noted without a delivery id (an older record) only when it read it so', async () => {
    const anonymous = { index: 0, at: AT };
    const readWithId = await claimed({ inFlight: anonymous });
    const readSo = await claimed({ inFlight: anonymous });
    await expect(
      sends.fail(readWithId, failure, { index: 0, attempt: { at: AT, by: 'caller' } }),
    ).rejects.toBeInstanceOf(SendRaceError);
    await sends.fail(readSo, failure, { index: 0, attempt: { at: AT } });
    expect((await sends.get(readSo))?.state).toBe('failed');
  });

  it('does not land once a status linked the message of the attempt it read: that message went', async () => {
    // Prepare: an unanswered attempt of the last message; its status comes
    const hubMessageId = await claimed({ messageCount: 1, inFlight: { index: 0, at: AT, by: 'gone' } });
    await sends.linkIfAwaited(hubMessageId, 0, 'wamid.linked');
    // Act / Assess
    await expect(
      sends.fail(hubMessageId, failure, { index: 0, attempt: { at: AT, by: 'gone' } }),
    ).rejects.toBeInstanceOf(SendRaceError);
    expect(await sends.get(hubMessageId)).toMatchObject({ state: 'sending', links: { 0: 'wamid.linked' } });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createSendStore, SendRaceError, type SendRecord, type SendStore } from '#shared/store/sends.ts';

/*
 * A release (the provider took nothing: the message may be called again later) lands only for the
 * delivery whose attempt is noted, or one that noted none while none is, and never once a status or
 * echo linked that message: it went, and a release would open it to a second call.
 */

const NOW = new Date('2026-12-03T10:00:00.000Z');
const AT = '2026-12-03T09:59:00.000Z';

describe('a send record’s release', () => {
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

  /** A claimed send of one message whose attempt `delivery` noted; returns its hub message id. */
  const noted = async (delivery: string, overrides: Partial<SendRecord> = {}): Promise<string> => {
    count += 1;
    const hubMessageId = `msg_release-${count}`;
    await sends.claim({
      hubMessageId,
      conversationId: 'conv_release',
      commandId: `cmd-${count}`,
      commandHash: 'hash',
      state: 'sending',
      acceptedAt: NOW.toISOString(),
      messageCount: 1,
      next: 0,
      providerIds: [],
      links: {},
      inFlight: { index: 0, at: AT, by: delivery },
      ...overrides,
    });
    return hubMessageId;
  };

  it('lands for the delivery whose attempt is noted: the note goes, one wait is counted', async () => {
    // Prepare
    const hubMessageId = await noted('d1');
    // Act
    await sends.release(hubMessageId, 0, AT, 'd1', { waits: 0 });
    // Assess
    const record = await sends.get(hubMessageId);
    expect(record?.inFlight).toBeUndefined();
    expect(record).toMatchObject({ state: 'sending', next: 0, waits: 1, waitingSince: AT });
  });

  it('does not land over another delivery’s attempt', async () => {
    // Prepare
    const hubMessageId = await noted('d2');
    // Act / Assess
    await expect(sends.release(hubMessageId, 0, AT, 'other', { waits: 0 })).rejects.toBeInstanceOf(
      SendRaceError,
    );
    expect((await sends.get(hubMessageId))?.inFlight).toMatchObject({ by: 'd2' });
  });

  it('does not land once a status linked that message: it went, and stays noted until accepted', async () => {
    // Prepare: the status of the noted attempt's message comes before its delivery's release
    const hubMessageId = await noted('d3');
    await sends.linkIfAwaited(hubMessageId, 0, 'wamid.went');
    // Act / Assess
    await expect(sends.release(hubMessageId, 0, AT, 'd3', { waits: 0 })).rejects.toBeInstanceOf(
      SendRaceError,
    );
    const record = await sends.get(hubMessageId);
    expect(record).toMatchObject({ state: 'sending', links: { 0: 'wamid.went' }, inFlight: { by: 'd3' } });
    expect(record?.waits).toBeUndefined();
  });

  it('counts one wait when the same release is written twice (its answer lost, the write repeated)', async () => {
    // Prepare: an unreachable provider; the release lands, its answer is lost, and it is written again
    const hubMessageId = await noted('d4', { waits: 1, unreachable: 1, waitingSince: AT });
    await sends.release(hubMessageId, 0, AT, 'd4', { waits: 1, unreachable: true });
    // Act / Assess: the repeat finds the count moved past what it was decided on
    await expect(
      sends.release(hubMessageId, 0, AT, 'd4', { waits: 1, unreachable: true }),
    ).rejects.toBeInstanceOf(SendRaceError);
    expect(await sends.get(hubMessageId)).toMatchObject({ waits: 2, unreachable: 2 });
  });
});

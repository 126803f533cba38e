import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { HubEvent } from '#shared/contract/index.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { messageEvent, minute, noStore, sqsEvent, statusEvent } from './factories.ts';

describe('recorder batch handling (FIFO partial failures)', () => {
  it('fails the rest of a failing group only, and lets other groups through', async () => {
    // Prepare: group A = [ok, poison, ok]; group B = [ok, ok]
    const published: string[] = [];
    const recorder = createRecorderService({
      store: noStore,
      publisher: {
        publish: async (events: readonly HubEvent[]) => void published.push(...events.map((e) => e.id)),
      },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    const a1 = statusEvent('a', 'wa-1', 'sent', minute(1));
    const a3 = statusEvent('a', 'wa-1', 'read', minute(3));
    const b1 = messageEvent('b', 'wb-1', minute(1));
    const b2 = statusEvent('b', 'wb-1', 'read', minute(2));
    const event = sqsEvent([
      { id: 'a1', group: 'A', body: JSON.stringify(a1) },
      { id: 'b1', group: 'B', body: JSON.stringify(b1) },
      { id: 'a2', group: 'A', body: '{"broken": true' },
      { id: 'a3', group: 'A', body: JSON.stringify(a3) },
      { id: 'b2', group: 'B', body: JSON.stringify(b2) },
    ]);
    // Act
    const response = await recorder.handleSqsEvent(event);
    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['a2', 'a3']);
    expect(published).toContain(a1.id);
    expect(published).toContain(b2.id);
    expect(published).not.toContain(a3.id);
  });

  describe('a record still failing at its give-up receive', () => {
    const GIVE_UP_AT = INGEST_QUEUE.consumerGivesUpAtReceive ?? Number.NaN;
    /** Group A: a body that is no hub event, then two healthy statuses; group B: one message. */
    const a2 = statusEvent('a', 'wa-1', 'sent', minute(2));
    const a3 = statusEvent('a', 'wa-1', 'read', minute(3));
    const b1 = messageEvent('b', 'wb-1', minute(1));
    const batch = (receive: number) =>
      sqsEvent(
        [
          { id: 'a1', group: 'A', body: '{"not":"an event"}' },
          { id: 'a2', group: 'A', body: JSON.stringify(a2) },
          { id: 'b1', group: 'B', body: JSON.stringify(b1) },
          { id: 'a3', group: 'A', body: JSON.stringify(a3) },
        ],
        receive,
      );
    const setUp = (deadLetter?: (record: SQSRecord, reason: string) => Promise<void>) => {
      const published: string[] = [];
      const moved: { id: string; reason: string }[] = [];
      const recorder = createRecorderService({
        store: noStore,
        publisher: {
          publish: async (events: readonly HubEvent[]) => void published.push(...events.map((e) => e.id)),
        },
        clock: () => new Date(),
        logger: createLogger({ level: 'error', write: () => {} }),
        deadLetter:
          deadLetter ??
          (async (record, reason) => {
            moved.push({ id: record.messageId, reason });
          }),
      });
      const failed = async (receive: number) =>
        (await recorder.handleSqsEvent(batch(receive))).batchItemFailures.map((f) => f.itemIdentifier).sort();
      /** What group A published, in order (a message publishes more than its own event). */
      const ofA = () => published.filter((id) => id === a2.id || id === a3.id);
      return { published, moved, failed, ofA };
    };

    it('is moved to the dead-letter queue with its reason, and the records behind it are recorded in order', async () => {
      // Prepare
      const { published, moved, failed, ofA } = setUp();
      // Act
      const before = await failed(GIVE_UP_AT - 1);
      const publishedBefore = ofA();
      const atGiveUp = await failed(GIVE_UP_AT);
      // Assess: held together before; at the give-up receive only the poison leaves, by the recorder
      expect(before).toEqual(['a1', 'a2', 'a3']);
      expect(publishedBefore).toEqual([]);
      expect(published).toContain(b1.id);
      expect(atGiveUp).toEqual([]);
      expect(moved).toEqual([
        { id: 'a1', reason: `failed at receive ${GIVE_UP_AT}: body is not a valid hub event` },
      ]);
      expect(ofA()).toEqual([a2.id, a3.id]);
    });

    it('leaves it and the records behind it failed when the move fails (nothing lost, order kept)', async () => {
      // Prepare
      const { published, failed, ofA } = setUp(async () => {
        throw new Error('SQS refused');
      });
      // Act
      const atGiveUp = await failed(GIVE_UP_AT);
      // Assess
      expect(atGiveUp).toEqual(['a1', 'a2', 'a3']);
      expect(ofA()).toEqual([]);
      expect(published).toContain(b1.id);
    });

    it('past the give-up receive (a receive died), is tried once more before it is moved', async () => {
      // Prepare
      const { published, moved, failed, ofA } = setUp();
      // Act
      const pastGiveUp = await failed(GIVE_UP_AT + 1);
      // Assess: the healthy ones recorded, the poison moved with its reason
      expect(pastGiveUp).toEqual([]);
      expect(moved).toEqual([
        { id: 'a1', reason: `failed at receive ${GIVE_UP_AT + 1}: body is not a valid hub event` },
      ]);
      expect(ofA()).toEqual([a2.id, a3.id]);
      expect(published).toContain(b1.id);
    });
  });
});

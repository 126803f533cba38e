import { describe, expect, it } from 'vitest';
import { BatchEventPublisher, IngestPublishError } from '#shared/aws/event-publisher.ts';
import type { EventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { publishInRounds } from '#shared/recorder/publish-rounds.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { messageEvent, minute, noStore, sqsEvent, statusEvent } from './factories.ts';

/** Records every call of the inner publisher; fails the calls whose number is listed. */
const recordingPublisher = (failCalls: readonly number[] = []) => {
  const calls: string[][] = [];
  const publisher: EventPublisher = {
    publish: async (events) => {
      calls.push(events.map((event) => event.id));
      if (failCalls.includes(calls.length)) throw new Error('queue unavailable');
    },
  };
  return { calls, publisher };
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('publishing a batch in rounds', () => {
  it('sends one round once every running group waits, each group keeping its events together and in order', async () => {
    // Prepare
    const { calls, publisher } = recordingPublisher();
    const join = publishInRounds(publisher, 3);
    const [a, b, c] = [join(), join(), join()];
    const a1 = messageEvent('a', 'a-1', minute(1));
    const a2 = statusEvent('a', 'a-1', 'read', minute(2));
    const b1 = messageEvent('b', 'b-1', minute(1));
    const c1 = messageEvent('c', 'c-1', minute(1));
    // Act
    const settled: string[] = [];
    const first = a.publish([a1, a2]).then(() => settled.push('a'));
    await tick();
    const callsWhileOthersRun = calls.length;
    const second = c.publish([c1]).then(() => settled.push('c'));
    const third = b.publish([b1]).then(() => settled.push('b'));
    await Promise.all([first, second, third]);
    // Assess
    expect(callsWhileOthersRun).toBe(0);
    expect(calls).toEqual([[a1.id, a2.id, c1.id, b1.id]]);
    expect(settled.sort()).toEqual(['a', 'b', 'c']);
  });

  it('lets the waiting groups go when the last running one leaves', async () => {
    // Prepare
    const { calls, publisher } = recordingPublisher();
    const join = publishInRounds(publisher, 2);
    const [a, b] = [join(), join()];
    const a1 = messageEvent('a', 'a-1', minute(1));
    // Act
    const published = a.publish([a1]);
    await tick();
    const before = calls.length;
    b.leave();
    b.leave();
    await published;
    // Assess
    expect(before).toBe(0);
    expect(calls).toEqual([[a1.id]]);
  });

  it('sends a round without a group that stepped aside, and waits for it again once it is back', async () => {
    // Prepare: B steps aside (a typing indicator, which publishes nothing) while A publishes
    const { calls, publisher } = recordingPublisher();
    const join = publishInRounds(publisher, 2);
    const [a, b] = [join(), join()];
    const a1 = messageEvent('a', 'a-1', minute(1));
    const a2 = messageEvent('a', 'a-2', minute(2));
    let back: () => void = () => {};
    // Act
    const aside = b.aside(() => new Promise<void>((resolve) => (back = resolve)));
    await a.publish([a1]);
    const callsWhileAside = calls.length;
    back();
    await aside;
    const second = a.publish([a2]);
    await tick();
    const callsWithBBack = calls.length;
    b.leave();
    await second;
    // Assess
    expect(callsWhileAside).toBe(1);
    expect(callsWithBBack).toBe(1);
    expect(calls).toEqual([[a1.id], [a2.id]]);
  });

  it('fails every group of a failed round, and the next round still goes out', async () => {
    // Prepare
    const { calls, publisher } = recordingPublisher([1]);
    const join = publishInRounds(publisher, 2);
    const [a, b] = [join(), join()];
    const a1 = messageEvent('a', 'a-1', minute(1));
    const b1 = messageEvent('b', 'b-1', minute(1));
    const b2 = messageEvent('b', 'b-2', minute(2));
    // Act
    const outcomes = await Promise.allSettled([a.publish([a1]), b.publish([b1])]);
    a.leave();
    await b.publish([b2]);
    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toEqual([[a1.id, b1.id], [b2.id]]);
  });

  it('fails only the group whose events a round did not queue', async () => {
    // Prepare: the inner publisher queues B's event and names A's as not queued
    const a1 = messageEvent('a', 'a-1', minute(1));
    const b1 = messageEvent('b', 'b-1', minute(1));
    const publisher: EventPublisher = {
      publish: async () => {
        throw new IngestPublishError('1 event(s) not queued', [a1.id], ['ThrottlingException']);
      },
    };
    const join = publishInRounds(publisher, 2);
    const [a, b] = [join(), join()];
    // Act
    const outcomes = await Promise.allSettled([a.publish([a1]), b.publish([b1])]);
    // Assess
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('dead-letters at the last receive only the conversation whose helpdesk entry SQS kept refusing', async () => {
    // Prepare: SQS refuses every entry of A's conversation (a hot partition), takes B's
    const a1 = messageEvent('alice', 'wa-a1', minute(1));
    const b1 = messageEvent('bob', 'wa-b1', minute(1));
    const queued: string[] = [];
    const publisher = new BatchEventPublisher({
      sqs: {
        sendMessageBatch: async ({ Entries }) => ({
          Successful: Entries.filter((entry) => entry.MessageGroupId !== a1.subject).map((entry) => {
            queued.push(entry.MessageGroupId ?? '');
            return { Id: entry.Id };
          }),
          Failed: Entries.filter((entry) => entry.MessageGroupId === a1.subject).map((entry) => ({
            Id: entry.Id,
            Code: 'ThrottlingException',
            SenderFault: false,
          })),
        }),
      },
      queueUrl: 'https://sqs.local/helpdesk.fifo',
      overflow: { store: { put: async () => undefined }, bucket: 'bucket' },
      oneEntryPerGroupPerRequest: true,
      sleep: async () => undefined,
    });
    const moved: string[] = [];
    const recorder = createRecorderService({
      store: noStore,
      publisher,
      clock: () => new Date('2026-11-22T12:00:00.000Z'),
      logger: createLogger({ level: 'error', write: () => {} }),
      deadLetter: async (record) => {
        moved.push(record.messageId);
      },
    });
    const batch = (receive: number) =>
      sqsEvent(
        [
          { id: 'A1', group: a1.subject, body: JSON.stringify(a1) },
          { id: 'B1', group: b1.subject, body: JSON.stringify(b1) },
        ],
        receive,
      );
    // Act
    const first = await recorder.handleSqsEvent(batch(1));
    const last = await recorder.handleSqsEvent(batch(INGEST_QUEUE.consumerGivesUpAtReceive ?? 5));
    // Assess: only B's events went (each receive) and B's record succeeded; A alone failed, then was moved
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'A1' }]);
    expect(last.batchItemFailures).toEqual([]);
    expect(moved).toEqual(['A1']);
    expect(new Set(queued)).toEqual(new Set([b1.subject]));
  });

  it('lets the recorder send a batch of ten conversations in one publish call', async () => {
    // Prepare
    const { calls, publisher } = recordingPublisher();
    const recorder = createRecorderService({
      store: noStore,
      publisher,
      clock: () => new Date('2026-11-22T12:00:00.000Z'),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    const events: HubEvent[] = Array.from({ length: 10 }, (_, index) =>
      messageEvent(`customer-${index}`, `m-${index}`, minute(index)),
    );
    // Act
    const response = await recorder.handleSqsEvent(
      sqsEvent(
        events.map((event, index) => ({
          id: `r${index}`,
          group: event.subject,
          body: JSON.stringify(event),
        })),
      ),
    );
    // Assess: each message with its conversation's state change, in one call.
    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(20);
    const messagesFirst = calls[0]?.filter((_, index) => index % 2 === 0) ?? [];
    expect(messagesFirst.sort()).toEqual(events.map((event) => event.id).sort());
  });
});

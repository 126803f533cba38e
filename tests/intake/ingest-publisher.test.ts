import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryBlobStore } from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { BatchEventPublisher } from '#shared/aws/event-publisher.ts';
import {
  chunkEntries,
  chunkEntriesOnePerGroup,
  IngestPublishError,
  MAX_BATCH_BYTES,
  messageGroupIdFor,
  SqsEventPublisher,
  toSqsSafeJson,
} from '#shared/aws/sqs-event-publisher.ts';
import { ClaimCheckSchema, type HubEvent } from '#shared/contract/index.ts';
import { unsupportedEvent } from '#tests/support/factories.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/switchboard-ingest.fifo';
const sqsMock = mockClient(SQSClient);

const publisherWith = (
  overrides: {
    maxMessageBytes?: number;
    store?: InMemoryBlobStore;
    oneEntryPerGroupPerRequest?: boolean;
  } = {},
) => {
  const delays: number[] = [];
  const publisher = new SqsEventPublisher({
    client: new SQSClient({ region: 'eu-west-1' }),
    queueUrl: QUEUE_URL,
    overflow: { store: overrides.store ?? new InMemoryBlobStore(), bucket: 'payloads' },
    ...(overrides.maxMessageBytes === undefined ? {} : { maxMessageBytes: overrides.maxMessageBytes }),
    ...(overrides.oneEntryPerGroupPerRequest ? { oneEntryPerGroupPerRequest: true } : {}),
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
  });
  return { publisher, delays };
};

const entriesOfCall = (index: number) =>
  (sqsMock.commandCalls(SendMessageBatchCommand)[index]?.args[0].input.Entries ?? []).map(
    (entry) => entry.Id,
  );

describe('SqsEventPublisher', () => {
  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
      Failed: [],
    }));
  });

  it.each([
    [true, 2],
    [false, 1],
  ])(
    'deduplicates an e-mail by its raw object too only when asked (%s: %i ids for two receipts)',
    async (byRawObject, ids) => {
      // Prepare: one mail received twice by SES (one event id, two raw objects), and a retry of the first
      const receipt = (rawMimeKey: string) =>
        ({
          ...unsupportedEvent(1),
          data: { ...unsupportedEvent(1).data, email: { rawMimeKey } },
        }) as HubEvent;
      const sent: string[] = [];
      const publisher = new BatchEventPublisher({
        sqs: {
          sendMessageBatch: async ({ Entries }) => {
            sent.push(...Entries.map((entry) => entry.MessageDeduplicationId ?? ''));
            return { Successful: Entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
          },
        },
        queueUrl: QUEUE_URL,
        overflow: { store: new InMemoryBlobStore(), bucket: 'payloads' },
        deduplicateByRawObject: byRawObject,
      });
      // Act
      for (const key of ['ses-inbound/a', 'ses-inbound/b', 'ses-inbound/a'])
        await publisher.publish([receipt(key)]);
      // Assess: a retry of one receipt is always one message to the queue
      expect(new Set(sent).size).toBe(ids);
      expect(sent[2]).toBe(sent[0]);
    },
  );

  it('sends 25 events in 3 batches of at most 10, in order', async () => {
    // Prepare
    const { publisher } = publisherWith();
    const events = Array.from({ length: 25 }, (_, index) => unsupportedEvent(index));
    // Act
    await publisher.publish(events);
    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
    expect([0, 1, 2].map((call) => entriesOfCall(call).length)).toEqual([10, 10, 5]);
    expect(entriesOfCall(2)).toEqual(['20', '21', '22', '23', '24']);
  });

  it('groups by subject and deduplicates by event id', async () => {
    // Prepare
    const { publisher } = publisherWith();
    const conversationId = `conv_${'0a'.repeat(16)}`;
    const event = unsupportedEvent(7, conversationId);
    // Act
    await publisher.publish([event]);
    // Assess
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: QUEUE_URL,
      Entries: [
        {
          Id: '0',
          MessageBody: JSON.stringify(event),
          MessageGroupId: conversationId,
          MessageDeduplicationId: event.id,
        },
      ],
    });
  });

  it('retries only the entries SQS reported as failed', async () => {
    // Prepare
    const { publisher, delays } = publisherWith();
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: 'x' }],
        Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
      })
      .resolvesOnce({ Successful: [{ Id: '1', MessageId: 'b', MD5OfMessageBody: 'y' }], Failed: [] });
    // Act
    await publisher.publish([unsupportedEvent(0), unsupportedEvent(1)]);
    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(entriesOfCall(1)).toEqual(['1']);
    expect(delays).toHaveLength(1);
  });

  it('with one entry per group, a failed entry is retried before the next event of its group is sent', async () => {
    // Prepare: a1 and a2 in conversation A, b1 in B; SQS refuses a1 once.
    const { publisher } = publisherWith({ oneEntryPerGroupPerRequest: true });
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '2', MessageId: 'b1', MD5OfMessageBody: 'x' }],
        Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
      })
      .callsFake((input: { Entries: { Id: string }[] }) => ({
        Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
        Failed: [],
      }));
    const [a1, a2, b1] = [
      unsupportedEvent(0, 'conv_a'),
      unsupportedEvent(1, 'conv_a'),
      unsupportedEvent(2, 'conv_b'),
    ];
    // Act
    await publisher.publish([a1, a2, b1]);
    // Assess: a2 goes out only after a1's retry.
    expect([0, 1, 2].map(entriesOfCall)).toEqual([['0', '2'], ['0'], ['1']]);
  });

  it('does not take an answer that names an entry neither way as its success: it sends it again', async () => {
    // Prepare: the first answer is empty (SQS always names every entry; a garbled one may not)
    const { publisher } = publisherWith();
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [] })
      .callsFake((input: { Entries: { Id: string }[] }) => ({
        Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
        Failed: [],
      }));
    // Act
    await publisher.publish([unsupportedEvent(0), unsupportedEvent(1)]);
    // Assess
    expect([0, 1].map(entriesOfCall)).toEqual([
      ['0', '1'],
      ['0', '1'],
    ]);
  });

  it('throws a typed error naming the events still failing after every attempt', async () => {
    // Prepare
    const { publisher } = publisherWith();
    const events = [unsupportedEvent(0), unsupportedEvent(1)];
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.filter((entry) => entry.Id === '0').map((entry) => ({ Id: entry.Id })),
      Failed: input.Entries.filter((entry) => entry.Id === '1').map((entry) => ({
        Id: entry.Id,
        Code: 'ServiceUnavailable',
        SenderFault: false,
      })),
    }));
    // Act
    const publishing = publisher.publish(events);
    // Assess
    await expect(publishing).rejects.toBeInstanceOf(IngestPublishError);
    await expect(publishing).rejects.toMatchObject({
      failedEventIds: [events[1]?.id],
      errorCodes: ['ServiceUnavailable'],
    });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
  });

  it('after a group’s event is not queued, sends the later batches without that group, and names every event not queued', async () => {
    // Prepare: a1, a2 in conversation A, b1, b2 in B, one entry per group a request; SQS refuses A's entries
    const { publisher } = publisherWith({ oneEntryPerGroupPerRequest: true });
    const [a1, a2, b1, b2] = [
      unsupportedEvent(0, 'conv_a'),
      unsupportedEvent(1, 'conv_a'),
      unsupportedEvent(2, 'conv_b'),
      unsupportedEvent(3, 'conv_b'),
    ];
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.filter((entry) => entry.Id !== '0').map((entry) => ({ Id: entry.Id })),
      Failed: input.Entries.filter((entry) => entry.Id === '0').map((entry) => ({
        Id: entry.Id,
        Code: 'ThrottlingException',
        SenderFault: false,
      })),
    }));
    // Act
    const publishing = publisher.publish([a1, a2, b1, b2]);
    // Assess: a1 tried three times; a2 never sent ahead of it; B's both queued; the error names A's two
    await expect(publishing).rejects.toMatchObject({
      failedEventIds: [a1?.id, a2?.id],
      errorCodes: ['ThrottlingException'],
    });
    expect([0, 1, 2, 3].map(entriesOfCall)).toEqual([['0', '2'], ['0'], ['0'], ['3']]);
  });

  it('does not retry entries SQS blames on the sender', async () => {
    // Prepare
    const { publisher } = publisherWith();
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', Code: 'InvalidParameterValue', SenderFault: true }],
    });
    // Act
    const publishing = publisher.publish([unsupportedEvent(0)]);
    // Assess
    await expect(publishing).rejects.toBeInstanceOf(IngestPublishError);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  it('wraps a failed call in the typed error', async () => {
    // Prepare
    const { publisher } = publisherWith();
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('socket hang up'));
    // Act
    const publishing = publisher.publish([unsupportedEvent(0)]);
    // Assess
    await expect(publishing).rejects.toBeInstanceOf(IngestPublishError);
  });

  it('measures bodies in UTF-8 bytes: large ASCII events share a batch and need no claim check', async () => {
    // Prepare: three times each length would exceed 1 MiB; the bytes themselves do not.
    const store = new InMemoryBlobStore();
    const { publisher } = publisherWith({ store });
    const events = [0, 1, 2].map((index) =>
      unsupportedEvent(index, 'conv_big', { filler: 'x'.repeat(340_000) }),
    );
    // Act
    await publisher.publish(events);
    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
    expect(entriesOfCall(0)).toEqual(['0', '1', '2']);
    expect(store.objects.size).toBe(0);
  });

  it('splits batches by exact UTF-8 bytes when multi-byte text fills them', async () => {
    // Prepare: 'é' takes two bytes, so two events of 300 000 of them are over 1 MiB together.
    const { publisher } = publisherWith();
    const events = [0, 1].map((index) =>
      unsupportedEvent(index, 'conv_big', { filler: 'é'.repeat(300_000) }),
    );
    // Act
    await publisher.publish(events);
    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
  });

  it('claim-checks an event larger than a message into the bucket and queues a pointer', async () => {
    // Prepare
    const store = new InMemoryBlobStore();
    const { publisher } = publisherWith({ store, maxMessageBytes: 2048 });
    const big = unsupportedEvent(0, 'conv_big', { filler: 'x'.repeat(5000) });
    // Act
    await publisher.publish([big]);
    // Assess
    const body =
      sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0]?.MessageBody ?? '';
    const pointer = ClaimCheckSchema.parse(JSON.parse(body));
    expect(pointer).toMatchObject({ id: big.id, subject: 'conv_big', type: big.type });
    // `conv_big` is no conversation id: its claim check goes under the fixed segment.
    expect(pointer.switchboardClaimCheck.key).toMatch(/^bodies\/events\/unscoped\/[0-9a-f]{64}\.json$/);
    const resolved = await resolveQueueMessageBody(body, async (_bucket, key) => store.get(key));
    expect(resolved).toEqual(big);
  });
});

describe('message bodies', () => {
  it('escape the characters SQS refuses, keeping the event identical once parsed', () => {
    // Prepare
    const event = unsupportedEvent(0, 'conv_abc', { text: 'odd \uffff and \ufffe, emoji 👋' });
    // Act
    const body = toSqsSafeJson(event);
    // Assess
    expect(body).not.toMatch(/[\ufffe\uffff]/);
    expect(JSON.parse(body)).toEqual(event);
  });
});

describe('batching and group ids', () => {
  it('never exceeds 10 entries or 1 MiB per batch and keeps every entry once, in order', () => {
    // Prepare
    const sizes = [600_000, 500_000, 10, 10, 1_048_576, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
    const entries = sizes.map((bytes, index) => ({ bytes, index }));
    // Act
    const batches = chunkEntries(entries);
    // Assess
    expect(batches.flat().map((entry) => entry.index)).toEqual(sizes.map((_, index) => index));
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(10);
      expect(batch.reduce((sum, entry) => sum + entry.bytes, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    }
  });

  it('one entry per group: batches within the limits, each group in order across batches, every entry once', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            group: fc.constantFrom('a', 'b', 'c', 'd'),
            bytes: fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 100_000, max: 600_000 })),
          }),
          { maxLength: 60 },
        ),
        (generated) => {
          // Prepare
          const entries = generated.map((entry, index) => ({ ...entry, index }));
          // Act
          const batches = chunkEntriesOnePerGroup(entries, (entry) => entry.group);
          // Assess
          expect(
            batches
              .flat()
              .map((entry) => entry.index)
              .sort((a, b) => a - b),
          ).toEqual(entries.map((entry) => entry.index));
          const batchOf = new Map<number, number>();
          batches.forEach((batch, batchIndex) => {
            expect(batch.length).toBeLessThanOrEqual(10);
            expect(batch.reduce((sum, entry) => sum + entry.bytes, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
            expect(new Set(batch.map((entry) => entry.group)).size).toBe(batch.length);
            for (const entry of batch) batchOf.set(entry.index, batchIndex);
          });
          for (const group of ['a', 'b', 'c', 'd']) {
            const order = entries
              .filter((entry) => entry.group === group)
              .map((entry) => batchOf.get(entry.index) ?? -1);
            expect(order).toEqual([...order].sort((a, b) => a - b));
            expect(new Set(order).size).toBe(order.length);
          }
        },
      ),
    );
  });

  it('one entry per group: ten conversations with two events each still take two requests', () => {
    // Prepare
    const entries = Array.from({ length: 20 }, (_, index) => ({ bytes: 500, group: `conv-${index >> 1}` }));
    // Act
    const batches = chunkEntriesOnePerGroup(entries, (entry) => entry.group);
    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([10, 10]);
  });

  it("keeps the hub's opaque ids as group ids and maps every other subject to a stable hash", () => {
    // Prepare
    const conversation = `conv_${'a1'.repeat(16)}`;
    const person = `ct_${'b2'.repeat(16)}`;
    // Act
    const long = messageGroupIdFor(`endpoint:email:${'a'.repeat(200)}@example.com`);
    const address = messageGroupIdFor('endpoint:email:jane.doe.refund@inbound.example');
    // Assess
    expect(messageGroupIdFor(conversation)).toBe(conversation);
    expect(messageGroupIdFor(person)).toBe(person);
    expect(long).toMatch(/^g_[0-9a-f]{40}$/);
    // An endpoint's address (a local part a sender may have chosen) never becomes the group id.
    expect(address).toMatch(/^g_[0-9a-f]{40}$/);
    expect(messageGroupIdFor('endpoint:email:jane.doe.refund@inbound.example')).toBe(address);
    expect(messageGroupIdFor(address)).toBe(address);
    expect(messageGroupIdFor('endpoint:email:ünïcode@example.com')).toBe(
      messageGroupIdFor('endpoint:email:ünïcode@example.com'),
    );
  });
});

import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQS,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeSignedRequests } from '#shared/aws/clients.ts';
import { signedCallDeadline } from '#shared/aws/signed/signed-caller.ts';
import {
  createQueueWithDlq,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type RunningEmulators,
  startEmulators,
} from '#shared/local/emulators.ts';
import { type SqsHandler, startSqsEventSource } from '#shared/local/event-source.ts';
import { queueDepth } from '#shared/local/queue-depth.ts';
import { deleteReceived } from '#shared/local/sqs-receipts.ts';
import { HIGH_THROUGHPUT_FIFO } from '#shared/resources/definitions.ts';

const waitFor = async (condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
};

describe('local SQS event source', () => {
  let emulators: RunningEmulators;
  let queueCounter = 0;

  const freshQueue = async (maxReceiveCount = 3) => {
    queueCounter += 1;
    return createQueueWithDlq(emulators.clients.sqs, {
      name: `event-source-${queueCounter}.fifo`,
      fifo: true,
      throughput: HIGH_THROUGHPUT_FIFO,
      maximumMessageSizeBytes: 1_048_576,
      visibilityTimeoutSeconds: 30,
      retentionPeriodSeconds: 3600,
      maxReceiveCount,
      deadLetterQueue: { name: `event-source-${queueCounter}-dlq.fifo`, retentionPeriodSeconds: 3600 },
    });
  };

  const send = async (queueUrl: string, count: number, prefix = 'm') => {
    for (let start = 0; start < count; start += 10) {
      const size = Math.min(10, count - start);
      await emulators.clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: size }, (_, offset) => ({
            Id: String(offset),
            MessageBody: `${prefix}${start + offset}`,
            MessageGroupId: `group-${start + offset}`,
            MessageDeduplicationId: `${prefix}-dedup-${start + offset}`,
            MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
          })),
        }),
      );
    }
  };

  const run = (queueUrl: string, handler: SqsHandler) =>
    startSqsEventSource({
      sqs: emulators.queues,
      queueUrl,
      handler,
      waitTimeSeconds: 1,
      retryVisibilitySeconds: 1,
    });

  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('delivers batches of at most ten Lambda-shaped records and deletes them', async () => {
    // Prepare
    const { queueUrl } = await freshQueue();
    await send(queueUrl, 25);
    const batches: SQSRecord[][] = [];
    // Act
    const source = await run(queueUrl, async (event) => {
      batches.push(event.Records);
      return { batchItemFailures: [] };
    });
    await waitFor(() => batches.flat().length >= 25);
    await waitFor(async () => (await queueDepth(emulators.clients.sqs, queueUrl)) === 0);
    await source.stop();
    // Assess
    expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(10);
    expect(new Set(batches.flat().map((record) => record.body)).size).toBe(25);
    const first = batches[0]?.[0];
    expect(first).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: expect.stringMatching(/^arn:aws:sqs:us-east-1:\d+:event-source-\d+\.fifo$/),
      awsRegion: 'us-east-1',
      attributes: {
        ApproximateReceiveCount: '1',
        MessageGroupId: expect.stringMatching(/^group-\d+$/),
        MessageDeduplicationId: expect.stringMatching(/^m-dedup-\d+$/),
        SequenceNumber: expect.any(String),
        SentTimestamp: expect.stringMatching(/^\d+$/),
      },
      messageAttributes: { kind: { dataType: 'String', stringValue: 'test' } },
    });
    expect(source.totals.succeeded).toBe(25);
  });

  it('brings back only the reported failures, after the shortened visibility timeout', async () => {
    // Prepare
    const { queueUrl } = await freshQueue();
    await send(queueUrl, 3, 'p');
    const seen: Array<{ body: string; receiveCount: string }> = [];
    // Act
    const source = await run(queueUrl, async (event) => {
      for (const record of event.Records) {
        seen.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
      }
      const failing = event.Records.filter(
        (record) => record.body === 'p1' && record.attributes.ApproximateReceiveCount === '1',
      );
      return { batchItemFailures: failing.map((record) => ({ itemIdentifier: record.messageId })) };
    });
    await waitFor(() => seen.some((entry) => entry.body === 'p1' && entry.receiveCount === '2'));
    await waitFor(async () => (await queueDepth(emulators.clients.sqs, queueUrl)) === 0);
    await source.stop();
    // Assess
    expect(seen.filter((entry) => entry.body === 'p1')).toHaveLength(2);
    expect(seen.filter((entry) => entry.body === 'p0')).toHaveLength(1);
    expect(seen.filter((entry) => entry.body === 'p2')).toHaveLength(1);
  });

  it('leaves a failure whose visibility the handler set itself to the handler, as SQS would, and brings back the rest sooner', async () => {
    // Prepare: both fail at first; the handler backs h0 off for 20 s, h1 keeps the queue's timeout
    const { queueUrl } = await freshQueue();
    await send(queueUrl, 2, 'h');
    const seen: string[] = [];
    // Act
    const source = await startSqsEventSource({
      sqs: emulators.queues,
      queueUrl,
      waitTimeSeconds: 1,
      retryVisibilitySeconds: 1,
      inFlightDeadlines: (handles) => emulators.inFlightDeadlines(queueUrl, handles),
      handler: async (event) => {
        const failing: string[] = [];
        for (const record of event.Records) {
          seen.push(record.body);
          if (record.attributes.ApproximateReceiveCount !== '1') continue;
          failing.push(record.messageId);
          if (record.body === 'h0')
            await emulators.clients.sqs.send(
              new ChangeMessageVisibilityCommand({
                QueueUrl: queueUrl,
                ReceiptHandle: record.receiptHandle,
                VisibilityTimeout: 20,
              }),
            );
        }
        return { batchItemFailures: failing.map((itemIdentifier) => ({ itemIdentifier })) };
      },
    });
    await waitFor(() => seen.filter((body) => body === 'h1').length === 2);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await source.stop();
    // Assess: h1 came back after 1 s; h0 stays away for its 20 s
    expect(seen.filter((body) => body === 'h0')).toHaveLength(1);
  });

  it('treats a throwing handler as a failed batch and lets SQS redrive to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const { queueUrl, dlqUrl } = await freshQueue(2);
    await send(queueUrl, 1, 'd');
    let attempts = 0;
    // Act
    const source = await run(queueUrl, async () => {
      attempts += 1;
      throw new Error('recorder down');
    });
    await waitFor(async () => (await queueDepth(emulators.clients.sqs, dlqUrl)) === 1);
    await source.stop();
    const dead = await emulators.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl }));
    // Assess
    expect(attempts).toBe(2);
    expect(dead.Messages?.[0]?.Body).toBe('d0');
    expect(await queueDepth(emulators.clients.sqs, queueUrl)).toBe(0);
  });

  it('fails the whole batch when a failure names a message that is not in it', async () => {
    // Prepare
    const { queueUrl } = await freshQueue();
    await send(queueUrl, 1, 'w');
    let attempts = 0;
    // Act
    const source = await run(queueUrl, async () => {
      attempts += 1;
      return attempts === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] } : undefined;
    });
    await waitFor(() => attempts >= 2);
    await waitFor(async () => (await queueDepth(emulators.clients.sqs, queueUrl)) === 0);
    await source.stop();
    // Assess
    expect(source.totals.failed).toBe(1);
    expect(source.totals.succeeded).toBe(1);
  });

  it('hands binary message attributes to the handler base64, as Lambda does, byte for byte', async () => {
    // Prepare: bytes that are not valid UTF-8, as a string list and a binary list beside them
    const { queueUrl } = await freshQueue();
    const bytes = Uint8Array.from([0, 255, 128, 10, 13, 0xfe]);
    await emulators.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          {
            Id: '0',
            MessageBody: 'binary',
            MessageGroupId: 'group-binary',
            MessageDeduplicationId: 'binary-dedup',
            MessageAttributes: { blob: { DataType: 'Binary', BinaryValue: bytes } },
          },
        ],
      }),
    );
    const records: SQSRecord[] = [];
    // Act
    const source = await run(queueUrl, async (event) => {
      records.push(...event.Records);
    });
    await waitFor(() => records.length >= 1);
    await source.stop();
    // Assess
    expect(records[0]?.messageAttributes.blob).toEqual({
      dataType: 'Binary',
      binaryValue: Buffer.from(bytes).toString('base64'),
      stringListValues: [],
      binaryListValues: [],
    });
  });

  it("ends a long poll in hand at once when stopped, and counts none of its calls as the functions'", async () => {
    // Prepare: an empty queue and a 20-second long poll, Lambda's
    const { queueUrl } = await freshQueue();
    const announced: string[] = [];
    const unobserve = observeSignedRequests((operation) => announced.push(operation));
    const source = await startSqsEventSource({
      sqs: emulators.queues,
      queueUrl,
      handler: async () => undefined,
      waitTimeSeconds: 20,
      concurrency: 2,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Act
    const stopped = await Promise.race([
      source.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still polling'), 10_000)),
    ]);
    unobserve();
    // Assess
    expect(stopped).toBe('stopped');
    expect(announced).toEqual([]);
  });

  it('long-polls for as long as asked while a function in the same thread is near the end of its invocation', async () => {
    // Prepare: a webhook handler in this thread (as in a test) has 1.5 s left of its invocation
    const { queueUrl } = await freshQueue();
    const invocation = signedCallDeadline();
    await invocation.before?.({ context: { getRemainingTimeInMillis: () => 1_500 } } as never);
    // Act: a 3-second long poll of an empty queue
    const outcome = await emulators.queues
      .receiveMessage({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 3 })
      .then(
        (messages) => `received ${messages.length}`,
        (error: Error) => error.name,
      )
      .finally(() => invocation.after?.({} as never));
    // Assess: the poll is Lambda's, bound by no invocation
    expect(outcome).toBe('received 0');
  });

  it("settles received messages through the SDK's clients as through the local service's calls", async () => {
    // Prepare: two messages, one received by the SDK's aggregated client (which has a deleteMessageBatch of its own)
    const { queueUrl } = await freshQueue();
    await send(queueUrl, 2, 'd');
    const aggregated = new SQS({
      endpoint: emulators.endpoints.sqs,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const bySdk = await aggregated.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }),
    );
    const byLocal = await emulators.queues.receiveMessage({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: 0,
    });
    // Act
    const sdkOutcome = await deleteReceived(
      aggregated,
      queueUrl,
      (bySdk.Messages ?? []).map((message) => message.ReceiptHandle),
    );
    const localOutcome = await deleteReceived(
      emulators.queues,
      queueUrl,
      byLocal.map((message) => message.ReceiptHandle),
    );
    aggregated.destroy();
    // Assess
    expect([sdkOutcome, localOutcome]).toEqual([
      { deleted: 1, failed: 0 },
      { deleted: 1, failed: 0 },
    ]);
    expect(await queueDepth(emulators.clients.sqs, queueUrl)).toBe(0);
  });
});

import type { Context, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { RECORDER } from '#shared/resources/definitions.ts';
import { lambdaContext } from './apigw-event.ts';
import type { LocalQueueCalls, ReceivedAttributeValue, ReceivedMessage } from './queue-client.ts';
import { deleteReceived } from './sqs-receipts.ts';

/**
 * A local Lambda SQS event-source mapping: long-polls a queue, hands batches to a handler in the
 * exact `SQSEvent` shape Lambda builds, deletes what succeeded and leaves the rest to SQS, so
 * visibility timeouts, receive counts and the redrive to the dead-letter queue stay the emulator's
 * (that is, SQS's) business, as they are in AWS.
 */

/** Lambda reads the answer as an `SQSBatchResponse`; anything else counts as complete success. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface BatchReport {
  readonly received: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Why the whole batch counted as failed (the handler threw, or returned an unknown identifier). */
  readonly wholeBatchFailure?: string;
}

export interface SqsEventSourceOptions {
  /** The local Lambda service's own SQS calls (`localQueueCalls`). */
  readonly sqs: LocalQueueCalls;
  readonly queueUrl: string;
  readonly handler: SqsHandler;
  readonly functionName?: string;
  readonly region?: string;
  /** Lambda allows at most 10 for FIFO queues. */
  readonly batchSize?: number;
  /** Lambda's pollers use 20-second long polls. */
  readonly waitTimeSeconds?: number;
  /** Only for the handler's `getRemainingTimeInMillis`; nothing is cut off. */
  readonly timeoutSeconds?: number;
  /**
   * Local convenience, not AWS behaviour: make failed messages visible again after this many
   * seconds instead of the queue's full visibility timeout, so retries show up quickly.
   */
  readonly retryVisibilitySeconds?: number;
  /**
   * The emulator's in-flight deadlines of these messages (epoch ms by receipt handle). Given, `retryVisibilitySeconds`
   * spares a failed message whose visibility the handler changed itself (a backoff it chose, as the
   * sender's after a throttle): SQS would keep that one invisible as long as the handler said, so the
   * local hub does too. Without it every failed message comes back after `retryVisibilitySeconds`.
   */
  readonly inFlightDeadlines?: (receiptHandles: readonly string[]) => ReadonlyMap<string, number>;
  /**
   * Batches handled at once. Lambda's FIFO event source runs one batch per active message group up
   * to its maximum concurrency; SQS never hands out a group that has messages in flight, so
   * parallel pollers keep each conversation in order.
   * @default 4
   */
  readonly concurrency?: number;
  readonly onBatch?: (report: BatchReport) => void;
  readonly onError?: (error: unknown) => void;
}

export interface RunningEventSource {
  /** True while no batch is being handled. */
  isIdle(): boolean;
  readonly totals: { batches: number; succeeded: number; failed: number };
  /** Stops polling, lets the batch in hand finish, then resolves. */
  stop(): Promise<void>;
}

const BatchResponseSchema = z.looseObject({
  batchItemFailures: z.array(z.looseObject({ itemIdentifier: z.unknown() })).optional(),
});

/** Lambda's record carries binary values base64, as SQS's JSON protocol sends them (the SDK decodes them). */
const base64Of = (value: string | Uint8Array): string =>
  typeof value === 'string' ? value : Buffer.from(value).toString('base64');

const toLambdaAttribute = (value: ReceivedAttributeValue) => ({
  dataType: value.DataType ?? 'String',
  ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
  ...(value.BinaryValue !== undefined ? { binaryValue: base64Of(value.BinaryValue) } : {}),
  stringListValues: [...(value.StringListValues ?? [])],
  binaryListValues: (value.BinaryListValues ?? []).map(base64Of),
});

/** One SQS message (from `LocalQueueCalls` or the SDK's client) as a Lambda `SQSRecord`. */
export const toSqsRecord = (message: ReceivedMessage, queueArn: string, region: string): SQSRecord => {
  const attributes: Record<string, string | undefined> = message.Attributes ?? {};
  const optional = (name: string) => (attributes[name] !== undefined ? { [name]: attributes[name] } : {});
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...optional('SequenceNumber'),
      ...optional('MessageGroupId'),
      ...optional('MessageDeduplicationId'),
      ...optional('AWSTraceHeader'),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        toLambdaAttribute(value),
      ]),
    ) as SQSMessageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
};

/**
 * Which messages failed, as Lambda reads the answer: nothing returned = all succeeded; an identifier
 * that is missing or not in the batch makes the whole batch a failure.
 */
const failedMessageIds = (
  records: readonly SQSRecord[],
  response: unknown,
): { failed: Set<string>; wholeBatchFailure?: string } => {
  const all = new Set(records.map((record) => record.messageId));
  if (response === undefined || response === null) return { failed: new Set() };
  const parsed = BatchResponseSchema.safeParse(response);
  if (!parsed.success) return { failed: new Set() };
  const failed = new Set<string>();
  for (const item of parsed.data.batchItemFailures ?? []) {
    if (typeof item.itemIdentifier !== 'string' || !all.has(item.itemIdentifier)) {
      return { failed: all, wholeBatchFailure: 'batchItemFailures named a message not in the batch' };
    }
    failed.add(item.itemIdentifier);
  }
  return { failed };
};

const queueAttributesOf = async (
  sqs: LocalQueueCalls,
  queueUrl: string,
): Promise<{ arn: string; visibilityTimeoutMs: number }> => {
  const attributes = await sqs.getQueueAttributes(queueUrl, ['QueueArn', 'VisibilityTimeout']);
  return {
    arn: attributes.QueueArn ?? queueUrl,
    visibilityTimeoutMs: Number(attributes.VisibilityTimeout ?? 30) * 1000,
  };
};

/** Clock slack when telling the queue's own visibility from one a handler set. */
const DEADLINE_SLACK_MS = 1_000;

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'non-Error thrown');

export type SqsPollerOptions = Omit<SqsEventSourceOptions, 'onBatch'>;

/** One event-source turn, in two halves so a caller can tell a long poll from a batch in hand. */
export interface SqsPoller {
  /** One (long) poll; an empty array when nothing came. Receive errors are the caller's. */
  receive(abortSignal?: AbortSignal): Promise<readonly ReceivedMessage[]>;
  /** Invokes the handler as Lambda would, deletes what succeeded, leaves or re-shows what failed. */
  deliver(messages: readonly ReceivedMessage[]): Promise<BatchReport>;
  /** `receive` then `deliver`. */
  pollOnce(): Promise<BatchReport>;
}

const NOTHING_RECEIVED: BatchReport = { received: 0, succeeded: 0, failed: 0 };

export const createSqsPoller = async (options: SqsPollerOptions): Promise<SqsPoller> => {
  const { sqs, queueUrl, handler } = options;
  const batchSize = Math.min(options.batchSize ?? RECORDER.batchSize, 10);
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const region = options.region ?? sqs.region;
  const functionName = options.functionName ?? 'recorder';
  const { arn: queueArn, visibilityTimeoutMs } = await queueAttributesOf(sqs, queueUrl);
  /** When each received message was received (between two times): its deadline, unless a handler changed it. */
  const receivedAt = new WeakMap<ReceivedMessage, { readonly from: number; readonly to: number }>();

  /**
   * The failed records that come back after `retryVisibilitySeconds`: all of them, or, with the
   * emulator's deadlines, those still at the queue's visibility timeout from their receive (a
   * handler that set its own is left to it; one no longer in flight needs nothing).
   */
  const toShowSooner = async (
    records: readonly SQSRecord[],
    received: ReadonlyMap<string, { readonly from: number; readonly to: number } | undefined>,
  ): Promise<readonly SQSRecord[]> => {
    if (!options.inFlightDeadlines) return records;
    const deadlines = options.inFlightDeadlines(records.map((record) => record.receiptHandle));
    return records.filter((record) => {
      const deadline = deadlines.get(record.receiptHandle);
      const window = received.get(record.messageId);
      if (deadline === undefined) return false;
      if (window === undefined) return true;
      return (
        deadline >= window.from + visibilityTimeoutMs - DEADLINE_SLACK_MS &&
        deadline <= window.to + visibilityTimeoutMs + DEADLINE_SLACK_MS
      );
    });
  };

  const settle = async (
    records: readonly SQSRecord[],
    failed: ReadonlySet<string>,
    received: ReadonlyMap<string, { readonly from: number; readonly to: number } | undefined>,
  ) => {
    const succeeded = records.filter((record) => !failed.has(record.messageId));
    if (succeeded.length > 0) {
      const { failed: notDeleted } = await deleteReceived(
        sqs,
        queueUrl,
        succeeded.map((record) => record.receiptHandle),
      );
      if (notDeleted > 0) options.onError?.(new Error(`could not delete ${notDeleted} handled message(s)`));
    }
    const failedRecords =
      options.retryVisibilitySeconds === undefined || failed.size === 0
        ? []
        : await toShowSooner(
            records.filter((record) => failed.has(record.messageId)),
            received,
          );
    if (failedRecords.length > 0 && options.retryVisibilitySeconds !== undefined) {
      const seconds = options.retryVisibilitySeconds;
      await sqs.changeMessageVisibilityBatch(
        queueUrl,
        failedRecords.map((record, index) => ({
          Id: String(index),
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: seconds,
        })),
      );
    }
  };

  const receive = async (abortSignal?: AbortSignal): Promise<readonly ReceivedMessage[]> => {
    const from = Date.now();
    const messages = await sqs.receiveMessage(
      {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      },
      abortSignal,
    );
    if (options.inFlightDeadlines) {
      const window = { from, to: Date.now() };
      for (const message of messages) receivedAt.set(message, window);
    }
    return messages;
  };

  const deliver = async (messages: readonly ReceivedMessage[]): Promise<BatchReport> => {
    const records = messages.map((message) => toSqsRecord(message, queueArn, region));
    const received = new Map(messages.map((message) => [message.MessageId ?? '', receivedAt.get(message)]));
    let outcome: { failed: Set<string>; wholeBatchFailure?: string };
    try {
      const response = await handler(
        { Records: records },
        lambdaContext(functionName, options.timeoutSeconds ?? RECORDER.timeoutSeconds),
      );
      outcome = failedMessageIds(records, response);
    } catch (error) {
      // A function error fails the whole batch, as with Lambda.
      outcome = {
        failed: new Set(records.map((record) => record.messageId)),
        wholeBatchFailure: `handler threw ${errorName(error)}`,
      };
      options.onError?.(error);
    }
    await settle(records, outcome.failed, received);
    return {
      received: records.length,
      succeeded: records.length - outcome.failed.size,
      failed: outcome.failed.size,
      ...(outcome.wholeBatchFailure ? { wholeBatchFailure: outcome.wholeBatchFailure } : {}),
    };
  };

  return {
    receive,
    deliver,
    async pollOnce() {
      const messages = await receive();
      return messages.length === 0 ? NOTHING_RECEIVED : deliver(messages);
    },
  };
};

export const startSqsEventSource = async (options: SqsEventSourceOptions): Promise<RunningEventSource> => {
  const poller = await createSqsPoller(options);
  const totals = { batches: 0, succeeded: 0, failed: 0 };
  const abort = new AbortController();
  let stopping = false;
  let batchesInHand = 0;

  const poll = async () => {
    while (!stopping) {
      let messages: readonly ReceivedMessage[];
      try {
        messages = await poller.receive(abort.signal);
      } catch (error) {
        if (stopping) break;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (messages.length === 0) continue;
      batchesInHand += 1;
      try {
        const report = await poller.deliver(messages);
        totals.batches += 1;
        totals.failed += report.failed;
        totals.succeeded += report.succeeded;
        options.onBatch?.(report);
      } catch (error) {
        options.onError?.(error);
      } finally {
        batchesInHand -= 1;
      }
    }
  };

  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 4) }, () => poll());

  return {
    isIdle: () => batchesInHand === 0,
    totals,
    async stop() {
      stopping = true;
      // An aborted long poll may still hand a message to the closed connection: it stays
      // invisible until its visibility timeout, then comes back, exactly as a lost receive in SQS.
      abort.abort();
      await Promise.all(loops);
    },
  };
};

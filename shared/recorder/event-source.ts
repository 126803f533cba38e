import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { RECORDER } from '#shared/resources/definitions.ts';

export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

export interface EventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsBatchHandler;
  /** Long-poll seconds per receive; 0 returns at once. */
  readonly waitTimeSeconds?: number;
  /**
   * Lambda leaves failed messages invisible until their visibility timeout ends (minutes). Locally
   * they are made visible again at once so retries, and the DLQ after maxReceiveCount, come quickly.
   */
  readonly retryFailuresImmediately?: boolean;
}

export interface PollResult {
  readonly received: number;
  readonly succeeded: number;
  readonly failed: number;
}

const toRecord = (message: Message, queueUrl: string): SQSRecord => {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '0',
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '0',
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId
        ? { MessageDeduplicationId: attributes.MessageDeduplicationId }
        : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:${queueUrl.split('/').pop() ?? 'queue'}`,
    awsRegion: 'local',
  };
};

/**
 * Plays the Lambda SQS event source once: receive up to ten, invoke, delete what succeeded, leave
 * what failed (SQS counts the receive; after maxReceiveCount its redrive policy moves it to the DLQ).
 */
export const pollOnce = async (options: EventSourceOptions): Promise<PollResult> => {
  const { sqs, queueUrl } = options;
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: RECORDER.batchSize,
      WaitTimeSeconds: options.waitTimeSeconds ?? 0,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  const messages = received.Messages ?? [];
  if (messages.length === 0) return { received: 0, succeeded: 0, failed: 0 };
  const records = messages.map((message) => toRecord(message, queueUrl));
  const response = await options.handler({ Records: records });
  const failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  const succeeded = records.filter((record) => !failedIds.has(record.messageId));
  const failed = records.filter((record) => failedIds.has(record.messageId));
  if (succeeded.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: succeeded.map((record, index) => ({
          Id: String(index),
          ReceiptHandle: record.receiptHandle,
        })),
      }),
    );
  }
  if (failed.length > 0 && options.retryFailuresImmediately) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: failed.map((record, index) => ({
          Id: String(index),
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return { received: records.length, succeeded: succeeded.length, failed: failed.length };
};

/** Polls until the queue stays empty for `idlePolls` receives in a row; returns the totals. */
export const drainQueue = async (
  options: EventSourceOptions & { readonly idlePolls?: number; readonly maxPolls?: number },
): Promise<PollResult> => {
  let totals = { received: 0, succeeded: 0, failed: 0 };
  let idle = 0;
  for (let poll = 0; poll < (options.maxPolls ?? 100_000) && idle < (options.idlePolls ?? 2); poll++) {
    const result = await pollOnce(options);
    idle = result.received === 0 ? idle + 1 : 0;
    totals = {
      received: totals.received + result.received,
      succeeded: totals.succeeded + result.succeeded,
      failed: totals.failed + result.failed,
    };
  }
  return totals;
};

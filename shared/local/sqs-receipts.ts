import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LocalQueueCalls } from './queue-client.ts';

/**
 * Deletes received messages by receipt handle, ten to a request (SQS's batch limit), and says how
 * many SQS confirmed. The local event source (with the local Lambda service's signed calls), the
 * local redrive and the tests' helpdesk (with the SDK's client) all settle messages this way.
 */
export const deleteReceived = async (
  sqs: Pick<SQSClient, 'send'> | Pick<LocalQueueCalls, 'deleteMessageBatch'>,
  queueUrl: string,
  receiptHandles: readonly (string | undefined)[],
): Promise<{ deleted: number; failed: number }> => {
  let deleted = 0;
  let failed = 0;
  for (let start = 0; start < receiptHandles.length; start += 10) {
    const entries = receiptHandles
      .slice(start, start + 10)
      .map((receiptHandle, index) => ({ Id: String(index), ReceiptHandle: receiptHandle ?? '' }));
    // By the SDK's `send`: the SDK's aggregated client has a `deleteMessageBatch` of its own (found by a review).
    const result =
      'send' in sqs
        ? await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
        : await sqs.deleteMessageBatch(queueUrl, entries);
    deleted += result.Successful?.length ?? 0;
    failed += result.Failed?.length ?? 0;
  }
  return { deleted, failed };
};

import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Deletes received messages by receipt handle, ten to a request (SQS's batch limit), and says how
 * many SQS confirmed. The local event source and the local redrive both settle messages this way.
 */
export const deleteReceived = async (
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  receiptHandles: readonly (string | undefined)[],
): Promise<{ deleted: number; failed: number }> => {
  let deleted = 0;
  let failed = 0;
  for (let start = 0; start < receiptHandles.length; start += 10) {
    const chunk = receiptHandles.slice(start, start + 10);
    const result = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((receiptHandle, index) => ({ Id: String(index), ReceiptHandle: receiptHandle })),
      }),
    );
    deleted += result.Successful?.length ?? 0;
    failed += result.Failed?.length ?? 0;
  }
  return { deleted, failed };
};

import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A queue's messages by state: ready to receive, received and not deleted yet, delayed. */
export interface QueueDepths {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export const queueDepths = async (sqs: Pick<SQSClient, 'send'>, queueUrl: string): Promise<QueueDepths> => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
};

/** Messages waiting, in flight or delayed: zero means a queue is drained. */
export const queueDepth = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  const { visible, inFlight, delayed } = await queueDepths(sqs, queueUrl);
  return visible + inFlight + delayed;
};

/**
 * Waits until the queue is empty and `isIdle()` holds twice in a row (a batch may be between
 * receive and delete). Resolves false when the deadline passes first (messages failing over and over).
 */
export const waitUntilDrained = async (
  sqs: SQSClient,
  queueUrl: string,
  isIdle: () => boolean,
  timeoutMs: number,
): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  let quietChecks = 0;
  while (Date.now() < deadline) {
    const depth = await queueDepth(sqs, queueUrl);
    quietChecks = depth === 0 && isIdle() ? quietChecks + 1 : 0;
    if (quietChecks >= 2) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
};

import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueWithDlq, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { INGEST_QUEUE, type QueueDefinition } from '#shared/resources/definitions.ts';

/*
 * A data directory (`.switchboard-data`) keeps the queues an earlier version of the hub created.
 * SQS refuses to create a queue whose name exists with other attributes, so a definition that
 * changed since (a dead-letter queue's maxReceiveCount, a visibility timeout) must be applied to
 * the queue kept, or `npm start` fails on the data it is meant to keep.
 */

describe('a local queue from an earlier version of the hub', () => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('takes the attributes the definition changed since, under the same URL', async () => {
    // Prepare: the ingest queue as a hub of 2026-12-02 made it (5 receives, a shorter timeout)
    const { sqs } = emulators.clients;
    const current: QueueDefinition = {
      ...INGEST_QUEUE,
      name: 'upgrade-ingest.fifo',
      deadLetterQueue: { ...INGEST_QUEUE.deadLetterQueue, name: 'upgrade-ingest-dlq.fifo' },
    };
    const older: QueueDefinition = {
      ...current,
      maxReceiveCount: current.maxReceiveCount - 1,
      visibilityTimeoutSeconds: current.visibilityTimeoutSeconds - 1,
    };
    const before = await createQueueWithDlq(sqs, older);
    // Act
    const after = await createQueueWithDlq(sqs, current);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: after.queueUrl, AttributeNames: ['All'] }),
    );
    // Assess
    expect(after).toEqual(before);
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toMatchObject({
      maxReceiveCount: current.maxReceiveCount,
    });
    expect(Attributes?.VisibilityTimeout).toBe(String(current.visibilityTimeoutSeconds));
  });
});

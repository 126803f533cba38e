import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { unsupportedEvent } from '#tests/support/factories.ts';

describe('payload bucket and claim check against the local emulators', () => {
  let emulators: RunningEmulators;
  let store: S3BlobStore;
  beforeAll(async () => {
    emulators = await startEmulators();
    store = new S3BlobStore(emulators.clients.s3, emulators.resources.bucketName);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('stores blobs and reads back the same bytes; a retry rewrites the same object', async () => {
    // Prepare
    const bytes = new Uint8Array([0, 255, 1, 254, 10, 13]);
    const blob = { key: 'attachments/test/0a1b.bin', contentType: 'application/octet-stream', bytes };
    // Act
    await store.put(blob);
    await store.put(blob);
    const read = await store.get(blob.key);
    // Assess
    expect(Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
  });

  it('queues an event larger than the queue allows as a pointer that resolves to the event', async () => {
    // Prepare
    const publisher = new SqsEventPublisher({
      client: emulators.clients.sqs,
      queueUrl: emulators.resources.ingestQueueUrl,
      overflow: { store, bucket: emulators.resources.bucketName },
    });
    const huge = unsupportedEvent(1, 'conv_huge', {
      filler: 'x'.repeat(INGEST_QUEUE.maximumMessageSizeBytes),
    });
    // Act
    await publisher.publish([huge]);
    const received = await emulators.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: emulators.resources.ingestQueueUrl, MaxNumberOfMessages: 10 }),
    );
    // Assess
    const body = received.Messages?.[0]?.Body ?? '';
    expect(Buffer.byteLength(body)).toBeLessThan(1024);
    const resolved = await resolveQueueMessageBody(body, (_bucket, key) => store.get(key));
    expect(resolved).toEqual(huge);
  });
});

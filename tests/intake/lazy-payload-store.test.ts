import { describe, expect, it } from 'vitest';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { ClaimCheckSchema, HubEventSchema } from '#shared/contract/index.ts';
import { payloadStore } from '#shared/intake/payload-store.ts';
import { ingestPublisher } from '#shared/intake/wiring.ts';
import { awsCommandCounts, resetAwsCommandCounts } from '#shared/local/aws-command-counter.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { useEmulatedHub } from '#tests/support/emulated-hub.ts';
import { unsupportedEvent } from '#tests/support/factories.ts';

/**
 * The webhooks' payload store loads the S3 client on its first put (shared/aws/clients/s3.ts); the
 * first claim check of a process must work through that path, not only through a ready client.
 */
describe('payload store with the S3 client loaded on first use', () => {
  const hub = useEmulatedHub();

  it('claim-checks the first oversize event of the process into the bucket, readable by a consumer', async () => {
    // Prepare
    resetAwsCommandCounts();
    const huge = unsupportedEvent(7, 'conv_lazy_s3', {
      filler: 'y'.repeat(INGEST_QUEUE.maximumMessageSizeBytes),
    });
    const { clients, resources } = hub.emulators;
    // Act
    await ingestPublisher().publish([huge]);
    const [message] = await hub.ingestQueueMessages();
    const body = message?.Body ?? '';
    const resolved = await resolveQueueMessageBody(body, (_bucket, key) =>
      new S3BlobStore(clients.s3, resources.bucketName).get(key),
    );
    // Assess
    expect(ClaimCheckSchema.parse(JSON.parse(body)).id).toBe(huge.id);
    expect(HubEventSchema.parse(resolved)).toEqual(huge);
    expect(awsCommandCounts()).toMatchObject({ PutObject: 1, SendMessageBatch: 1 });
  });

  it('reads back what it stored through the same lazily loaded client', async () => {
    // Prepare
    const bytes = new Uint8Array([3, 1, 4, 1, 5, 9, 2, 6]);
    const blob = { key: 'attachments/lazy/31415926.bin', contentType: 'application/octet-stream', bytes };
    // Act
    await payloadStore().put(blob);
    const read = await payloadStore().get(blob.key);
    // Assess
    expect(Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
  });
});

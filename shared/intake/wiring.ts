import { lazyS3BlobStore, type S3BlobStore } from '#shared/aws/blob-store.ts';
import { dynamoDbClient } from '#shared/aws/clients/dynamodb.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { DynamoReplayGuard } from '#shared/store/replay-guard.ts';

let blobStore: S3BlobStore | undefined;
let publisher: SqsEventPublisher | undefined;
let replayGuard: DynamoReplayGuard | undefined;

/**
 * The payload bucket, created on first use. The S3 SDK itself loads on the first put or get: the
 * chat webhooks only store a claim check for an event over 1 MiB, so their import skips it. The
 * e-mail functions store on every request and load it on their first one.
 */
export const payloadStore = (): S3BlobStore => {
  blobStore ??= lazyS3BlobStore(requireConfig('SWITCHBOARD_PAYLOAD_BUCKET').SWITCHBOARD_PAYLOAD_BUCKET);
  return blobStore;
};

/** The ingest queue publisher; oversize events are claim-checked into the payload bucket. */
export const ingestPublisher = (): SqsEventPublisher => {
  if (!publisher) {
    const config = requireConfig('SWITCHBOARD_INGEST_QUEUE_URL', 'SWITCHBOARD_PAYLOAD_BUCKET');
    publisher = new SqsEventPublisher({
      client: sqsClient(),
      queueUrl: config.SWITCHBOARD_INGEST_QUEUE_URL,
      overflow: { store: payloadStore(), bucket: config.SWITCHBOARD_PAYLOAD_BUCKET },
    });
  }
  return publisher;
};

export const hubReplayGuard = (): DynamoReplayGuard => {
  replayGuard ??= new DynamoReplayGuard({
    client: dynamoDbClient(),
    tableName: requireConfig('SWITCHBOARD_TABLE_NAME').SWITCHBOARD_TABLE_NAME,
    now: () => new Date(),
  });
  return replayGuard;
};

export const webhookDeps = () => ({ blobStore: payloadStore(), publisher: ingestPublisher() });

/** Tests and the local hub change the environment between runs. */
export const resetWebhookDeps = (): void => {
  blobStore = undefined;
  publisher = undefined;
  replayGuard = undefined;
};

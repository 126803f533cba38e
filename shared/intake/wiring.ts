import { BatchEventPublisher } from '#shared/aws/event-publisher.ts';
import { type ChannelSecretsProvider, processSectionSecrets } from '#shared/aws/section-secrets.ts';
import { signedDynamoDbClient } from '#shared/aws/signed/dynamodb.ts';
import { type SignedS3BlobStore, signedS3BlobStore } from '#shared/aws/signed/s3.ts';
import { signedSecretsManagerClient } from '#shared/aws/signed/secrets-manager.ts';
import { signedSqsClient } from '#shared/aws/signed/sqs.ts';
import type { SecretSection } from '#shared/channels/registry.ts';
import { requireConfig, runtimeConfig } from '#shared/config/runtime.ts';
import type { SectionParsers } from '#shared/config/secrets/sections.ts';
import { DynamoReplayGuard } from '#shared/store/replay-guard.ts';
import { SPILL_PUT_RESERVE_MS } from './spill.ts';

const publishers = new Map<number, BatchEventPublisher>();
let replayGuard: DynamoReplayGuard | undefined;

/**
 * What intake writes to the payload bucket (claim checks, an e-mail webhook's MIME and attachments):
 * PutObject as a signed request of its own, so the webhook bundles leave the S3 SDK out.
 */
const payloadWriter = (): SignedS3BlobStore =>
  signedS3BlobStore(
    requireConfig('SWITCHBOARD_PAYLOAD_BUCKET').SWITCHBOARD_PAYLOAD_BUCKET,
    runtimeConfig().SWITCHBOARD_S3_FORCE_PATH_STYLE,
  );

/**
 * The ingest queue publisher (its SQS calls ending `reserveMs` before the invocation's deadline); oversize events are claim-checked into the payload bucket. It sends
 * SendMessageBatch as a signed request of its own (shared/aws/signed/), not through the SDK's SQS
 * client: the intake functions' bundles and cold starts leave the SQS SDK out.
 */
export const ingestPublisher = (reserveMs = 0): BatchEventPublisher => {
  let publisher = publishers.get(reserveMs);
  if (!publisher) {
    const config = requireConfig('SWITCHBOARD_INGEST_QUEUE_URL', 'SWITCHBOARD_PAYLOAD_BUCKET');
    publisher = new BatchEventPublisher({
      sqs: signedSqsClient(reserveMs),
      queueUrl: config.SWITCHBOARD_INGEST_QUEUE_URL,
      overflow: { store: payloadWriter(), bucket: config.SWITCHBOARD_PAYLOAD_BUCKET },
      deduplicateByRawObject: true,
    });
    publishers.set(reserveMs, publisher);
  }
  return publisher;
};

/**
 * The channel secrets of a webhook, the sections of `parsers` alone (its connector's): GetSecretValue
 * as a signed request of its own (no Secrets Manager SDK in the webhook bundles), or the development
 * defaults when SWITCHBOARD_SECRET_ARN is `local`. Cached as the SDK path is
 * (shared/aws/section-secrets.ts).
 */
export const webhookSecrets = <S extends SecretSection>(parsers: SectionParsers<S>): ChannelSecretsProvider =>
  processSectionSecrets(parsers, signedSecretsManagerClient);

export const hubReplayGuard = (): DynamoReplayGuard => {
  replayGuard ??= new DynamoReplayGuard({
    putItem: (input) => signedDynamoDbClient().putItem(input),
    tableName: requireConfig('SWITCHBOARD_TABLE_NAME').SWITCHBOARD_TABLE_NAME,
    now: () => new Date(),
  });
  return replayGuard;
};

/**
 * What a webhook stores through: the payload bucket, the ingest queue, and the spill (the payload
 * bucket again, shared/intake/spill.ts) when its connector spills (`spillOnPublishFailure`).
 */
export const webhookDeps = (spill: boolean) => () => ({
  blobStore: payloadWriter(),
  // A spilling webhook's queue gives up SPILL_PUT_RESERVE_MS early, so the spill's put has time.
  publisher: ingestPublisher(spill ? SPILL_PUT_RESERVE_MS : 0),
  ...(spill ? { spill: payloadWriter() } : {}),
});

/** Tests and the local hub change the environment between runs. */
export const resetWebhookDeps = (): void => {
  publishers.clear();
  replayGuard = undefined;
};

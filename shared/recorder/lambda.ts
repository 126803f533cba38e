import { loadS3Client } from '#shared/aws/clients/s3.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { lazyPseudonymKey } from '#shared/aws/lazy-secrets.ts';
import { signedDynamoDbCommands } from '#shared/aws/signed/dynamodb-commands.ts';
import { signedSqsClient } from '#shared/aws/signed/sqs.ts';
import { messageRetentionSeconds } from '#shared/config/message-retention.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { logger } from '#shared/observability/logger.ts';
import { createRecorder } from './wiring.ts';

/** The recorder as the Lambda runs it: this deployment's environment, clients and secrets. */
export const recorderFromEnvironment = () => {
  const config = requireConfig(
    'SWITCHBOARD_TABLE_NAME',
    'SWITCHBOARD_HELPDESK_QUEUE_URL',
    'SWITCHBOARD_INGEST_DLQ_URL',
    'SWITCHBOARD_PAYLOAD_BUCKET',
  );
  return createRecorder({
    dynamodb: signedDynamoDbCommands(),
    sqs: sqsClient(),
    helpdeskBatches: signedSqsClient(),
    // S3 only serves claim checks (events over a queue message): its SDK loads on the first one.
    payloads: { s3: loadS3Client, bucket: config.SWITCHBOARD_PAYLOAD_BUCKET },
    tableName: config.SWITCHBOARD_TABLE_NAME,
    helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
    // An event still failing at its give-up receive is moved here, its conversation going on.
    ingestDlqUrl: config.SWITCHBOARD_INGEST_DLQ_URL,
    // Attachments are fetched from here; a deployment without the queue keeps provider references.
    ...(config.SWITCHBOARD_MEDIA_QUEUE_URL ? { mediaQueueUrl: config.SWITCHBOARD_MEDIA_QUEUE_URL } : {}),
    retentionSeconds: messageRetentionSeconds(config),
    // Read for consent events only: Secrets Manager's SDK loads on the first, not at every cold start.
    pseudonymKey: lazyPseudonymKey,
    logger,
  });
};

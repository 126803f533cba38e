import type { Metrics } from '@aws-lambda-powertools/metrics';
import { s3Client } from '#shared/aws/clients/s3-client.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { lazyChannelSecrets } from '#shared/aws/lazy-secrets.ts';
import { signedDynamoDbCommands } from '#shared/aws/signed/dynamodb-commands.ts';
import { signedSqsClient } from '#shared/aws/signed/sqs.ts';
import { messageRetentionSeconds } from '#shared/config/message-retention.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { logger } from '#shared/observability/logger.ts';
import { mediaFetchMetrics } from './fetch-metrics.ts';
import { createMediaFetcherService } from './wiring.ts';

/** The media fetcher as the Lambda runs it: this deployment's environment, secrets, clients and metrics. */
export const mediaFetcherFromEnvironment = (metrics: Metrics) => {
  const config = requireConfig(
    'SWITCHBOARD_TABLE_NAME',
    'SWITCHBOARD_HELPDESK_QUEUE_URL',
    'SWITCHBOARD_MEDIA_QUEUE_URL',
    'SWITCHBOARD_PAYLOAD_BUCKET',
  );
  return createMediaFetcherService({
    dynamodb: signedDynamoDbCommands(),
    sqs: sqsClient(),
    helpdeskBatches: signedSqsClient(),
    // S3 takes every attachment: loaded with the function, not on the first job.
    s3: s3Client({ forcePathStyle: config.SWITCHBOARD_S3_FORCE_PATH_STYLE }),
    bucket: config.SWITCHBOARD_PAYLOAD_BUCKET,
    tableName: config.SWITCHBOARD_TABLE_NAME,
    helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
    mediaQueueUrl: config.SWITCHBOARD_MEDIA_QUEUE_URL,
    // Secrets Manager's SDK loads on the first download that needs the channel secret, as the
    // recorder's, the API's and the sweeper's do.
    secrets: lazyChannelSecrets,
    graphApiUrl: config.SWITCHBOARD_GRAPH_API_URL,
    graphApiVersion: config.SWITCHBOARD_GRAPH_API_VERSION,
    twilioApiUrl: config.SWITCHBOARD_TWILIO_API_URL,
    retentionSeconds: messageRetentionSeconds(config),
    logger,
    ...mediaFetchMetrics(metrics),
  });
};

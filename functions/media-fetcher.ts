import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoDbClient } from '#shared/aws/clients/dynamodb.ts';
import { s3Client } from '#shared/aws/clients/s3-client.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { channelSecrets } from '#shared/aws/secrets.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { createMediaFetcherService } from '#shared/media/wiring.ts';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { logger } from '#shared/observability/logger.ts';
import { MEDIA_METRICS, METRIC_SERVICES } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';

const config = requireConfig(
  'SWITCHBOARD_TABLE_NAME',
  'SWITCHBOARD_HELPDESK_QUEUE_URL',
  'SWITCHBOARD_MEDIA_QUEUE_URL',
  'SWITCHBOARD_PAYLOAD_BUCKET',
);

const metrics = hubMetrics(METRIC_SERVICES.mediaFetcher);

const fetcher = createMediaFetcherService({
  dynamodb: dynamoDbClient(),
  sqs: sqsClient(),
  s3: s3Client({ forcePathStyle: config.SWITCHBOARD_S3_FORCE_PATH_STYLE }),
  bucket: config.SWITCHBOARD_PAYLOAD_BUCKET,
  tableName: config.SWITCHBOARD_TABLE_NAME,
  helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
  mediaQueueUrl: config.SWITCHBOARD_MEDIA_QUEUE_URL,
  secrets: channelSecrets,
  graphApiUrl: config.SWITCHBOARD_GRAPH_API_URL,
  graphApiVersion: config.SWITCHBOARD_GRAPH_API_VERSION,
  twilioApiUrl: config.SWITCHBOARD_TWILIO_API_URL,
  retentionSeconds: config.SWITCHBOARD_MESSAGE_RETENTION_DAYS * 86_400,
  logger,
  onOutcome: (outcome) =>
    outcome.state === 'stored'
      ? metrics.addMetric(MEDIA_METRICS.stored, MetricUnit.Count, 1)
      : metrics
          .singleMetric()
          .addDimension('reason', outcome.reason)
          .addMetric(MEDIA_METRICS.failed, MetricUnit.Count, 1),
  onCredentialsRefused: () => metrics.addMetric(MEDIA_METRICS.credentialsRefused, MetricUnit.Count, 1),
  onJobError: (failed) => metrics.addMetric(MEDIA_METRICS.jobErrors, MetricUnit.Count, failed),
});

/** Media FIFO queue → providers → payload bucket → helpdesk FIFO queue: one attachment per invocation. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logRequestId())
  .handler(async (event) => {
    const response = await fetcher.handleSqsEvent(event);
    publishMetrics(metrics);
    return response;
  });

import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoDbClient } from '#shared/aws/clients/dynamodb.ts';
import { loadS3Client } from '#shared/aws/clients/s3.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { logger } from '#shared/observability/logger.ts';
import { METRIC_SERVICES } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';
import { countBatch } from '#shared/recorder/batch-metrics.ts';
import { createRecorder } from '#shared/recorder/wiring.ts';

const config = requireConfig(
  'SWITCHBOARD_TABLE_NAME',
  'SWITCHBOARD_HELPDESK_QUEUE_URL',
  'SWITCHBOARD_INGEST_DLQ_URL',
  'SWITCHBOARD_PAYLOAD_BUCKET',
);

const metrics = hubMetrics(METRIC_SERVICES.recorder);

const recorder = createRecorder({
  dynamodb: dynamoDbClient(),
  sqs: sqsClient(),
  // S3 only serves claim checks (events over a queue message): its SDK loads on the first one.
  payloads: { s3: loadS3Client, bucket: config.SWITCHBOARD_PAYLOAD_BUCKET },
  tableName: config.SWITCHBOARD_TABLE_NAME,
  helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
  // An event still failing at its give-up receive is moved here, its conversation going on.
  ingestDlqUrl: config.SWITCHBOARD_INGEST_DLQ_URL,
  // Attachments are fetched from here; a deployment without the queue keeps provider references.
  ...(config.SWITCHBOARD_MEDIA_QUEUE_URL ? { mediaQueueUrl: config.SWITCHBOARD_MEDIA_QUEUE_URL } : {}),
  retentionSeconds: config.SWITCHBOARD_MESSAGE_RETENTION_DAYS * 86_400,
  // Read for consent events only: Secrets Manager's SDK loads on the first, not at every cold start.
  pseudonymKey: async (options) => (await import('#shared/aws/secrets.ts')).pseudonymKey(options),
  logger,
});

/** Ingest FIFO queue → DynamoDB → helpdesk FIFO queue; failures are reported per message (ReportBatchItemFailures). */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logRequestId())
  .handler(async (event) => {
    const receivedAt = Date.now();
    const response = await recorder.handleSqsEvent(event);
    countBatch(metrics, event, response, receivedAt);
    publishMetrics(metrics);
    return response;
  });

import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoDbClient } from '#shared/aws/clients/dynamodb.ts';
import { loadS3Client } from '#shared/aws/clients/s3.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { logger } from '#shared/observability/logger.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { createRecorder } from '#shared/recorder/wiring.ts';

const config = requireConfig(
  'SWITCHBOARD_TABLE_NAME',
  'SWITCHBOARD_HELPDESK_QUEUE_URL',
  'SWITCHBOARD_PAYLOAD_BUCKET',
);

const recorder = createRecorder({
  dynamodb: dynamoDbClient(),
  sqs: sqsClient(),
  // S3 only serves claim checks (events over a queue message): its SDK loads on the first one.
  payloads: { s3: loadS3Client, bucket: config.SWITCHBOARD_PAYLOAD_BUCKET },
  tableName: config.SWITCHBOARD_TABLE_NAME,
  helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
  logger,
});

/** Ingest FIFO queue → DynamoDB → helpdesk FIFO queue; failures are reported per message (ReportBatchItemFailures). */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logRequestId())
  .handler((event) => recorder.handleSqsEvent(event));

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoDbClient } from '#shared/aws/clients/dynamodb.ts';
import { loadS3Client } from '#shared/aws/clients/s3.ts';
import { sesV2Client } from '#shared/aws/clients/sesv2.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { channelSecrets } from '#shared/aws/secrets.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { logger } from '#shared/observability/logger.ts';
import { METRIC_SERVICES, METRICS_NAMESPACE, SENDER_METRICS } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { createSenderFor } from '#shared/outbound/senders.ts';
import { createSender } from '#shared/outbound/wiring.ts';
import { SENDER } from '#shared/resources/definitions.ts';

const config = requireConfig(
  'SWITCHBOARD_TABLE_NAME',
  'SWITCHBOARD_HELPDESK_QUEUE_URL',
  'SWITCHBOARD_OUTBOX_DLQ_URL',
  'SWITCHBOARD_PAYLOAD_BUCKET',
);

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRIC_SERVICES.sender });

const sender = createSender({
  dynamodb: dynamoDbClient(),
  sqs: sqsClient(),
  payloads: { s3: loadS3Client, bucket: config.SWITCHBOARD_PAYLOAD_BUCKET },
  tableName: config.SWITCHBOARD_TABLE_NAME,
  helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
  outboxDlqUrl: config.SWITCHBOARD_OUTBOX_DLQ_URL,
  senderFor: createSenderFor({
    secrets: channelSecrets,
    graphApiUrl: config.SWITCHBOARD_GRAPH_API_URL,
    graphApiVersion: config.SWITCHBOARD_GRAPH_API_VERSION,
    twilioApiUrl: config.SWITCHBOARD_TWILIO_API_URL,
    mailgunApiUrl: config.SWITCHBOARD_MAILGUN_API_URL,
    ses: sesV2Client,
    ...(config.SWITCHBOARD_SES_CONFIGURATION_SET
      ? { sesConfigurationSet: config.SWITCHBOARD_SES_CONFIGURATION_SET }
      : {}),
    timeoutMs: SENDER.providerTimeoutMs,
  }),
  replyTagKey: async () => (await channelSecrets()).email?.replyTagKey,
  ...(config.SWITCHBOARD_TWILIO_STATUS_CALLBACK_URL
    ? { twilioStatusCallbackUrl: config.SWITCHBOARD_TWILIO_STATUS_CALLBACK_URL }
    : {}),
  defaultEmailProvider: config.SWITCHBOARD_EMAIL_PROVIDER,
  logger,
  onOutcome: ({ kind, reason }) => {
    if (kind === 'sent') metrics.addMetric(SENDER_METRICS.sent, MetricUnit.Count, 1);
    if (kind === 'failed' && reason) {
      metrics
        .singleMetric()
        .addDimension('reason', reason)
        .addMetric(SENDER_METRICS.sendFailed, MetricUnit.Count, 1);
    }
  },
  onCommandError: (failed) => metrics.addMetric(SENDER_METRICS.commandErrors, MetricUnit.Count, failed),
});

/** Outbox FIFO queue → providers → helpdesk FIFO queue; a waiting command holds only its conversation. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logRequestId())
  .handler(async (event, context) => {
    const response = await sender.handleSqsEvent(event, () => context.getRemainingTimeInMillis());
    metrics.publishStoredMetrics();
    return response;
  });

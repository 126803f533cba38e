import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { loadS3Client } from '#shared/aws/clients/s3.ts';
import { sesV2Client } from '#shared/aws/clients/sesv2.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { channelSecrets, pseudonymKey } from '#shared/aws/secrets.ts';
import { signedDynamoDbCommands } from '#shared/aws/signed/dynamodb-commands.ts';
import { signedSqsClient } from '#shared/aws/signed/sqs.ts';
import { messageRetentionSeconds } from '#shared/config/message-retention.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { sectionOf } from '#shared/config/secrets.ts';
import { logger } from '#shared/observability/logger.ts';
import { SENDER_METRICS } from '#shared/observability/metric-names.ts';
import { SENDER } from '#shared/resources/definitions.ts';
import { endpointRatesFor } from './endpoint-rate.ts';
import { createSenderFor } from './senders.ts';
import { stagingBudgetBytes } from './staging-budget.ts';
import { createSender } from './wiring.ts';

/** The sender as the Lambda runs it: this deployment's environment, secrets, clients and metrics. */
export const senderFromEnvironment = (metrics: Metrics) => {
  const config = requireConfig(
    'SWITCHBOARD_TABLE_NAME',
    'SWITCHBOARD_HELPDESK_QUEUE_URL',
    'SWITCHBOARD_OUTBOX_QUEUE_URL',
    'SWITCHBOARD_OUTBOX_DLQ_URL',
    'SWITCHBOARD_PAYLOAD_BUCKET',
  );
  const countBy = (name: string, dimension: string, value: string) =>
    metrics.singleMetric().addDimension(dimension, value).addMetric(name, MetricUnit.Count, 1);
  return createSender({
    dynamodb: signedDynamoDbCommands(),
    sqs: sqsClient(),
    helpdeskBatches: signedSqsClient(),
    payloads: { s3: loadS3Client, bucket: config.SWITCHBOARD_PAYLOAD_BUCKET },
    mediaObjects: s3MediaObjects(config.SWITCHBOARD_PAYLOAD_BUCKET),
    tableName: config.SWITCHBOARD_TABLE_NAME,
    helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
    retentionSeconds: messageRetentionSeconds(config),
    outboxQueueUrl: config.SWITCHBOARD_OUTBOX_QUEUE_URL,
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
      timeoutMs: config.SWITCHBOARD_PROVIDER_TIMEOUT_MS ?? SENDER.providerTimeoutMs,
      messengerReplyQuotes: config.SWITCHBOARD_MESSENGER_REPLY_QUOTES,
    }),
    replyTagKey: async () => sectionOf(await channelSecrets(), 'email')?.replyTagKey,
    pseudonymKey,
    ...(config.SWITCHBOARD_TWILIO_STATUS_CALLBACK_URL
      ? { twilioStatusCallbackUrl: config.SWITCHBOARD_TWILIO_STATUS_CALLBACK_URL }
      : {}),
    defaultEmailProvider: config.SWITCHBOARD_EMAIL_PROVIDER,
    environments: config.SWITCHBOARD_SENDER_CONCURRENCY ?? SENDER.maxConcurrency,
    endpointRatesPerSecond: endpointRatesFor(config.SWITCHBOARD_WHATSAPP_NUMBER_RATE),
    // Lambda's own variable: the budget follows the memory a deployment gives the function.
    stagingBudgetBytes: stagingBudgetBytes(Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE)),
    logger,
    onOutcome: ({ kind, reason }) => {
      if (kind === 'sent') metrics.addMetric(SENDER_METRICS.sent, MetricUnit.Count, 1);
      if (kind === 'failed' && reason) countBy(SENDER_METRICS.sendFailed, 'reason', reason);
    },
    onPause: ({ channel, provider }) => {
      metrics.addMetric(SENDER_METRICS.endpointPaused, MetricUnit.Count, 1);
      logger.error('business endpoint paused: its provider refused the credentials or the business account', {
        channel,
        reason: `${provider} credentials refused`,
      });
    },
    onCommandError: (failed) => metrics.addMetric(SENDER_METRICS.commandErrors, MetricUnit.Count, failed),
  });
};

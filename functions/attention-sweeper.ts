import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { countSweep } from '#shared/attention/sweep-metrics.ts';
import { AttentionSweepError } from '#shared/attention/sweeper.ts';
import { createAttentionSweeperFor, createPendingRedactionRetryFor } from '#shared/attention/wiring.ts';
import { dynamoDbClient } from '#shared/aws/clients/dynamodb.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { logger } from '#shared/observability/logger.ts';
import { METRIC_SERVICES } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';

const config = requireConfig('SWITCHBOARD_TABLE_NAME', 'SWITCHBOARD_HELPDESK_QUEUE_URL');

const metrics = hubMetrics(METRIC_SERVICES.attentionSweeper);

const wiring = { dynamodb: dynamoDbClient(), tableName: config.SWITCHBOARD_TABLE_NAME, logger };
const sweeper = createAttentionSweeperFor({
  ...wiring,
  sqs: sqsClient(),
  helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
  targets: config.SWITCHBOARD_RESPONSE_TARGET_SECONDS,
});
// Erased people's pending redactions, with the channel secret as the API's erasure (loaded only when one is due).
const retryRedactions = createPendingRedactionRetryFor({
  ...wiring,
  twilioApiUrl: config.SWITCHBOARD_TWILIO_API_URL,
  graphApiUrl: config.SWITCHBOARD_GRAPH_API_URL,
  graphApiVersion: config.SWITCHBOARD_GRAPH_API_VERSION,
  secrets: async () => (await import('#shared/aws/secrets.ts')).channelSecrets(),
});

/** Every minute (an EventBridge schedule; the local hub's timer): snoozes wake, overdue waits are reported, pending redactions retried. */
export const handler = middy<ScheduledEvent, void>()
  .use(logRequestId())
  .handler(async () => {
    const report = await sweeper.sweep(new Date());
    countSweep(metrics, report);
    publishMetrics(metrics);
    await retryRedactions();
    if (report.failed > 0)
      throw new AttentionSweepError(`${report.failed} conversation(s) left to the next sweep`);
  });

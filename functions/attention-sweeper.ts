import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { countSweep } from '#shared/attention/sweep-metrics.ts';
import { AttentionSweepError } from '#shared/attention/sweeper.ts';
import { createAttentionSweeperFor } from '#shared/attention/wiring.ts';
import { dynamoDbClient } from '#shared/aws/clients/dynamodb.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { logger } from '#shared/observability/logger.ts';
import { METRIC_SERVICES, METRICS_NAMESPACE } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';

const config = requireConfig('SWITCHBOARD_TABLE_NAME', 'SWITCHBOARD_HELPDESK_QUEUE_URL');

const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRIC_SERVICES.attentionSweeper });

const sweeper = createAttentionSweeperFor({
  dynamodb: dynamoDbClient(),
  sqs: sqsClient(),
  tableName: config.SWITCHBOARD_TABLE_NAME,
  helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
  targets: config.SWITCHBOARD_RESPONSE_TARGET_SECONDS,
  logger,
});

/** Every minute (an EventBridge schedule; the local hub's timer): snoozes wake, overdue waits are reported. */
export const handler = middy<ScheduledEvent, void>()
  .use(logRequestId())
  .handler(async () => {
    const report = await sweeper.sweep(new Date());
    countSweep(metrics, report);
    metrics.publishStoredMetrics();
    if (report.failed > 0)
      throw new AttentionSweepError(`${report.failed} conversation(s) left to the next sweep`);
  });

import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { attentionSweeperFromEnvironment } from '#shared/attention/lambda.ts';
import { countSweep } from '#shared/attention/sweep-metrics.ts';
import { AttentionSweepError } from '#shared/attention/sweeper.ts';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { METRIC_SERVICES } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';

const metrics = hubMetrics(METRIC_SERVICES.attentionSweeper);
const { sweeper, retryRedactions } = attentionSweeperFromEnvironment();

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

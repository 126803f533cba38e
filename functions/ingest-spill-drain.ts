import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { signedCallDeadline } from '#shared/aws/signed/signed-caller.ts';
import { countSpillDrain, drainSpillFromEnvironment } from '#shared/intake/spill-drain-lambda.ts';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { logger } from '#shared/observability/logger.ts';
import { METRIC_SERVICES } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';

const metrics = hubMetrics(METRIC_SERVICES.ingestSpillDrain);

/** Every minute (an EventBridge schedule; the local hub's timer): queues the events webhooks spilled when SQS refused them. */
export const handler = middy<ScheduledEvent, void>()
  .use(logRequestId())
  // The publisher's signed requests start no attempt that would outlast the invocation.
  .use(signedCallDeadline())
  .handler(async () => {
    const report = await drainSpillFromEnvironment(logger);
    countSpillDrain(metrics, report);
    publishMetrics(metrics);
  });

import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { METRIC_SERVICES } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';
import { countOutboxBatch } from '#shared/outbound/batch-metrics.ts';
import { senderFromEnvironment } from '#shared/outbound/lambda.ts';

const metrics = hubMetrics(METRIC_SERVICES.sender);
const sender = senderFromEnvironment(metrics);

/** Outbox FIFO queue → providers → helpdesk FIFO queue; a waiting command holds only its conversation. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logRequestId())
  .handler(async (event, context) => {
    const receivedAt = Date.now();
    const response = await sender.handleSqsEvent(event, () => context.getRemainingTimeInMillis());
    countOutboxBatch(metrics, event, receivedAt);
    publishMetrics(metrics);
    return response;
  });

import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mediaFetcherFromEnvironment } from '#shared/media/lambda.ts';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { METRIC_SERVICES } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';

const metrics = hubMetrics(METRIC_SERVICES.mediaFetcher);
const fetcher = mediaFetcherFromEnvironment(metrics);

/** Media FIFO queue → providers → payload bucket → helpdesk FIFO queue: one attachment per invocation. */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logRequestId())
  .handler(async (event) => {
    const response = await fetcher.handleSqsEvent(event);
    publishMetrics(metrics);
    return response;
  });

import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { signedCallDeadline } from '#shared/aws/signed/signed-caller.ts';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { METRIC_SERVICES } from '#shared/observability/metric-names.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';
import { countBatch } from '#shared/recorder/batch-metrics.ts';
import { recorderFromEnvironment } from '#shared/recorder/lambda.ts';

const metrics = hubMetrics(METRIC_SERVICES.recorder);
const recorder = recorderFromEnvironment();

/**
 * Ingest FIFO queue → DynamoDB → helpdesk FIFO queue; failures are reported per message
 * (ReportBatchItemFailures). No AWS call is started in the invocation's last second, so a batch
 * slowed to its end still answers which records it finished.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logRequestId())
  .use(signedCallDeadline())
  .handler(async (event) => {
    const receivedAt = Date.now();
    const response = await recorder.handleSqsEvent(event);
    countBatch(metrics, event, response, receivedAt);
    publishMetrics(metrics);
    return response;
  });

import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { RECORDER_METRICS } from '#shared/observability/metric-names.ts';
import { addOldestRecordAge } from '#shared/observability/record-age.ts';

/**
 * What an ingest batch came to, as metrics: failed records are reported to Lambda per message
 * (ReportBatchItemFailures) and never raise the function's Errors metric, so the recorder counts
 * them itself and an alarm watches that count. And how long its oldest message had waited when the
 * invocation took it (`receivedAtMs`), which an alarm watches beside the queue's own age metric.
 */
export const countBatch = (
  metrics: Metrics,
  event: SQSEvent,
  response: SQSBatchResponse,
  receivedAtMs: number,
): void => {
  const failures = response.batchItemFailures.length;
  metrics.addMetric(RECORDER_METRICS.recordFailures, MetricUnit.Count, failures);
  metrics.addMetric(RECORDER_METRICS.recorded, MetricUnit.Count, event.Records.length - failures);
  addOldestRecordAge(metrics, RECORDER_METRICS.oldestRecordAge, event.Records, receivedAtMs);
};

import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSEvent } from 'aws-lambda';
import { SENDER_METRICS } from '#shared/observability/metric-names.ts';
import { addOldestRecordAge } from '#shared/observability/record-age.ts';

/**
 * What an outbox batch came to beside its commands' outcomes (counted as they end): how long its
 * oldest command had waited when the invocation took it (`receivedAtMs`). A reply backing off from
 * a throttling or silent provider is counted at every receive, which the queue's own age metric
 * stops doing after its third (shared/observability/record-age.ts).
 */
export const countOutboxBatch = (metrics: Metrics, event: SQSEvent, receivedAtMs: number): void =>
  addOldestRecordAge(metrics, SENDER_METRICS.oldestRecordAge, event.Records, receivedAtMs);

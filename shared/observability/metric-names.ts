/**
 * The metrics the hub emits (CloudWatch embedded metric format, through Powertools Metrics), named
 * once for the code that emits them and the alarms that watch them (infra/constructs/monitoring.ts).
 * Pure data: the CDK app reads it without loading Powertools.
 */
export const METRICS_NAMESPACE = 'Switchboard';

/** Powertools puts the service name in the `service` dimension of every metric. */
export const METRIC_SERVICES = { recorder: 'recorder' } as const;

export const RECORDER_METRICS = {
  /** Ingest messages the recorder reported failed in a batch (retried, then dead-lettered). */
  recordFailures: 'RecordFailures',
  /** Ingest messages recorded. */
  recorded: 'Recorded',
} as const;

import type { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Publishes what the invocation stored (one embedded-metric-format line). An invocation that stored
 * nothing (a media job another fetcher took over, or erased while it downloaded) writes nothing:
 * Powertools would write a plain-text warning instead, a line outside the hub's structured log
 * format on every such call.
 */
export const publishMetrics = (metrics: Pick<Metrics, 'hasStoredMetrics' | 'publishStoredMetrics'>): void => {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
};

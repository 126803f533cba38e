import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { MEDIA_METRICS } from '#shared/observability/metric-names.ts';
import type { MediaOutcome } from '#shared/store/media-fetches.ts';
import type { MediaFetcherWiring } from './wiring.ts';

/**
 * What the media fetcher's jobs come to, as metrics, counted as they happen: each attachment stored
 * or failed (by reason), each download a provider refused for the hub's credentials, and the jobs
 * that failed unexpectedly (reported to Lambda per message, so never the function's Errors metric:
 * an alarm watches this count instead).
 */
export const mediaFetchMetrics = (
  metrics: Metrics,
): Required<Pick<MediaFetcherWiring, 'onOutcome' | 'onCredentialsRefused' | 'onJobError'>> => ({
  onOutcome: (outcome: MediaOutcome) => {
    if (outcome.state === 'stored') metrics.addMetric(MEDIA_METRICS.stored, MetricUnit.Count, 1);
    else
      metrics
        .singleMetric()
        .addDimension('reason', outcome.reason)
        .addMetric(MEDIA_METRICS.failed, MetricUnit.Count, 1);
  },
  onCredentialsRefused: () => metrics.addMetric(MEDIA_METRICS.credentialsRefused, MetricUnit.Count, 1),
  onJobError: (failed) => metrics.addMetric(MEDIA_METRICS.jobErrors, MetricUnit.Count, failed),
});

import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ATTENTION_METRICS } from '#shared/observability/metric-names.ts';
import type { SweepReport } from './sweeper.ts';

/** What a sweep came to, as metrics: the overdue gauge (an alarm watches it), new overdue events, wakes, items it could not read. */
export const countSweep = (metrics: Metrics, report: SweepReport): void => {
  metrics.addMetric(ATTENTION_METRICS.conversationsOverdue, MetricUnit.Count, report.conversationsOverdue);
  metrics.addMetric(ATTENTION_METRICS.responsesOverdue, MetricUnit.Count, report.responsesOverdue);
  metrics.addMetric(ATTENTION_METRICS.snoozesWoken, MetricUnit.Count, report.snoozesWoken);
  metrics.addMetric(ATTENTION_METRICS.conversationsUnreadable, MetricUnit.Count, report.unreadable);
};

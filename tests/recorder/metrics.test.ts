import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { METRIC_SERVICES, METRICS_NAMESPACE } from '#shared/observability/metric-names.ts';
import { countBatch } from '#shared/recorder/batch-metrics.ts';
import { sqsEvent } from './factories.ts';

describe('recorder batch metrics', () => {
  it('counts the messages reported failed, which never raise Lambda Errors, in the embedded metric format', () => {
    // Prepare
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRIC_SERVICES.recorder });
    const event = sqsEvent([
      { id: 'a', group: 'g1', body: '{}' },
      { id: 'b', group: 'g1', body: '{}' },
      { id: 'c', group: 'g2', body: '{}' },
    ]);
    // Act
    countBatch(metrics, event, { batchItemFailures: [{ itemIdentifier: 'b' }] });
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: Array<{
          Namespace: string;
          Dimensions: string[][];
          Metrics: Array<{ Name: string }>;
        }>;
      };
    };
    // Assess
    expect(emf.RecordFailures).toBe(1);
    expect(emf.Recorded).toBe(2);
    expect(emf.service).toBe('recorder');
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe('Switchboard');
    expect(emf._aws.CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name).sort()).toEqual([
      'RecordFailures',
      'Recorded',
    ]);
  });
});

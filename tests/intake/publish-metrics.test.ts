import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRIC_SERVICES, METRICS_NAMESPACE } from '#shared/observability/metric-names.ts';
import { publishMetrics } from '#shared/observability/publish-metrics.ts';

/*
 * Every function that emits metrics publishes them through publishMetrics at the end of an
 * invocation: one embedded-metric-format JSON line when it stored any, and no line at all when it
 * stored none (Powertools itself would warn in plain text, outside the structured log format).
 */
describe("publishing an invocation's metrics", () => {
  const written: string[] = [];
  const capture = () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const warnings: unknown[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (...args: unknown[]) => void warnings.push(args),
    };
    const metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: METRIC_SERVICES.sender,
      logger,
    });
    return { warnings, metrics };
  };
  afterEach(() => {
    vi.restoreAllMocks();
    written.length = 0;
  });

  it('writes nothing, not even a warning, when the invocation stored no metric', () => {
    // Prepare
    const { warnings, metrics } = capture();
    // Act
    publishMetrics(metrics);
    // Assess
    expect(warnings).toEqual([]);
    expect(written).toEqual([]);
  });

  it('writes one embedded-metric-format line when it stored some', () => {
    // Prepare
    const { warnings, metrics } = capture();
    metrics.addMetric('Sent', MetricUnit.Count, 2);
    // Act
    publishMetrics(metrics);
    // Assess
    expect(warnings).toEqual([]);
    const lines = written.join('').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ Sent: 2, service: 'sender' });
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});

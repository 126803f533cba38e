import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { resetRuntimeConfig } from '#shared/config/runtime.ts';
import { hubMetrics } from '#shared/observability/hub-metrics.ts';
import { METRIC_SERVICES, METRICS_NAMESPACE } from '#shared/observability/metric-names.ts';
import { countBatch } from '#shared/recorder/batch-metrics.ts';
import { sqsEvent } from './factories.ts';

interface EmfLine {
  readonly service: string;
  readonly _aws: {
    readonly CloudWatchMetrics: Array<{
      readonly Namespace: string;
      readonly Dimensions: string[][];
      readonly Metrics: Array<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly [metric: string]: unknown;
}

const recorderMetrics = () =>
  new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRIC_SERVICES.recorder });

describe('recorder batch metrics', () => {
  it('counts the messages reported failed, which never raise Lambda Errors, in the embedded metric format', () => {
    // Prepare
    const metrics = recorderMetrics();
    const event = sqsEvent([
      { id: 'a', group: 'g1', body: '{}' },
      { id: 'b', group: 'g1', body: '{}' },
      { id: 'c', group: 'g2', body: '{}' },
    ]);
    // Act
    countBatch(metrics, event, { batchItemFailures: [{ itemIdentifier: 'b' }] }, 0);
    const emf = metrics.serializeMetrics() as unknown as EmfLine;
    // Assess
    expect(emf.RecordFailures).toBe(1);
    expect(emf.Recorded).toBe(2);
    expect(emf.service).toBe('recorder');
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe('Switchboard');
    expect(emf._aws.CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name).sort()).toEqual([
      'OldestRecordAge',
      'RecordFailures',
      'Recorded',
    ]);
  });

  it("emits the age of the batch's oldest message from its SentTimestamp, however often it was received", () => {
    // Prepare: a message sent 7.5 minutes before the invocation took it, received a 4th time (SQS's
    // own age metric has left it out since its 3rd), and a fresh one of another conversation.
    const receivedAt = Date.UTC(2026, 11, 5, 10, 0, 0);
    const metrics = recorderMetrics();
    const event = sqsEvent(
      [
        { id: 'fresh', group: 'g1', body: '{}' },
        { id: 'stuck', group: 'g2', body: '{}' },
      ],
      4,
    );
    const sentAt = { fresh: receivedAt - 2_000, stuck: receivedAt - 450_000 };
    for (const record of event.Records)
      record.attributes.SentTimestamp = String(sentAt[record.messageId as keyof typeof sentAt]);
    // Act
    countBatch(metrics, event, { batchItemFailures: [{ itemIdentifier: 'stuck' }] }, receivedAt);
    const emf = metrics.serializeMetrics() as unknown as EmfLine;
    // Assess
    expect(emf.OldestRecordAge).toBe(450);
    expect(
      emf._aws.CloudWatchMetrics[0]?.Metrics.find((metric) => metric.Name === 'OldestRecordAge')?.Unit,
    ).toBe('Seconds');
    expect(emf.service).toBe('recorder');
  });
});

describe("a function's metrics namespace", () => {
  it('is the one the CDK app hands the function (SWITCHBOARD_METRICS_NAMESPACE), and `Switchboard` without it', () => {
    // Prepare
    const before = process.env.SWITCHBOARD_METRICS_NAMESPACE;
    try {
      delete process.env.SWITCHBOARD_METRICS_NAMESPACE;
      resetRuntimeConfig();
      const unset = hubMetrics(METRIC_SERVICES.recorder);
      process.env.SWITCHBOARD_METRICS_NAMESPACE = 'Switchboard/hub-b';
      resetRuntimeConfig();
      const set = hubMetrics(METRIC_SERVICES.recorder);
      // Act
      for (const metrics of [unset, set])
        countBatch(metrics, sqsEvent([{ id: 'a', group: 'g', body: '{}' }]), { batchItemFailures: [] }, 0);
      // Assess
      expect((unset.serializeMetrics() as unknown as EmfLine)._aws.CloudWatchMetrics[0]?.Namespace).toBe(
        'Switchboard',
      );
      expect((set.serializeMetrics() as unknown as EmfLine)._aws.CloudWatchMetrics[0]?.Namespace).toBe(
        'Switchboard/hub-b',
      );
    } finally {
      if (before === undefined) delete process.env.SWITCHBOARD_METRICS_NAMESPACE;
      else process.env.SWITCHBOARD_METRICS_NAMESPACE = before;
      resetRuntimeConfig();
    }
  });
});

import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { METRIC_SERVICES, METRICS_NAMESPACE } from '#shared/observability/metric-names.ts';
import { countOutboxBatch } from '#shared/outbound/batch-metrics.ts';
import { sqsEvent } from '../recorder/factories.ts';

interface EmfLine {
  readonly service: string;
  readonly _aws: {
    readonly CloudWatchMetrics: Array<{
      readonly Namespace: string;
      readonly Metrics: Array<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly [metric: string]: unknown;
}

const senderMetrics = () =>
  new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRIC_SERVICES.sender });

describe('sender batch metrics', () => {
  it("emits the age of the batch's oldest command from its SentTimestamp: a reply backing off is counted at every receive", () => {
    // Prepare: a reply sent 9 minutes before this receive, its 8th (it has backed off from a
    // throttling provider, each time through ChangeMessageVisibility, which leaves SentTimestamp
    // alone; SQS's own age metric left it out after its 3rd), and a command sent a second ago.
    const receivedAt = Date.UTC(2026, 11, 5, 10, 0, 0);
    const metrics = senderMetrics();
    const event = sqsEvent(
      [
        { id: 'waiting', group: 'conversation-1', body: '{}' },
        { id: 'new', group: 'conversation-2', body: '{}' },
      ],
      8,
    );
    const sentAt = { waiting: receivedAt - 540_000, new: receivedAt - 1_000 };
    for (const record of event.Records)
      record.attributes.SentTimestamp = String(sentAt[record.messageId as keyof typeof sentAt]);
    // Act
    countOutboxBatch(metrics, event, receivedAt);
    const emf = metrics.serializeMetrics() as unknown as EmfLine;
    // Assess
    expect(emf.OldestRecordAge).toBe(540);
    expect(emf.service).toBe('sender');
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe('Switchboard');
    expect(emf._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'OldestRecordAge', Unit: 'Seconds' }]);
  });

  it('emits nothing for a batch without records, nor a negative age for a clock behind SQS', () => {
    // Prepare
    const receivedAt = Date.UTC(2026, 11, 5, 10, 0, 0);
    const empty = senderMetrics();
    const ahead = senderMetrics();
    const event = sqsEvent([{ id: 'a', group: 'conversation-1', body: '{}' }]);
    for (const record of event.Records) record.attributes.SentTimestamp = String(receivedAt + 500);
    // Act
    countOutboxBatch(empty, { Records: [] }, receivedAt);
    countOutboxBatch(ahead, event, receivedAt);
    // Assess
    expect(empty.hasStoredMetrics()).toBe(false);
    expect((ahead.serializeMetrics() as unknown as EmfLine).OldestRecordAge).toBe(0);
  });
});

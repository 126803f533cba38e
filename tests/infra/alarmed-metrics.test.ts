import type { Context, ScheduledEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetRuntimeConfig } from '#shared/config/runtime.ts';
import type { MediaFetcherWiring } from '#shared/media/wiring.ts';
import { METRICS_NAMESPACE, PSEUDONYM_KEY_MISMATCH } from '#shared/observability/metric-names.ts';
import type { SenderWiring } from '#shared/outbound/wiring.ts';
import { type EmfLine, emfLines } from '#tests/support/emf-lines.ts';
import { ALL_CHANNELS_CONTEXT, buildHub } from './support.ts';

/*
 * Every alarm on a hub metric against what the functions write (found by a review: the media
 * fetcher's alarm once watched nothing its failed jobs raised). Each metric-emitting Lambda module
 * (functions/*.ts) runs with its real Powertools Metrics, and so its real embedded-metric-format
 * lines on stdout, through the paths the alarms watch; its service is replaced by one that fires
 * the callbacks the function counts. CloudWatch matches a metric only on its namespace, name and
 * whole dimension set, so each alarmed metric must be written with exactly those.
 */

const captured: { sender?: SenderWiring; media?: MediaFetcherWiring } = {};
const noFailures = async () => ({ batchItemFailures: [] });
vi.mock('#shared/outbound/wiring.ts', () => ({
  createSender: (wiring: SenderWiring) => {
    captured.sender = wiring;
    return { handleSqsEvent: noFailures };
  },
}));
vi.mock('#shared/media/wiring.ts', () => ({
  createMediaFetcherService: (wiring: MediaFetcherWiring) => {
    captured.media = wiring;
    return { handleSqsEvent: noFailures };
  },
}));
vi.mock('#shared/recorder/wiring.ts', () => ({
  createRecorder: () => ({
    handleSqsEvent: async (event: SQSEvent) => ({
      batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
    }),
  }),
}));
vi.mock('#shared/attention/wiring.ts', () => ({
  createAttentionSweeperFor: () => ({
    sweep: async () => ({
      snoozesWoken: 1,
      responsesOverdue: 1,
      changesAnnounced: 0,
      conversationsOverdue: 3,
      failed: 0,
      unreadable: 1,
    }),
  }),
  createPendingRedactionRetryFor: () => async () => undefined,
}));

vi.mock('#shared/intake/spill-drain.ts', () => ({
  drainSpill: async () => ({
    listed: 2,
    drained: 1,
    eventsQueued: 1,
    failed: 1,
    deferred: 0,
    oldestAgeSeconds: 400,
  }),
}));

interface HubMetric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Each metric an embedded-metric-format line writes, once per dimension set. */
const metricsOf = (line: EmfLine): HubMetric[] =>
  (line._aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
    directive.Metrics.flatMap((metric) =>
      directive.Dimensions.map((keys) => ({
        namespace: directive.Namespace,
        name: metric.Name,
        dimensions: Object.fromEntries(keys.map((key) => [key, String(line[key])])),
      })),
    ),
  );

const written = (chunks: readonly unknown[]): HubMetric[] => emfLines(chunks).flatMap(metricsOf);

interface AlarmMetric {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions?: ReadonlyArray<{ readonly Name: string; readonly Value: unknown }>;
}

interface AlarmProperties extends Partial<AlarmMetric> {
  readonly Metrics?: ReadonlyArray<{ readonly MetricStat?: { readonly Metric: AlarmMetric } }>;
}

/** The hub metrics an alarm watches: its own, or those of its metric-math expression. */
const watchedBy = (properties: AlarmProperties): HubMetric[] =>
  [
    ...(properties.Namespace && properties.MetricName ? [properties as AlarmMetric] : []),
    ...(properties.Metrics ?? []).flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric] : [])),
  ].map((metric) => ({
    namespace: metric.Namespace,
    name: metric.MetricName,
    dimensions: Object.fromEntries((metric.Dimensions ?? []).map(({ Name, Value }) => [Name, String(Value)])),
  }));

const sameMetric = (a: HubMetric, b: HubMetric): boolean =>
  a.namespace === b.namespace &&
  a.name === b.name &&
  JSON.stringify(Object.entries(a.dimensions).sort()) === JSON.stringify(Object.entries(b.dimensions).sort());

const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as Context;
const sqsEvent = (): SQSEvent => ({
  Records: [
    {
      messageId: 'm-1',
      receiptHandle: 'r',
      body: '{}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now() - 600_000),
        SenderId: 's',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd',
        SequenceNumber: '1',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111111111111:q.fifo',
      awsRegion: 'eu-west-1',
    } as SQSRecord,
  ],
});

describe('alarms on hub metrics', () => {
  beforeAll(() => {
    for (const [name, value] of Object.entries({
      SWITCHBOARD_TABLE_NAME: 't',
      SWITCHBOARD_HELPDESK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/h.fifo',
      SWITCHBOARD_INGEST_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/i-dlq.fifo',
      SWITCHBOARD_OUTBOX_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/o.fifo',
      SWITCHBOARD_OUTBOX_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/o-dlq.fifo',
      SWITCHBOARD_MEDIA_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/m.fifo',
      SWITCHBOARD_PAYLOAD_BUCKET: 'b',
      SWITCHBOARD_INGEST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/i.fifo',
      SWITCHBOARD_MESSAGE_RETENTION_DAYS: '30',
      SWITCHBOARD_METRICS_NAMESPACE: METRICS_NAMESPACE,
      AWS_REGION: 'eu-west-1',
    }))
      vi.stubEnv(name, value);
    resetRuntimeConfig();
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    resetRuntimeConfig();
  });

  it('watch only metrics a function writes, with the same namespace and dimensions', async () => {
    // Prepare: the alarms as deployed (the pseudonym key's metric comes from a log metric filter)
    const { template } = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true' });
    const alarmed = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).flatMap(([id, alarm]) =>
      watchedBy(alarm.Properties as AlarmProperties)
        .filter((metric) => metric.namespace === METRICS_NAMESPACE)
        .filter((metric) => metric.name !== PSEUDONYM_KEY_MISMATCH.metricName)
        .map((metric) => ({ alarm: id, ...metric })),
    );
    const stdout = vi.spyOn(process.stdout, 'write');
    // Act: each function through the paths its alarms watch
    const sender = await import('../../functions/sender.ts');
    captured.sender?.onOutcome?.({ kind: 'failed', channel: 'whatsapp', reason: 'credentials' });
    captured.sender?.onPause?.({ channel: 'whatsapp', provider: 'meta' });
    captured.sender?.onCommandError?.(1);
    await sender.handler(sqsEvent(), context);
    const recorder = await import('../../functions/recorder.ts');
    await recorder.handler(sqsEvent(), context);
    const media = await import('../../functions/media-fetcher.ts');
    captured.media?.onCredentialsRefused?.();
    captured.media?.onJobError?.(1);
    await media.handler(sqsEvent(), context);
    const sweeper = await import('../../functions/attention-sweeper.ts');
    await sweeper.handler({} as ScheduledEvent, context);
    const drain = await import('../../functions/ingest-spill-drain.ts');
    await drain.handler({} as ScheduledEvent, context);
    const emitted = written(stdout.mock.calls.map(([chunk]) => chunk));
    // Assess
    expect(alarmed.map(({ name }) => name)).toEqual(
      expect.arrayContaining([
        'RecordFailures',
        'CommandErrors',
        'MediaJobErrors',
        'MediaCredentialsRefused',
        'OldestSpillAge',
      ]),
    );
    expect(alarmed.filter((metric) => !emitted.some((candidate) => sameMetric(candidate, metric)))).toEqual(
      [],
    );
  });
});

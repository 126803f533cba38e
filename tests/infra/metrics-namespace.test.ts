import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '#shared/observability/metric-names.ts';
import { ALL_CHANNELS_CONTEXT, type BuiltStack, buildHub } from './support.ts';

/*
 * Two hubs in one account and region (two name prefixes) write their metrics to namespaces of
 * their own and alarm on their own: before 2026-12-05 every hub wrote to `Switchboard`, so one
 * hub's failures raised the other's alarms, and one hub's 0 overdue conversations kept the other's
 * ConversationsOverdue alarm (the minimum over five minutes) from ever firing (found by a review).
 */

type Resource = { readonly Properties: Record<string, unknown> };
type MetricId = { readonly Namespace?: string; readonly MetricName?: string; readonly Dimensions?: unknown };

/** Every custom metric (namespace under METRICS_NAMESPACE) an alarm of the stack watches, as JSON. */
const alarmedHubMetrics = ({ template }: BuiltStack): string[] =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>)
    .flatMap(({ Properties: alarm }) => [
      alarm as MetricId,
      ...((alarm.Metrics as { MetricStat?: { Metric: MetricId } }[] | undefined) ?? []).flatMap((query) =>
        query.MetricStat ? [query.MetricStat.Metric] : [],
      ),
    ])
    .filter((metric) => metric.Namespace?.startsWith(METRICS_NAMESPACE))
    .map((metric) =>
      JSON.stringify({ n: metric.Namespace, m: metric.MetricName, d: metric.Dimensions ?? null }),
    );

/** The namespace each function that emits metrics is given, by its construct path. */
const functionNamespaces = ({ template }: BuiltStack): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, Resource>).flatMap(
      ([id, { Properties }]) => {
        const variables =
          (Properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};
        const namespace = variables.SWITCHBOARD_METRICS_NAMESPACE;
        return namespace === undefined ? [] : [[id.replace(/Function[0-9A-F]{8}$/, ''), namespace]];
      },
    ),
  );

const EMITTERS = ['AttentionSweeper', 'IngestSpill', 'MediaFetcher', 'Recorder', 'Sender'];

const filterNamespaces = ({ template }: BuiltStack): string[] =>
  Object.values(template.findResources('AWS::Logs::MetricFilter') as Record<string, Resource>).flatMap(
    ({ Properties }) =>
      (Properties.MetricTransformations as { MetricNamespace: string }[]).map(
        (transformation) => transformation.MetricNamespace,
      ),
  );

describe("a hub's metrics namespace", () => {
  // Prepare: the default hub, and a second one beside it under another prefix
  const defaultHub = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true' });
  const secondHub = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true', namePrefix: 'hub-b' });

  it('keeps `Switchboard` for the default prefix and takes `Switchboard/<prefix>` under another, for every function, alarm and metric filter', () => {
    // Act
    const defaultAlarmed = alarmedHubMetrics(defaultHub);
    const secondAlarmed = alarmedHubMetrics(secondHub);
    // Assess: the recorder's, sender's, sweeper's and pseudonym key's alarms, at least
    expect(defaultAlarmed.length).toBeGreaterThanOrEqual(8);
    expect(secondAlarmed).toHaveLength(defaultAlarmed.length);
    for (const metric of defaultAlarmed) expect(JSON.parse(metric).n).toBe('Switchboard');
    for (const metric of secondAlarmed) expect(JSON.parse(metric).n).toBe('Switchboard/hub-b');
    expect(functionNamespaces(defaultHub)).toEqual(
      Object.fromEntries(EMITTERS.map((name) => [name, 'Switchboard'])),
    );
    expect(functionNamespaces(secondHub)).toEqual(
      Object.fromEntries(EMITTERS.map((name) => [name, 'Switchboard/hub-b'])),
    );
    expect(new Set(filterNamespaces(secondHub))).toEqual(new Set(['Switchboard/hub-b']));
  });

  it('shares no alarmed metric between the two hubs', () => {
    // Act
    const shared = alarmedHubMetrics(defaultHub).filter((metric) =>
      alarmedHubMetrics(secondHub).includes(metric),
    );
    // Assess
    expect(shared).toEqual([]);
  });
});

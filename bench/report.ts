import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsCostResult } from './aws-cost.ts';
import type { BundleColdStart, ColdStartResult } from './cold-start.ts';
import type { EndToEndResult } from './end-to-end.ts';
import type { MachineInfo } from './machine.ts';
import type { WebhookCostResult } from './webhook-cost.ts';

export interface BenchReport {
  readonly machine: MachineInfo;
  readonly quick: boolean;
  readonly webhookCost?: WebhookCostResult;
  readonly coldStart?: ColdStartResult;
  readonly endToEnd?: EndToEndResult;
  readonly awsCost?: AwsCostResult;
}

type Row = ReadonlyArray<string | number>;

const table = (headers: readonly string[], rows: readonly Row[]): string => {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  return [
    line(cells[0] ?? []),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
};

const mark = (ok: boolean | null): string => (ok === null ? '–' : ok ? 'yes' : 'NO');

/** The report as Markdown tables, the same figures as the JSON. */
export const renderReport = (report: BenchReport): string => {
  const { machine } = report;
  const parts = [
    `Switchboard benchmarks${report.quick ? ' (--quick)' : ''} — ${machine.date}`,
    `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.platform}, load ${machine.loadAverageAtStart} at start`,
  ];
  const webhook = report.webhookCost;
  if (webhook) {
    parts.push(
      '\n1. Webhook CPU per request against the floor (same bytes, same run; medians)',
      table(
        ['channel', 'samples', 'median full µs', 'median ratio', 'worst ratio (sample)', 'target', 'met'],
        webhook.channels.map((channel) => [
          channel.channel,
          channel.samples,
          channel.medianFullCpuMicros,
          `${channel.medianRatio}×`,
          `${channel.worstRatio}× (${channel.worstSample})`,
          channel.target === null ? '–' : `≤ ${channel.target}×`,
          mark(channel.meetsTarget),
        ]),
      ),
      table(
        ['1000-item batch', 'bytes', 'floor µs', 'full µs', 'µs per item', 'ratio', 'SendMessageBatch'],
        webhook.batches.map((batch) => [
          batch.sample,
          batch.bytes,
          batch.floorCpuMicros,
          batch.fullCpuMicros,
          batch.cpuMicrosPerItem,
          `${batch.ratio}×`,
          batch.sendMessageBatchRequests,
        ]),
      ),
    );
  }
  const cold = report.coldStart;
  if (cold) {
    const times = (value: number | undefined): string => (value === undefined ? '–' : `${value}×`);
    const row = (bundle: BundleColdStart, name: string): Row => [
      name,
      bundle.kb,
      bundle.gzipKb,
      bundle.importMedianMs,
      bundle.importAboveBareMs,
      bundle.importCpuAboveBareMs ?? '–',
      bundle.importWithSourceMapsAboveBareMs ?? '–',
      bundle.rssMb,
      bundle.rssAboveBareMb,
      times(bundle.sizeVsFloor),
      times(bundle.importVsFloor),
      times(bundle.importCpuVsFloor),
      times(bundle.rssVsFloor),
      mark(bundle.meetsSizeTarget),
      mark(bundle.meetsImportTarget),
    ];
    const floor = cold.floor;
    parts.push(
      `\n2. Bundles and cold import (median of ${cold.runsPerBundle} fresh processes; bare node ${cold.bareNodeMedianMs} ms, ${cold.bareNodeRssMb} MB RSS)`,
      table(
        [
          'function',
          'KB min',
          'KB gzip',
          'import ms',
          'above bare ms',
          'CPU above bare ms',
          'above bare, source maps ms',
          'RSS MB',
          'RSS above bare MB',
          'size × floor',
          'import × floor',
          'CPU × floor',
          'RSS × floor',
          '≤ 250 KB',
          '≤ 60 ms',
        ],
        [
          ...(floor ? [row(floor, '(stack floor)')] : []),
          ...cold.bundles.map((bundle) => row(bundle, bundle.function)),
        ],
      ),
    );
    if (floor)
      parts.push(
        `  stack floor = ${floor.entry}: zod parse + SQS SendMessageBatch, bundled like the functions; × floor = this bundle over it (import and RSS above bare node); source maps = under --enable-source-maps, as HubFunction runs it`,
      );
  }
  const e2e = report.endToEnd;
  if (e2e) {
    parts.push(
      `\n3. End to end on the local hub (one process: emulators, webhooks, recorder, load, consumer; bench process peak RSS ${e2e.peakRssMb} MB)`,
      table(
        [
          'phase',
          'requests',
          'events arrived',
          'ack p50/p99 ms',
          'to helpdesk p50/p99 ms',
          'req/s',
          'events/s',
        ],
        e2e.phases.map((phase) => [
          phase.phase,
          `${phase.accepted}/${phase.requests}`,
          `${phase.arrivedEvents}/${phase.expectedEvents}`,
          `${phase.ackP50Ms} / ${phase.ackP99Ms}`,
          `${phase.toHelpdeskP50Ms} / ${phase.toHelpdeskP99Ms}`,
          phase.acceptedPerSecond,
          phase.eventsPerSecond,
        ]),
      ),
    );
  }
  const cost = report.awsCost;
  if (cost) {
    parts.push(
      `\n4. AWS cost per 1 million messages (${cost.pricesSource}; Lambda arm64 ${cost.lambdaMemoryMb} MB)`,
      table(
        [
          'scenario',
          'Switchboard (full batches)',
          'Switchboard (batches of 1)',
          'with function URLs',
          'straightforward',
          `≤ $${cost.targetDollarsPerMillion} (HTTP API / function URLs)`,
        ],
        cost.scenarios.map((scenario) => [
          scenario.scenario,
          `$${scenario.switchboard.dollarsPerMillion}`,
          `$${scenario.switchboardTrickle.dollarsPerMillion}`,
          `$${scenario.switchboardFunctionUrls.dollarsPerMillion}`,
          `$${scenario.straightforward.dollarsPerMillion}`,
          `${mark(scenario.switchboard.dollarsPerMillion <= cost.targetDollarsPerMillion)} / ${mark(
            scenario.switchboardFunctionUrls.dollarsPerMillion <= cost.targetDollarsPerMillion,
          )}`,
        ]),
      ),
    );
    for (const scenario of cost.scenarios) {
      parts.push(
        `  ${scenario.scenario}: ${scenario.switchboard.lines.map((line) => `${line.item} $${line.dollarsPerMillion}`).join('; ')}`,
      );
    }
  }
  return parts.join('\n');
};

export const writeReport = (report: BenchReport, directory: string): string[] => {
  mkdirSync(directory, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const dated = join(directory, `${report.machine.date.slice(0, 10)}${report.quick ? '-quick' : ''}.json`);
  const latest = join(directory, report.quick ? 'latest-quick.json' : 'latest.json');
  writeFileSync(latest, json);
  writeFileSync(dated, json);
  return [latest, dated];
};

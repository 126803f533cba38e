import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MEDIA_FETCHER, RECORDER, SENDER } from '#shared/resources/definitions.ts';
import type { AwsCostResult } from './aws-cost.ts';
import { FUNCTION_MEMORY_MB, webhookInAws } from './aws-functions.ts';
import { type BundleColdStart, type ColdStartResult, ISSUE_MARKS } from './cold-start.ts';
import type { CommitBaseline, CommitPhase } from './commit-baseline.ts';
import type { EndToEndResult } from './end-to-end.ts';
import type { MachineInfo } from './machine.ts';
import type { MediaBenchResult } from './media.ts';
import { PRICES } from './prices.ts';
import { outboundCost, type ScaleReport, type ScaleResult, senderBatchMs } from './scale.ts';
import { QUOTAS, type Quota } from './scale-quotas.ts';
import { round } from './stats.ts';

const RECORDER_BATCH = RECORDER.batchSize;

import type { ApiLatencyResult } from './api.ts';
import type { LinearTimeResult } from './linear-time.ts';
import type { OutboundThroughputResult } from './outbound.ts';
import type { WebhookCostResult } from './webhook-cost.ts';

export interface BenchReport {
  readonly machine: MachineInfo;
  readonly quick: boolean;
  readonly webhookCost?: WebhookCostResult;
  readonly coldStart?: ColdStartResult;
  readonly endToEnd?: EndToEndResult;
  readonly awsCost?: AwsCostResult;
  readonly scale?: ScaleReport;
  readonly linearTime?: LinearTimeResult;
  readonly api?: ApiLatencyResult;
  readonly outbound?: OutboundThroughputResult;
  readonly media?: MediaBenchResult;
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

const percent = (utilisation: number): string =>
  `${(utilisation * 100).toFixed(utilisation < 0.01 ? 2 : 1)} %`;

const count = (value: number): string => value.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** A limit, with its figures when under one a second (WhatsApp's pair rate, 1/6). */
const limitCount = (value: number): string =>
  value < 1 ? value.toLocaleString('en-US', { maximumFractionDigits: 3 }) : count(value);

const atRate = (messagesPerSecond: number): string =>
  Number.isFinite(messagesPerSecond) ? count(messagesPerSecond) : 'never';

/** Every load of one result, nearest its limit first. */
const renderLoads = (result: ScaleResult): string =>
  table(
    ['resource', 'rate', 'limit', 'of limit', 'runs out at messages/s', 'alarm that warns first', 'source'],
    [...result.loads]
      .sort((a, b) => b.utilisation - a.utilisation)
      .map((entry) => [
        entry.resource,
        count(entry.rate),
        `${limitCount(entry.limit)} ${QUOTAS[entry.quota].unit}`,
        percent(entry.utilisation),
        atRate(entry.runsOutAt),
        entry.warnedBy,
        QUOTAS[entry.quota].source,
      ]),
  );

/**
 * The highest steady load and the first to run out but WhatsApp's pair rate, which no setting raises
 * (it follows from the mix's busiest conversation): what the raised settings leave next.
 */
const nextAfterPairRate = (result: ScaleResult): string => {
  const rest = result.loads.filter(
    (entry) => entry.quota !== 'whatsappPairRate' && !(QUOTAS[entry.quota] as Quota).transient,
  );
  if (rest.length === 0) return 'nothing else';
  const highest = rest.reduce((best, entry) => (entry.utilisation > best.utilisation ? entry : best));
  const first = rest.reduce((best, entry) => (entry.runsOutAt < best.runsOutAt ? entry : best));
  return `apart from the pair rate, highest ${highest.resource} ${percent(highest.utilisation)}, first to run out ${first.resource} at ${atRate(first.runsOutAt)} messages/s`;
};

/** The scale model: one row per rate, then every resource at 1,000 messages/s with 30 % statuses. */
const renderScale = (scale: ScaleReport): string[] => {
  const loadOf = (result: ScaleResult, resource: string) =>
    result.loads.find((candidate) => candidate.resource.startsWith(resource))?.rate ?? 0;
  const check = scale.thousandWithThirtyPercentStatuses;
  const urls = scale.thousandWithFunctionUrls;
  const raised = scale.thousandRaised;
  const api = scale.thousandThroughHelpdeskApi;
  const durations = scale.durations;
  const built = scale.deployment;
  const over = (result: ScaleResult, share: number) =>
    result.loads.filter((entry) => !(QUOTAS[entry.quota] as Quota).transient && entry.utilisation >= share);
  const listed = (entries: readonly ScaleResult['loads'][number][]) =>
    entries.map((entry) => `${entry.resource} ${percent(entry.utilisation)}`).join('; ') || 'none';
  const webhook = urls.loads.find((entry) => entry.quota === 'lambdaSyncPerFunction');
  const urlsRaised = scale.thousandRaisedWithFunctionUrls;
  /** The account's Lambda concurrency of one result: its rate, of its limit, and its share. */
  const lambda = (result: ScaleResult): string => {
    const load = result.loads.find((entry) => entry.quota === 'lambdaConcurrency');
    return load
      ? `Lambda concurrency ${count(load.rate)} of ${count(load.limit)} (${percent(load.utilisation)}, runs out at ${atRate(load.runsOutAt)} messages/s)`
      : 'no Lambda concurrency load';
  };
  return [
    `\n5. Scale model (per-event AWS calls from ${scale.countsFrom}; durations stated for AWS: webhook ${durations.webhookMs} ms, e-mail webhook ${durations.emailWebhookMs} ms, recorder batch ${durations.recorderBatchMs} ms, a send ${durations.senderCommandMs} ms alone and ${senderBatchMs(SENDER.batchSize) / SENDER.batchSize} ms of a full batch to one number, an attachment ${durations.mediaFetchMs} ms, a send's request to the helpdesk API ${durations.apiSendMs} ms; each invocation priced for the same time as its concurrency holds, the local median where longer, at its function's deployed memory: chat webhooks ${webhookInAws('whatsapp').memoryMb} MB, Mailgun's ${webhookInAws('email-mailgun').memoryMb} MB, recorder ${FUNCTION_MEMORY_MB.recorder} MB, sender ${FUNCTION_MEMORY_MB.sender} MB, media fetcher ${MEDIA_FETCHER.memoryMb} MB)`,
    '  mix: 30 % status callbacks (every one of a hub send), 20 % outbound sends, 50 % customer messages (10 % of them e-mail, a fifth of those with an attachment; 10 % of the chat messages with one photo or file copied by the media fetcher); chat, statuses and sends all WhatsApp; the sends put straight on the outbox (as built there is no helpdesk API); the busiest conversation carries 1 %',
    `  as built: ${built.ingress} ingress, senderMaxConcurrency ${built.senderMaxConcurrency}, mediaFetcherMaxConcurrency ${built.fetcherMaxConcurrency}, ${built.whatsappNumbers} WhatsApp number at ${built.whatsappNumberRate} messages/s`,
    table(
      [
        'messages/s',
        'webhook req/s',
        'Lambda concurrency (webhook / recorder / sender / media fetcher)',
        'DynamoDB table WCU / RCU per s',
        'index partitions STATUS#open / WAITING WCU/s (one shard)',
        'nearest its limit',
        'first to run out, at messages/s',
        'new table: warm write capacity used',
        '$ per million',
      ],
      scale.rows.map((row) => [
        count(row.messagesPerSecond),
        count(row.webhookRequestsPerSecond),
        `${count(row.concurrency.webhook + row.concurrency.recorder + row.concurrency.sender + row.concurrency.mediaFetcher)} (${count(row.concurrency.webhook)} / ${count(row.concurrency.recorder)} / ${count(row.concurrency.sender)} / ${count(row.concurrency.mediaFetcher)})`,
        `${count(loadOf(row, 'DynamoDB write units, table'))} / ${count(loadOf(row, 'DynamoDB read units, table'))}`,
        `${count(loadOf(row, 'DynamoDB index partition STATUS#open'))} / ${count(loadOf(row, 'DynamoDB index partition WAITING'))}`,
        `${row.highest.resource}: ${percent(row.highest.utilisation)}`,
        `${row.first.resource}: ${atRate(row.first.atMessagesPerSecond)}`,
        percent(row.loads.find((candidate) => candidate.quota === 'dynamoNewTableWarm')?.utilisation ?? 0),
        `$${row.dollarsPerMillion}`,
      ]),
    ),
    `\n  1,000 messages/s with 30 % status callbacks, as built (${count(check.mix.inboundPerSecond)} in, ${count(check.mix.statusPerSecond)} statuses, ${count(check.mix.outboundPerSecond)} sends; ${check.eventsPerRecorderBatch} events per recorder batch, ${check.commandsPerSenderBatch} commands per sender batch)`,
    renderLoads(check),
    `  at or above half of their limit: ${listed(over(check, 0.5))}`,
    `  busiest conversation: ${count(check.busiestConversation.eventsPerSecond)} events/s; one conversation is recorded in order at up to ${count(check.busiestConversation.recorderLaneEventsPerSecond)} events/s (a batch of ${RECORDER_BATCH} per recorder batch time), beyond which its own events wait in its FIFO group`,
    `  with ingress 'function-urls' instead (no API Gateway; each webhook reserves ${urls.deployment.webhookReservedConcurrency} environments): ${webhook ? `${webhook.resource} ${count(webhook.rate)} requests/s of ${count(webhook.limit)}, ${percent(webhook.utilisation)}, runs out at ${atRate(webhook.runsOutAt)} messages/s` : 'no webhook load'}; ${lambda(urls)}, the ${urls.deployment.webhookFunctions} webhooks' reservations included; $${urls.dollarsPerMillion} per million`,
    `  with the helpdesk API deployed (helpdeskApi) and every send made through it: ${listed(api.loads.filter((entry) => ['apiGatewayAccount', 'helpdeskApiRoute'].includes(entry.quota)))}; the send route runs out at ${atRate(api.loads.find((entry) => entry.quota === 'helpdeskApiRoute')?.runsOutAt ?? Number.POSITIVE_INFINITY)} messages/s; first to run out: ${api.first.resource} at ${atRate(api.first.atMessagesPerSecond)} messages/s; $${api.dollarsPerMillion} per million (a send $${outboundCost('full', durations, built, 'helpdesk-api').dollarsPerMillion} per million in full batches, against $${outboundCost('full').dollarsPerMillion} put on the outbox)`,
    `\n  The same 1,000 messages/s with the least raised for every load a deployment can raise to stay under half of its limit: ${raised.deployment.whatsappNumbers} WhatsApp numbers, senderMaxConcurrency ${raised.deployment.senderMaxConcurrency}, mediaFetcherMaxConcurrency ${raised.deployment.fetcherMaxConcurrency} (function URLs: webhookReservedConcurrency ${scale.raisedWebhookReservedConcurrency}, and then ${lambda(urlsRaised)}, its ${urlsRaised.deployment.webhookFunctions} webhooks reserving ${count(urlsRaised.deployment.webhookFunctions * urlsRaised.deployment.webhookReservedConcurrency)}; at or above half then: ${listed(over(urlsRaised, 0.5))}); highest then: ${raised.highest.resource} ${percent(raised.highest.utilisation)}; at or above half: ${listed(over(raised, 0.5))}; first to run out then: ${raised.first.resource} at ${atRate(raised.first.atMessagesPerSecond)} messages/s; ${nextAfterPairRate(raised)}; $${raised.dollarsPerMillion} per million`,
  ];
};

const calls = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .map(([name, value]) => `${value} ${name}`)
    .join(' + ') || 'none';

/** Inbound media: cost per message with an image, the webhook's answer with and without, fetcher memory. */
const renderMedia = (media: MediaBenchResult): string[] => {
  const { cost, ack, memory } = media;
  const per = cost.perAttachment;
  return [
    `\n9. Inbound media: ${cost.messages} WhatsApp messages with one ${Math.round(cost.imageBytes / 1024)} KB image, webhook → recorder → media fetcher → media_stored over the emulators, every call counted (fetcher priced at ${cost.fetcherMs.priced} ms: stated for AWS ${cost.fetcherMs.statedForAws} ms, measured here ${cost.fetcherMs.measuredMedian} ms)`,
    table(
      ['media path, per attachment', 'calls or units', '$ per million'],
      cost.media.lines.map((line) => [line.item, line.perMessage, `$${line.dollarsPerMillion}`]),
    ),
    `  media path $${cost.media.dollarsPerMillion} + the message itself $${cost.message.httpApi} (HTTP API) / $${cost.message.functionUrls} (function URLs) = **$${cost.total.httpApi} / $${cost.total.functionUrls} per million messages with an image**`,
    `  the message (as the AWS section costs an inbound chat message, WhatsApp only, five per conversation): ${cost.message.lines.map((line) => `${line.item} $${line.dollarsPerMillion}`).join('; ')}`,
    `  calls per attachment: recorder ${per.mediaQueueSendMessageBatch} SendMessageBatch; fetcher ${per.getItem} GetItem + ${per.updateItem} UpdateItem (${per.readUnits} read, ${per.writeUnits} write units) + ${per.putObject} PutObject + ${per.multipartRequests} multipart + ${per.helpdeskSendMessageBatch} SendMessageBatch + ${per.changeMessageVisibility} ChangeMessageVisibility; committed row (tests/bench/media-attachment-counts.test.ts): ${mark(cost.matchesCommittedCounts)}`,
    `  storage, kept the payload bucket's 30 days: ${cost.storage.s3GbPerMillion} GB per million images, $${cost.storage.s3DollarsPerMillion} a month at $${PRICES.s3StandardPerGbMonth}/GB-month; claim items ${cost.storage.claimItemBytes} bytes each, $${cost.storage.dynamoDollarsPerMillion} a month per million at $${PRICES.dynamoPerGbMonth}/GB-month`,
    `\n  Webhook answer with and without an image (same process, ${ack.requestsEach} new messages each, alternating; the signed SendMessageBatch to the local ingest queue included)`,
    table(
      ['WhatsApp webhook', 'median ms', 'p95 ms', 'AWS calls per answer'],
      [
        ['text', ack.withoutMedia.medianMs, ack.withoutMedia.p95Ms, calls(ack.awsCallsPerAck.withoutMedia)],
        ['image', ack.withMedia.medianMs, ack.withMedia.p95Ms, calls(ack.awsCallsPerAck.withMedia)],
      ],
    ),
    `  image / text: median ${ack.medianRatio}×, p95 ${ack.p95Ratio}×; provider requests while answering: ${ack.providerRequests}`,
    `\n  Media fetcher memory (the deployed bundle in a fresh Node process per file, limit ${memory.memoryLimitMb} MB): 100 MB document within it: ${mark(memory.hugeWithinLimit)}`,
    table(
      [
        'file',
        'bytes',
        'RSS after import MiB',
        'peak RSS MiB',
        'growth MiB',
        'of the limit',
        'invocation ms',
        'stored intact',
      ],
      memory.runs.map((run) => [
        run.file,
        run.bytes,
        run.afterImportMb,
        run.peakMb,
        run.growthMb,
        percent(run.peakMb / memory.memoryLimitMb),
        run.invocationMs,
        mark(run.storedIntact),
      ]),
    ),
    `  peak from the ${memory.runs[0]?.peakFrom ?? 'kernel high-water mark'}`,
  ];
};

const mark = (ok: boolean | null): string => (ok === null ? '–' : ok ? 'yes' : 'NO');

/** `name value<unit>` pairs, largest first, as one phrase ('none measured' when there are none). */
const shares = (values: Readonly<Record<string, number>>, unit: string): string =>
  Object.entries(values)
    .sort((a, b) => b[1] - a[1])
    .map(([name, value]) => `${name} ${value}${unit}`)
    .join(', ') || 'none measured';

/** An end-to-end phase's cells that today's bench and the commit baseline's both measure. */
const phaseCells = (label: string, phase: CommitPhase): Row => [
  label,
  `${phase.accepted}/${phase.requests}`,
  `${phase.arrivedEvents}/${phase.expectedEvents}`,
  `${phase.ackP50Ms} / ${phase.ackP99Ms}`,
  `${phase.toHelpdeskP50Ms} / ${phase.toHelpdeskP99Ms}`,
  phase.acceptedPerSecond,
  phase.eventsPerSecond,
];

/** The scale baseline's phases, as rows of the end-to-end table (its CPU is per run, not per phase). */
const commitRows = (atCommit: CommitBaseline | undefined): Row[] =>
  atCommit && !('skipped' in atCommit)
    ? atCommit.phases.map((phase) => [
        ...phaseCells(`${phase.phase}, at ${atCommit.commit.slice(0, 7)}`, phase),
        '–',
        '–',
      ])
    : [];

const commitNote = (atCommit: CommitBaseline | undefined): string[] => {
  if (!atCommit) return [];
  const commit = atCommit.commit.slice(0, 7);
  return 'skipped' in atCommit
    ? [`  at ${commit} (the code before the scale work): skipped, ${atCommit.skipped}`]
    : [
        `  at ${commit} = the code before the scale work, its own bench run in a worktree of that commit in this run, first (a child process: ${(atCommit.cpuMs / 1000).toFixed(1)} s of CPU for both phases, start-up and waits included)`,
      ];
};

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
    const then = webhook.atCommit;
    if (then && 'skipped' in then)
      parts.push(
        `  the code the cold-start issue measured (${then.commit.slice(0, 7)}): skipped, ${then.skipped}`,
      );
    else if (then) {
      const thenOf = new Map(then.channels.map((channel) => [channel.channel, channel]));
      parts.push(
        `  the code the cold-start issue measured (${then.commit.slice(0, 7)}, its own bench and samples, in a child process after today's; each against the floor of its own process):`,
        table(
          [
            'channel',
            'samples then',
            'median µs then',
            'median ratio then',
            'samples now',
            'median µs now',
            'median ratio now',
          ],
          webhook.channels.map((channel): Row => {
            const old = thenOf.get(channel.channel);
            return [
              channel.channel,
              old?.samples ?? '–',
              old?.medianFullCpuMicros ?? '–',
              old ? `${old.medianRatio}×` : '–',
              channel.samples,
              channel.medianFullCpuMicros,
              `${channel.medianRatio}×`,
            ];
          }),
        ),
      );
    }
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
      bundle.deployedWithSourceMaps === undefined
        ? '–'
        : bundle.deployedWithSourceMaps
          ? 'source maps'
          : 'plain',
      bundle.rssMb,
      bundle.rssAboveBareMb,
      times(bundle.sizeVsFloor),
      times(bundle.importVsFloor),
      times(bundle.importCpuVsFloor),
      times(bundle.rssVsFloor),
      times(bundle.importVsLimit),
      bundle.firstRequestAboveBareMs ?? '–',
      bundle.firstRequestCpuAboveBareMs ?? '–',
      times(bundle.firstRequestVsLimit),
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
          'deployed',
          'RSS MB',
          'RSS above bare MB',
          'size × floor',
          'import × floor',
          'CPU × floor',
          'RSS × floor',
          'import × limit',
          'import + first request above bare ms',
          'its CPU above bare ms',
          'first request × limit',
          '≤ 250 KB',
          '≤ 60 ms',
        ],
        [
          ...(cold.limit ? [row(cold.limit, '(limit)')] : []),
          ...(cold.emailLimit ? [row(cold.emailLimit, '(e-mail limit)')] : []),
          ...(floor ? [row(floor, '(stack floor)')] : []),
          ...cold.bundles.map((bundle) => row(bundle, bundle.function)),
        ],
      ),
    );
    if (floor)
      parts.push(
        `  stack floor = ${floor.entry}: valibot parse + signed SQS SendMessageBatch, bundled like the functions; limit = ${cold.limit?.entry ?? '–'}: HMAC + JSON.parse + the signed request, no validation library; × floor = this bundle over it (import and RSS above bare node); import + first request = a fresh process that imports the bundle and hands its handler one real invocation (bench/first-request.ts: a signed sample for a webhook, answered 200 after its SendMessageBatch reached the local SQS server), run as deployed; source maps = under --enable-source-maps, as HubFunction runs every function but the webhooks (deployed: which of the two import figures is the deployed one)`,
      );
  }
  const mailgun = cold?.bundles.find((bundle) => bundle.function === 'webhook-email-mailgun');
  if (cold?.emailLimit && mailgun)
    parts.push(
      `  e-mail limit = ${cold.emailLimit.entry}: the form's fields, the HMAC, the replay guard's PutItem, postal-mime, the raw mail's PutObject and one SendMessageBatch, no validation library, handed the Mailgun webhook's own first request; the Mailgun webhook over it: import ${mailgun.importVsEmailLimit ?? '–'}×, import + first request ${mailgun.firstRequestVsEmailLimit ?? '–'}×`,
    );
  const baseline = cold?.baseline;
  if (cold && baseline) {
    if ('skipped' in baseline)
      parts.push(
        `\n  Against the code the cold-start issue measured (${baseline.commit.slice(0, 7)}): skipped, ${baseline.skipped}`,
      );
    else {
      const now = new Map(cold.bundles.map((bundle) => [bundle.function, bundle]));
      const times = (value: number | undefined): string => (value === undefined ? '–' : `${value}×`);
      parts.push(
        `\n2b. Against the code the cold-start issue measured (${baseline.commit.slice(0, 7)}, bundled by its own bench in this run, measured in turns with today's; the issue's marks, 15 of its ~104 ms import and 35 of its ~140 ms import + first send, are ${round(ISSUE_MARKS.import, 3)}× and ${round(ISSUE_MARKS.firstRequest, 3)}× of that code)`,
        table(
          [
            'function',
            'KB then',
            'KB now',
            'import above bare ms, then',
            'now',
            'now × then',
            `≤ ${round(ISSUE_MARKS.import, 3)}×`,
            'import + first request above bare ms, then',
            'now',
            'now × then',
            `≤ ${round(ISSUE_MARKS.firstRequest, 3)}×`,
          ],
          baseline.bundles.map((then): Row => {
            const name = then.function.split('@')[0] ?? then.function;
            const bundle = now.get(name);
            return [
              name,
              then.kb,
              bundle?.kb ?? '–',
              then.importAboveBareMs,
              bundle?.importAboveBareMs ?? '–',
              times(bundle?.importVsBaseline),
              mark(bundle?.meetsIssueImportMark ?? null),
              then.firstRequestAboveBareMs ?? '–',
              bundle?.firstRequestAboveBareMs ?? '–',
              times(bundle?.firstRequestVsBaseline),
              mark(bundle?.meetsIssueFirstRequestMark ?? null),
            ];
          }),
        ),
      );
    }
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
          'CPU ms/event (main thread)',
          'cores could carry, events/s',
        ],
        [
          ...commitRows(e2e.atCommit),
          ...e2e.phases.map((phase) => [
            ...phaseCells(phase.phase, phase),
            `${phase.cpuMsPerEvent} (${phase.mainThreadCpuMsPerEvent ?? '–'})`,
            phase.capacityEventsPerSecond,
          ]),
        ],
      ),
      ...commitNote(e2e.atCommit),
      ...e2e.phases.flatMap((phase) =>
        phase.threadCpuPercent
          ? [`  ${phase.phase}, the hub's threads' CPU: ${shares(phase.threadCpuPercent, '%')}`]
          : [],
      ),
    );
  }
  const cost = report.awsCost;
  if (cost) {
    parts.push(
      `\n4. AWS cost per 1 million messages (${cost.pricesSource}; ${cost.lambdaPricing})`,
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
  if (report.scale) parts.push(...renderScale(report.scale));
  if (report.linearTime) {
    const linear = report.linearTime;
    parts.push(
      `\n6. Linear time on hostile provider text (${linear.measured} function × input pairs; 400 KB over 100 KB, 4× linear, 16× quadratic; the test fails above 8×). The review's "Hello" + 400,000 spaces + "world": ${linear.reviewCaseMs} ms (was ~30 s)`,
      table(
        ['function', 'hostile input', '100 KB ms', '400 KB ms', 'ratio'],
        linear.worst.map((row) => [row.subject, row.text, row.smallMs, row.largeMs, `${row.ratio}×`]),
      ),
    );
  }
  if (report.api) {
    const api = report.api;
    parts.push(
      `\n7. Helpdesk API on the local hub (${api.conversations} conversations × ${api.messagesPerConversation} messages, ${api.requestsPerEndpoint} sequential requests each; baseline: the OpenAPI document, no DynamoDB, p50 ${api.baselineP50Ms} ms, p99 ${api.baselineP99Ms} ms). Units as the local DynamoDB reports them, per request`,
      table(
        ['endpoint', 'p50 ms', 'p99 ms', 'p50 / baseline', 'DynamoDB calls', 'read units', 'write units'],
        api.rows.map((row) => [
          row.endpoint,
          row.p50Ms,
          row.p99Ms,
          `${row.p50VsBaseline}×`,
          Object.entries(row.dynamoCallsPerRequest)
            .map(([name, count]) => `${count} ${name}`)
            .join(' + '),
          row.readUnitsPerRequest,
          row.writeUnitsPerRequest,
        ]),
      ),
    );
  }
  if (report.outbound) {
    const out = report.outbound;
    parts.push(
      `\n8. Outbound on the local hub: ${out.commands} replies over ${out.conversations} WhatsApp conversations on ${out.businessNumbers} business numbers, ${out.senderEnvironments} sender environments, after ${out.warmUp.commands} replies that warm the hub up (on the fresh hub: ${out.warmUp.commandsPerSecond} commands/s, ${out.warmUp.cpuMsPerCommand} ms of CPU per command), every command to its outcome event: ${out.seconds} s, ${out.commandsPerSecond} commands/s (${out.sent} sent, ${out.failed} failed); ${out.cpuMsPerCommand} ms of CPU per command with its statuses, so at most ${out.capacityCommandsPerSecond} commands/s on this machine's cores (target 200), by thread (ms per command) ${shares(out.threadCpuMsPerCommand, '')}, AWS calls per command ${Object.entries(
        out.awsCommandsPerCommand,
      )
        .map(([name, count]) => `${count} ${name}`)
        .join(
          ', ',
        )}; the same run before (DynamoDB emulator on the main thread, 4 outbox batches at once): ${out.baseline.seconds} s, ${out.baseline.commandsPerSecond} commands/s (${out.baseline.sent} sent), ${out.baseline.cpuMsPerCommand} ms of CPU per command (its warm-up: ${out.baseline.warmUp.commandsPerSecond} commands/s, ${out.baseline.warmUp.cpuMsPerCommand} ms)`,
      `  AWS cost per send from counted calls (tests/bench/outbound-send-counts.test.ts): $${outboundCost('full').dollarsPerMillion} per million in full batches, $${outboundCost('trickle').dollarsPerMillion} one command per batch (target $2.50)`,
    );
  }
  if (report.media) parts.push(...renderMedia(report.media));
  return parts.join('\n');
};

/** The media section's own file: a run of it alone replaces no other section's results. */
export const writeMediaReport = (report: BenchReport, directory: string): string => {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, report.quick ? 'media-latest-quick.json' : 'media-latest.json');
  writeFileSync(
    file,
    `${JSON.stringify({ machine: report.machine, quick: report.quick, media: report.media }, null, 2)}\n`,
  );
  return file;
};

/** The run's closing lines: the files it wrote, or none at all when it wrote none (a scale-only run). */
export const writtenLines = (files: readonly string[]): string[] =>
  files.length > 0 ? ['', `written: ${files.join(', ')}`] : [];

/**
 * Where a run's report goes: a whole run is the new record (`latest.json` and a dated copy); a run of
 * some sections (`--only`) writes a file of its own, named by its date and sections, and leaves the
 * record whole, which the scale model and its tests read (until 2026-12-07 such a run wrote over
 * `latest.json` with its sections alone).
 */
export const reportPaths = (
  report: Pick<BenchReport, 'machine' | 'quick'>,
  directory: string,
  only: readonly string[] = [],
): string[] => {
  const day = report.machine.date.slice(0, 10);
  // Quick runs' files end in `quick.json`, which git ignores.
  const quick = report.quick ? '-quick' : '';
  if (only.length > 0) return [join(directory, `${day}-only-${[...only].sort().join('+')}${quick}.json`)];
  return [join(directory, `latest${quick}.json`), join(directory, `${day}${quick}.json`)];
};

export const writeReport = (
  report: BenchReport,
  directory: string,
  only: readonly string[] = [],
): string[] => {
  mkdirSync(directory, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const paths = reportPaths(report, directory, only);
  for (const path of paths) writeFileSync(path, json);
  return paths;
};

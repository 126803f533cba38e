import { availableParallelism } from 'node:os';
import { awsCommandCounts, resetAwsCommandCounts } from '#shared/local/aws-command-counter.ts';
import { type LocalHubOptions, startLocalHub } from '#shared/local/hub.ts';
import {
  collectSamples,
  DEFAULT_EVENTS_DIR,
  type OutgoingRequest,
  type Sample,
  signedRequestFor,
} from '#shared/local/samples.ts';
import { type CommitBaseline, runCommitBaseline } from './commit-baseline.ts';
import { copyable, expectedEvents } from './expected-events.ts';
import { type PostTiming, postAtRate, postFlatOut, startHelpdeskConsumer, waitForArrivals } from './load.ts';
import { percentile, round } from './stats.ts';
import { type CpuReading, cpuSince, readCpu, threadCpuPer } from './thread-cpu.ts';
import { uniqueCopy } from './unique-copies.ts';
import { BENCH_SECRETS } from './webhook-path.ts';

export interface PhaseResult {
  readonly phase: string;
  readonly requests: number;
  readonly accepted: number;
  readonly expectedEvents: number;
  readonly arrivedEvents: number;
  readonly ackP50Ms: number;
  readonly ackP99Ms: number;
  readonly toHelpdeskP50Ms: number;
  readonly toHelpdeskP99Ms: number;
  /** Requests acknowledged per second, first post to last answer. */
  readonly acceptedPerSecond: number;
  /** Events on the helpdesk queue per second, first post to last arrival. */
  readonly eventsPerSecond: number;
  /** Process CPU (all threads: hub, emulators, functions, load generator) per event that arrived. */
  readonly cpuMsPerEvent: number;
  /**
   * The main thread's CPU per event (HTTP API, fauxqs, pollers, load generator, and before
   * December 2026 the DynamoDB emulator); Linux only.
   */
  readonly mainThreadCpuMsPerEvent?: number;
  /**
   * Events per second this machine's cores could carry at these CPU costs, were nothing else
   * running: the lesser of all cores over the process's cost and one core over the main thread's.
   */
  readonly capacityEventsPerSecond: number;
  /** AWS SDK commands the hub's clients sent (webhooks + recorder), from awsCommandCounts(). */
  readonly awsCommands: Readonly<Record<string, number>>;
  /**
   * Each thread's share of the hub's threads' CPU over the phase, to (about) the last arrival
   * (per cent; main: HTTP API, fauxqs, pollers and this benchmark's own load).
   */
  readonly threadCpuPercent?: Readonly<Record<string, number>>;
}

export interface EndToEndResult {
  readonly mix: Readonly<Record<string, number>>;
  readonly samplesSentOnceOnly: readonly string[];
  readonly phases: readonly PhaseResult[];
  /** Peak resident memory of the whole process (hub, emulators, load generator) by the end of the run. */
  readonly peakRssMb: number;
  /**
   * The same bench as the code before the scale work ran it, in this run (bench/commit-baseline.ts);
   * not in a quick run.
   */
  readonly atCommit?: CommitBaseline;
}

interface Job {
  readonly request: OutgoingRequest;
  readonly eventIds: readonly string[];
}

const CONVERSATIONS = 200;

/**
 * The local hub as it ran until December 2026: DynamoDB's emulator on the main thread, beside the
 * HTTP API, fauxqs, the pollers and this benchmark's own load; 4 batches in hand per event source;
 * every SDK request signed.
 */
const BASELINE_HUB = { dynamoInThread: false, eventSourceConcurrency: 4, placeholderSigning: false } as const;

interface HubRun {
  readonly label: string;
  readonly settings: Partial<LocalHubOptions>;
  readonly plans: readonly {
    readonly phase: string;
    readonly count: number;
    readonly send: (requests: OutgoingRequest[]) => Promise<PostTiming[]>;
  }[];
}

const buildJobs = async (samples: readonly Sample[], count: number, offset: number, baseUrl: string) => {
  const jobs: Job[] = [];
  for (let index = 0; index < count; index++) {
    const source = samples[index % samples.length] as Sample;
    const copy = uniqueCopy(source, offset + index, (offset + index) % CONVERSATIONS);
    const request = signedRequestFor(copy, { targetBaseUrl: baseUrl, secrets: BENCH_SECRETS });
    jobs.push({ request, eventIds: (await expectedEvents(copy)).map((event) => event.id) });
  }
  return jobs;
};

const summarizePhase = (
  phase: string,
  jobs: readonly Job[],
  timings: readonly PostTiming[],
  arrivals: ReadonlyMap<string, number>,
  cpu: CpuReading,
): PhaseResult => {
  const acks = timings.map((timing) => timing.ackedAt - timing.sentAt);
  const toHelpdesk: number[] = [];
  let lastArrival = 0;
  for (const [index, job] of jobs.entries()) {
    const sentAt = timings[index]?.sentAt ?? 0;
    for (const id of job.eventIds) {
      const arrivedAt = arrivals.get(id);
      if (arrivedAt === undefined) continue;
      toHelpdesk.push(arrivedAt - sentAt);
      lastArrival = Math.max(lastArrival, arrivedAt);
    }
  }
  const firstSent = Math.min(...timings.map((timing) => timing.sentAt));
  const lastAck = Math.max(...timings.map((timing) => timing.ackedAt));
  const accepted = timings.filter((timing) => timing.status >= 200 && timing.status < 300).length;
  const perEvent = (ms: number) => (toHelpdesk.length > 0 ? ms / toHelpdesk.length : Number.NaN);
  const processPerEvent = perEvent(cpu.processMs);
  const mainPerEvent = cpu.threadMs === undefined ? undefined : perEvent(cpu.threadMs);
  const capacity = Math.min(
    (1000 * availableParallelism()) / processPerEvent,
    mainPerEvent === undefined ? Number.POSITIVE_INFINITY : 1000 / mainPerEvent,
  );
  return {
    phase,
    requests: jobs.length,
    accepted,
    expectedEvents: jobs.reduce((total, job) => total + job.eventIds.length, 0),
    arrivedEvents: toHelpdesk.length,
    ackP50Ms: round(percentile(acks, 0.5), 1),
    ackP99Ms: round(percentile(acks, 0.99), 1),
    toHelpdeskP50Ms: round(percentile(toHelpdesk, 0.5), 1),
    toHelpdeskP99Ms: round(percentile(toHelpdesk, 0.99), 1),
    acceptedPerSecond: round((accepted * 1000) / (lastAck - firstSent), 1),
    eventsPerSecond: round((toHelpdesk.length * 1000) / (Math.max(lastArrival, lastAck) - firstSent), 1),
    cpuMsPerEvent: round(processPerEvent, 2),
    ...(mainPerEvent === undefined ? {} : { mainThreadCpuMsPerEvent: round(mainPerEvent, 2) }),
    capacityEventsPerSecond: round(capacity, 0),
    awsCommands: awsCommandCounts(),
  };
};

export const runEndToEnd = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<EndToEndResult> => {
  const steadyCount = quick ? 300 : 1500;
  const burstCount = quick ? 500 : 3000;
  const { samples } = collectSamples([DEFAULT_EVENTS_DIR]);
  const copyableSamples: Sample[] = [];
  const onceOnly: string[] = [];
  for (const sample of samples) {
    if (await copyable(sample, (source, copy) => uniqueCopy(source, copy, copy)))
      copyableSamples.push(sample);
    else onceOnly.push(sample.name);
  }
  const mix: Record<string, number> = {};
  for (const sample of copyableSamples) mix[sample.channel] = (mix[sample.channel] ?? 0) + 1;

  // The same load first against the hub as it ran before (the same-run baseline), then against
  // today's; ids never repeat across phases, so each hub sees fresh events.
  const plans: HubRun['plans'] = [
    { phase: 'steady 100/s', count: steadyCount, send: (requests) => postAtRate(requests, 100) },
    { phase: 'full speed (16 in flight)', count: burstCount, send: (requests) => postFlatOut(requests, 16) },
  ];
  const runs: readonly HubRun[] = [
    { label: 'before', settings: BASELINE_HUB, plans },
    {
      label: 'now',
      settings: {},
      plans,
    },
  ];
  // The code as it was before the scale work, first: its own bench in a worktree of that commit.
  const atCommit = quick ? undefined : await runCommitBaseline(progress);
  if (atCommit && 'skipped' in atCommit)
    progress(`  at ${atCommit.commit.slice(0, 7)}: skipped, ${atCommit.skipped}`);
  const phases: PhaseResult[] = [];
  let offset = 1000;
  for (const run of runs) {
    const hub = await startLocalHub({
      inMemory: true,
      port: 0,
      pollWaitSeconds: 1,
      countAwsCommands: true,
      // Its calls are per minute, not per message: left out of the per-message counts (README: the sweeper).
      attentionSweepIntervalMs: false,
      ...run.settings,
    });
    const consumer = startHelpdeskConsumer(hub);
    try {
      for (const plan of run.plans) {
        const jobs = await buildJobs(copyableSamples, plan.count, offset, hub.urls.base);
        offset += plan.count;
        resetAwsCommandCounts();
        const cpuAtStart = readCpu();
        const threadsAtStart = await hub.threadCpuMicros();
        progress(`  ${plan.phase}, ${run.label}: ${jobs.length} requests…`);
        const timings = await plan.send(jobs.map((job) => job.request));
        // CPU up to the last arrival: the quiet wait after it is no event's cost. The threads'
        // readings are asynchronous (the emulator's thread answers a message): one at a time,
        // the last one started at or just before the last arrival.
        let cpuToLastArrival = cpuSince(cpuAtStart);
        let threadsAtLastArrival = threadsAtStart;
        let threadReading: Promise<void> | undefined;
        await waitForArrivals(
          consumer.arrivals,
          jobs.flatMap((job) => job.eventIds),
          quick ? 60_000 : 180_000,
          undefined,
          () => {
            cpuToLastArrival = cpuSince(cpuAtStart);
            threadReading ??= hub.threadCpuMicros().then((reading) => {
              threadsAtLastArrival = reading;
              threadReading = undefined;
            });
          },
        );
        await threadReading;
        const threads = threadCpuPer(threadsAtStart, threadsAtLastArrival, 1);
        const threadsTotal = Object.values(threads).reduce((total, ms) => total + ms, 0);
        const result = {
          ...summarizePhase(
            `${plan.phase}, ${run.label}`,
            jobs,
            timings,
            consumer.arrivals,
            cpuToLastArrival,
          ),
          ...(threadsTotal > 0
            ? {
                threadCpuPercent: Object.fromEntries(
                  Object.entries(threads).map(([thread, ms]) => [
                    thread,
                    round((100 * ms) / threadsTotal, 1),
                  ]),
                ),
              }
            : {}),
        };
        phases.push(result);
        progress(
          `  ${result.phase}: ack p50 ${result.ackP50Ms} ms p99 ${result.ackP99Ms} ms; helpdesk p50 ${result.toHelpdeskP50Ms} ms p99 ${result.toHelpdeskP99Ms} ms; ${result.eventsPerSecond} events/s (${result.arrivedEvents}/${result.expectedEvents}); CPU per event ${result.cpuMsPerEvent} ms, main thread ${result.mainThreadCpuMsPerEvent ?? '?'} ms`,
        );
      }
    } finally {
      await consumer.stop();
      await hub.stop();
    }
  }
  // maxRSS is in kilobytes.
  const peakRssMb = round(process.resourceUsage().maxRSS / 1024, 1);
  return { mix, samplesSentOnceOnly: onceOnly, phases, peakRssMb, ...(atCommit ? { atCommit } : {}) };
};

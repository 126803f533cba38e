import {
  collectSamples,
  DEFAULT_EVENTS_DIR,
  type Sample,
  type SampleChannel,
} from '#shared/local/samples.ts';
import { type CommitWebhookCost, runCommitWebhookCost } from './commit-baseline.ts';
import { floorFor } from './floor.ts';
import { messengerBatchSample, whatsappBatchSample } from './meta-batch.ts';
import { median, round } from './stats.ts';
import { type TimingPlan, timeInterleaved } from './timing.ts';
import { fullWebhookPath, signSample } from './webhook-path.ts';

export interface SampleCost {
  readonly sample: string;
  readonly channel: SampleChannel;
  readonly bytes: number;
  readonly statusCode: number;
  readonly events: number;
  readonly sendMessageBatchRequests: number;
  /** CPU microseconds per request (median of rounds). */
  readonly floorCpuMicros: number;
  readonly fullCpuMicros: number;
  readonly floorWallMicros: number;
  readonly fullWallMicros: number;
  /** full / floor, CPU time. */
  readonly ratio: number;
}

export interface ChannelCost {
  readonly channel: SampleChannel;
  readonly samples: number;
  readonly medianRatio: number;
  readonly worstRatio: number;
  readonly worstSample: string;
  readonly medianFullCpuMicros: number;
  /** ≤ 3× the floor for chat channels; none for e-mail. */
  readonly target: number | null;
  readonly meetsTarget: boolean | null;
}

export interface WebhookCostResult {
  readonly plan: TimingPlan;
  readonly samples: readonly SampleCost[];
  readonly channels: readonly ChannelCost[];
  readonly batches: readonly (SampleCost & { readonly cpuMicrosPerItem: number })[];
  /**
   * The code the cold-start issue measured (its "today 4.6–7.2×"), its own bench in a child process
   * after today's, each ratio against the floor measured in that process, over that code's samples.
   */
  readonly atCommit?: CommitWebhookCost;
}

const CHAT_TARGET = 3;
const CHAT_CHANNELS: readonly SampleChannel[] = ['messenger', 'whatsapp', 'sms'];

const measureSample = async (sample: Sample, plan: TimingPlan): Promise<SampleCost> => {
  const signed = signSample(sample);
  const path = fullWebhookPath(sample.channel, signed.outgoing.url);
  const floor = floorFor(signed);
  // One checked call first: a benchmark of a rejected request would measure the wrong thing.
  const response = await path.run(signed.request);
  const events = path.queue.sent.entries;
  const requests = path.queue.sent.requests;
  const [floorTiming, fullTiming] = await timeInterleaved([floor, () => path.run(signed.request)], plan);
  if (!floorTiming || !fullTiming) throw new Error('timing missing');
  return {
    sample: sample.name,
    channel: sample.channel,
    bytes: signed.outgoing.body.length,
    statusCode: response.statusCode,
    events,
    sendMessageBatchRequests: requests,
    floorCpuMicros: round(floorTiming.cpuMicros, 1),
    fullCpuMicros: round(fullTiming.cpuMicros, 1),
    floorWallMicros: round(floorTiming.wallMicros, 1),
    fullWallMicros: round(fullTiming.wallMicros, 1),
    ratio: round(fullTiming.cpuMicros / floorTiming.cpuMicros, 2),
  };
};

const summarize = (channel: SampleChannel, costs: readonly SampleCost[]): ChannelCost => {
  const ratios = costs.map((cost) => cost.ratio);
  const worst = costs.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const target = CHAT_CHANNELS.includes(channel) ? CHAT_TARGET : null;
  const medianRatio = round(median(ratios), 2);
  return {
    channel,
    samples: costs.length,
    medianRatio,
    worstRatio: worst.ratio,
    worstSample: worst.sample,
    medianFullCpuMicros: round(median(costs.map((cost) => cost.fullCpuMicros)), 1),
    target,
    meetsTarget: target === null ? null : medianRatio <= target,
  };
};

export const runWebhookCost = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<WebhookCostResult> => {
  const plan: TimingPlan = quick
    ? { rounds: 3, roundMs: 8, warmupMs: 10 }
    : { rounds: 9, roundMs: 25, warmupMs: 40 };
  const { samples } = collectSamples([DEFAULT_EVENTS_DIR]);
  const costs: SampleCost[] = [];
  for (const sample of samples) {
    const cost = await measureSample(sample, plan);
    costs.push(cost);
    progress(`  ${cost.sample.padEnd(44)} ${String(cost.ratio).padStart(6)}×`);
  }
  const channels = (['messenger', 'whatsapp', 'sms', 'email'] as const)
    .map((channel) => costs.filter((cost) => cost.channel === channel))
    .filter((group) => group.length > 0)
    .map((group) => summarize(group[0]?.channel as SampleChannel, group));
  const batchPlan: TimingPlan = { ...plan, roundMs: plan.roundMs * 8 };
  const batches = [];
  for (const sample of [messengerBatchSample(), whatsappBatchSample()]) {
    const cost = await measureSample(sample, batchPlan);
    batches.push({ ...cost, cpuMicrosPerItem: round(cost.fullCpuMicros / Math.max(1, cost.events), 2) });
    progress(`  ${cost.sample.padEnd(44)} ${String(cost.ratio).padStart(6)}×`);
  }
  progress('  the code the cold-start issue measured, its own bench…');
  const atCommit = await runCommitWebhookCost(quick);
  if ('skipped' in atCommit) progress(`  (the issue's code: ${atCommit.skipped})`);
  return { plan, samples: costs, channels, batches, atCommit };
};

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECRET_SECTIONS } from '#shared/channels/registry.ts';
import { MEDIA_FETCHER, RECORDER, SENDER } from '#shared/resources/definitions.ts';
import type { AwsCostResult } from './aws-cost.ts';
import { MEDIA_ATTACHMENT } from './media-path.ts';
import { PRICES } from './prices.ts';
import {
  type EventProfile,
  type InboundKind,
  inboundProfilesFrom,
  OUTBOUND_BATCH,
  OUTBOUND_PROFILE,
  OUTBOUND_SEND,
} from './scale-counts.ts';
import { QUOTAS, type Quota, type QuotaId } from './scale-quotas.ts';
import { round } from './stats.ts';

/**
 * The scale model: a traffic mix in, the rate every AWS resource of a deployment sees out, each
 * against its documented quota (bench/scale-quotas.ts), and the first to run out. Pure arithmetic
 * over the per-event calls the benchmark counts (bench/scale-counts.ts); nothing here calls AWS.
 */

export interface TrafficMix {
  /** Customer messages into the hub (chat and e-mail). */
  readonly inboundPerSecond: number;
  /** Provider status callbacks (sent, delivered, read, failed). */
  readonly statusPerSecond: number;
  /** `send_message` commands through the outbox. */
  readonly outboundPerSecond: number;
  readonly activeConversations: number;
  /** Share of all events that belong to the busiest conversation (0–1). */
  readonly busiestConversationShare: number;
  /** Share of inbound messages that are e-mail (0–1). */
  readonly emailShare: number;
  /** Share of inbound e-mails carrying an attachment stored in S3 with the raw mail. */
  readonly mediaShare: number;
  /** Share of chat messages carrying one attachment the media fetcher copies into S3 (0–1). */
  readonly chatMediaShare: number;
}

/**
 * Durations in AWS, stated (the local medians are measured on emulators over loopback, without
 * network round trips, and are used when larger): a webhook is one SendMessageBatch round trip plus
 * under a millisecond of CPU for chat (bench webhook section), an e-mail adds its S3 PUT; a recorder
 * batch is about four DynamoDB round trips per conversation (run concurrently) and a publish round;
 * a send waits on the provider's API.
 */
export const AWS_DURATIONS = {
  webhookMs: 30,
  emailWebhookMs: 60,
  recorderBatchMs: 100,
  senderCommandMs: 600,
  /**
   * One attachment copied by the media fetcher: the provider's lookup and download (100–300 ms
   * each from us-east-1 for an image), one S3 PUT, three DynamoDB calls, one SQS send.
   */
  mediaFetchMs: 500,
} as const;

/** Execution environments keep the provider secrets (and SQS/DynamoDB keep KMS data keys) five minutes. */
const CACHE_SECONDS = 300;
/** Queues a function touches with a customer-managed key: ingest, helpdesk, outbox. */
const QUEUES_TOUCHED = 3;
const SENDER_MEMORY_MB = 512;

export interface Load {
  readonly resource: string;
  readonly rate: number;
  readonly quota: QuotaId;
  /** rate / quota limit. */
  readonly utilisation: number;
}

export interface ScaleResult {
  readonly mix: TrafficMix;
  readonly messagesPerSecond: number;
  readonly webhookRequestsPerSecond: number;
  readonly concurrency: {
    readonly webhook: number;
    readonly recorder: number;
    readonly sender: number;
    readonly mediaFetcher: number;
  };
  readonly eventsPerRecorderBatch: number;
  readonly loads: readonly Load[];
  /** The load nearest its (non-transient) quota, and the total rate at which it reaches it. */
  readonly first: {
    readonly resource: string;
    readonly quota: QuotaId;
    readonly utilisation: number;
    readonly atMessagesPerSecond: number;
  };
  /**
   * The busiest conversation: its events per second, and how many one conversation can be recorded
   * at in order (a FIFO group runs one recorder batch at a time; not an AWS quota, ours).
   */
  readonly busiestConversation: {
    readonly eventsPerSecond: number;
    readonly recorderLaneEventsPerSecond: number;
  };
  readonly dollarsPerMillion: number;
}

export interface ModelInputs {
  readonly profiles: Record<InboundKind, EventProfile>;
  /** $ per million events of each inbound kind with full recorder batches and with batches of one. */
  readonly costs: Record<InboundKind, { readonly full: number; readonly trickle: number }>;
  readonly durations?: typeof AWS_DURATIONS;
}

const load = (resource: string, rate: number, quota: QuotaId): Load => ({
  resource,
  rate: round(rate, 2),
  quota,
  utilisation: rate / QUOTAS[quota].limit,
});

const lambdaDollars = (invocations: number, durationMs: number, memoryMb: number): number =>
  invocations *
  (PRICES.lambdaPerRequest +
    (memoryMb / 1024) * (Math.ceil(durationMs) / 1000) * PRICES.lambdaArmPerGbSecond);

/** Between two turns of one business number in one sender environment (WhatsApp's 80/s shared by 10): 125 ms. */
const SENDER_TURN_GAP_MS = (1000 * SENDER.maxConcurrency) / SENDER.endpointRatesPerSecond.whatsapp;

/**
 * One chat attachment in $ (bench/media-path.ts counts): the recorder's job to the media queue, the
 * event source's receive and delete (one job per invocation), the fetcher's Lambda time, its
 * DynamoDB units and S3 PUT, and media_stored to the helpdesk queue.
 */
const mediaDollars = (durations: typeof AWS_DURATIONS): number =>
  (MEDIA_ATTACHMENT.mediaQueueSendMessageBatch + 2 + MEDIA_ATTACHMENT.helpdeskSendMessageBatch) *
    PRICES.sqsFifoPerRequest +
  lambdaDollars(1, durations.mediaFetchMs, MEDIA_FETCHER.memoryMb) +
  MEDIA_ATTACHMENT.readUnits * PRICES.dynamoPerReadUnit +
  MEDIA_ATTACHMENT.writeUnits * PRICES.dynamoPerWriteUnit +
  (MEDIA_ATTACHMENT.putObject + MEDIA_ATTACHMENT.multipartRequests) * PRICES.s3PerPut;

export interface OutboundCost {
  /** Item, per send, $ per million sends. */
  readonly lines: ReadonlyArray<readonly [string, number, number]>;
  readonly dollarsPerMillion: number;
}

/**
 * One outbound send in $ per million: the sender's Lambda time (mostly the provider's answer), its
 * reads, writes and SQS calls. `full`: batches of SENDER.batchSize commands of as many conversations,
 * whose provider calls overlap (the batch's groups run concurrently), paced at one business number's
 * turns (the slowest case: all to one number), their events published in shared rounds. `trickle`:
 * every batch holds one command (600 ms of Lambda and two helpdesk requests per send).
 */
export const outboundCost = (
  batch: 'full' | 'trickle',
  durations: typeof AWS_DURATIONS = AWS_DURATIONS,
): OutboundCost => {
  const commands = batch === 'full' ? SENDER.batchSize : 1;
  const batchMs = durations.senderCommandMs + (commands - 1) * SENDER_TURN_GAP_MS;
  const helpdeskRequests =
    batch === 'full'
      ? OUTBOUND_BATCH.helpdeskSendMessageBatch / OUTBOUND_BATCH.commands
      : OUTBOUND_SEND.helpdeskSendMessageBatch;
  const lines: Array<[string, number, number]> = [
    ['sender Lambda requests', 1 / commands, PRICES.lambdaPerRequest],
    [
      'sender Lambda GB-s',
      (SENDER_MEMORY_MB / 1024) * (batchMs / commands / 1000),
      PRICES.lambdaArmPerGbSecond,
    ],
    ['DynamoDB read units', OUTBOUND_PROFILE.readUnits, PRICES.dynamoPerReadUnit],
    ['DynamoDB write units (GSI included)', OUTBOUND_PROFILE.writeUnits, PRICES.dynamoPerWriteUnit],
    // The helpdesk's SendMessage, the sender's receive and delete (per batch), its helpdesk publishes.
    ['SQS FIFO requests', 1 + 2 / commands + helpdeskRequests, PRICES.sqsFifoPerRequest],
  ];
  const costed = lines.map(
    ([item, perSend, price]) => [item, round(perSend, 4), round(perSend * price * 1e6, 3)] as const,
  );
  return {
    lines: costed,
    dollarsPerMillion: round(
      costed.reduce((total, [, , dollars]) => total + dollars, 0),
      2,
    ),
  };
};

export const modelScale = (mix: TrafficMix, inputs: ModelInputs): ScaleResult => {
  const durations = inputs.durations ?? AWS_DURATIONS;
  const { profiles } = inputs;
  const email = mix.inboundPerSecond * mix.emailShare;
  const chat = mix.inboundPerSecond - email;
  const rates: Record<InboundKind, number> = { chat, status: mix.statusPerSecond, email };
  const kinds = Object.keys(rates) as InboundKind[];
  const sum = (per: (profile: EventProfile, kind: InboundKind) => number): number =>
    kinds.reduce((total, kind) => total + rates[kind] * per(profiles[kind], kind), 0);

  const messagesPerSecond = mix.inboundPerSecond + mix.statusPerSecond + mix.outboundPerSecond;
  const ingestEvents = mix.inboundPerSecond + mix.statusPerSecond;
  const webhookRequests = sum((profile) => profile.webhookRequests);

  // Little's law: concurrency = arrivals per second × seconds each one takes.
  const webhookMs = (kind: InboundKind) =>
    Math.max(
      profiles[kind].measuredWebhookMs,
      kind === 'email' ? durations.emailWebhookMs : durations.webhookMs,
    );
  const webhookConcurrency = sum((profile, kind) => (profile.webhookRequests * webhookMs(kind)) / 1000);
  // The event source fills batches as far as the traffic allows within one batch's time.
  const eventsPerRecorderBatch = Math.min(
    RECORDER.batchSize,
    Math.max(1, (ingestEvents * durations.recorderBatchMs) / 1000),
  );
  // A FIFO event source has at most one batch in flight per message group (conversation).
  const recorderConcurrency = Math.min(
    mix.activeConversations,
    ((ingestEvents / eventsPerRecorderBatch) * durations.recorderBatchMs) / 1000,
  );
  const senderConcurrency = (mix.outboundPerSecond * durations.senderCommandMs) / 1000;
  const chatMedia = chat * mix.chatMediaShare;
  const fetcherConcurrency = (chatMedia * durations.mediaFetchMs) / 1000;
  const concurrency = webhookConcurrency + recorderConcurrency + senderConcurrency + fetcherConcurrency;

  const busiest = messagesPerSecond * mix.busiestConversationShare;
  // One FIFO group is recorded in order: at most a batch at a time.
  const laneEventsPerSecond = RECORDER.batchSize / (durations.recorderBatchMs / 1000);
  const writeUnits =
    sum((profile) => profile.writeUnits) +
    mix.outboundPerSecond * OUTBOUND_PROFILE.writeUnits +
    chatMedia * MEDIA_ATTACHMENT.writeUnits;
  const readUnits =
    sum((profile) => profile.readUnits) +
    mix.outboundPerSecond * OUTBOUND_PROFILE.readUnits +
    chatMedia * MEDIA_ATTACHMENT.readUnits;
  const helpdeskMessages =
    sum((profile) => profile.helpdeskMessages) +
    mix.outboundPerSecond * OUTBOUND_PROFILE.helpdeskMessages +
    chatMedia;
  const s3Puts =
    sum((profile) => profile.s3Puts) +
    email * mix.mediaShare +
    chatMedia * (MEDIA_ATTACHMENT.putObject + MEDIA_ATTACHMENT.multipartRequests);
  const environments = concurrency;

  const loads: Load[] = [
    load('API Gateway requests (account)', webhookRequests, 'apiGatewayAccount'),
    load('API Gateway requests (stage)', webhookRequests, 'apiGatewayStage'),
    load('Lambda concurrency, all hub functions', concurrency, 'lambdaConcurrency'),
    load('webhook environments started from idle', webhookConcurrency, 'lambdaScalingRate'),
    load(
      'ingest queue, busiest action (SendMessageBatch)',
      Math.max(
        sum((profile) => profile.ingestSendCalls),
        ingestEvents / eventsPerRecorderBatch,
      ),
      'sqsFifoHighThroughputPerAction',
    ),
    load(
      'helpdesk queue, busiest action',
      Math.max(
        sum((profile) => profile.helpdeskSendCalls) * (RECORDER.batchSize / eventsPerRecorderBatch) +
          mix.outboundPerSecond * OUTBOUND_PROFILE.helpdeskSendCalls +
          chatMedia * MEDIA_ATTACHMENT.helpdeskSendMessageBatch,
        helpdeskMessages / RECORDER.batchSize,
      ),
      'sqsFifoHighThroughputPerAction',
    ),
    load(
      'outbox queue, busiest action (SendMessage)',
      mix.outboundPerSecond,
      'sqsFifoHighThroughputPerAction',
    ),
    load(
      'media queue, busiest action (SendMessageBatch, receive)',
      chatMedia * Math.max(MEDIA_ATTACHMENT.mediaQueueSendMessageBatch, 1),
      'sqsFifoHighThroughputPerAction',
    ),
    load('ingest queue, busiest conversation group', busiest, 'sqsFifoPerMessageGroup'),
    load('DynamoDB write units, table (GSI included)', writeUnits, 'dynamoTableOnDemand'),
    load('DynamoDB write units, new table before it scales', writeUnits, 'dynamoNewTableWarm'),
    load('DynamoDB read units, table', readUnits, 'dynamoTableOnDemandRead'),
    load('DynamoDB read units, new table before it scales', readUnits, 'dynamoNewTableWarmRead'),
    // A conversation's item takes one write per event (items under 1 KB, measured); its index entries another, in the index's partition.
    load('DynamoDB write units, hottest partition (busiest conversation)', busiest, 'dynamoPartitionWrite'),
    load('S3 PUT (raw e-mail and attachments, one prefix)', s3Puts, 's3PutPerPrefix'),
    // One read per provider secret a function is given: at most all four (the sender's), counted for every environment.
    load(
      'Secrets Manager GetSecretValue',
      (environments * SECRET_SECTIONS.length) / CACHE_SECONDS,
      'secretsManagerGet',
    ),
    load(
      'KMS calls (customerManagedKey on)',
      (environments * QUEUES_TOUCHED) / CACHE_SECONDS,
      'kmsSymmetric',
    ),
  ];
  // A new table's instant capacity lifts as it scales: reported, but not a ceiling.
  const top = loads
    .filter((candidate) => !(QUOTAS[candidate.quota] as Quota).transient)
    .reduce((best, candidate) => (candidate.utilisation > best.utilisation ? candidate : best));

  const trickleWeight = (RECORDER.batchSize / eventsPerRecorderBatch - 1) / (RECORDER.batchSize - 1);
  const inboundDollars = kinds.reduce((total, kind) => {
    const cost = inputs.costs[kind];
    return total + rates[kind] * (cost.full + (cost.trickle - cost.full) * trickleWeight);
  }, 0);
  const dollarsPerSecond =
    inboundDollars / 1e6 +
    (mix.outboundPerSecond * outboundCost('full', durations).dollarsPerMillion) / 1e6 +
    email * mix.mediaShare * PRICES.s3PerPut +
    chatMedia * mediaDollars(durations);

  return {
    mix,
    messagesPerSecond,
    webhookRequestsPerSecond: round(webhookRequests, 1),
    concurrency: {
      webhook: round(webhookConcurrency, 1),
      recorder: round(recorderConcurrency, 1),
      sender: round(senderConcurrency, 1),
      mediaFetcher: round(fetcherConcurrency, 1),
    },
    eventsPerRecorderBatch: round(eventsPerRecorderBatch, 1),
    loads,
    busiestConversation: {
      eventsPerSecond: round(busiest, 2),
      recorderLaneEventsPerSecond: laneEventsPerSecond,
    },
    first: {
      resource: top.resource,
      quota: top.quota,
      utilisation: top.utilisation,
      atMessagesPerSecond: Math.round(messagesPerSecond / top.utilisation),
    },
    dollarsPerMillion: round((dollarsPerSecond / messagesPerSecond) * 1e6, 2),
  };
};

/**
 * A campaign-shaped mix at `messagesPerSecond` events in all: `statusShare` status callbacks, a
 * fifth outbound sends, the rest customer messages (a tenth of them e-mail, a fifth of those with an
 * attachment; a tenth of the chat messages with one photo or file the fetcher copies); a conversation stays active for a minute of its traffic, and the busiest one carries
 * 1 % of everything.
 */
export const campaignMix = (messagesPerSecond: number, statusShare = 0.3): TrafficMix => {
  const outboundPerSecond = messagesPerSecond * 0.2;
  const statusPerSecond = messagesPerSecond * statusShare;
  const inboundPerSecond = messagesPerSecond - outboundPerSecond - statusPerSecond;
  return {
    inboundPerSecond,
    statusPerSecond,
    outboundPerSecond,
    activeConversations: Math.max(10, Math.round((inboundPerSecond + outboundPerSecond) * 60)),
    busiestConversationShare: 0.01,
    emailShare: 0.1,
    mediaShare: 0.2,
    chatMediaShare: 0.1,
  };
};

const SCALE_RATES = [10, 100, 1_000, 10_000] as const;

/** The inputs from a benchmark run's AWS section: measured profiles and measured costs. */
export const inputsFrom = (awsCost: AwsCostResult): ModelInputs => {
  const cost = (scenario: string) => {
    const found = awsCost.scenarios.find((candidate) => candidate.scenario === scenario);
    if (!found) throw new Error(`the benchmark's AWS section has no '${scenario}'`);
    return { full: found.switchboard.dollarsPerMillion, trickle: found.switchboardTrickle.dollarsPerMillion };
  };
  return {
    profiles: inboundProfilesFrom(awsCost),
    costs: {
      chat: cost('inbound chat message'),
      status: cost('status update'),
      email: cost('inbound e-mail'),
    },
  };
};

export interface ScaleReport {
  /** Where the per-event counts came from. */
  readonly countsFrom: string;
  readonly durations: typeof AWS_DURATIONS;
  readonly rows: readonly ScaleResult[];
  /** The check: 1,000 messages/s with 30 % status callbacks. */
  readonly thousandWithThirtyPercentStatuses: ScaleResult;
}

/**
 * The model over this run's AWS section, or over the last full run's (bench/results/latest.json)
 * when the section did not run.
 */
export const runScale = (awsCost: AwsCostResult | undefined, resultsDirectory: string): ScaleReport => {
  let source = 'this run';
  let measured = awsCost;
  if (!measured) {
    const latest = join(resultsDirectory, 'latest.json');
    if (!existsSync(latest))
      throw new Error('no AWS counts: run `npm run bench -- --only=aws-cost,scale` once');
    const saved = JSON.parse(readFileSync(latest, 'utf8')) as {
      awsCost?: AwsCostResult;
      machine?: { date?: string };
    };
    if (!saved.awsCost) throw new Error(`${latest} has no AWS section`);
    measured = saved.awsCost;
    source = `bench/results/latest.json (${saved.machine?.date ?? 'undated'})`;
  }
  const inputs = inputsFrom(measured);
  return {
    countsFrom: source,
    durations: AWS_DURATIONS,
    rows: SCALE_RATES.map((rate) => modelScale(campaignMix(rate), inputs)),
    thousandWithThirtyPercentStatuses: modelScale(campaignMix(1_000, 0.3), inputs),
  };
};

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isChannelOn, readConfig } from '#infra/config.ts';
import { SECRET_SECTIONS, type WebhookConnectorId, webhookConnectors } from '#shared/channels/registry.ts';
import { MEDIA_FETCHER, RECORDER, SENDER } from '#shared/resources/definitions.ts';
import { INDEX_SHARDS } from '#shared/store/keys.ts';
import { type AwsCostResult, costOf, type Scenario, scenarioWebhooks } from './aws-cost.ts';
import {
  AWS_DURATIONS,
  type AwsDurations,
  awsMs,
  FUNCTION_MEMORY_MB,
  lambdaDollars,
  webhookInAws,
} from './aws-functions.ts';
import { MEDIA_ATTACHMENT } from './media-path.ts';
import { PRICES } from './prices.ts';
import {
  API_SEND,
  type EventProfile,
  HUB_SEND_STATUS,
  type InboundKind,
  inboundProfilesFrom,
  OUTBOUND_BATCH,
  OUTBOUND_PROFILE,
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
  /**
   * Share of the chat messages, statuses and sends that are WhatsApp's (0–1): they come through one
   * webhook and share the business numbers' throughput (Meta counts messages in and out).
   */
  readonly whatsappShare: number;
  /** Share of the statuses that are of the hub's own sends (0–1): each reads its send record. */
  readonly hubSendStatusShare: number;
  /**
   * Share of the sends made through the helpdesk API (0–1; the rest are put straight on the outbox):
   * each adds its HTTP API request, the API function's time, two reads and a reservation write
   * (API_SEND). Only with a deployment that has the helpdesk API (`helpdeskApi`).
   */
  readonly apiSendShare: number;
}

/** What a deployment chose: its ingress and the caps that are its own to raise. */
export interface Deployment {
  readonly ingress: 'http-api' | 'function-urls';
  /** The sender's maxConcurrency (outbox event source; `senderMaxConcurrency`). */
  readonly senderMaxConcurrency: number;
  /** The media fetcher's maxConcurrency (media event source; `mediaFetcherMaxConcurrency`). */
  readonly fetcherMaxConcurrency: number;
  /** Each webhook's reserved concurrency with function URLs (`webhookReservedConcurrency`). */
  readonly webhookReservedConcurrency: number;
  /**
   * Webhook functions deployed (one per channel connector with webhooks that `channels` switches
   * on): with function URLs each reserves `webhookReservedConcurrency` of the account's concurrency.
   */
  readonly webhookFunctions: number;
  /** WhatsApp business numbers the WhatsApp traffic spreads over, evenly. */
  readonly whatsappNumbers: number;
  /** Messages/s one number may carry, in and out: Meta's 80 (1,000 once Meta upgrades it). */
  readonly whatsappNumberRate: number;
  /** Whether the helpdesk API is deployed (`helpdeskApi`, off by default): sends can go through it. */
  readonly helpdeskApi: boolean;
}

const CONFIG_DEFAULTS = readConfig(() => undefined);

/** The stack as it deploys with no context keys set, sending from one WhatsApp number. */
export const AS_BUILT: Deployment = {
  ingress: CONFIG_DEFAULTS.ingress,
  senderMaxConcurrency: CONFIG_DEFAULTS.senderMaxConcurrency,
  fetcherMaxConcurrency: CONFIG_DEFAULTS.mediaFetcherMaxConcurrency,
  webhookReservedConcurrency: CONFIG_DEFAULTS.webhookReservedConcurrency,
  webhookFunctions: webhookConnectors().filter(([id]) => isChannelOn(CONFIG_DEFAULTS, id)).length,
  whatsappNumbers: 1,
  whatsappNumberRate: CONFIG_DEFAULTS.whatsappNumberRate,
  helpdeskApi: CONFIG_DEFAULTS.helpdeskApi,
};

/** Execution environments keep the provider secrets (and SQS/DynamoDB keep KMS data keys) five minutes. */
const CACHE_SECONDS = 300;
/** Queues a function touches, under KMS with a customer-managed key (SQS-managed keys otherwise): ingest, helpdesk, outbox. */
const QUEUES_TOUCHED = 3;
/**
 * The webhook that takes each inbound kind in the model's mix (chat and statuses WhatsApp's, e-mail
 * Mailgun's, as the AWS section's samples): its memory and time in AWS (webhookInAws).
 */
const WEBHOOK_OF: Record<InboundKind, WebhookConnectorId> = {
  chat: 'whatsapp',
  status: 'whatsapp',
  email: 'email-mailgun',
};
/** The index partitions every conversation shares, as bench/write-units.ts names them (all their shards together). */
const STATUS_OPEN = 'gsi1 STATUS#open';
const WAITING = 'gsi4 WAITING';
/** A conversation's by-status entry moves to a new hour at most once an hour: a delete and a put. */
const HOURLY_MOVE_UNITS = 2;

export interface Load {
  readonly resource: string;
  readonly rate: number;
  readonly quota: QuotaId;
  /** The quota's limit, or this deployment's where the model sets it (capped consumers, webhook ingress). */
  readonly limit: number;
  /** rate / limit. */
  readonly utilisation: number;
  /** The alarm that warns first, where it is not the quota's own (one quota, several queues). */
  readonly warnedBy: string;
  /** Messages/s of the same mix at which this load reaches its limit (Infinity: never). */
  readonly runsOutAt: number;
}

export interface ScaleResult {
  readonly mix: TrafficMix;
  readonly deployment: Deployment;
  readonly messagesPerSecond: number;
  readonly webhookRequestsPerSecond: number;
  /**
   * Environments each function needs to keep up (Little's law). The sender and the fetcher need
   * these however far their caps hold them: a demand above the cap is a backlog.
   */
  readonly concurrency: {
    readonly webhook: number;
    readonly recorder: number;
    readonly sender: number;
    readonly mediaFetcher: number;
    readonly helpdeskApi: number;
  };
  readonly eventsPerRecorderBatch: number;
  readonly commandsPerSenderBatch: number;
  readonly loads: readonly Load[];
  /** The steady load nearest its limit at this rate. */
  readonly highest: Load;
  /** The steady load that reaches its limit at the lowest rate of this mix, and that rate. */
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
  /** $ per million events of each inbound kind with full recorder batches and with batches of one, behind the HTTP API. */
  readonly costs: Record<InboundKind, { readonly full: number; readonly trickle: number }>;
  readonly durations?: AwsDurations;
}

/**
 * A sender batch of `commands` in ms: the first send's time, then a turn per further command to the
 * same number, the batch's commands spread evenly over the numbers (a turn is the number's rate
 * shared by every environment: 125 ms with WhatsApp's 80/s and 10 environments). One number, ten
 * commands: 600 + 9 × 125 = 1,725 ms.
 */
export const senderBatchMs = (
  commands: number,
  deployment: Deployment = AS_BUILT,
  durations: AwsDurations = AWS_DURATIONS,
): number => {
  const turnMs = (1000 * deployment.senderMaxConcurrency) / deployment.whatsappNumberRate;
  const perNumber = Math.max(1, commands / deployment.whatsappNumbers);
  return durations.senderCommandMs + (perNumber - 1) * turnMs;
};

/**
 * One chat attachment in $ (bench/media-path.ts counts): the recorder's job to the media queue, the
 * event source's receive and delete (one job per invocation), the fetcher's Lambda time, its
 * DynamoDB units and S3 PUT, and media_stored to the helpdesk queue.
 */
const mediaDollars = (durations: AwsDurations): number =>
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

/** What a send made through the helpdesk API adds before the outbox (API_SEND): item, per send, price. */
const apiSendLines = (durations: AwsDurations): Array<[string, number, number]> => [
  ['helpdesk API: HTTP API request', API_SEND.httpApiRequests, PRICES.httpApiPerRequest],
  ['helpdesk API: Lambda requests', API_SEND.lambdaInvocations, PRICES.lambdaPerRequest],
  [
    'helpdesk API: Lambda GB-s',
    API_SEND.lambdaInvocations * (API_SEND.memoryMb / 1024) * (Math.ceil(durations.apiSendMs) / 1000),
    PRICES.lambdaArmPerGbSecond,
  ],
  [
    'helpdesk API: DynamoDB read units (conversation, send record)',
    API_SEND.readUnits,
    PRICES.dynamoPerReadUnit,
  ],
  [
    "helpdesk API: DynamoDB write units (the key's reservation)",
    API_SEND.tableWriteUnits,
    PRICES.dynamoPerWriteUnit,
  ],
];

/**
 * One outbound send in $ per million: the sender's Lambda time (mostly the provider's answer), its
 * reads, writes and SQS calls, in batches of `commands` commands of as many conversations (`full`:
 * SENDER.batchSize, `trickle`: one), whose provider calls overlap, paced at the numbers' turns
 * (senderBatchMs; as built all to one number, the slowest case), their events published in shared
 * rounds (two helpdesk requests a batch). The Lambda time per send is the batch's time over its
 * commands: 172.5 ms in a full batch to one number, 600 ms alone; the model's concurrency uses the
 * same time. A send made through the helpdesk API (`via`) adds the API's part (apiSendLines); one put
 * straight on the outbox does not.
 */
export const outboundCost = (
  batch: 'full' | 'trickle' | number,
  durations: AwsDurations = AWS_DURATIONS,
  deployment: Deployment = AS_BUILT,
  via: 'outbox' | 'helpdesk-api' = 'outbox',
): OutboundCost => {
  const commands = batch === 'full' ? SENDER.batchSize : batch === 'trickle' ? 1 : batch;
  const batchMs = senderBatchMs(commands, deployment, durations);
  const helpdeskRequests = OUTBOUND_BATCH.helpdeskSendMessageBatch / commands;
  const lines: Array<[string, number, number]> = [
    ['sender Lambda requests', 1 / commands, PRICES.lambdaPerRequest],
    [
      'sender Lambda GB-s',
      (FUNCTION_MEMORY_MB.sender / 1024) * (batchMs / commands / 1000),
      PRICES.lambdaArmPerGbSecond,
    ],
    ['DynamoDB read units', OUTBOUND_PROFILE.readUnits, PRICES.dynamoPerReadUnit],
    ['DynamoDB write units (GSI included)', OUTBOUND_PROFILE.writeUnits, PRICES.dynamoPerWriteUnit],
    // The helpdesk's SendMessage, the sender's receive and delete (per batch), its helpdesk publishes.
    ['SQS FIFO requests', 1 + 2 / commands + helpdeskRequests, PRICES.sqsFifoPerRequest],
    ...(via === 'helpdesk-api' ? apiSendLines(durations) : []),
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

const sumOf = (units: Readonly<Record<string, number>>, where: (key: string) => boolean): number =>
  Object.entries(units).reduce((total, [key, value]) => total + (where(key) ? value : 0), 0);

type Draft = Omit<Load, 'runsOutAt'>;

interface Evaluated extends Omit<ScaleResult, 'loads' | 'highest' | 'first'> {
  readonly loads: readonly Draft[];
}

const evaluate = (mix: TrafficMix, inputs: ModelInputs, deployment: Deployment): Evaluated => {
  const durations = inputs.durations ?? AWS_DURATIONS;
  const { profiles } = inputs;
  const email = mix.inboundPerSecond * mix.emailShare;
  const chat = mix.inboundPerSecond - email;
  const sends = mix.outboundPerSecond;
  const apiSends = sends * mix.apiSendShare;
  if (apiSends > 0 && !deployment.helpdeskApi)
    throw new Error('sends through the helpdesk API need a deployment with it (helpdeskApi: true)');
  const hubSendStatuses = mix.statusPerSecond * mix.hubSendStatusShare;
  const rates: Record<InboundKind, number> = { chat, status: mix.statusPerSecond, email };
  const kinds = Object.keys(rates) as InboundKind[];
  const sum = (per: (profile: EventProfile, kind: InboundKind) => number): number =>
    kinds.reduce((total, kind) => total + rates[kind] * per(profiles[kind], kind), 0);
  const draft = (
    resource: string,
    rate: number,
    quota: QuotaId,
    options: { readonly limit?: number; readonly warnedBy?: string } = {},
  ): Draft => {
    const limit = options.limit ?? QUOTAS[quota].limit;
    return {
      resource,
      rate: round(rate, 2),
      quota,
      // A limit under one a second (WhatsApp's pair rate, 1/6) keeps its figures.
      limit: round(limit, limit < 1 ? 3 : 1),
      utilisation: rate / limit,
      warnedBy: options.warnedBy ?? QUOTAS[quota].warnedBy,
    };
  };

  const messagesPerSecond = mix.inboundPerSecond + mix.statusPerSecond + mix.outboundPerSecond;
  const ingestEvents = mix.inboundPerSecond + mix.statusPerSecond;
  const webhookRequests = sum((profile) => profile.webhookRequests);
  // WhatsApp's chat messages and statuses come through its one webhook (one route); e-mail through
  // its own; the other channels' chat and statuses are counted as one, at most.
  const chatAndStatusRequests =
    chat * profiles.chat.webhookRequests + mix.statusPerSecond * profiles.status.webhookRequests;
  const busiestWebhookRequests = Math.max(
    chatAndStatusRequests * mix.whatsappShare,
    chatAndStatusRequests * (1 - mix.whatsappShare),
    email * profiles.email.webhookRequests,
  );

  // Little's law: concurrency = arrivals per second × seconds each one takes, the time the AWS
  // section prices each invocation for (bench/aws-functions.ts).
  const webhookMs = (kind: InboundKind) =>
    webhookInAws(WEBHOOK_OF[kind], profiles[kind].measuredWebhookMs, durations).ms;
  const webhookConcurrency = sum((profile, kind) => (profile.webhookRequests * webhookMs(kind)) / 1000);
  // A batch of the mix's events: the stated time, or the longest local median of its kinds.
  const recorderBatchMs = awsMs(
    durations.recorderBatchMs,
    Math.max(
      0,
      ...kinds.filter((kind) => rates[kind] > 0).map((kind) => profiles[kind].measuredRecorderBatchMs),
    ),
  );
  // The event source fills batches as far as the traffic allows within one batch's time.
  const eventsPerRecorderBatch = Math.min(
    RECORDER.batchSize,
    Math.max(1, (ingestEvents * recorderBatchMs) / 1000),
  );
  // A FIFO event source has at most one batch in flight per message group (conversation).
  const recorderConcurrency = Math.min(
    mix.activeConversations,
    ((ingestEvents / eventsPerRecorderBatch) * recorderBatchMs) / 1000,
  );
  // The outbox's batches fill, as the recorder's, with the commands that arrive during one send.
  const commandsPerSenderBatch = Math.min(
    SENDER.batchSize,
    Math.max(1, (sends * durations.senderCommandMs) / 1000),
  );
  const senderMsPerSend =
    senderBatchMs(commandsPerSenderBatch, deployment, durations) / commandsPerSenderBatch;
  const senderConcurrency = (sends * senderMsPerSend) / 1000;
  // At most maxConcurrency full batches at once, each taking its paced time.
  const senderCapacity =
    (deployment.senderMaxConcurrency * SENDER.batchSize * 1000) /
    senderBatchMs(SENDER.batchSize, deployment, durations);
  const chatMedia = chat * mix.chatMediaShare;
  const fetcherConcurrency = (chatMedia * durations.mediaFetchMs) / 1000;
  const fetcherCapacity =
    (deployment.fetcherMaxConcurrency * MEDIA_FETCHER.batchSize * 1000) / durations.mediaFetchMs;
  const apiConcurrency = (apiSends * durations.apiSendMs) / 1000;
  const concurrency =
    webhookConcurrency + recorderConcurrency + senderConcurrency + fetcherConcurrency + apiConcurrency;
  // With function URLs each webhook function reserves its environments, and "when a function has
  // reserved concurrency, no other function can use that concurrency"
  // (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html): the account's
  // concurrency holds every reservation whole, however little of it the webhooks use (their demand
  // above it is throttled: the synchronous-rate load), and the other functions' demand beside it.
  const functionUrls = deployment.ingress === 'function-urls';
  const accountConcurrency = functionUrls
    ? deployment.webhookFunctions * deployment.webhookReservedConcurrency + concurrency - webhookConcurrency
    : concurrency;

  const busiest = messagesPerSecond * mix.busiestConversationShare;
  // One FIFO group is recorded in order: at most a batch at a time.
  const laneEventsPerSecond = RECORDER.batchSize / (recorderBatchMs / 1000);
  const tableWriteUnits =
    sum((profile) => profile.tableWriteUnits) +
    sends * OUTBOUND_PROFILE.tableWriteUnits +
    apiSends * API_SEND.tableWriteUnits +
    chatMedia * MEDIA_ATTACHMENT.writeUnits;
  // Every wait that starts ends (a reply, or the helpdesk resolving or snoozing the conversation),
  // and every wait that ends had started: in steady state as many entries go into WAITING as leave
  // it. The counts see one side each: the inbound samples count the waits that opening
  // conversations start (none of their messages follows a reply), a send the wait it ends. But a
  // customer who writes after a reply waits again (shared/domain/conversation.ts applyInbound sets
  // waitingSince, and shared/store/keys.ts attentionIndexKeys files it under WAITING#<shard>): so
  // the side counted short is as large as the other, and its units are added. At 1,000 messages/s,
  // the 200 waits that sends end are 200 started, not the 140 that openings start: 400 units/s.
  const isWaiting = (key: string) => key === WAITING;
  const waitsStarted = sum((profile) => sumOf(profile.indexWriteUnits, isWaiting));
  const waitsEnded = sends * sumOf(OUTBOUND_PROFILE.indexWriteUnits, isWaiting);
  // The starts the counts miss are the mix's customer messages written after a reply, one wait each
  // at most: priced below as the write units they are. The rest (a mix of sends alone) and the ends
  // the sends do not make (the helpdesk resolving or snoozing) are made by messages and commands the
  // mix does not carry and the model does not price: weighed only.
  const pricedWaitStarts = Math.min(
    Math.max(0, waitsEnded - waitsStarted),
    Math.max(0, mix.inboundPerSecond - waitsStarted),
  );
  const uncountedWaitUnits = Math.abs(waitsStarted - waitsEnded);
  const indexUnits = (where: (key: string) => boolean) =>
    sum((profile) => sumOf(profile.indexWriteUnits, where)) +
    sends * sumOf(OUTBOUND_PROFILE.indexWriteUnits, where) +
    (where(WAITING) ? uncountedWaitUnits : 0);
  const indexNames = [
    ...new Set(
      [OUTBOUND_PROFILE, ...Object.values(profiles)].flatMap((profile) =>
        Object.keys(profile.indexWriteUnits).map((key) => key.split(' ')[0] ?? key),
      ),
    ),
  ];
  const [busiestIndex, busiestIndexUnits] = indexNames
    .map((name) => [name, indexUnits((key) => key.startsWith(`${name} `))] as const)
    .reduce((best, candidate) => (candidate[1] > best[1] ? candidate : best), ['gsi1', 0] as const);
  // Each active conversation's by-status entry moves to the new hour once an hour when it has a
  // message in it (the sends' moves are counted per send above).
  // Both are spread over INDEX_SHARDS partitions by the conversation id (a hash): one shard's share.
  const statusOpenUnits =
    (indexUnits((key) => key === STATUS_OPEN) + (mix.activeConversations / 3600) * HOURLY_MOVE_UNITS) /
    INDEX_SHARDS;
  const waitingUnits = indexUnits(isWaiting) / INDEX_SHARDS;
  const readUnits =
    sum((profile) => profile.readUnits) +
    hubSendStatuses * HUB_SEND_STATUS.readUnits +
    sends * OUTBOUND_PROFILE.readUnits +
    apiSends * API_SEND.readUnits +
    chatMedia * MEDIA_ATTACHMENT.readUnits;
  const helpdeskMessages =
    sum((profile) => profile.helpdeskMessages) + sends * OUTBOUND_PROFILE.helpdeskMessages + chatMedia;
  const s3Puts =
    sum((profile) => profile.s3Puts) +
    email * mix.mediaShare +
    chatMedia * (MEDIA_ATTACHMENT.putObject + MEDIA_ATTACHMENT.multipartRequests);
  const secretReads = (concurrency * SECRET_SECTIONS.length) / CACHE_SECONDS;
  const whatsappPerNumber = ((chat + sends) * mix.whatsappShare) / deployment.whatsappNumbers;
  // The busiest conversation's sends go to one user: on WhatsApp, against Meta's pair rate.
  const busiestWhatsappSends = sends * mix.busiestConversationShare * mix.whatsappShare;
  // Its item takes one write per event; a send through the API adds its reservation in the same partition.
  const busiestPartitionUnits = busiest + apiSends * mix.busiestConversationShare;

  const httpApi = deployment.ingress === 'http-api';
  // Every HTTP API of the account counts on its throttle: the webhooks' (http-api ingress) and the helpdesk's.
  const accountRequests = (httpApi ? webhookRequests : 0) + apiSends;
  const helpdeskApi: Draft[] = deployment.helpdeskApi
    ? [draft('helpdesk API, send route (POST /v1/conversations/{id}/messages)', apiSends, 'helpdeskApiRoute')]
    : [];
  const account: Draft[] =
    httpApi || deployment.helpdeskApi
      ? [draft('API Gateway requests (account)', accountRequests, 'apiGatewayAccount')]
      : [];
  const ingress: Draft[] = httpApi
    ? [
        draft(
          'API Gateway requests, busiest webhook route, default route throttle',
          busiestWebhookRequests,
          'apiGatewayStage',
        ),
      ]
    : [
        draft(
          'busiest webhook function (WhatsApp), function URL',
          busiestWebhookRequests,
          'lambdaSyncPerFunction',
          {
            limit: 10 * deployment.webhookReservedConcurrency,
          },
        ),
      ];
  const loads: Draft[] = [
    ...account,
    ...ingress,
    ...helpdeskApi,
    draft('sender: sends against its capped environments', sends, 'senderCapacity', {
      limit: senderCapacity,
    }),
    draft(
      'WhatsApp, one business number (customer messages and sends)',
      whatsappPerNumber,
      'whatsappNumber',
      {
        limit: deployment.whatsappNumberRate,
      },
    ),
    draft(
      "WhatsApp pair rate, the busiest conversation's sends to one user",
      busiestWhatsappSends,
      'whatsappPairRate',
    ),
    draft('media fetcher: attachments against its capped environments', chatMedia, 'fetcherCapacity', {
      limit: fetcherCapacity,
    }),
    draft(
      functionUrls
        ? `Lambda concurrency, all hub functions (${deployment.webhookFunctions} webhooks reserving ${deployment.webhookReservedConcurrency} each, the others at their demand)`
        : 'Lambda concurrency, all hub functions (sender and fetcher at their demand)',
      accountConcurrency,
      'lambdaConcurrency',
    ),
    draft('webhook environments started from idle', webhookConcurrency, 'lambdaScalingRate'),
    draft(
      'ingest queue, busiest action (SendMessageBatch)',
      Math.max(
        sum((profile) => profile.ingestSendCalls),
        ingestEvents / eventsPerRecorderBatch,
      ),
      'sqsFifoHighThroughputPerAction',
      { warnedBy: 'Webhook5xxRate (503 after the publisher gives up)' },
    ),
    draft(
      'helpdesk queue, busiest action',
      Math.max(
        sum((profile) => profile.helpdeskSendCalls) * (RECORDER.batchSize / eventsPerRecorderBatch) +
          sends * OUTBOUND_PROFILE.helpdeskSendCalls +
          chatMedia * MEDIA_ATTACHMENT.helpdeskSendMessageBatch,
        helpdeskMessages / RECORDER.batchSize,
      ),
      'sqsFifoHighThroughputPerAction',
      {
        warnedBy:
          'RecorderErrors, SenderErrors, MediaFetcherErrors (its publishers fail the message and retry), then IngestRecordAge / OutboxCommandAge',
      },
    ),
    draft('outbox queue, busiest action (SendMessage)', sends, 'sqsFifoHighThroughputPerAction', {
      warnedBy: "HelpdeskApi5xxRate (the API's sends), OutboxCommandAge (the sender's receives)",
    }),
    draft(
      'media queue, busiest action (SendMessageBatch, receive)',
      chatMedia * Math.max(MEDIA_ATTACHMENT.mediaQueueSendMessageBatch, 1),
      'sqsFifoHighThroughputPerAction',
      { warnedBy: "RecorderErrors (the recorder's jobs), MediaBacklogAge (the fetcher's receives)" },
    ),
    // Only what the webhooks take in goes through the ingest queue: the conversation's sends go
    // through the outbox, and the sender records them itself.
    draft(
      'ingest queue, busiest conversation group',
      ingestEvents * mix.busiestConversationShare,
      'sqsFifoPerMessageGroup',
    ),
    draft('DynamoDB write units, table (its indexes apart)', tableWriteUnits, 'dynamoTableOnDemand'),
    draft(`DynamoDB write units, busiest index (${busiestIndex})`, busiestIndexUnits, 'dynamoIndexOnDemand'),
    draft('DynamoDB write units, new table before it scales', tableWriteUnits, 'dynamoNewTableWarm'),
    draft('DynamoDB read units, table', readUnits, 'dynamoTableOnDemandRead'),
    draft('DynamoDB read units, new table before it scales', readUnits, 'dynamoNewTableWarmRead'),
    // Every conversation's by-status entry is under STATUS#<status>#<shard> (gsi1): opened, moved by a
    // reply or to a new hour (a delete and a put). Every wait starts and ends under WAITING#<shard> (gsi4).
    draft(
      `DynamoDB index partition STATUS#open#<shard> (gsi1, one of ${INDEX_SHARDS})`,
      statusOpenUnits,
      'dynamoIndexPartitionWrite',
    ),
    draft(
      `DynamoDB index partition WAITING#<shard> (gsi4, one of ${INDEX_SHARDS})`,
      waitingUnits,
      'dynamoIndexPartitionWrite',
    ),
    // A conversation's item takes one write per event (items under 1 KB, measured); its own index entries go to partitions of its own.
    draft(
      'DynamoDB write units, hottest partition (busiest conversation)',
      busiestPartitionUnits,
      'dynamoPartitionWrite',
    ),
    draft('S3 PUT (raw e-mail and attachments, one prefix)', s3Puts, 's3PutPerPrefix'),
    // One read per provider secret a function is given: at most all four (the sender's), counted for every environment.
    draft('Secrets Manager GetSecretValue', secretReads, 'secretsManagerGet'),
    // Every secret read decrypts its data key with KMS: as built under the AWS-managed key
    // aws/secretsmanager (the table under aws/dynamodb, TableEncryption.AWS_MANAGED), whose calls
    // count on the account's request quota like a customer-managed key's; with customerManagedKey,
    // each queue's data key per environment too (the queues are SQS-managed otherwise). Counted
    // with the queues', the most a deployment makes.
    draft(
      'KMS calls (secret reads under aws/secretsmanager as built; with customerManagedKey, queue data keys too)',
      (concurrency * QUEUES_TOUCHED) / CACHE_SECONDS + secretReads,
      'kmsSymmetric',
    ),
  ];

  const trickleWeight = (RECORDER.batchSize / eventsPerRecorderBatch - 1) / (RECORDER.batchSize - 1);
  const inboundDollars = kinds.reduce((total, kind) => {
    const cost = inputs.costs[kind];
    return total + rates[kind] * (cost.full + (cost.trickle - cost.full) * trickleWeight);
  }, 0);
  const dollarsPerSecond =
    inboundDollars / 1e6 -
    (deployment.ingress === 'function-urls' ? webhookRequests * PRICES.httpApiPerRequest : 0) +
    hubSendStatuses * HUB_SEND_STATUS.readUnits * PRICES.dynamoPerReadUnit +
    ((sends - apiSends) * outboundCost(commandsPerSenderBatch, durations, deployment).dollarsPerMillion +
      apiSends *
        outboundCost(commandsPerSenderBatch, durations, deployment, 'helpdesk-api').dollarsPerMillion) /
      1e6 +
    pricedWaitStarts * PRICES.dynamoPerWriteUnit +
    email * mix.mediaShare * PRICES.s3PerPut +
    chatMedia * mediaDollars(durations);

  return {
    mix,
    deployment,
    messagesPerSecond,
    webhookRequestsPerSecond: round(webhookRequests, 1),
    concurrency: {
      webhook: round(webhookConcurrency, 1),
      recorder: round(recorderConcurrency, 1),
      sender: round(senderConcurrency, 1),
      mediaFetcher: round(fetcherConcurrency, 1),
      helpdeskApi: round(apiConcurrency, 1),
    },
    eventsPerRecorderBatch: round(eventsPerRecorderBatch, 1),
    commandsPerSenderBatch: round(commandsPerSenderBatch, 1),
    loads,
    busiestConversation: {
      eventsPerSecond: round(busiest, 2),
      recorderLaneEventsPerSecond: laneEventsPerSecond,
    },
    dollarsPerMillion: round((dollarsPerSecond / messagesPerSecond) * 1e6, 2),
  };
};

/** The same mix, every rate times `factor`. */
const scaled = (mix: TrafficMix, factor: number): TrafficMix => ({
  ...mix,
  inboundPerSecond: mix.inboundPerSecond * factor,
  statusPerSecond: mix.statusPerSecond * factor,
  outboundPerSecond: mix.outboundPerSecond * factor,
  activeConversations: Math.max(10, mix.activeConversations * factor),
});

/**
 * The total rate of this mix at which one load reaches its limit: the mix scaled until it does
 * (batches fill and per-event costs fall as a rate grows, so a linear extrapolation from a low rate
 * would be wrong), by doubling then bisection.
 */
const runsOutAt = (
  mix: TrafficMix,
  inputs: ModelInputs,
  deployment: Deployment,
  resource: string,
): number => {
  const utilisationAt = (factor: number) =>
    evaluate(scaled(mix, factor), inputs, deployment).loads.find((entry) => entry.resource === resource)
      ?.utilisation ?? 0;
  let low = 0;
  let high = 1;
  while (utilisationAt(high) < 1) {
    low = high;
    high *= 2;
    if (high > 2 ** 40) return Number.POSITIVE_INFINITY;
  }
  for (let step = 0; step < 50; step++) {
    const middle = (low + high) / 2;
    if (utilisationAt(middle) < 1) low = middle;
    else high = middle;
  }
  const total = mix.inboundPerSecond + mix.statusPerSecond + mix.outboundPerSecond;
  return Math.round(total * high);
};

export const modelScale = (
  mix: TrafficMix,
  inputs: ModelInputs,
  deployment: Deployment = AS_BUILT,
): ScaleResult => {
  const evaluated = evaluate(mix, inputs, deployment);
  const loads: Load[] = evaluated.loads.map((entry) => ({
    ...entry,
    runsOutAt: runsOutAt(mix, inputs, deployment, entry.resource),
  }));
  // A new table's instant capacity lifts as it scales: reported, but not a ceiling.
  const steady = loads.filter((candidate) => !(QUOTAS[candidate.quota] as Quota).transient);
  const highest = steady.reduce((best, candidate) =>
    candidate.utilisation > best.utilisation ? candidate : best,
  );
  const first = steady.reduce((best, candidate) => (candidate.runsOutAt < best.runsOutAt ? candidate : best));
  return {
    ...evaluated,
    loads,
    highest,
    first: {
      resource: first.resource,
      quota: first.quota,
      utilisation: first.utilisation,
      atMessagesPerSecond: first.runsOutAt,
    },
  };
};

/**
 * A campaign-shaped mix at `messagesPerSecond` events in all: `statusShare` status callbacks, a
 * fifth outbound sends, the rest customer messages (a tenth of them e-mail, a fifth of those with an
 * attachment; a tenth of the chat messages with one photo or file the fetcher copies); a
 * conversation stays active for a minute of its traffic, and the busiest one carries 1 % of
 * everything. A WhatsApp campaign: every chat message, status and send is WhatsApp's, and every
 * status is of one of the hub's own sends. `apiSendShare` of the sends come through the helpdesk API,
 * the rest straight onto the outbox: none by default, since the stack as built has no helpdesk API
 * (`helpdeskApi` is off: the helpdesk puts its commands on the outbox, README "Answering customers").
 */
export const campaignMix = (messagesPerSecond: number, statusShare = 0.3, apiSendShare = 0): TrafficMix => {
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
    whatsappShare: 1,
    hubSendStatusShare: 1,
    apiSendShare,
  };
};

/**
 * The least a deployment must raise, of what it can raise itself, for every load of `mix` that it
 * can raise to stay under `target` of its limit: WhatsApp numbers, the sender's and the fetcher's
 * maxConcurrency, the webhooks' reserved concurrency (function URLs). AWS quotas and the shared
 * index partitions stay as they are.
 */
export const raisedFor = (
  mix: TrafficMix,
  inputs: ModelInputs,
  target = 0.5,
  from: Deployment = AS_BUILT,
): Deployment => {
  const under = (deployment: Deployment, quota: QuotaId) =>
    (evaluate(mix, inputs, deployment).loads.find((entry) => entry.quota === quota)?.utilisation ?? 0) <
    target;
  const least = (deployment: Deployment, key: keyof Deployment, quota: QuotaId): Deployment => {
    let raised = deployment;
    for (let value = Number(deployment[key]); !under(raised, quota) && value < 1_000; value++)
      raised = { ...raised, [key]: value + 1 };
    return raised;
  };
  let deployment = least(from, 'whatsappNumbers', 'whatsappNumber');
  deployment = least(deployment, 'senderMaxConcurrency', 'senderCapacity');
  deployment = least(deployment, 'fetcherMaxConcurrency', 'fetcherCapacity');
  return deployment.ingress === 'function-urls'
    ? least(deployment, 'webhookReservedConcurrency', 'lambdaSyncPerFunction')
    : deployment;
};

const SCALE_RATES = [10, 100, 1_000, 10_000] as const;

/**
 * The inputs from a benchmark run's AWS section: measured profiles, and the costs of its counted
 * calls priced now (bench/aws-cost.ts costOf, at `durations`), not the totals it saved, which an
 * older section priced otherwise (before 2026-12-06, every Lambda at 256 MB for its local median).
 */
export const inputsFrom = (awsCost: AwsCostResult, durations: AwsDurations = AWS_DURATIONS): ModelInputs => {
  const cost = (scenario: Scenario) => {
    const found = awsCost.scenarios.find((candidate) => candidate.scenario === scenario);
    if (!found) throw new Error(`the benchmark's AWS section has no '${scenario}'`);
    const priced = costOf(found.usage, scenarioWebhooks(scenario), durations);
    return {
      full: priced.switchboard.dollarsPerMillion,
      trickle: priced.switchboardTrickle.dollarsPerMillion,
    };
  };
  return {
    profiles: inboundProfilesFrom(awsCost),
    costs: {
      chat: cost('inbound chat message'),
      status: cost('status update'),
      email: cost('inbound e-mail'),
    },
    durations,
  };
};

export interface ScaleReport {
  /** Where the per-event counts came from, and when the AWS section that counted them ran. */
  readonly countsFrom: string;
  readonly durations: AwsDurations;
  /** The deployment the rows are for: as built. */
  readonly deployment: Deployment;
  readonly rows: readonly ScaleResult[];
  /** The check: 1,000 messages/s with 30 % status callbacks, as built. */
  readonly thousandWithThirtyPercentStatuses: ScaleResult;
  /** The same with `ingress: 'function-urls'`. */
  readonly thousandWithFunctionUrls: ScaleResult;
  /** The same with the helpdesk API deployed (`helpdeskApi: true`) and every send made through it. */
  readonly thousandThroughHelpdeskApi: ScaleResult;
  /** The same with the least a deployment must raise for every load it can raise to stay under half. */
  readonly thousandRaised: ScaleResult;
  /** With function URLs, the least reserved concurrency per webhook that keeps the busiest under half. */
  readonly raisedWebhookReservedConcurrency: number;
  /** The same raised, with function URLs and that reservation: every webhook's counts on the account's concurrency. */
  readonly thousandRaisedWithFunctionUrls: ScaleResult;
}

interface SavedResults {
  readonly awsCost?: AwsCostResult;
  readonly machine?: { readonly date?: string };
  /** Sections re-run since the full run, each with the machine it ran on (`awsCostAndOutboundMachine`…). */
  readonly rerun?: Readonly<Record<string, unknown>>;
}

/** When the saved AWS section ran: its re-run's machine date if it was re-run, else the full run's. */
const awsSectionDate = (saved: SavedResults): string | undefined => {
  const rerun = Object.entries(saved.rerun ?? {}).find(([key]) => /^awsCost.*Machine$/.test(key))?.[1] as
    | { readonly date?: string }
    | undefined;
  return rerun?.date ?? saved.machine?.date;
};

/**
 * The model over this run's AWS section, or over the last full run's (bench/results/latest.json)
 * when the section did not run.
 */
export const runScale = (awsCost: AwsCostResult | undefined, resultsDirectory: string): ScaleReport => {
  let source = `this run (${new Date().toISOString()})`;
  let measured = awsCost;
  if (!measured) {
    const latest = join(resultsDirectory, 'latest.json');
    if (!existsSync(latest))
      throw new Error('no AWS counts: run `npm run bench -- --only=aws-cost,scale` once');
    const saved = JSON.parse(readFileSync(latest, 'utf8')) as SavedResults;
    if (!saved.awsCost) throw new Error(`${latest} has no AWS section`);
    measured = saved.awsCost;
    source = `bench/results/latest.json, AWS section of ${awsSectionDate(saved) ?? 'an unknown date'}`;
  }
  const inputs = inputsFrom(measured);
  const check = campaignMix(1_000, 0.3);
  const raisedWithFunctionUrls = raisedFor(check, inputs, 0.5, { ...AS_BUILT, ingress: 'function-urls' });
  return {
    countsFrom: source,
    durations: AWS_DURATIONS,
    deployment: AS_BUILT,
    rows: SCALE_RATES.map((rate) => modelScale(campaignMix(rate), inputs)),
    thousandWithThirtyPercentStatuses: modelScale(check, inputs),
    thousandWithFunctionUrls: modelScale(check, inputs, { ...AS_BUILT, ingress: 'function-urls' }),
    thousandThroughHelpdeskApi: modelScale(campaignMix(1_000, 0.3, 1), inputs, {
      ...AS_BUILT,
      helpdeskApi: true,
    }),
    thousandRaised: modelScale(check, inputs, raisedFor(check, inputs)),
    raisedWebhookReservedConcurrency: raisedWithFunctionUrls.webhookReservedConcurrency,
    thousandRaisedWithFunctionUrls: modelScale(check, inputs, raisedWithFunctionUrls),
  };
};

import { CONNECTORS, type WebhookConnectorId, webhookConnectors } from '#shared/channels/registry.ts';
import { startEmulators } from '#shared/local/emulators.ts';
import { allowSupplementaryCharactersInFauxqs } from '#shared/local/fauxqs-fidelity.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample } from '#shared/local/samples.ts';
import { RECORDER } from '#shared/resources/definitions.ts';
import {
  AWS_DURATIONS,
  type AwsDurations,
  awsMs,
  FUNCTION_MEMORY_MB,
  lambdaDollars,
  webhookInAws,
} from './aws-functions.ts';
import { type PipelineUsage, runPipeline } from './pipeline.ts';
import { PRICES, PRICES_SOURCE } from './prices.ts';
import { round } from './stats.ts';
import { uniqueCopy } from './unique-copies.ts';

/** Scenarios: each request is one provider message (Meta batching would only lower the figures). */
const SCENARIOS = {
  'inbound chat message': ['messenger/text', 'whatsapp/text', 'sms/sms-inbound'],
  'status update': [
    'whatsapp/status-delivered',
    'whatsapp/status-read',
    'sms/status-delivered',
    'messenger/delivery',
  ],
  'inbound e-mail': ['email/plain-text'],
} as const;
export type Scenario = keyof typeof SCENARIOS;

const MESSAGES_PER_CONVERSATION = 5;
const TARGET_PER_MILLION = 4;

export interface CostLine {
  readonly item: string;
  readonly perMessage: number;
  readonly dollarsPerMillion: number;
}

export interface DesignCost {
  readonly lines: readonly CostLine[];
  readonly dollarsPerMillion: number;
}

export interface ScenarioCost {
  readonly scenario: Scenario;
  readonly usage: PipelineUsage;
  readonly perMessage: Readonly<Record<string, number>>;
  /** Recorder batches as full as the event source makes them under load (10). */
  readonly switchboard: DesignCost;
  /** Low traffic: every recorder batch holds one event. */
  readonly switchboardTrickle: DesignCost;
  /** Full batches, deployed with `ingress: 'function-urls'`: no API Gateway request in front of the webhook. */
  readonly switchboardFunctionUrls: DesignCost;
  readonly straightforward: DesignCost;
}

export interface AwsCostResult {
  readonly prices: typeof PRICES;
  readonly pricesSource: string;
  /** What each invocation is priced at: deployed memory and time in AWS (bench/aws-functions.ts). */
  readonly lambdaPricing: string;
  readonly targetDollarsPerMillion: number;
  readonly scenarios: readonly ScenarioCost[];
}

/**
 * The webhooks a scenario's requests reach, one per sample in turn (the sample's folder is its
 * connector's, shared/channels/registry.ts).
 */
export const scenarioWebhooks = (scenario: Scenario): WebhookConnectorId[] =>
  SCENARIOS[scenario].map((sample) => {
    const folder = sample.split('/')[0];
    const found = webhookConnectors().find(([, connector]) => connector.samples.folder === folder);
    if (!found) throw new Error(`no webhook connector takes the samples of ${folder}`);
    return found[0];
  });

/** The pricing as one line of the report: each function's memory and time. */
const lambdaPricing = (durations: AwsDurations): string => {
  const webhooks = [...new Set(Object.keys(SCENARIOS).flatMap((s) => scenarioWebhooks(s as Scenario)))]
    .map((id) => {
      const { memoryMb, ms } = webhookInAws(id, 0, durations);
      return `${CONNECTORS[id].name} webhook ${memoryMb} MB × ${ms} ms`;
    })
    .join(', ');
  return `Lambda arm64 at each function's deployed memory for its time in AWS (the scale model's, or the local median when longer): ${webhooks}, recorder ${FUNCTION_MEMORY_MB.recorder} MB × ${durations.recorderBatchMs} ms a batch`;
};

export const design = (lines: Array<[string, number, number]>): DesignCost => {
  const costed = lines.map(([item, perMessage, unitPrice]) => ({
    item,
    perMessage: round(perMessage, 3),
    dollarsPerMillion: round(perMessage * unitPrice * 1e6, 3),
  }));
  return {
    lines: costed,
    dollarsPerMillion: round(
      costed.reduce((total, line) => total + line.dollarsPerMillion, 0),
      2,
    ),
  };
};

/**
 * One scenario's cost per message from its counted calls. Each Lambda invocation is priced at its
 * function's deployed memory for its time in AWS, the scale model's (bench/aws-functions.ts): the
 * webhooks `webhooks` (one per request in turn) at the registry's memory, the recorder at
 * FUNCTION_MEMORY_MB.recorder for a batch's stated time whatever the events in it.
 */
export const costOf = (
  usage: PipelineUsage,
  webhooks: readonly WebhookConnectorId[],
  durations: AwsDurations = AWS_DURATIONS,
): Omit<ScenarioCost, 'scenario' | 'usage'> => {
  const n = usage.requests;
  const events = usage.ingestEvents / n;
  const { webhook, recorder } = usage;
  const published = recorder.publishedEvents / n;
  const readUnits = recorder.readUnits / n;
  const writeUnits =
    (webhook.writeUnits + recorder.writeUnits + webhook.gsiWriteUnits + recorder.gsiWriteUnits) / n;
  // The same table writes, with the straightforward design's by-status index.
  const exactIndexWriteUnits =
    (webhook.writeUnits +
      recorder.writeUnits +
      webhook.exactIndexGsiWriteUnits +
      recorder.exactIndexGsiWriteUnits) /
    n;
  const s3Puts = (webhook.commands.PutObject ?? 0) / n;
  const s3Gets = (recorder.commands.GetObject ?? 0) / n;
  const webhookSqs = webhook.sqsChunks / n;
  const recorderSqs = recorder.sqsChunks / n;
  const perBatchMs = recorder.medianBatchDurationMs;
  const eventsPerBatch = usage.ingestEvents / Math.max(1, recorder.batches);
  const perEventMs = perBatchMs / Math.max(1, eventsPerBatch);
  // Each request reaches the scenario's webhooks in turn: the mean of their invocations.
  const webhookDollars =
    webhooks.reduce((total, id) => {
      const { memoryMb, ms } = webhookInAws(id, webhook.medianDurationMs, durations);
      return total + lambdaDollars(1, ms, memoryMb);
    }, 0) / Math.max(1, webhooks.length);
  // A batch in AWS takes the stated time whatever the events in it (its round trips run concurrently).
  const recorderDollars = (measuredMs: number) =>
    lambdaDollars(1, awsMs(durations.recorderBatchMs, measuredMs), FUNCTION_MEMORY_MB.recorder);
  const common = (
    batchesPerMessage: number,
    batchMs: number,
    ingress: 'http-api' | 'function-urls' = 'http-api',
  ): Array<[string, number, number]> => [
    ...(ingress === 'http-api'
      ? [['HTTP API requests', 1, PRICES.httpApiPerRequest] as [string, number, number]]
      : []),
    ['webhook Lambda (requests + GB-s)', 1, webhookDollars],
    ['recorder Lambda (requests + GB-s)', batchesPerMessage, recorderDollars(batchMs)],
    ['DynamoDB read units', readUnits, PRICES.dynamoPerReadUnit],
    ['S3 PUT / GET', s3Puts + s3Gets, PRICES.s3PerPut],
  ];
  // Under load the event source fills batches of RECORDER.batchSize, each a batch's time in AWS.
  const fullBatches = events / RECORDER.batchSize;
  const switchboardAt = (
    batchesPerMessage: number,
    batchMs: number,
    ingress: 'http-api' | 'function-urls' = 'http-api',
    helpdeskRequests = recorderSqs,
  ) =>
    design([
      ...common(batchesPerMessage, batchMs, ingress),
      [
        'SQS FIFO requests (64 KB units: send, receive, delete)',
        webhookSqs + helpdeskRequests + 2 * batchesPerMessage,
        PRICES.sqsFifoPerRequest,
      ],
      ['DynamoDB write units (GSI included)', writeUnits, PRICES.dynamoPerWriteUnit],
    ]);
  const straightforward = design([
    // One invocation per event, each a batch of one.
    ...common(events, perEventMs),
    // One SendMessage per event in, one per published event out, one receive + delete per event.
    ['SQS FIFO requests (one per event)', events + published + 2 * events, PRICES.sqsFifoPerRequest],
    // Transactions cost twice; its by-status index keys the exact activity time and projects everything.
    ['DynamoDB write units (transactions: 2×)', 2 * exactIndexWriteUnits, PRICES.dynamoPerWriteUnit],
  ]);
  return {
    perMessage: {
      ingestEvents: round(events, 3),
      readUnits: round(readUnits, 3),
      writeUnitsIncludingGsi: round(writeUnits, 3),
      indexWriteUnits: round((webhook.gsiWriteUnits + recorder.gsiWriteUnits) / n, 3),
      largestConversationItemBytes: recorder.largestItemBytes.STATE ?? 0,
      straightforwardWriteUnits: round(exactIndexWriteUnits, 3),
      webhookSqsRequests: round(webhookSqs, 3),
      recorderSqsRequests: round(recorderSqs, 3),
      webhookMedianMs: round(webhook.medianDurationMs, 2),
      recorderBatchMedianMs: round(perBatchMs, 2),
      eventsPerMeasuredBatch: round(eventsPerBatch, 2),
    },
    switchboard: switchboardAt(fullBatches, perBatchMs),
    // Alone in its batch, a conversation's events go one per request (the helpdesk publisher never
    // puts two events of one conversation in a request).
    switchboardTrickle: switchboardAt(events, perEventMs, 'http-api', published),
    switchboardFunctionUrls: switchboardAt(fullBatches, perBatchMs, 'function-urls'),
    straightforward,
  };
};

export const scenarioSamples = (scenario: Scenario, count: number): Sample[] => {
  const { samples } = collectSamples([DEFAULT_EVENTS_DIR]);
  const chosen = SCENARIOS[scenario].map((name) => {
    const sample = samples.find((candidate) => candidate.name === name);
    if (!sample) throw new Error(`sample ${name} missing`);
    return sample;
  });
  const conversations = Math.max(1, Math.floor(count / MESSAGES_PER_CONVERSATION));
  return Array.from({ length: count }, (_, index) =>
    uniqueCopy(chosen[index % chosen.length] as Sample, 10_000 + index, index % conversations),
  );
};

export const runAwsCost = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<AwsCostResult> => {
  const count = quick ? 60 : 300;
  const scenarios: ScenarioCost[] = [];
  // As the local hub does: SQS accepts emoji, fauxqs only once widened.
  await allowSupplementaryCharactersInFauxqs();
  for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
    const emulators = await startEmulators();
    try {
      const usage = await runPipeline(emulators, scenarioSamples(scenario, count));
      const cost = costOf(usage, scenarioWebhooks(scenario));
      scenarios.push({ scenario, usage, ...cost });
      progress(
        `  ${scenario.padEnd(22)} $${cost.switchboard.dollarsPerMillion}/M (trickle $${cost.switchboardTrickle.dollarsPerMillion}/M, function URLs $${cost.switchboardFunctionUrls.dollarsPerMillion}/M) vs straightforward $${cost.straightforward.dollarsPerMillion}/M`,
      );
    } finally {
      await emulators.stop();
    }
  }
  return {
    prices: PRICES,
    pricesSource: PRICES_SOURCE,
    lambdaPricing: lambdaPricing(AWS_DURATIONS),
    targetDollarsPerMillion: TARGET_PER_MILLION,
    scenarios,
  };
};

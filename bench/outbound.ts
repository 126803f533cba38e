import { availableParallelism } from 'node:os';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { HubEvent } from '#shared/contract/index.ts';
import { awsCommandCounts, resetAwsCommandCounts } from '#shared/local/aws-command-counter.ts';
import { type LocalHubOptions, startLocalHub } from '#shared/local/hub.ts';
import { DEFAULT_MAX_ENVIRONMENTS } from '#shared/local/lambda-environments.ts';
import { postSample, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { collectHelpdeskUntil } from '#tests/support/helpdesk-queue.ts';
import { isOutcome, queueReplies } from '#tests/support/outbox.ts';
import { round } from './stats.ts';
import { cpuSince, readCpu, threadCpuPer } from './thread-cpu.ts';

/**
 * Outbound throughput on the local hub: customers write on WhatsApp, then the helpdesk queues
 * replies on the outbox, and the run lasts until every command has its one outcome event on the
 * helpdesk stream (the sender's exactly-once bookkeeping, the simulated Graph API, the recorder's
 * writes for the sent messages and the provider's statuses coming back, all on this machine).
 *
 * The customers write to BUSINESS_NUMBERS numbers, so that the run measures the hub rather than
 * one number's provider rate (WhatsApp's 80/s, of which each of the local sender's environments
 * takes its share). Commands per second run to the last outcome event: a burst figure, without
 * the statuses that trail it. The CPU the whole process spends from the first command until the
 * last message's `read` status is recorded (this benchmark's own queueing and reading of the
 * helpdesk stream included, a few per cent), per command, is the sustained figure: the machine's
 * cores divided by it is the rate they could carry.
 *
 * A round of as many replies first warms the hub up, and is measured apart: each function runs in
 * worker threads of its own, each compiling the sender's, the recorder's and the webhooks' code
 * anew, so a fresh hub's first thousand commands spend about a third more CPU each than the next
 * thousand (measured 2026-12-07 in successive rounds on one hub). The measured round is the hub's
 * steady state, as a deployed hub's warm environments are; the warm-up round is the fresh hub's.
 */
const BUSINESS_NUMBERS = ['109384756201938', '109384756201939', '109384756201940', '109384756201941'];

export interface OutboundThroughputResult {
  readonly conversations: number;
  readonly commands: number;
  readonly sent: number;
  readonly failed: number;
  readonly seconds: number;
  readonly commandsPerSecond: number;
  /** Process CPU (every thread) per command, its `message.sent` and the three statuses that follow. */
  readonly cpuMsPerCommand: number;
  /** Commands per second the machine's cores could carry at that CPU per command. */
  readonly capacityCommandsPerSecond: number;
  readonly businessNumbers: number;
  /** AWS SDK commands the functions sent per command, its statuses' included (the event sources' polls aside). */
  readonly awsCommandsPerCommand: Readonly<Record<string, number>>;
  /** The same CPU by the hub's thread (main: HTTP API, fauxqs, pollers, simulators, this benchmark), ms per command. */
  readonly threadCpuMsPerCommand: Readonly<Record<string, number>>;
  /** The round before, on the fresh hub (its functions' code not yet compiled hot): commands, commands/s, CPU per command. */
  readonly warmUp: RoundFigures;
  /** Sender environments the local hub runs at once (AWS: up to the event source's maximum concurrency). */
  readonly senderEnvironments: number;
  /** The same run, just before, against the hub as it ran before (DynamoDB's emulator on the main thread, 4 outbox batches at once). */
  readonly baseline: {
    readonly seconds: number;
    readonly commandsPerSecond: number;
    readonly sent: number;
    readonly cpuMsPerCommand: number;
    readonly warmUp: RoundFigures;
  };
}

export interface RoundFigures {
  readonly commands: number;
  readonly commandsPerSecond: number;
  readonly cpuMsPerCommand: number;
}

interface OneRun {
  readonly conversations: number;
  readonly commands: number;
  readonly sent: number;
  readonly failed: number;
  readonly seconds: number;
  readonly cpuMs: number;
  readonly awsCommands: Readonly<Record<string, number>>;
  readonly threadCpuMsPerCommand: Readonly<Record<string, number>>;
  readonly warmUp: RoundFigures;
}

export const runOutboundThroughput = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<OutboundThroughputResult> => {
  progress('  before (DynamoDB emulator on the main thread, 4 outbox batches at once, SDK requests signed):');
  const before = await runOnce(
    quick,
    { dynamoInThread: false, eventSourceConcurrency: 4, placeholderSigning: false },
    progress,
  );
  progress('  now:');
  const now = await runOnce(quick, {}, progress);
  const { cpuMs: _cpuMs, awsCommands, threadCpuMsPerCommand, ...counts } = now;
  return {
    ...counts,
    seconds: round(now.seconds, 1),
    commandsPerSecond: perSecond(now),
    cpuMsPerCommand: round(cpuPerCommand(now), 1),
    capacityCommandsPerSecond: round((1000 * availableParallelism()) / cpuPerCommand(now), 0),
    businessNumbers: BUSINESS_NUMBERS.length,
    threadCpuMsPerCommand,
    awsCommandsPerCommand: Object.fromEntries(
      Object.entries(awsCommands).map(([name, count]) => [name, round(count / now.commands, 2)]),
    ),
    senderEnvironments: DEFAULT_MAX_ENVIRONMENTS,
    baseline: {
      seconds: round(before.seconds, 1),
      commandsPerSecond: perSecond(before),
      sent: before.sent,
      cpuMsPerCommand: round(cpuPerCommand(before), 1),
      warmUp: before.warmUp,
    },
  };
};

const runOnce = async (
  quick: boolean,
  settings: Partial<LocalHubOptions>,
  progress: (line: string) => void,
): Promise<OneRun> => {
  const [conversationCount, perConversation] = quick ? [30, 5] : [100, 10];
  const hub = await startLocalHub({
    inMemory: true,
    port: 0,
    pollWaitSeconds: 1,
    attentionSweepIntervalMs: false,
    countAwsCommands: true,
    ...settings,
  });
  const sqs = new SQSClient({
    endpoint: hub.endpoints.sqs,
    region: hub.region,
    credentials: hub.credentials,
  });
  try {
    // Two sets of customers, so that the measured round, like the warm-up round, begins with a
    // first reply to each of its conversations (the dearest kind: it moves their index entries).
    progress(`  ${2 * conversationCount} customers write`);
    const [warmConversations, conversations] = await customersWrite(hub, sqs, conversationCount);
    progress(`  ${warmConversations.length * perConversation} replies to warm the hub up`);
    const warmUp = await replyRound(hub, sqs, warmConversations, perConversation, 'warm', progress);
    progress(`  ${conversations.length * perConversation} replies`);
    const measured = await replyRound(hub, sqs, conversations, perConversation, 'bench', progress);
    return {
      ...measured,
      conversations: conversations.length,
      warmUp: {
        commands: warmUp.commands,
        commandsPerSecond: perSecond(warmUp),
        cpuMsPerCommand: round(cpuPerCommand(warmUp), 1),
      },
    };
  } finally {
    sqs.destroy();
    await hub.stop();
  }
};

/** `count` customers per set write once each, in two sets; resolves with each set's conversation ids. */
const customersWrite = async (
  hub: Awaited<ReturnType<typeof startLocalHub>>,
  sqs: SQSClient,
  count: number,
): Promise<readonly [readonly string[], readonly string[]]> => {
  const customers = Array.from(
    { length: 2 * count },
    (_, index) => `4917800${String(index).padStart(6, '0')}`,
  );
  for (const [index, customer] of customers.entries())
    await postSample(
      hub.urls.base,
      whatsappTextFrom(customer, `bench-in-${customer}`, BUSINESS_NUMBERS[index % BUSINESS_NUMBERS.length]),
    );
  const received = (
    await collectHelpdeskUntil(
      sqs,
      hub.resources.helpdeskQueueUrl,
      (events) => events.filter((event) => event.type === 'switchboard.message.received').length >= 2 * count,
      120_000,
    )
  ).filter((event) => event.type === 'switchboard.message.received');
  // One conversation per customer, found by the id of the customer's message.
  const conversationOf = new Map(received.map((event) => [event.data.providerMessageId, event.subject]));
  const set = (from: number) =>
    customers
      .slice(from, from + count)
      .flatMap((customer) => conversationOf.get(`wamid.bench-in-${customer}`) ?? []);
  return [set(0), set(count)];
};

type RoundRun = Omit<OneRun, 'conversations' | 'warmUp'>;

const perSecond = (run: RoundRun) => round(run.commands / run.seconds, 1);
const cpuPerCommand = (run: RoundRun) => run.cpuMs / run.commands;

/** `turns` replies to each conversation, from the first queued to the last one's `read` status. */
const replyRound = async (
  hub: Awaited<ReturnType<typeof startLocalHub>>,
  sqs: SQSClient,
  conversations: readonly string[],
  turns: number,
  keyPrefix: string,
  progress: (line: string) => void,
): Promise<RoundRun> => {
  const commands = Array.from({ length: turns }, (_, turn) =>
    conversations.map((conversationId, index) => ({ conversationId, key: `${keyPrefix}-${index}-${turn}` })),
  ).flat();
  const cpuAtStart = readCpu();
  const threadsAtStart = await hub.threadCpuMicros();
  resetAwsCommandCounts();
  const started = performance.now();
  await queueReplies(sqs, hub.resources.outboxQueueUrl, commands, 'helpdesk:bench');
  const events = await collectHelpdeskUntil(
    sqs,
    hub.resources.helpdeskQueueUrl,
    (seen) => seen.filter(isOutcome).length >= commands.length,
    600_000,
  );
  const seconds = (performance.now() - started) / 1000;
  const outcomes = events.filter(isOutcome);
  const sent = outcomes.filter((event) => event.type === 'switchboard.message.sent').length;
  // The statuses trail the outcomes by up to the simulator's read delay: their work is the commands' too.
  const reads = (seen: readonly HubEvent[]) => seen.filter(isReadStatus).length;
  const trailing = await collectHelpdeskUntil(
    sqs,
    hub.resources.helpdeskQueueUrl,
    (seen) => reads(events) + reads(seen) >= sent,
    60_000,
  );
  const allRead = reads(events) + reads(trailing) >= sent;
  if (!allRead) progress('  warning: not every sent message was read in time: no CPU figure');
  return {
    commands: commands.length,
    sent,
    failed: outcomes.length - sent,
    seconds,
    // Without every status the span is not the commands' whole cost (and may hold a minute of idle polling).
    cpuMs: allRead ? cpuSince(cpuAtStart).processMs : Number.NaN,
    awsCommands: awsCommandCounts(),
    threadCpuMsPerCommand: allRead
      ? threadCpuPer(threadsAtStart, await hub.threadCpuMicros(), commands.length)
      : {},
  };
};

const isReadStatus = (event: HubEvent): boolean =>
  event.type === 'switchboard.message.status_updated' && event.data.status === 'read';

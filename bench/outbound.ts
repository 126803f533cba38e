import { SQSClient } from '@aws-sdk/client-sqs';
import { type LocalHubOptions, startLocalHub } from '#shared/local/hub.ts';
import { DEFAULT_MAX_ENVIRONMENTS } from '#shared/local/lambda-environments.ts';
import { postSample, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { collectHelpdeskUntil } from '#tests/support/helpdesk-queue.ts';
import { isOutcome, queueReplies } from '#tests/support/outbox.ts';
import { round } from './stats.ts';

/**
 * Outbound throughput on the local hub: customers write on WhatsApp, then the helpdesk queues
 * replies on the outbox, and the run lasts until every command has its one outcome event on the
 * helpdesk stream (the sender's exactly-once bookkeeping, the simulated Graph API, the recorder's
 * writes for the sent messages and the provider's statuses coming back, all on this machine).
 */
export interface OutboundThroughputResult {
  readonly conversations: number;
  readonly commands: number;
  readonly sent: number;
  readonly failed: number;
  readonly seconds: number;
  readonly commandsPerSecond: number;
  /** Sender environments the local hub runs at once (AWS: up to the event source's maximum concurrency). */
  readonly senderEnvironments: number;
  /** The same run, just before, against the hub as it ran before (DynamoDB's emulator on the main thread, 4 outbox batches at once). */
  readonly baseline: { readonly seconds: number; readonly commandsPerSecond: number; readonly sent: number };
}

interface OneRun {
  readonly conversations: number;
  readonly commands: number;
  readonly sent: number;
  readonly failed: number;
  readonly seconds: number;
}

export const runOutboundThroughput = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<OutboundThroughputResult> => {
  progress('  before (DynamoDB emulator on the main thread, 4 outbox batches at once):');
  const before = await runOnce(quick, { dynamoInThread: false, eventSourceConcurrency: 4 }, progress);
  progress('  now:');
  const now = await runOnce(quick, {}, progress);
  const perSecond = (run: OneRun) => round(run.commands / run.seconds, 1);
  return {
    ...now,
    seconds: round(now.seconds, 1),
    commandsPerSecond: perSecond(now),
    senderEnvironments: DEFAULT_MAX_ENVIRONMENTS,
    baseline: { seconds: round(before.seconds, 1), commandsPerSecond: perSecond(before), sent: before.sent },
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
    ...settings,
  });
  const sqs = new SQSClient({
    endpoint: hub.endpoints.sqs,
    region: hub.region,
    credentials: hub.credentials,
  });
  try {
    progress(`  ${conversationCount} customers write`);
    const customers = Array.from(
      { length: conversationCount },
      (_, index) => `4917800${String(index).padStart(6, '0')}`,
    );
    for (const customer of customers)
      await postSample(hub.urls.base, whatsappTextFrom(customer, `bench-in-${customer}`));
    const received = await collectHelpdeskUntil(
      sqs,
      hub.resources.helpdeskQueueUrl,
      (events) =>
        events.filter((event) => event.type === 'switchboard.message.received').length >= conversationCount,
      120_000,
    );
    const conversations = [
      ...new Set(
        received.filter((event) => event.type === 'switchboard.message.received').map((e) => e.subject),
      ),
    ];
    const commands = Array.from({ length: perConversation }, (_, turn) =>
      conversations.map((conversationId, index) => ({ conversationId, key: `bench-${index}-${turn}` })),
    ).flat();
    progress(`  ${commands.length} replies`);
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
    return {
      conversations: conversations.length,
      commands: commands.length,
      sent,
      failed: outcomes.length - sent,
      seconds,
    };
  } finally {
    sqs.destroy();
    await hub.stop();
  }
};

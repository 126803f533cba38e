import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { COMMAND_TYPES, type OutboundPart } from '#shared/contract/commands.ts';
import type { Channel, HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { createSqsPoller, toSqsRecord } from '#shared/local/event-source.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type {
  ChannelSender,
  MessageContext,
  PreparedMessage,
  SendOutcome,
} from '#shared/outbound/channel-sender.ts';
import type { OutboxService } from '#shared/outbound/outbox-service.ts';
import type { SendLimits, SendStep } from '#shared/outbound/send-command.ts';
import { createSender, type SenderWiring } from '#shared/outbound/wiring.ts';
import { SENDER } from '#shared/resources/definitions.ts';
import { createSendStore, type SendStore } from '#shared/store/sends.ts';
import { type Pipeline, startPipeline } from '../pipeline/harness.ts';
import { conversationFor, messageEvent, minute } from '../recorder/factories.ts';

/*
 * The sender over the real emulators and the real recorder, with a scripted provider in place of a
 * channel's sending side: what the sender core decides and keeps, apart from any provider's format.
 * (tests/e2e/outbound*.test.ts run the real channel senders against the provider simulators.)
 */

export const T0 = new Date('2026-11-22T12:00:00.000Z');

/** One provider call as the scripted provider saw it. */
export interface ProviderCall {
  readonly message: PreparedMessage;
  readonly context: MessageContext;
}

/**
 * Plays a provider: each call takes the next scripted outcome (accepted with a fresh id when the
 * script is empty). `accepted-silently` is an accept whose answer is lost on the way back: the
 * provider has the message, the sender sees no answer.
 */
export type Scripted = SendOutcome | { readonly kind: 'accepted-silently' };

/** One read receipt or typing indicator as the scripted provider saw it. */
export interface SignalCall {
  readonly type: 'mark_read' | 'typing';
  readonly conversationId: string;
  readonly providerMessageId: string | undefined;
}

export const createScriptedProvider = () => {
  const calls: ProviderCall[] = [];
  const script: Scripted[] = [];
  /** Read receipts and typing indicators, each taking the next of `signalScript` (accepted when empty). */
  const signals: SignalCall[] = [];
  const signalScript: SendOutcome[] = [];
  const signalOutcome = (call: SignalCall): Promise<SendOutcome> => {
    signals.push(call);
    return Promise.resolve(signalScript.shift() ?? { kind: 'accepted', providerMessageId: '' });
  };
  /** What the provider really holds: every message it accepted, answered or not. */
  const delivered: { providerMessageId: string; correlationId: string }[] = [];
  let counter = 0;
  const sender: ChannelSender = {
    provider: 'meta',
    prepare: (parts: readonly OutboundPart[]) => {
      const bad = parts.findIndex((part) => part.type === 'text' && part.text.includes('<refuse>'));
      if (bad >= 0)
        return {
          ok: false,
          reason: 'content_invalid',
          field: `parts.${bad}.text`,
          detail: 'refused by test',
        };
      // A text with `|` is split there, each piece a provider message of its part (as a long text is).
      return {
        ok: true,
        messages: parts.flatMap((part, partIndex) =>
          part.type === 'text' && part.text.includes('|')
            ? part.text.split('|').map((text) => ({ partIndex, part: { ...part, text } }))
            : [{ partIndex, part }],
        ),
      };
    },
    send: async (message, context) => {
      calls.push({ message, context });
      const next = script.shift() ?? { kind: 'accepted', providerMessageId: '' };
      if (next.kind === 'accepted' || next.kind === 'accepted-silently') {
        counter += 1;
        const providerMessageId =
          next.kind === 'accepted' && next.providerMessageId !== ''
            ? next.providerMessageId
            : `wamid.test${counter}`;
        delivered.push({ providerMessageId, correlationId: context.correlationId });
        return next.kind === 'accepted'
          ? { kind: 'accepted', providerMessageId }
          : { kind: 'ambiguous', error: { code: 'TimeoutError', title: 'no answer in time' } };
      }
      return next;
    },
    markRead: (target, providerMessageId) =>
      signalOutcome({ type: 'mark_read', conversationId: target.conversationId, providerMessageId }),
    typing: (target, providerMessageId) =>
      signalOutcome({ type: 'typing', conversationId: target.conversationId, providerMessageId }),
  };
  return { sender, calls, script, delivered, signals, signalScript };
};

export interface OutboundHarness {
  readonly pipeline: Pipeline;
  readonly provider: ReturnType<typeof createScriptedProvider>;
  /** The clock every component reads; tests move it. */
  now: Date;
  sender(
    afterStep?: (step: SendStep) => void | Promise<void>,
    overrides?: Partial<
      Pick<
        SenderWiring,
        | 'endpointTurn'
        | 'limits'
        | 'random'
        | 'pseudonymKey'
        | 'logger'
        | 'mediaObjects'
        | 'onCapacity'
        | 'stagingBudgetBytes'
        | 'senderFor'
        | 'onCommandError'
      >
    >,
  ): OutboxService;
  enqueue(command: unknown, dedupSuffix?: string): Promise<void>;
  /** Polls the outbox `polls` times (failed commands come straight back), or until it stays empty. */
  runOutbox(service?: OutboxService, polls?: number): Promise<{ received: number; failed: number }>;
  /** The reasons of the messages on the outbox's dead-letter queue, taken off it. */
  outboxDlq(): Promise<string[]>;
  /** The send records, as the sender keeps them. */
  readonly sends: SendStore;
  stop(): Promise<void>;
}

const silentLogger = createLogger({ level: 'error', write: () => {} });

export const HARNESS_LIMITS: SendLimits = {
  outcomeWaitMs: 10 * 60_000,
  giveUpMs: 10 * 60_000,
  minRemainingMs: 0,
  credentialsPauseMs: 5 * 60_000,
  attemptLifetimeMs: 35_000,
  backoff: SENDER.backoff,
  unreachableTries: SENDER.unreachableTries,
  // Short waits: a test that refuses a write through the invocation does not sit out seconds of them.
  answerWrites: { tries: 5, baseMs: 10, reserveMs: 0 },
};

export const startOutboundHarness = async (): Promise<OutboundHarness> => {
  const pipeline = await startPipeline();
  const { clients, resources } = pipeline.emulators;
  const provider = createScriptedProvider();
  const harness: OutboundHarness = {
    pipeline,
    provider,
    now: T0,
    sender: (afterStep, overrides = {}) =>
      createSender({
        pseudonymKey: localPseudonymKey,
        dynamodb: clients.dynamodb,
        sqs: clients.sqs,
        payloads: { s3: clients.s3, bucket: resources.bucketName },
        mediaObjects: s3MediaObjects(resources.bucketName, async () => clients.s3),
        tableName: resources.tableName,
        helpdeskQueueUrl: resources.helpdeskQueueUrl,
        outboxQueueUrl: resources.outboxQueueUrl,
        outboxDlqUrl: resources.outboxDlqUrl,
        senderFor: async () => provider.sender,
        replyTagKey: async () => 'test-reply-tag-key-of-at-least-32-characters',
        defaultEmailProvider: 'ses',
        logger: silentLogger,
        clock: () => harness.now,
        limits: HARNESS_LIMITS,
        environments: 1,
        ...(afterStep ? { afterStep: (step) => afterStep(step) } : {}),
        ...overrides,
      }),
    async enqueue(command, dedupSuffix = '') {
      const body = JSON.stringify(command);
      const parsed = command as { id?: string; data?: { conversationId?: string } };
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: resources.outboxQueueUrl,
          MessageBody: body,
          MessageGroupId: parsed.data?.conversationId ?? 'no-conversation',
          MessageDeduplicationId: `${parsed.id ?? 'no-id'}${dedupSuffix}`,
        }),
      );
    },
    async runOutbox(service = harness.sender(), polls = 1_000) {
      const poller = await createSqsPoller({
        sqs: pipeline.emulators.queues,
        queueUrl: resources.outboxQueueUrl,
        handler: (event) => service.handleSqsEvent(event),
        functionName: 'sender',
        waitTimeSeconds: 0,
        retryVisibilitySeconds: 0,
        onError: (error) => {
          throw error;
        },
      });
      const totals = { received: 0, failed: 0 };
      for (let poll = 0, idle = 0; poll < polls && idle < 2; poll++) {
        const batch = await poller.pollOnce();
        idle = batch.received === 0 ? idle + 1 : 0;
        totals.received += batch.received;
        totals.failed += batch.failed;
      }
      return totals;
    },
    async outboxDlq() {
      const output = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.outboxDlqUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = output.Messages ?? [];
      // Taken off the queue: a later test sees only what it moved there.
      if (messages.length > 0)
        await clients.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: resources.outboxDlqUrl,
            Entries: messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      return messages.map((message) => message.MessageAttributes?.reason?.StringValue ?? '(none)');
    },
    sends: createSendStore({
      client: clients.dynamodb,
      tableName: resources.tableName,
      now: () => harness.now,
    }),
    stop: () => pipeline.stop(),
  };
  return harness;
};

/**
 * Before each test: the clock back at T0, a provider that has seen, holds and is scripted nothing,
 * and the helpdesk stream taken, so a test sees only what it caused.
 */
const resetHarness = async (hub: OutboundHarness): Promise<void> => {
  hub.now = T0;
  hub.provider.calls.length = 0;
  hub.provider.script.length = 0;
  hub.provider.delivered.length = 0;
  hub.provider.signals.length = 0;
  hub.provider.signalScript.length = 0;
  await hub.pipeline.takeHelpdesk();
};

/**
 * The harness of the `describe` block this is called in: started before its tests, stopped after
 * them (after the block's own `afterAll` hooks), reset before each test. The harness object is
 * usable at once (it forwards to the started one), so a block declares it in one line; a block's own
 * `beforeAll` hooks, registered after this call, run once it has started.
 */
export const useOutboundHarness = (): OutboundHarness => {
  let started: OutboundHarness | undefined;
  const current = (): OutboundHarness => {
    if (!started) throw new Error('the outbound harness is used before its beforeAll ran');
    return started;
  };
  beforeAll(async () => {
    started = await startOutboundHarness();
  });
  afterAll(async () => {
    await started?.stop();
  });
  beforeEach(() => resetHarness(current()));
  return new Proxy({} as OutboundHarness, {
    get: (_target, key) => Reflect.get(current(), key),
    set: (_target, key, value) => Reflect.set(current(), key, value),
  });
};

/** A test file's customers: the `n`th is `prefix` and `n` in five digits, writing `wamid.<tag><n>`. */
export interface Customers {
  readonly prefix: string;
  readonly tag: string;
}

/**
 * The `n`th of `customers` writes once at `at` (default minute(100): 20 minutes before T0, inside
 * the window) on `channel`; the message is recorded and the helpdesk stream taken. Their id (`wa`)
 * and conversation.
 */
export const openCustomerConversation = async (
  hub: OutboundHarness,
  { prefix, tag }: Customers,
  n: number,
  at = minute(100),
  channel: Channel = 'whatsapp',
) => {
  const wa = `${prefix}${String(n).padStart(5, '0')}`;
  await hub.pipeline.ingest([messageEvent(wa, `wamid.${tag}${n}`, at, 'inbound', 'hello', channel)]);
  await hub.pipeline.drain();
  await hub.pipeline.takeHelpdesk();
  return { wa, conversationId: conversationFor(wa, channel).conversationId };
};

let commandCounter = 0;

/** A read receipt (`providerMessageId` given) or a typing indicator for the conversation. */
export const signalCommand = (conversationId: string, providerMessageId?: string) => ({
  specversion: '1.0',
  id: `cmd-${++commandCounter}`,
  source: 'helpdesk:test',
  type: providerMessageId === undefined ? COMMAND_TYPES.typing : COMMAND_TYPES.markRead,
  data: { conversationId, ...(providerMessageId === undefined ? {} : { providerMessageId }) },
});

export const sendCommand = (
  conversationId: string,
  idempotencyKey: string,
  parts: readonly OutboundPart[] = [{ type: 'text', text: 'Thanks, we are on it.' }],
  extra: Record<string, unknown> = {},
) => ({
  specversion: '1.0',
  id: `cmd-${++commandCounter}`,
  source: 'helpdesk:test',
  type: COMMAND_TYPES.sendMessage,
  data: { idempotencyKey, conversationId, parts, sender: { kind: 'agent', id: 'agent-7' }, ...extra },
});

export const outcomesOf = (events: readonly HubEvent[]) =>
  events.filter(
    (event) => event.type === 'switchboard.message.sent' || event.type === 'switchboard.message.send_failed',
  );

/**
 * The three commands that name a customer's message by its provider id (a reply quoting it, a
 * reaction to it, a read receipt of it) sent to `providerMessageId`, run through the outbox: the
 * outcome events they end in, for a test of an id the hub refuses as such a target
 * (shared/outbound/message-references.ts). `tag` keeps each test's idempotency keys apart.
 */
export const referToMessage = async (
  hub: OutboundHarness,
  conversationId: string,
  providerMessageId: string,
  tag: string,
): Promise<HubEventOf<'switchboard.message.send_failed'>[]> => {
  await hub.enqueue(
    sendCommand(conversationId, `${tag}-quote`, undefined, { replyTo: { providerMessageId } }),
  );
  await hub.enqueue(
    sendCommand(conversationId, `${tag}-react`, [
      { type: 'reaction', targetProviderMessageId: providerMessageId, emoji: '👍' },
    ]),
  );
  await hub.enqueue(signalCommand(conversationId, providerMessageId));
  await hub.runOutbox();
  return outcomesOf(await hub.pipeline.takeHelpdesk()) as HubEventOf<'switchboard.message.send_failed'>[];
};

/** One outbox message as Lambda hands it to the sender, at its `receiveCount`th receive. */
export interface OutboxDelivery {
  readonly messageId: string;
  /** The message body as it came (a command's JSON, or anything a producer put there). */
  readonly body: string;
  readonly messageGroupId: string;
  readonly receiveCount: number;
}

/** The outbox's SQS record of `delivery`, as the sender's event source maps it. */
export const outboxRecord = ({ messageId, body, messageGroupId, receiveCount }: OutboxDelivery) =>
  toSqsRecord(
    {
      MessageId: messageId,
      ReceiptHandle: 'r',
      Body: body,
      Attributes: { MessageGroupId: messageGroupId, ApproximateReceiveCount: String(receiveCount) },
    },
    'arn:aws:sqs:local:000000000000:switchboard-outbox.fifo',
    'local',
  );

/** The outbox's SQS record of `command` at its `receiveCount`th receive, in its conversation's group. */
export const receivedCommand = (command: ReturnType<typeof sendCommand>, receiveCount: number) =>
  outboxRecord({
    messageId: `receive-${receiveCount}-${command.id}`,
    body: JSON.stringify(command),
    messageGroupId: command.data.conversationId,
    receiveCount,
  });

/** One DynamoDB request as a test's client middleware sees it (to refuse, hold or lose it). */
export type Write = { readonly commandName: string | undefined; readonly input: unknown };
/** An item's or a request's key attributes, as the low-level client writes them. */
export type Keys = Record<string, { S?: string }> | undefined;

/** Puts a file into the payload bucket under `s3Key`, as the helpdesk's upload through its presigned URL stores it. */
export const putUpload = async (
  hub: OutboundHarness,
  s3Key: string,
  body: Uint8Array,
  contentType: string,
) => {
  const { clients, resources } = hub.pipeline.emulators;
  await clients.s3.send(
    new PutObjectCommand({ Bucket: resources.bucketName, Key: s3Key, Body: body, ContentType: contentType }),
  );
};

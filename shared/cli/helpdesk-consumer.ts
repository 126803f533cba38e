/**
 * Example helpdesk consumer: copy this file to start your own integration.
 *
 *   npm run consume -- --hub http://127.0.0.1:3000            # against `npm start`
 *   npm run consume -- --queue-url https://sqs.eu-west-1.amazonaws.com/123/switchboard-helpdesk.fifo
 *
 * What it shows:
 * - long polling (WaitTimeSeconds 20) with the plain AWS SDK, batches of up to 10;
 * - every body validated with `HubEventSchema` (the published contract) before use;
 * - de-duplication on the CloudEvents `id`: delivery is at-least-once, and the same id always means
 *   the same occurrence. This example keeps an in-memory LRU; in production record handled ids in
 *   a durable store (a DynamoDB conditional put with a TTL of at least 28 days, or a unique key in
 *   your database written in the same transaction as your side effect), so a restart does not
 *   re-handle: a message can wait out the queue's 14-day retention, move to the dead-letter queue
 *   (which on FIFO queues restarts its age) and be redriven up to 14 days later;
 * - `switchboard.conversation.state_changed`: keep the state with the highest `version` per
 *   conversation and ignore older ones (FIFO order holds per conversation, redeliveries and
 *   redrives from the dead-letter queue do not), except across a conversation erased with its person
 *   and created again under its id by the customer's next message, which counts from 1 again: a
 *   state whose first message came in (`firstReceivedAt`, the hub's receipt) after the last of the
 *   state you kept (`lastReceivedAt`) is of the new conversation and replaces it, one whose last came
 *   in before the kept state's first is of the erased one and is ignored; when either state lacks
 *   them (a conversation created before 2026-12-06, a state older code published during a deploy or
 *   a rollback), both are compared by `createdAt` and `lastMessageAt` instead, never a mix;
 * - an event too large for one SQS message (over 1 MiB: rare, e-mail with huge bodies) arrives as a
 *   claim check `{switchboardClaimCheck: {bucket, key, sha256}, id, type, subject}`: fetch the event
 *   from the payload bucket (`resolveQueueMessageBody` does it and checks the hash). If its object
 *   is gone (the person was erased, which deletes their conversations' claim checks), the event is
 *   gone with it: it is reported by id and type and deleted, as there is nothing left to handle (the
 *   helpdesk policy's s3:ListBucket on bodies/events/ lets a 403 for it be settled by listing its key);
 * - delete only after handling; a body that is not a valid event is left alone, so after the
 *   queue's maxReceiveCount SQS moves it to the dead-letter queue for a human to look at; a delete
 *   SQS refuses is reported by message id, and the message comes again (its event id is kept);
 * - keep each conversation's order: a batch can hold several messages of one message group, so once
 *   one is not handled (not an event, or a claim check that could not be read just now) the group's
 *   later messages in the batch are left unhandled and undeleted too, to come again after it. Each
 *   receive counts for every message it returns, held ones included, so at the unhandled one's last
 *   allowed receive (its ApproximateReceiveCount at the queue's maxReceiveCount, read from the
 *   queue's RedrivePolicy) the group is no longer held: its later messages are handled and deleted,
 *   and SQS moves the unhandled one alone to the dead-letter queue at its next receive. Held, they
 *   would have reached that count with it and been moved with it.
 * - stop between receives: Ctrl-C lets the long poll in flight end and its events be handled and deleted, since
 *   what SQS hands a poll its consumer dropped stays invisible for the visibility timeout (a second Ctrl-C quits);
 * It prints ids, types, subjects and times: never message text or contact details.
 */
import { parseArgs } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { BlobNotFoundError } from '#shared/aws/blob-store.ts';
import { ClaimCheckLostError, resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { isMissingObject } from '#shared/aws/missing-object.ts';
import { type HubEvent, type HubEventOf, HubEventSchema } from '#shared/contract/index.ts';
import { cliAwsRegion } from '#shared/local/aws-region.ts';
import { isAnswered, parseOrAnswer, swallowedHub } from '#shared/local/cli-args.ts';
import { type CliOutput, isEntryPoint, terminalOutput } from '#shared/local/cli-output.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';

/**
 * Reads a claim check's object from the payload bucket. S3 may answer a gone object (its person
 * erased) 403 rather than 404 even to the helpdesk policy, which lists claim checks: a 403 for a key
 * the listing does not find is `BlobNotFoundError`, which `resolveQueueMessageBody` takes as gone.
 */
export const claimCheckReader =
  (s3: Pick<S3Client, 'send'>) =>
  async (bucket: string, key: string): Promise<Uint8Array> => {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new Error('claim-checked object has no body');
      return await object.Body.transformToByteArray();
    } catch (error) {
      if (await isMissingObject(error, s3, bucket, key)) throw new BlobNotFoundError('no such claim check');
      throw error;
    }
  };

/** A small LRU of handled event ids. */
export class RecentIds {
  private readonly ids = new Map<string, true>();
  constructor(private readonly capacity = 10_000) {}

  /** True the first time an id is seen. */
  remember(id: string): boolean {
    if (this.ids.has(id)) {
      this.ids.delete(id);
      this.ids.set(id, true);
      return false;
    }
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

export type Handling = 'handled' | 'duplicate' | 'stale_state' | 'lost' | 'invalid';

type ConversationState = HubEventOf<'switchboard.conversation.state_changed'>['data']['state'];

/**
 * Whether a state is of another conversation than `kept` under the same id, and which came first. An
 * erasure deletes a conversation and the customer's next message creates it again under its id,
 * counting from version 1 again, so versions order the states of one conversation only. Every state
 * of one conversation spans the hub's receipt of its first recorded message: its `firstReceivedAt`
 * (the earliest receipt of its messages; it moves back when one received earlier is recorded later)
 * is no later, and its `lastReceivedAt` no earlier, than that receipt. The erased conversation's
 * messages all came in before the new one's first. So a state whose messages came in after the kept
 * state's last is of a newer conversation, and one whose messages all came in before the kept
 * state's first of an older one (the erased conversation's, redriven late); any other is the same.
 * Receipts are the hub's own clock: until 2026-12-06 this compared `createdAt` and `lastMessageAt`,
 * provider times (an e-mail's Date is its sender's clock), so a new conversation whose first mail
 * was dated before the erased one's last message was taken for the erased one (found by a review).
 *
 * Receipts are compared only when both states carry them; when either lacks them (a conversation
 * created before 2026-12-06, or a state a function still on older code saved and published during a
 * deploy or after a rollback, which drops them) both are compared by those provider times, never
 * one's receipt with the other's provider time: a provider time comes before its receipt (WhatsApp's
 * is in whole seconds, webhooks take time), so a later state of the same conversation without
 * receipts was taken for the erased one's and dropped (until 2026-12-06, found by a review).
 */
const conversationOf = (state: ConversationState, kept: KeptState): 'newer' | 'older' | 'same' => {
  const span = spanOf(state);
  const [first, last, keptFirst, keptLast] =
    span.receipts && kept.receipts
      ? [span.receipts.first, span.receipts.last, kept.receipts.first, kept.receipts.last]
      : [span.provider.first, span.provider.last, kept.provider.first, kept.provider.last];
  if (Date.parse(first) > Date.parse(keptLast)) return 'newer';
  if (Date.parse(last) < Date.parse(keptFirst)) return 'older';
  return 'same';
};

/** When a state's first and last message came in, or were dated. */
interface Span {
  readonly first: string;
  readonly last: string;
}

/**
 * A state's first and last receipt (`firstReceivedAt`, `lastReceivedAt`: absent on conversations
 * created before 2026-12-06 and on states older code published), and its provider times: `createdAt`
 * and its newest message's time (`lastMessageAt`, else `createdAt`).
 */
const spanOf = (state: ConversationState): Pick<KeptState, 'receipts' | 'provider'> => ({
  ...(state.firstReceivedAt !== undefined && state.lastReceivedAt !== undefined
    ? { receipts: { first: state.firstReceivedAt, last: state.lastReceivedAt } }
    : {}),
  provider: { first: state.createdAt, last: state.lastMessageAt ?? state.createdAt },
});

interface KeptState {
  readonly version: number;
  /** When the state's first and last message came in (`spanOf`), when it says. */
  readonly receipts?: Span;
  /** When they were dated (`createdAt`, `lastMessageAt`). */
  readonly provider: Span;
}

/** Your helpdesk logic goes here; this one prints and tracks conversation versions. */
export class ExampleHelpdesk {
  readonly seen = new RecentIds();
  /** conversation id → the state applied: its version and when its first and last message came in. */
  private readonly kept = new Map<string, KeptState>();

  constructor(private readonly output: CliOutput) {}

  /** conversation id → version of the state applied. */
  get versions(): ReadonlyMap<string, number> {
    return new Map([...this.kept].map(([id, kept]) => [id, kept.version]));
  }

  report(line: string): void {
    this.output.line(line);
  }

  handle(body: string | undefined): Handling {
    let json: unknown;
    try {
      json = JSON.parse(body ?? '');
    } catch {
      this.output.line('invalid: body is not JSON (left for the dead-letter queue)');
      return 'invalid';
    }
    return this.handleJson(json);
  }

  handleJson(json: unknown): Handling {
    const parsed = HubEventSchema.safeParse(json);
    if (!parsed.success) {
      const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))].slice(
        0,
        5,
      );
      this.output.line(
        `invalid: not a Switchboard event (${paths.join(', ')}) (left for the dead-letter queue)`,
      );
      return 'invalid';
    }
    const event = parsed.data;
    if (!this.seen.remember(event.id)) return 'duplicate';
    if (event.type === 'switchboard.conversation.state_changed') {
      const { state } = event.data;
      const { conversationId, version, status } = state;
      // A state of a conversation created after the kept one replaces it whatever its version, one of
      // an older conversation never does; within one conversation the higher version wins. (Until
      // 2026-12-06 only a first state could start a conversation anew, so the new conversation's
      // later states were dropped when its first came late or never, and a state of the erased
      // conversation redriven late won by its version: found by reviews.)
      const kept = this.kept.get(conversationId);
      const which = kept === undefined ? 'newer' : conversationOf(state, kept);
      if (kept && (which === 'older' || (which === 'same' && kept.version >= version))) return 'stale_state';
      this.kept.set(conversationId, { version, ...spanOf(state) });
      this.output.line(`${event.time}  state     ${event.id}  ${event.subject}  ${status} v${version}`);
      return 'handled';
    }
    this.output.line(`${event.time}  ${shortType(event)}  ${event.id}  ${event.subject}`);
    return 'handled';
  }
}

const shortType = (event: HubEvent): string => event.type.replace(/^switchboard\./, '').padEnd(8);

export interface ConsumerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly helpdesk: ExampleHelpdesk;
  /** Reads a claim-checked event from the payload bucket; without it such messages are left for the DLQ. */
  readonly fetchObject?: (bucket: string, key: string) => Promise<Uint8Array>;
  readonly waitTimeSeconds?: number;
  /**
   * Stop after the receive in flight: its messages are handled and deleted first. A consumer that drops a
   * long poll mid-way (the process exits, the request aborted) can leave what SQS hands that poll invisible
   * for the queue's visibility timeout (60 s here), out of reach of the next consumer.
   */
  readonly stopping?: AbortSignal;
  /** Stop at once, the receive in flight aborted. */
  readonly signal?: AbortSignal;
  /** Stop after this many empty polls (tests); forever when absent. */
  readonly maxEmptyPolls?: number;
  /**
   * The queue's maxReceiveCount (`maxReceiveCountOf`): at that receive a message not handled no
   * longer holds its group. Absent (a queue without a redrive policy), a group is held as long as it waits.
   */
  readonly maxReceiveCount?: number;
}

/** SQS's RedrivePolicy attribute, as far as it is read here (its count is a number or a numeric string). */
const RedrivePolicySchema = z.looseObject({ maxReceiveCount: z.coerce.number().int().positive() });

/** The maxReceiveCount of the queue's redrive policy; undefined without one (a dead-letter queue). */
export const maxReceiveCountOf = async (sqs: SQSClient, queueUrl: string): Promise<number | undefined> => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  if (!Attributes?.RedrivePolicy) return undefined;
  const policy = RedrivePolicySchema.safeParse(JSON.parse(Attributes.RedrivePolicy));
  return policy.success ? policy.data.maxReceiveCount : undefined;
};

/** Whether this is the message's last receive before SQS moves it to the dead-letter queue. */
const atLastReceive = (options: ConsumerOptions, message: Message): boolean =>
  options.maxReceiveCount !== undefined &&
  Number(message.Attributes?.ApproximateReceiveCount ?? 0) >= options.maxReceiveCount;

const noClaimCheckReader = (): Promise<Uint8Array> =>
  Promise.reject(new Error('claim check received but no payload bucket reader configured'));

/** Parses the body, follows a claim check if it is one, then hands the event to the helpdesk. */
const handleMessage = async (options: ConsumerOptions, body: string | undefined): Promise<Handling> => {
  let json: unknown;
  try {
    json = await resolveQueueMessageBody(body ?? '', options.fetchObject ?? noClaimCheckReader);
  } catch (error) {
    if (error instanceof ClaimCheckLostError && error.reason === 'claim_check_missing') {
      // Erased with its conversation: nothing is left to handle, and a retry would find nothing either.
      const { id, type, subject } = error.pointer;
      options.helpdesk.report(`lost: ${id}  ${type}  ${subject}  claim-checked object is gone (deleted)`);
      return 'lost';
    }
    options.helpdesk.report(
      `invalid: ${error instanceof Error ? error.name : 'error'} (left for the dead-letter queue)`,
    );
    return 'invalid';
  }
  return options.helpdesk.handleJson(json);
};

/** SQS's longest long poll. */
const WAIT_SECONDS = 20;

/** A second Ctrl-C sooner than this after the first is taken for the same one, passed on twice. */
const SECOND_INTERRUPT_MS = 1_000;

/** Receives, handles, deletes; returns when stopped or aborted, or after `maxEmptyPolls` empty polls. */
export const consume = async (options: ConsumerOptions): Promise<void> => {
  let emptyPolls = 0;
  while (!options.signal?.aborted && !options.stopping?.aborted) {
    let messages: Message[];
    try {
      const received = await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: options.waitTimeSeconds ?? WAIT_SECONDS,
          MessageSystemAttributeNames: ['MessageGroupId', 'ApproximateReceiveCount'],
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      messages = received.Messages ?? [];
    } catch (error) {
      if (options.signal?.aborted) return;
      throw error;
    }
    if (messages.length === 0) {
      emptyPolls += 1;
      if (options.maxEmptyPolls !== undefined && emptyPolls >= options.maxEmptyPolls) return;
      continue;
    }
    emptyPolls = 0;
    await deleteHandled(options, await handleBatch(options, messages));
  }
};

/** Handles a batch in order; returns the messages to delete. */
const handleBatch = async (options: ConsumerOptions, messages: readonly Message[]): Promise<Message[]> => {
  const done: Message[] = [];
  // A batch can hold several messages of one group (one conversation): once one is not handled, its
  // group's later ones wait too, unhandled and undeleted, so they come again after it, in order.
  const heldGroups = new Set<string>();
  for (const message of messages) {
    const group = message.Attributes?.MessageGroupId;
    if (group !== undefined && heldGroups.has(group)) {
      options.helpdesk.report(
        `held: ${message.MessageId}  behind an earlier message of its group not handled`,
      );
      continue;
    }
    if ((await handleMessage(options, message.Body)) !== 'invalid') done.push(message);
    else if (atLastReceive(options, message)) {
      // The held ones have been received as often: held again, SQS would move them with it (until
      // 2026-12-06 it did; found by a review). Not deleted, it goes to the dead-letter queue alone.
      options.helpdesk.report(
        `given up: ${message.MessageId}  at receive ${message.Attributes?.ApproximateReceiveCount} of ${options.maxReceiveCount}: left for the dead-letter queue, its group goes on`,
      );
    } else if (group !== undefined) heldGroups.add(group);
  }
  return done;
};

/** Deletes handled messages; one SQS refuses is reported by id and comes again (its event id is kept). */
const deleteHandled = async (options: ConsumerOptions, done: readonly Message[]): Promise<void> => {
  if (done.length === 0) return;
  const { Failed } = await options.sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: options.queueUrl,
      Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
    }),
  );
  for (const failure of Failed ?? []) {
    const message = done[Number(failure.Id)];
    options.helpdesk.report(
      `undeleted: ${message?.MessageId ?? `entry ${failure.Id}`}  ${failure.Code ?? 'unknown'} (comes again; its id is kept, so it is skipped then)`,
    );
  }
};

/** Where `npm run consume` reads: a local hub (its self-description alone), or a queue in AWS. */
export type ConsumerSource =
  | {
      readonly kind: 'hub';
      readonly hubUrl: string;
      /** Named with --hub: its silence is an error, never a reason to look elsewhere. */
      readonly explicit: boolean;
      /** --queue-url beside --hub: another queue on that hub (e.g. its dead-letter queue). */
      readonly queueUrl?: string;
    }
  | { readonly kind: 'aws'; readonly queueUrl: string }
  | { readonly kind: 'refused'; readonly message: string };

/**
 * With --hub, the hub's description alone (SWITCHBOARD_HELPDESK_QUEUE_URL is ignored); without it,
 * --queue-url or SWITCHBOARD_HELPDESK_QUEUE_URL in AWS, else the default local hub. A `--hub=URL`
 * written before the `--` is kept by npm (npm_config_hub) and not passed on, so this would read (and
 * delete from) the deployed queue, or the default hub's: refused (found by a README walkthrough).
 */
export const consumerSource = (
  flags: { readonly hub?: string | undefined; readonly 'queue-url'?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): ConsumerSource => {
  const queueFlag = flags['queue-url'];
  const kept = flags.hub === undefined ? swallowedHub('consume', env) : undefined;
  if (kept) return { kind: 'refused', message: kept };
  if (flags.hub !== undefined)
    return {
      kind: 'hub',
      hubUrl: flags.hub,
      explicit: true,
      ...(queueFlag !== undefined ? { queueUrl: queueFlag } : {}),
    };
  const queueUrl = queueFlag ?? env.SWITCHBOARD_HELPDESK_QUEUE_URL;
  return queueUrl
    ? { kind: 'aws', queueUrl }
    : { kind: 'hub', hubUrl: 'http://127.0.0.1:3000', explicit: false };
};

const USAGE = `usage: npm run consume -- [--hub URL | --queue-url URL] [options]
  Reads the helpdesk queue until Ctrl-C: prints each event's id, type, subject and time, deletes what it handled.
  --hub URL           a local hub (npm start): its queue, endpoints and credentials alone (default
                      http://127.0.0.1:3000 when neither --queue-url nor SWITCHBOARD_HELPDESK_QUEUE_URL is set)
  --queue-url URL     the helpdesk queue in AWS (default SWITCHBOARD_HELPDESK_QUEUE_URL), with the SDK's usual
                      credentials; beside --hub, another queue of that hub (e.g. its dead-letter queue)
  --endpoint URL      an SQS endpoint to use instead of the hub's or AWS's
  --s3-endpoint URL   an S3 endpoint (claim checks) to use instead of the hub's or AWS's
  --region REGION     the region (default: the hub's, else the queue URL's, else the SDK's, e.g. AWS_REGION)
  --help              this text`;

const parseConsumerArgs = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    options: {
      hub: { type: 'string' },
      'queue-url': { type: 'string' },
      endpoint: { type: 'string' },
      's3-endpoint': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/** Runs the consumer until stopped; returns the process exit code (2 for bad arguments). */
export const main = async (
  argv: readonly string[],
  output: CliOutput = terminalOutput(),
): Promise<number> => {
  const parsed = parseOrAnswer(() => parseConsumerArgs(argv), USAGE, output);
  if (isAnswered(parsed)) return parsed.exitCode;
  const { values } = parsed;
  // Against a local hub everything comes from its self-description; against AWS, from flags and
  // the SDK's usual environment (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_SQS…).
  const source = consumerSource(values, process.env);
  if (source.kind === 'refused') {
    output.line(source.message);
    return 2;
  }
  const hub = source.kind === 'hub' ? await fetchHubInfo(source.hubUrl) : undefined;
  if (source.kind === 'hub' && !hub) {
    output.line(
      source.explicit
        ? `No local hub answers at ${source.hubUrl} (--hub): nothing consumed (start it with npm start).`
        : 'No queue: pass --queue-url (or SWITCHBOARD_HELPDESK_QUEUE_URL), or start the local hub (npm start).',
    );
    return 1;
  }
  const queueUrl = source.queueUrl ?? hub?.resources.helpdeskQueueUrl ?? '';
  const endpoint = values.endpoint ?? hub?.endpoints.sqs;
  // The region: --region, the hub's, else the queue URL's (SQS signs for its host's region), else the
  // SDK's (AWS_REGION, the profile) (before, with none configured, the README's own --queue-url example
  // stopped at "Region is missing").
  const region = values.region || hub?.region || (await cliAwsRegion([queueUrl]));
  const sqs = new SQSClient({
    ...(endpoint ? { endpoint } : {}),
    region,
    ...(hub ? { credentials: hub.credentials } : {}),
  });
  const s3Endpoint = values['s3-endpoint'] ?? hub?.endpoints.s3;
  const s3 = new S3Client({
    ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}),
    region,
    ...(hub ? { credentials: hub.credentials } : {}),
  });
  // Ctrl-C lets the receive in flight end (its events handled and deleted), so none is left invisible to the next
  // run; a second Ctrl-C, a second apart at least (npm may pass the terminal's one on as a second), quits at once.
  // SIGTERM (a process manager's stop) stops at once: what that poll got comes again after the visibility timeout.
  const stopping = new AbortController();
  const stop = new AbortController();
  let firstInterrupt = 0;
  const onInterrupt = (): void => {
    if (!stopping.signal.aborted) {
      firstInterrupt = Date.now();
      stopping.abort();
      output.line(`stopping after the receive in flight (up to ${WAIT_SECONDS} s); Ctrl-C again quits now`);
    } else if (Date.now() - firstInterrupt >= SECOND_INTERRUPT_MS) process.exit(130);
  };
  const onTerminate = (): void => stop.abort();
  process.on('SIGINT', onInterrupt);
  process.once('SIGTERM', onTerminate);
  try {
    return await consumeFrom(sqs, s3, queueUrl, output, { stopping: stopping.signal, signal: stop.signal });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onTerminate);
  }
};

/** Consumes `queueUrl` until stopped, then closes the clients. */
const consumeFrom = async (
  sqs: SQSClient,
  s3: S3Client,
  queueUrl: string,
  output: CliOutput,
  signals: Pick<ConsumerOptions, 'stopping' | 'signal'>,
): Promise<number> => {
  const maxReceiveCount = await maxReceiveCountOf(sqs, queueUrl);
  output.line(`consuming ${queueUrl} (Ctrl-C stops)`);
  await consume({
    sqs,
    queueUrl,
    helpdesk: new ExampleHelpdesk(output),
    fetchObject: claimCheckReader(s3),
    ...signals,
    ...(maxReceiveCount !== undefined ? { maxReceiveCount } : {}),
  });
  sqs.destroy();
  s3.destroy();
  return 0;
};

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
      process.exitCode = 2;
    },
  );
}

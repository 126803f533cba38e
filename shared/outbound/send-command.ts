import { randomUUID } from 'node:crypto';
import type { EventPublisher } from '#shared/aws/event-publisher.ts';
import type { MediaObjects } from '#shared/aws/media-objects.ts';
import { type LastReceiveCause, UnfinishedReceiveError } from '#shared/aws/sqs-fifo-batch.ts';
import { cutText } from '#shared/channels/provider-text.ts';
import { twilioStatusCallbackUrl } from '#shared/channels/sms/status-callback.ts';
import type { OutboundPart, SendMessageCommand } from '#shared/contract/commands.ts';
import {
  canonicalJson,
  hubMessageIdFor,
  outboundHubMessageId,
  sendingEndpointKey,
  stableHash,
} from '#shared/contract/ids.ts';
import type {
  Channel,
  ConversationState,
  Message,
  Provider,
  ProviderError,
  SendFailureReason,
} from '#shared/contract/types.ts';
import { conversationProvider } from '#shared/domain/conversation-provider.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { errorNameOf } from '#shared/observability/logger.ts';
import type { GroupPublisher } from '#shared/recorder/publish-rounds.ts';
import type { RecordEvent, RecordHints } from '#shared/recorder/record-event.ts';
import { SENDER } from '#shared/resources/definitions.ts';
import type { StoredConversation } from '#shared/store/conversations.ts';
import type { EndpointPauses } from '#shared/store/endpoint-pauses.ts';
import type { ContactConsent } from '#shared/store/registers.ts';
import {
  commandHashOf,
  type ErasedSend,
  type FailedOver,
  isCommandHashOf,
  type LastAccept,
  type SendFailure,
  type SendPlan,
  SendRaceError,
  type SendRecord,
  type SendStore,
  type StoredSend,
} from '#shared/store/sends.ts';
import { uploadsNamedBy } from '#shared/store/upload-refs.ts';
import { reusableUpload, type SendUpload } from '#shared/store/whatsapp-uploads.ts';
import {
  type ChannelSender,
  correlationIdFor,
  type MessageContext,
  type PreparedMessage,
  type SendOutcome,
  type SendPolicy,
  type SendTarget,
  type StoredMedia,
} from './channel-sender.ts';
import { emailThreadFor, messageIdHeaderFor, newestAnswerable } from './email-thread.ts';
import type { EndpointTurn } from './endpoint-rate.ts';
import { messageReferenceProblem } from './message-references.ts';
import { failedEventFor, sentEventFor } from './outcome-events.ts';
import { consentMatters, decideSendPolicy, type PolicyDecision } from './policy.ts';
import type { SenderFor } from './senders.ts';
import type { ReleaseBudget, StagingBudget } from './staging-budget.ts';
import { inspectStoredMedia, stageStoredMedia } from './stored-media.ts';

/*
 * One send command, from the outbox to its one outcome event. Every provider message is preceded by
 * a durable note that it is about to go (`startAttempt`; for a one-message command written with the
 * claim), so no delivery of the command ever calls the provider twice for it; what happens after the
 * call is read back from the provider's own statuses and echoes (the correlation id) when the answer
 * itself was lost. Each accept is written as soon as the provider answers, before the sent message
 * is recorded; a delivery that finds the last message in flight but already recorded (an item of
 * the scheme that accepted it with the sent mark) takes its provider id from the record. An answer
 * that took nothing (throttled, refused, credentials) is as definite: its release or failure (and a
 * pause) is written again within the invocation while DynamoDB refuses it, and past that kept by
 * the execution environment for its next command (`persist`, `keepUnsettled`), so the note does not
 * stay to make the message look possibly sent.
 */

/** Every externally visible step; tests crash after each to prove a redelivery ends the same. */

/** What a command was prepared into, as a short hash (SendRecord.preparedDigest). */
const preparedDigestOf = (messages: readonly PreparedMessage[]): string =>
  stableHash(
    'prepared-messages',
    canonicalJson(messages.map(({ partIndex, part, attachParts }) => ({ partIndex, part, attachParts }))),
  );

/** The record's map of provider messages to command parts, when they are not one for one. */
const partIndexesOf = (messages: readonly PreparedMessage[]): { partIndexes?: number[] } =>
  messages.every((message, index) => message.partIndex === index)
    ? {}
    : { partIndexes: messages.map((message) => message.partIndex) };

/**
 * The uploads of a send refused before it looked at them (or ended at its last receive before any
 * claim), for its record: an erasure of the recipient then still finds them, and their references
 * (an upload made for this reply may name the person).
 */
const filesNamedBy = (parts: SendMessageCommand['data']['parts']): { files?: { s3Key: string }[] } => {
  const uploads = uploadsNamedBy(parts);
  return uploads.length === 0 ? {} : { files: uploads.map((s3Key) => ({ s3Key })) };
};

/** A send this deployment has no sending credentials for: ended before any call, whenever it is found. */
const noCredentials = (provider: Provider): Omit<SendFailure, 'decidedAt' | 'partIndex'> => ({
  reason: 'credentials',
  retryable: true,
  detail: `this hub has no ${provider} sending credentials`,
});

/** The command part provider message `index` of a send comes from. */
const partIndexOf = (record: SendRecord, index: number): number => record.partIndexes?.[index] ?? index;

export const SEND_STEPS = [
  'claim',
  'start-attempt',
  'provider-call',
  'accept',
  'record-sent',
  'mark-sent',
  'fail',
  'publish-failed',
] as const;
export type SendStep = (typeof SEND_STEPS)[number];

/** The command cannot finish in this delivery (throttled, or waiting for the provider's word): SQS delivers it again. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';

  constructor(
    message: string,
    /** The delivery that leaves its own attempt noted (its call went unanswered), when one does. */
    readonly delivery?: string,
    /**
     * When the command should come back, in milliseconds (its backoff after a provider took nothing):
     * the outbox makes its record, and those behind it in its conversation, invisible that long.
     * Absent: the queue's visibility timeout.
     */
    readonly afterMs?: number,
    /**
     * What the provider answered when it took nothing (a throttle, a refusal for now): the command's
     * ending names it if this receive is its last (see endUnfinished).
     */
    readonly errors?: readonly ProviderError[],
    /**
     * The error of the hub's own AWS call (DynamoDB refusing the bookkeeping of a provider's answer
     * through the invocation) that leaves the command to come back: no wait for a provider but a
     * fault, which the outbox counts in CommandErrors as it counts any other. Absent for a wait.
     */
    readonly fault?: unknown,
  ) {
    super(message);
  }
}

/** Whether a command's failure is a fault (counted in CommandErrors), not a wait for a provider, a rate or another delivery. */
export const isCommandFault = (error: unknown): boolean =>
  !(error instanceof RetryLaterError) || error.fault !== undefined;

/** What the service reads of the hub's records. */
export interface SenderReads {
  /** The conversation item as stored (its state is `model.state`); the sent message is applied to it. */
  conversation(conversationId: string): Promise<StoredConversation>;
  /**
   * A command's send record (as `SendStore.read`: an erased one as what its erasure left) and its
   * conversation (as `conversation`), read together: what every command reads first.
   */
  sendWithConversation(
    hubMessageId: string,
    conversationId: string,
  ): Promise<{ readonly record: StoredSend | undefined; readonly stored: StoredConversation }>;
  /**
   * Whether an erased send was this command's data (its tombstone keeps a hash keyed under the
   * pseudonym key, isErasedCommandOf): the key is read only for such a command, never on a send's path.
   */
  erasedCommandIs(erased: ErasedSend, data: SendMessageCommand['data']): Promise<boolean>;
  /** Whether an erased send's record held exactly this command hash (isErasedCommandHash): the key is read then only. */
  erasedCommandHashIs(erased: ErasedSend, commandHash: string): Promise<boolean>;
  consent(conversation: ConversationState): Promise<ContactConsent>;
  /** A recorded message by hub id. */
  message(hubMessageId: string): Promise<Message | undefined>;
  /** The conversation's newest recorded messages, newest first. */
  newestMessages(conversationId: string): Promise<readonly Message[]>;
  /**
   * The customer's newest recorded message (the one at `lastInboundAt`), or when `passOver` passes it
   * over, their newest before it among the conversation's last few; undefined when there is none.
   */
  newestInbound(
    conversation: ConversationState,
    passOver: (message: Message) => boolean,
  ): Promise<Message | undefined>;
}

export interface SendLimits {
  /** How long a message whose call may have reached the provider waits for a status or echo naming it. */
  readonly outcomeWaitMs: number;
  /** How long the hub keeps trying while the provider takes nothing (throttling, outages). */
  readonly giveUpMs: number;
  /** No new provider call starts with less than this left of the invocation. */
  readonly minRemainingMs: number;
  /** How long an endpoint whose credentials the provider refused sends nothing. */
  readonly credentialsPauseMs: number;
  /**
   * An attempt noted longer ago than this was noted by a delivery that is no longer running (the
   * function's timeout ended it): only then may a command's last receive end the send over it.
   */
  readonly attemptLifetimeMs: number;
  /** A message the provider took nothing of comes back after its stated wait plus up to `baseMs · 2^n` (SENDER.backoff). */
  readonly backoff: { readonly baseMs: number; readonly capMs: number };
  /** Tries of a message whose request never reached the provider before it ends `provider_error`. */
  readonly unreachableTries: number;
  /**
   * The bookkeeping of a provider's definite "took nothing" (a throttle's release, a refusal's
   * failure, a credentials pause) is written up to `tries` times within the invocation while DynamoDB
   * refuses it, `baseMs · 2^n` apart (half of it jittered), never into the last `reserveMs` of the
   * invocation (SENDER.answerWrites).
   */
  readonly answerWrites: { readonly tries: number; readonly baseMs: number; readonly reserveMs: number };
}

/** How a wait for a provider that took nothing is logged; `endUnfinished` reads `rate` and `throttled` as a rate. */
const WAIT_MESSAGES = {
  throttled: 'throttled by the provider',
  unreachable: 'the provider could not be reached',
  refused: 'the provider refused for now',
} as const;

export const DEFAULT_SEND_LIMITS: SendLimits = {
  outcomeWaitMs: 10 * 60_000,
  giveUpMs: 10 * 60_000,
  minRemainingMs: 12_000,
  credentialsPauseMs: 5 * 60_000,
  // The function's timeout, and a margin for the clocks of two execution environments.
  attemptLifetimeMs: SENDER.timeoutSeconds * 1000 + 5_000,
  backoff: SENDER.backoff,
  unreachableTries: SENDER.unreachableTries,
  answerWrites: SENDER.answerWrites,
};

export type SendResult = 'sent' | 'failed' | 'duplicate';

/**
 * What one receive of a command came to: its result, and the fault it ended with anyway, a write of
 * the sender's own that DynamoDB refused through the invocation and this environment keeps for its
 * next command (a credentials pause: the command ends `credentials` all the same). The outbox counts
 * it in CommandErrors as it counts the fault that leaves a command for redelivery
 * (RetryLaterError.fault, isCommandFault).
 */
export interface SendHandled {
  readonly result: SendResult;
  readonly fault?: unknown;
}

/** Where a receive notes the fault its command ends with anyway (SendHandled.fault). */
interface FaultLeft {
  fault?: unknown;
}

/**
 * Where a command's outcome event goes. In a batch it is the batch's shared publish rounds, which
 * also let a conversation step out of them (`aside`) while it waits for its endpoint's turn; a
 * publisher without rounds (the helpdesk queue itself) has nothing to step out of.
 */
type SendPublisher = EventPublisher & Partial<Pick<GroupPublisher, 'aside'>>;

export interface SendCommandDeps {
  readonly reads: SenderReads;
  readonly sends: SendStore;
  /** Endpoints whose credentials were refused: their commands fail at once, without a provider call. */
  readonly pauses?: EndpointPauses;
  /**
   * Takes the endpoint's next turn at its provider rate: how long to wait for it, at most
   * `budgetMs` (the invocation's time to spare), or, when it is too far off, when to come back (the
   * command then waits on its queue until then, not for the queue's visibility timeout). No limit
   * when absent.
   */
  readonly endpointTurn?: (
    plan: Pick<SendPlan, 'channel' | 'provider' | 'endpoint'>,
    budgetMs: number,
  ) => EndpointTurn;
  /** The sender of a conversation's provider and channel; undefined when this deployment has no credentials for it. */
  readonly senderFor: SenderFor;
  /** The recorder's own recording of a message (conversation state, message record, publish). */
  readonly recordEvent: RecordEvent;
  readonly publisher: EventPublisher;
  /** The payload bucket's files, for media parts that name one (`source.s3Key`); such parts are refused without it. */
  readonly mediaObjects?: MediaObjects;
  /**
   * The bytes of files this environment's sends may hold at once (shared/outbound/staging-budget.ts);
   * no bound when absent.
   */
  readonly stagingBudget?: StagingBudget;
  /**
   * Remembers a file uploaded to the provider for a send (WhatsApp's media id), so an erasure of
   * the person deletes it there (shared/store/whatsapp-uploads.ts).
   */
  readonly rememberUpload?: (upload: {
    readonly hubMessageId: string;
    readonly mediaId: string;
    readonly endpoint: SendPlan['endpoint'];
  }) => Promise<void>;
  /**
   * Notes that a send in the conversation names these uploads (media/outbound/ keys), before any
   * send record names them: an erasure of another recipient of the same upload then leaves the file
   * (shared/store/upload-refs.ts). Called only for commands that name uploads.
   */
  readonly noteUploads?: (conversationId: string, s3Keys: readonly string[]) => Promise<void>;
  /** E-mail only: the key that signs reply addresses. */
  readonly replyTagKey: () => Promise<string | undefined>;
  /** Twilio: its status callbacks go to the hub's webhook, which must be the exact public URL. */
  readonly twilioStatusCallbackUrl?: string;
  /** When the conversation does not say which e-mail provider it came through (older records). */
  readonly defaultEmailProvider: Extract<Provider, 'ses' | 'mailgun'>;
  readonly clock: () => Date;
  /** The backoff's jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  readonly logger: Logger;
  readonly limits?: SendLimits;
  readonly afterStep?: (step: SendStep, hubMessageId: string) => void | Promise<void>;
  readonly onOutcome?: (outcome: { kind: SendResult; channel?: string; reason?: string }) => void;
  /** An endpoint was paused (its provider refused the credentials or the account): an alarm, a person fixes it. */
  readonly onPause?: (paused: { channel: Channel; provider: Provider }) => void;
}

/** The provider a conversation's replies go through: the rule the helpdesk API's events follow too. */
export const providerOf = conversationProvider;

/**
 * What the content checks before any provider call found (a call named where a message is due, a
 * stored file, the channel's limits): the command's failure, never retryable, the field named.
 */
const refusedContent = <Reason extends SendFailureReason>(problem: {
  readonly reason: Reason;
  readonly field: string;
  readonly detail: string;
}) => ({ reason: problem.reason, retryable: false, failedField: problem.field, detail: problem.detail });

const targetOf = (
  plan: Pick<SendPlan, 'channel' | 'provider' | 'endpoint' | 'recipient'>,
  conversationId: string,
): SendTarget => ({
  channel: plan.channel,
  provider: plan.provider,
  endpoint: plan.endpoint,
  recipient: plan.recipient,
  conversationId,
});

/** The policy the command's plan was prepared under, at its claim. */
const plannedPolicy = (plan: SendPlan): SendPolicy => ({
  withinWindow: plan.withinWindow,
  humanAgentTag: plan.humanAgentTag,
});

/**
 * A command's provider messages and `index`, the next of them to go: a policy decided again before
 * it must still let it and those after it go as they were prepared. The messages before it went.
 */
interface Ahead {
  readonly messages: readonly PreparedMessage[];
  readonly index: number;
}

/** The part message `index` is of: it and the parts after it are still to send (partly, for a long text begun). */
const firstUnsentPart = ({ messages, index }: Ahead): number => messages[index]?.partIndex ?? 0;

/**
 * The command's parts from `fromPart` as a command of their own, for preparing them again: their
 * stored files keyed by their place in it, as a channel's prepare looks them up.
 */
const partsFrom = (
  parts: readonly OutboundPart[],
  stored: StoredMedia | undefined,
  fromPart: number,
): { parts: readonly OutboundPart[]; stored: StoredMedia | undefined } => {
  if (fromPart === 0) return { parts, stored };
  const shifted =
    stored &&
    Object.fromEntries(
      Object.entries(stored).flatMap(([key, facts]) =>
        Number(key) >= fromPart ? [[String(Number(key) - fromPart), facts]] : [],
      ),
    );
  return { parts: parts.slice(fromPart), stored: shifted };
};

/**
 * The record in memory once message `index` went as `providerMessageId`, as the accept write leaves
 * it in the table (its attempt note gone with it): a throttle wait was that message's own and ends with it, so a later message's
 * first throttle starts its own wait instead of measuring (and writing back) the earlier one's.
 */
const wentOn = (record: SendRecord, index: number, providerMessageId: string): SendRecord => {
  const {
    inFlight: _answered,
    waitingSince: _ended,
    waits: _waits,
    unreachable: _unreachable,
    upload: _upload,
    ...rest
  } = record;
  return { ...rest, next: index + 1, providerIds: [...record.providerIds, providerMessageId] };
};

/** A provider's words kept per field of its error: enough for a person, far within an item's 400 KB. */
const MAX_PROVIDER_ERROR_CHARS = 1_000;
const TRUNCATION_MARKER = '…[truncated]';

/**
 * A provider error as the send record keeps it. Its fields are the provider's words (a Graph
 * `message` or `error_data.details`, Twilio's or Mailgun's message, an SDK error's) and can be of
 * any length: kept whole, a large one failed the failure's write on every delivery, and the refused
 * command waited out the outcome wait to end `outcome_unknown`, as if its call had gone unanswered.
 */
const storableError = (error: ProviderError): ProviderError => {
  const cut = (text: string) => {
    if (text.length <= MAX_PROVIDER_ERROR_CHARS) return text;
    return `${cutText(text, MAX_PROVIDER_ERROR_CHARS - TRUNCATION_MARKER.length)}${TRUNCATION_MARKER}`;
  };
  return {
    code: cut(error.code),
    ...(error.title !== undefined ? { title: cut(error.title) } : {}),
    ...(error.message !== undefined ? { message: cut(error.message) } : {}),
    ...(error.details !== undefined ? { details: cut(error.details) } : {}),
  };
};

/**
 * A message that named an earlier try's upload again, refused for its content: the upload may be
 * what Meta no longer knows (expired or deleted early; Graph answers code 100, "Param image['id'] is
 * not a valid whatsapp business account media attachment ID", or 131053 "Media upload error"), which
 * the channel's classifier, keying on codes, cannot tell from a fault of the message itself. It
 * becomes a refusal for now: tried again after the backoff with the file uploaded anew, and a
 * message at fault is then refused for good, as it would have been. Undefined for any other outcome.
 */
const refusedForNow = (outcome: SendOutcome): SendOutcome | undefined =>
  outcome.kind === 'refused' && outcome.reason === 'content_invalid'
    ? { kind: 'refused', reason: outcome.reason, retryable: true, error: outcome.error }
    : undefined;

export const createSendCommandHandler = (deps: SendCommandDeps) => {
  const limits = deps.limits ?? DEFAULT_SEND_LIMITS;
  const { sends, logger } = deps;
  const step = async (name: SendStep, hubMessageId: string) => deps.afterStep?.(name, hubMessageId);
  const now = () => deps.clock();
  const iso = () => now().toISOString();
  const random = deps.random ?? Math.random;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * Writes the bookkeeping of a provider's definite answer that it took nothing (a throttle's
   * release, a refusal's failure, a credentials pause), trying again within the invocation while
   * DynamoDB refuses it (throttling past the SDK's own retries): without it the attempt stays noted
   * and a redelivery must treat the message as possibly sent. A condition failure is no fault but
   * an answer (another delivery moved the send), the caller's to read.
   */
  const persist = async (write: () => Promise<void>, remainingMs: () => number): Promise<void> => {
    const { tries, baseMs, reserveMs } = limits.answerWrites;
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (error instanceof SendRaceError) throw error;
        const waitMs = baseMs * 2 ** (attempt - 1) * (0.5 + random() / 2);
        if (attempt >= tries || remainingMs() - waitMs < reserveMs) throw error;
        logger.warn('bookkeeping of a provider answer refused; trying again', {
          errorName: errorNameOf(error),
          attempt,
        });
        await sleep(waitMs);
      }
    }
  };

  /**
   * Bookkeeping of a definite "took nothing" that DynamoDB refused through the rest of its
   * invocation, kept in this execution environment (by send, or `pause <endpoint>`) and written
   * before its next command: a redelivery then finds the send as the answer left it (released, or
   * failed with its reason and still to publish). `attempt` is the note the answer was to remove,
   * `ending` what the send ends as if it must end before the write lands (its last receive). A
   * redelivery in another environment finds only the note, and waits on it as on an unanswered call.
   */
  interface Unsettled {
    readonly write: () => Promise<void>;
    readonly attempt?: { readonly index: number; readonly by: string };
    readonly ending?: Omit<SendFailure, 'decidedAt'>;
    /** What DynamoDB last refused it with (set as it is kept, and at each refused settle). */
    readonly refusedBy?: unknown;
  }
  const unsettled = new Map<string, Unsettled>();
  /**
   * Far more than one environment's batches leave (each kept write holds its command until written);
   * the oldest goes first.
   */
  const MAX_UNSETTLED = 100;
  const keepUnsettled = (key: string, entry: Unsettled, error: unknown) => {
    unsettled.delete(key);
    unsettled.set(key, { ...entry, refusedBy: error });
    if (unsettled.size > MAX_UNSETTLED) unsettled.delete(unsettled.keys().next().value as string);
    logger.error('bookkeeping of a provider answer refused through the invocation; kept for the next', {
      errorName: errorNameOf(error),
      ...(entry.attempt ? { hubMessageId: key } : {}),
    });
  };
  /** The kept answer of the attempt `record` has noted, if this environment holds one. */
  const answeredHere = (record: SendRecord): Unsettled | undefined => {
    const entry = unsettled.get(record.hubMessageId);
    const { inFlight } = record;
    return entry?.attempt && inFlight?.by === entry.attempt.by && inFlight.index === entry.attempt.index
      ? entry
      : undefined;
  };
  let settling: Promise<void> | undefined;
  /** Kept writes tried at once before a command: a few requests, however many were kept. */
  const SETTLE_AT_ONCE = 25;
  /**
   * Writes what `keepUnsettled` kept, the oldest first, once for all the commands that start
   * meanwhile; nothing (no request) when nothing is kept. One still refused goes to the back.
   */
  const settleUnsettled = (): Promise<void> => {
    if (unsettled.size === 0) return Promise.resolve();
    settling ??= (async () => {
      try {
        const round = [...unsettled].slice(0, SETTLE_AT_ONCE);
        await Promise.all(
          round.map(async ([key, entry]) => {
            // A newer answer kept under the same key meanwhile stays.
            const done = () => {
              if (unsettled.get(key) === entry) unsettled.delete(key);
            };
            try {
              await entry.write();
              done();
            } catch (error) {
              // The send moved on (ended, or its record expired): nothing is left to keep.
              if (error instanceof SendRaceError) return done();
              logger.warn('kept bookkeeping still refused', { errorName: errorNameOf(error) });
              if (unsettled.get(key) === entry) {
                unsettled.delete(key);
                unsettled.set(key, { ...entry, refusedBy: error });
              }
            }
          }),
        );
      } finally {
        settling = undefined;
      }
    })();
    return settling;
  };

  /** Decides everything about a new command before anything is written: refusal, or the plan and its messages. */
  /** The refusal for an endpoint whose sends are paused (its credentials or its account were refused), if it is. */
  const pausedFailure = async (
    provider: Provider,
    endpoint: SendPlan['endpoint'],
  ): Promise<Omit<SendFailure, 'decidedAt'> | undefined> => {
    const pausedUntil = await deps.pauses?.pausedUntil({ provider, endpoint });
    return pausedUntil === undefined
      ? undefined
      : {
          reason: 'credentials',
          retryable: true,
          detail: `the provider refused this endpoint's credentials or its business account; its sends are paused until ${pausedUntil}`,
        };
  };

  const plan = async (
    command: SendMessageCommand,
    conversation: ConversationState,
  ): Promise<
    | { ok: true; plan: SendPlan; sender: ChannelSender; messages: readonly PreparedMessage[] }
    | { ok: false; failure: Omit<SendFailure, 'decidedAt'>; plan?: SendPlan }
  > => {
    const provider = providerOf(conversation, deps.defaultEmailProvider);
    const [recipient] = conversation.contact.identities;
    const decision = decideSendPolicy({
      command: command.data,
      conversation,
      // Read only when a rule depends on it (SMS, e-mail, a WhatsApp template that may be marketing): one read less per reply.
      consent: consentMatters(command.data, conversation.channel)
        ? await deps.reads.consent(conversation)
        : {},
      now: now(),
    });
    const base = {
      channel: conversation.channel,
      provider,
      endpoint: conversation.endpoint,
      recipient: recipient ?? { type: 'phone' as const, value: 'unknown' },
      withinWindow: decision.ok ? decision.policy.withinWindow : false,
      humanAgentTag: decision.ok ? decision.policy.humanAgentTag : false,
    };
    if (!decision.ok) {
      const { ok: _ok, ...failure } = decision;
      return { ok: false, failure, plan: base };
    }
    const sender = await deps.senderFor({
      provider,
      channel: conversation.channel,
      endpoint: conversation.endpoint,
    });
    if (!sender) return { ok: false, plan: base, failure: noCredentials(provider) };
    const paused = await pausedFailure(provider, conversation.endpoint);
    if (paused) return { ok: false, plan: base, failure: paused };
    const reference = messageReferenceProblem(conversation.channel, command.data);
    if (reference) {
      return {
        ok: false,
        plan: base,
        failure: refusedContent({ reason: 'content_invalid', ...reference }),
      };
    }
    const inspected = await inspectStoredMedia(
      command.data.parts,
      deps.mediaObjects,
      command.data.conversationId,
    );
    if (!inspected.ok) return { ok: false, plan: base, failure: refusedContent(inspected) };
    const stored = Object.keys(inspected.stored).length > 0 ? inspected.stored : undefined;
    const prepared = sender.prepare(
      command.data.parts,
      decision.policy,
      targetOf(base, conversation.conversationId),
      stored,
    );
    if (!prepared.ok) return { ok: false, plan: base, failure: refusedContent(prepared) };
    let email: SendPlan['email'];
    if (conversation.channel === 'email') {
      const key = await deps.replyTagKey();
      if (key === undefined) {
        return {
          ok: false,
          plan: base,
          failure: {
            reason: 'credentials',
            retryable: true,
            detail: 'the email credentials secret has no replyTagKey',
          },
        };
      }
      const answered = command.data.replyTo
        ? await deps.reads.message(hubMessageIdFor('email', command.data.replyTo.providerMessageId))
        : newestAnswerable(await deps.reads.newestMessages(conversation.conversationId));
      if (answered !== undefined && answered.conversationId !== conversation.conversationId) {
        // Message ids are looked up across conversations: another customer's message would give
        // this one their subject and thread it under their ids.
        return {
          ok: false,
          plan: base,
          failure: {
            reason: 'content_invalid',
            retryable: false,
            failedField: 'replyTo',
            detail: 'replyTo names a message of another conversation',
          },
        };
      }
      email = emailThreadFor({
        conversation,
        answered,
        subject: command.data.email?.subject,
        replyTagKey: key,
      });
    }
    return {
      ok: true,
      plan: { ...base, ...(stored ? { media: stored } : {}), ...(email ? { email } : {}) },
      sender,
      messages: prepared.messages,
    };
  };

  const publishFailed = async (
    command: SendMessageCommand,
    record: SendRecord,
    failure: SendFailure,
    conversation: ConversationState | undefined,
    publisher: EventPublisher,
  ): Promise<SendResult> => {
    await publisher.publish([
      failedEventFor({
        command,
        hubMessageId: record.hubMessageId,
        failure,
        sentProviderMessageIds: record.providerIds,
        plan: record.plan,
        conversation,
      }),
    ]);
    await step('publish-failed', record.hubMessageId);
    await sends.markPublished(record.hubMessageId);
    deps.logger.info('send failed', {
      conversationId: record.conversationId,
      hubMessageId: record.hubMessageId,
      reason: failure.reason,
    });
    deps.onOutcome?.({
      kind: 'failed',
      ...(record.plan ? { channel: record.plan.channel } : {}),
      reason: failure.reason,
    });
    return 'failed';
  };

  /**
   * A command whose idempotency key already stands for other content: the key's first command
   * stands and this one is not sent, but it still ends in an event of its own (its command id, an
   * event id of its own), so the helpdesk learns why instead of waiting.
   */
  const refuseReusedKey = async (
    command: SendMessageCommand,
    /** The key's send: its record, or of an erased one what the command names (no command id, no plan). */
    record: Pick<SendRecord, 'hubMessageId' | 'conversationId'> &
      Partial<Pick<SendRecord, 'commandId' | 'plan'>>,
    conversation: ConversationState | undefined,
    publisher: EventPublisher,
  ): Promise<SendResult> => {
    if (command.id === record.commandId) {
      // The key's own command (its id is its identity) come back altered: it ends in the one event
      // its first content ends in, never in a second one under the same command id.
      deps.logger.warn('command redelivered with other content; its first content stands', {
        conversationId: record.conversationId,
        hubMessageId: record.hubMessageId,
        commandId: command.id,
      });
      deps.onOutcome?.({ kind: 'duplicate' });
      return 'duplicate';
    }
    const failure: SendFailure = {
      reason: 'content_invalid',
      retryable: true,
      failedField: 'idempotencyKey',
      detail:
        'this idempotency key already stands for a command with other content, which stands; this one was not sent (send it again under a new key)',
      decidedAt: iso(),
    };
    await publisher.publish([
      failedEventFor({
        command,
        hubMessageId: record.hubMessageId,
        failure,
        sentProviderMessageIds: [],
        plan: record.plan,
        conversation,
        reusedKeyCommandHash: commandHashOf(command.data),
      }),
    ]);
    deps.logger.warn('idempotency key reused with other content; the first command stands', {
      conversationId: record.conversationId,
      hubMessageId: record.hubMessageId,
      commandId: command.id,
    });
    deps.onOutcome?.({
      kind: 'failed',
      ...(record.plan ? { channel: record.plan.channel } : {}),
      reason: failure.reason,
    });
    return 'failed';
  };

  /**
   * A command whose send an erasure left (ErasedSend): the hub took it before its customer was
   * erased, and it had its one outcome then. Coming back (a redelivery, a dead-letter redrive, a
   * helpdesk retry), after the customer wrote again under the same conversation id, it is a repeat of
   * a finished command, as one whose record is sent or failed and published: nothing is sent or
   * recorded, and no event. Other content under its key is refused as over a record (the command id
   * is not kept: an altered redelivery of the erased command is refused too).
   */
  const afterErasure = async (
    command: SendMessageCommand,
    erased: ErasedSend,
    conversation: ConversationState | undefined,
    publisher: EventPublisher,
  ): Promise<SendResult> => {
    const { conversationId } = command.data;
    if (!(await deps.reads.erasedCommandIs(erased, command.data)))
      return refuseReusedKey(
        command,
        { hubMessageId: erased.hubMessageId, conversationId },
        conversation,
        publisher,
      );
    logger.info('send command of an erased send came again: not sent again', {
      conversationId,
      hubMessageId: erased.hubMessageId,
      commandId: command.id,
    });
    return 'duplicate';
  };

  const fail = async (
    command: SendMessageCommand,
    record: SendRecord,
    failure: SendFailure,
    conversation: ConversationState | undefined,
    publisher: EventPublisher,
    /**
     * What the failure was decided on: the message, and the attempt noted for it as read (none when
     * none was). It lands only while the record is still so (see SendStore.fail).
     */
    over: FailedOver,
    /**
     * The failure is the provider's definite answer to this delivery's call (`attempt`): its write is
     * tried again within the invocation and, still refused, kept for the environment's next command.
     */
    answered?: { readonly remainingMs: () => number; readonly attempt: { index: number; by: string } },
  ): Promise<SendResult> => {
    const write = () => sends.fail(record.hubMessageId, failure, over);
    try {
      await (answered ? persist(write, answered.remainingMs) : write());
    } catch (error) {
      // Another delivery moved the send since it was read (noted an attempt, accepted the message or
      // learned from its status that it went, or ended the send): its outcome stands, this delivery
      // publishes nothing, and the command comes back to be read again (it finds that outcome).
      if (error instanceof SendRaceError)
        throw new RetryLaterError('another delivery of the command is sending it');
      if (!answered) throw error;
      // Nothing went: the attempt's note stays until the failure is written, and the command comes
      // back soon to publish it (a redelivery here writes it first).
      keepUnsettled(record.hubMessageId, { write, attempt: answered.attempt, ending: failure }, error);
      throw new RetryLaterError(
        `the provider took nothing (${failure.reason}); its ending is not yet written`,
        undefined,
        limits.backoff.baseMs,
        undefined,
        error,
      );
    }
    await step('fail', record.hubMessageId);
    return publishFailed(command, { ...record, state: 'failed', failure }, failure, conversation, publisher);
  };

  const finishSent = async (
    command: SendMessageCommand,
    record: SendRecord,
    conversation: ConversationState,
    lastAccept: LastAccept | undefined,
    hints: RecordHints,
    publisher: EventPublisher,
  ): Promise<SendResult> => {
    if (!record.plan) throw new Error('a send record without a plan cannot be sent');
    // The recorder's own path: conversation state, state change, message record (its done marker).
    await deps.recordEvent(
      sentEventFor({ command, record, plan: record.plan, conversation }),
      publisher,
      hints,
    );
    await step('record-sent', record.hubMessageId);
    // The last message's accept goes with the sent mark: until then the record says it is in flight,
    // and a redelivery learns that it went from the message recorded just above (or its status).
    await sends.markSent(record.hubMessageId, lastAccept);
    await step('mark-sent', record.hubMessageId);
    deps.onOutcome?.({ kind: 'sent', channel: record.plan.channel });
    return 'sent';
  };

  const contextFor = (
    record: SendRecord,
    command: SendMessageCommand,
    index: number,
    /** The policy decided again for this call; the plan's when absent. */
    policy?: SendPolicy,
  ): MessageContext => {
    const replyTo = command.data.replyTo?.providerMessageId;
    const { deadline } = command.data;
    const plan = record.plan as SendPlan;
    const target = targetOf(plan, record.conversationId);
    const correlationId = correlationIdFor(record.hubMessageId, index);
    const statusCallbackUrl =
      plan.provider === 'twilio'
        ? deps.twilioStatusCallbackUrl === undefined
          ? undefined
          : twilioStatusCallbackUrl(deps.twilioStatusCallbackUrl, correlationId)
        : undefined;
    return {
      target,
      hubMessageId: record.hubMessageId,
      sequence: index,
      correlationId,
      ...(index === 0 && replyTo !== undefined ? { replyTo } : {}),
      policy: policy ?? plannedPolicy(plan),
      ...(statusCallbackUrl ? { statusCallbackUrl } : {}),
      ...(deadline !== undefined ? { deadline } : {}),
      ...(plan.email
        ? {
            email: {
              from: plan.email.from,
              replyTo: plan.email.replyTo,
              subject: plan.email.subject,
              ...(plan.email.inReplyTo ? { inReplyTo: plan.email.inReplyTo } : {}),
              references: plan.email.references,
              messageId: messageIdHeaderFor(correlationId, plan.email.from),
              ...(command.data.sender.kind === 'agent' ? {} : { automatic: true }),
            },
          }
        : {}),
    };
  };

  const elapsedSince = (at: string | undefined): number =>
    at === undefined ? 0 : now().getTime() - Date.parse(at);

  /** Milliseconds from `at` until the command's deadline: 0 or less once it has passed, infinite without one. */
  const untilDeadline = (command: SendMessageCommand, at = now().getTime()): number =>
    command.data.deadline === undefined ? Number.POSITIVE_INFINITY : Date.parse(command.data.deadline) - at;

  /**
   * When message `record.next`, which the provider took nothing of, is tried again: after the
   * provider's stated wait (or the wait its code calls for, `backoff`, when longer) plus a
   * full-jitter share of `baseMs · 2^n` (n: its earlier waits, so an
   * endpoint's throttled conversations spread out instead of coming back together), never past the
   * command's deadline or the give-up time. No further try (`afterMs` undefined) once the give-up
   * time has passed, when that wait is longer than what is left (a call before it
   * would only be refused again), or after the last try of a request that never reached it.
   */
  const nextTry = (
    command: SendMessageCommand,
    record: SendRecord,
    waitingSince: string,
    outcome: Extract<SendOutcome, { kind: 'throttled' | 'unreachable' | 'refused' }>,
  ): { afterMs?: number; detail?: string } => {
    const at = now().getTime();
    const toDeadline = untilDeadline(command, at);
    const left = Math.min(Date.parse(waitingSince) + limits.giveUpMs - at, toDeadline);
    if (left <= 0)
      return { detail: `the provider took nothing for ${Math.round(limits.giveUpMs / 60_000)} minutes` };
    if (outcome.kind === 'unreachable' && (record.unreachable ?? 0) + 1 >= limits.unreachableTries)
      return {
        detail: `the provider could not be reached in ${limits.unreachableTries} tries (${outcome.error.code}): a network or configuration fault`,
      };
    const waits = record.waits ?? 0;
    const statedMs = outcome.kind === 'throttled' ? (outcome.retryAfterMs ?? 0) : 0;
    // The wait the provider's code itself calls for (WhatsApp's pair rate), at most the backoff's cap.
    const rule = outcome.kind === 'throttled' ? outcome.backoff : undefined;
    const ruleMs = rule ? Math.min(limits.backoff.capMs, rule.minMs * rule.factor ** waits) : 0;
    const waitMs = Math.max(statedMs, ruleMs);
    if (waitMs >= left)
      return {
        detail: `${statedMs >= ruleMs ? 'the provider asked for' : `the provider's ${outcome.error.code} calls for`} a wait of ${Math.ceil(waitMs / 1000)} s, longer than is left before ${
          left === toDeadline ? 'the deadline' : 'the hub gives up'
        }`,
      };
    const spreadMs = Math.min(limits.backoff.capMs, limits.backoff.baseMs * 2 ** waits);
    return { afterMs: Math.min(left, waitMs + random() * spreadMs) };
  };

  /** A `deadline_exceeded` failure when the command's deadline has passed by now. */
  const pastDeadline = (command: SendMessageCommand): Omit<SendFailure, 'decidedAt'> | undefined =>
    untilDeadline(command) <= 0
      ? {
          reason: 'deadline_exceeded',
          retryable: false,
          failedField: 'deadline',
          detail: 'the deadline passed before the hub could send',
        }
      : undefined;

  /**
   * Sends the command back to its queue, nothing noted, unless the invocation has time left for a
   * provider call and its bookkeeping: checked before every wait and again right before an attempt
   * is noted, as the endpoint's turn and the staging of files (an upload) take time of their own.
   * It comes back in a second (a new invocation has its whole time), not after the queue's
   * visibility timeout: until 2026-12-05 a reply whose turns used up an invocation waited a minute
   * for its next message (found by a review).
   */
  const requireTimeLeft = (remainingMs: () => number): void => {
    if (remainingMs() < limits.minRemainingMs)
      throw new RetryLaterError('too little time left in this invocation', undefined, 1_000);
  };

  /**
   * Waits for the endpoint's turn at its provider rate, or sends the command back to its queue until
   * then, or until its deadline when that comes first (where it ends `deadline_exceeded`). The
   * wait is out of the batch's publish rounds (`aside`): the other conversations' outcome events
   * go out meanwhile (until 2026-12-05 a conversation waiting for a turn held them, found by a
   * review).
   */
  const takeTurn = async (
    plan: SendPlan,
    command: SendMessageCommand,
    remainingMs: () => number,
    publisher: SendPublisher,
  ): Promise<void> => {
    requireTimeLeft(remainingMs);
    const turn = deps.endpointTurn?.(plan, remainingMs() - limits.minRemainingMs) ?? { waitMs: 0 };
    if ('freeInMs' in turn)
      throw new RetryLaterError(
        'the endpoint is sending at its provider rate',
        undefined,
        Math.max(0, Math.min(turn.freeInMs, untilDeadline(command))),
      );
    if (turn.waitMs > 0) {
      const wait = () => sleep(turn.waitMs);
      await (publisher.aside ? publisher.aside(wait) : wait());
    }
    requireTimeLeft(remainingMs);
  };

  /**
   * Takes the bytes of the files `message` reads into memory (an e-mail's attachments, by their
   * stored size) from the environment's staging budget, waiting out of the batch's publish rounds
   * while other sends hold it; undefined (nothing to give back) for a message that reads none. A
   * wait that would reach into the invocation's last `minRemainingMs` sends the command back, as
   * `requireTimeLeft` does: nothing noted, back in a second, when a new invocation has its budget.
   */
  const takeStagingBudget = async (
    message: PreparedMessage,
    plan: SendPlan,
    remainingMs: () => number,
    publisher: SendPublisher,
  ): Promise<ReleaseBudget | undefined> => {
    const budget = deps.stagingBudget;
    const bytes = (message.attachParts ?? []).reduce(
      (sum, index) => sum + (plan.media?.[String(index)]?.bytes ?? 0),
      0,
    );
    if (budget === undefined || bytes === 0) return undefined;
    const take = () => budget.take(bytes, remainingMs() - limits.minRemainingMs);
    const release = await (publisher.aside ? publisher.aside(take) : take());
    if (release === undefined)
      throw new RetryLaterError("waiting for memory: other sends' files filled it", undefined, 1_000);
    return release;
  };

  /**
   * How long an upload of a stored file may take: what the invocation has left past the
   * `minRemainingMs` its message's call needs, at most SENDER.maxUploadMs. Not the provider
   * timeout of a message call: a large file takes longer than a message.
   */
  const uploadTimeoutMs = (remainingMs: () => number): number =>
    Math.max(0, Math.min(SENDER.maxUploadMs, remainingMs() - limits.minRemainingMs));

  /**
   * The provider id of message `index` of a send whose call went unanswered, when it is known
   * without the provider's answer: from its status or echo (a link), or, for the last message, from
   * the sent message's record (written before the sent mark).
   */
  const wentAs = async (record: SendRecord, index: number, last: boolean): Promise<string | undefined> =>
    record.links[String(index)] ??
    (last ? (await deps.reads.message(record.hubMessageId))?.providerMessageIds?.[index] : undefined);

  /**
   * Notes attempt `index` as this delivery's before its call. A note whose write succeeded but whose
   * answer was lost, retried by the SDK, fails its condition: finding its own note, the delivery
   * goes on to the call, which no one else can have made.
   */
  const startAttempt = async (
    hubMessageId: string,
    index: number,
    at: string,
    delivery: string,
    upload?: SendUpload,
  ) => {
    try {
      await sends.startAttempt(hubMessageId, index, at, delivery, upload);
    } catch (error) {
      if (!(error instanceof SendRaceError)) throw error;
      const current = await sends.get(hubMessageId);
      if (current?.inFlight?.by !== delivery || current.inFlight.index !== index) throw error;
    }
  };

  /**
   * Makes provider message `index`'s accept durable. An accept whose write succeeded but whose answer
   * was lost, retried by the SDK, fails its condition: finding the provider's id in its place, the
   * delivery goes on instead of waiting a visibility timeout for its redelivery.
   */
  const accept = async (
    hubMessageId: string,
    index: number,
    providerMessageId: string,
    completedAt?: string,
  ) => {
    try {
      await sends.accept(hubMessageId, index, providerMessageId, completedAt);
    } catch (error) {
      if (!(error instanceof SendRaceError)) throw error;
      const current = await sends.get(hubMessageId);
      if (current?.state !== 'sending' || current.providerIds[index] !== providerMessageId) throw error;
    }
  };

  /**
   * A policy decided again before a call, as `SendPolicy` for the call, or the refusal: only what
   * leaves the command's provider messages still to send as they were prepared may change
   * (Messenger's HUMAN_AGENT tag added or dropped, WhatsApp's window closed when only templates are
   * left); a policy that would prepare them otherwise refuses. The parts already sent are not
   * looked at again (see decideSendPolicy's `fromPart`).
   */
  type Redecided =
    | { readonly ok: true; readonly policy: SendPolicy; readonly read?: ConversationState }
    | { readonly ok: false; readonly failure: Omit<SendFailure, 'decidedAt' | 'partIndex'> };

  const samePolicy = (a: SendPolicy, b: SendPolicy): boolean =>
    a.withinWindow === b.withinWindow && a.humanAgentTag === b.humanAgentTag;

  /**
   * `decision` for the call, when the messages still to send prepare the same under it: the parts
   * from the one message `ahead.index` is of (the messages before it went, under the policy of their
   * own calls) make as many messages as they did.
   */
  const adopt = (
    command: SendMessageCommand,
    plan: SendPlan,
    sender: ChannelSender,
    ahead: Ahead,
    current: SendPolicy,
    decision: PolicyDecision,
  ): Redecided => {
    if (!decision.ok) {
      const { ok: _ok, ...failure } = decision;
      return { ok: false, failure };
    }
    if (samePolicy(decision.policy, current)) return { ok: true, policy: current };
    const fromPart = firstUnsentPart(ahead);
    const rest = partsFrom(command.data.parts, plan.media, fromPart);
    const again = sender.prepare(
      rest.parts,
      decision.policy,
      targetOf(plan, command.data.conversationId),
      rest.stored,
    );
    const begun = ahead.messages.findIndex((message) => message.partIndex === fromPart);
    if (!again.ok || again.messages.length !== ahead.messages.length - Math.max(begun, 0))
      return {
        ok: false,
        failure: {
          reason: 'window_closed',
          retryable: false,
          detail:
            'the reply window changed since the command was accepted, and its messages would no longer go as they began',
        },
      };
    return { ok: true, policy: decision.policy };
  };

  /**
   * The send policy decided again before a call other than the claiming delivery's first: against
   * the conversation this delivery read (`fresh`: its first call, the read made for it) and, where a
   * rule depends on it, the consent read now. One read at most: the consent, or, for a later call of
   * this delivery whose earlier read would refuse or change the tag (the customer may have written
   * since), the conversation again; the window only ever widens with a newer read.
   */
  const decideAgain = async (
    command: SendMessageCommand,
    plan: SendPlan,
    sender: ChannelSender,
    ahead: Ahead,
    known: ConversationState,
    fresh: boolean,
  ): Promise<Redecided> => {
    const planned = plannedPolicy(plan);
    const withConsent = consentMatters(command.data, known.channel);
    const consent = withConsent ? await deps.reads.consent(known) : {};
    const fromPart = firstUnsentPart(ahead);
    const decideOn = (conversation: ConversationState) =>
      adopt(
        command,
        plan,
        sender,
        ahead,
        planned,
        decideSendPolicy({ command: command.data, conversation, consent, now: now(), fromPart }),
      );
    const decided = decideOn(known);
    if (fresh || withConsent || (decided.ok && samePolicy(decided.policy, planned))) return decided;
    const reread = (await deps.reads.conversation(command.data.conversationId)).model?.state;
    if (!reread) return decided;
    const again = decideOn(reread);
    return again.ok ? { ...again, read: reread } : again;
  };

  /**
   * The window once more right before a call, on the conversation already read: the endpoint's turn
   * and an upload take time, and a window may close meanwhile. No read; the consent was read for
   * this call (or at the claim) moments before.
   */
  const windowAt = (
    command: SendMessageCommand,
    plan: SendPlan,
    sender: ChannelSender,
    ahead: Ahead,
    current: SendPolicy | undefined,
    conversation: ConversationState,
  ): Redecided =>
    adopt(
      command,
      plan,
      sender,
      ahead,
      current ?? plannedPolicy(plan),
      decideSendPolicy({
        command: command.data,
        conversation,
        consent: {},
        now: now(),
        fromPart: firstUnsentPart(ahead),
      }),
    );

  /** Sends the provider messages not yet sent, in order; resumes wherever an earlier delivery stopped. */
  const sendRemaining = async (
    command: SendMessageCommand,
    start: SendRecord,
    sender: ChannelSender,
    messages: readonly PreparedMessage[],
    conversation: ConversationState,
    remainingMs: () => number,
    notedAt: string | undefined,
    /** This delivery's id, in every attempt it notes. */
    delivery: string,
    hints: RecordHints,
    publisher: SendPublisher,
    /** This delivery claimed the command: its plan's policy was decided from `conversation` just now. */
    decidedNow: boolean,
    /** Where this receive notes a fault its command ends with anyway (a refused pause, kept). */
    left: FaultLeft,
  ): Promise<SendResult> => {
    let record = start;
    let lastAccept: LastAccept | undefined;
    /**
     * Message `index` went as `providerMessageId` without this delivery's answer (a status or echo,
     * or its recorded message, named it): accepted now; the last one in memory, durably with the
     * sent mark.
     */
    const goneAs = async (index: number, providerMessageId: string, at: string) => {
      if (index === messages.length - 1) {
        lastAccept = { index, providerMessageId, at };
        record = { ...wentOn(record, index, providerMessageId), completedAt: at };
        return;
      }
      await accept(record.hubMessageId, index, providerMessageId);
      record = wentOn(record, index, providerMessageId);
    };
    const failAt = (
      index: number,
      failure: Omit<SendFailure, 'decidedAt' | 'partIndex'>,
      /**
       * The attempt of message `index` the failure was decided over (none: no attempt was noted).
       * `earlier`: this delivery ends an earlier one's unanswered attempt, as read; `answer`: the
       * failure is the provider's definite answer to this delivery's own call, noted `at`.
       */
      attempt?: {
        readonly kind: 'earlier' | 'answer';
        readonly at: string;
        readonly by?: string | undefined;
      },
    ) =>
      fail(
        command,
        record,
        endingAt(index, failure),
        conversation,
        publisher,
        { index, ...(attempt ? { attempt: { at: attempt.at, by: attempt.by } } : {}) },
        attempt?.kind === 'answer' ? { remainingMs, attempt: { index, by: delivery } } : undefined,
      );
    /** A failure of message `index` as the send record keeps it. */
    const endingAt = (index: number, failure: Omit<SendFailure, 'decidedAt' | 'partIndex'>): SendFailure => ({
      ...failure,
      ...(failure.errors ? { errors: failure.errors.map(storableError) } : {}),
      partIndex: messages[index]?.partIndex ?? index,
      decidedAt: iso(),
    });

    for (let index = record.next; index < messages.length; index++) {
      const message = messages[index] as PreparedMessage;
      const last = index === messages.length - 1;
      // The claim noted this attempt (a one-message command): no earlier delivery could have made it.
      const noted = notedAt !== undefined && index === start.next;
      // A status or echo named this message as gone with no unanswered attempt noted (its call was
      // answered "took nothing", yet it went): it is never sent again, nor failed.
      const linked = record.links[String(index)];
      if (!noted && linked !== undefined && record.inFlight?.index !== index) {
        await goneAs(index, linked, iso());
        continue;
      }
      if (!noted && record.inFlight?.index === index) {
        // This environment holds the provider's "took nothing" for that call, not yet written (see
        // keepUnsettled): nothing went, but no new call can be noted until the write lands. DynamoDB
        // refused it when last tried (settleUnsettled, before this command): a fault, as its first
        // refusal was.
        const kept = answeredHere(record);
        if (kept)
          throw new RetryLaterError(
            'the provider took nothing; its bookkeeping is not yet written',
            undefined,
            limits.backoff.baseMs,
            undefined,
            kept.refusedBy ?? new Error('kept bookkeeping not yet written'),
          );
        // An earlier delivery called (or was about to call) the provider and never heard back.
        const went = await wentAs(record, index, last);
        if (went !== undefined) {
          await goneAs(index, went, record.inFlight.at);
          continue;
        }
        // A message nothing can name once it went (sender.untraceable) ends once the delivery that
        // noted the call cannot still be making it (a delivery's lifetime, as a give-up takes over):
        // waiting longer learns nothing. Before that, a live delivery's accept may yet come.
        const untraceable = sender.untraceable?.(message) === true;
        const wait = untraceable ? limits.attemptLifetimeMs : limits.outcomeWaitMs;
        if (elapsedSince(record.inFlight.at) < wait) {
          throw new RetryLaterError('waiting for the provider to say whether the message went');
        }
        return failAt(
          index,
          {
            reason: 'outcome_unknown',
            retryable: true,
            detail: untraceable
              ? 'the provider never answered, and no status or echo can name this message (a sender action): it may have been delivered'
              : 'the provider never answered and no status or echo named the message: it may have been delivered',
          },
          { kind: 'earlier', ...record.inFlight },
        );
      }
      let outcome: SendOutcome;
      let attemptAt = iso();
      // Whether this delivery noted an attempt of this message: only then is a kept answer (see
      // keepUnsettled) tied to a note it can remove; a refusal while staging noted nothing.
      let attemptNoted = noted;
      // The message named an earlier try's upload, and whether it was refused so (refusedForNow):
      // the release then drops the kept upload, and the next try uploads the file anew.
      let reusedUpload = false;
      let dropUpload = false;
      if (noted) {
        // A one-message command: the checks and the endpoint's turn came before the claim, which
        // noted this attempt.
        attemptAt = notedAt as string;
        outcome = await sender.send(message, contextFor(record, command, index));
        await step('provider-call', record.hubMessageId);
      } else {
        const late = pastDeadline(command);
        if (late) return failAt(index, late);
        // A redelivery (a later part, a throttled one) while the endpoint is paused sends nothing more.
        const planned = record.plan as SendPlan;
        const paused = await pausedFailure(planned.provider, planned.endpoint);
        if (paused) return failAt(index, paused);
        // The window and the consent as they are now, not as they were at the claim: a later part,
        // or a retry after a throttle or an unanswered call, may come after the window closed or a
        // STOP. Only this delivery's own first call of a command it just claimed is exempt.
        const decision =
          decidedNow && index === start.next
            ? undefined
            : await decideAgain(
                command,
                planned,
                sender,
                { messages, index },
                conversation,
                index === start.next,
              );
        if (decision !== undefined && !decision.ok) return failAt(index, decision.failure);
        let policy = decision?.policy;
        await takeTurn(planned, command, remainingMs, publisher);
        // The files this message reads into memory are held until its call ends (see
        // staging-budget.ts): their bytes are taken before they are read, and given back after.
        const release = await takeStagingBudget(message, planned, remainingMs, publisher);
        try {
          // Files from the bucket are uploaded, read or linked now: that sends nothing to the customer,
          // so it comes before the attempt is noted, and a failure here is one where nothing went.
          // An earlier try of this message that uploaded its file and was sent back (a throttle, an
          // unreachable provider) kept the upload on the record this delivery read: named again.
          const kept = record.upload;
          const staged = await stageStoredMedia({
            message,
            parts: command.data.parts,
            stored: record.plan?.media,
            sender,
            target: targetOf(planned, record.conversationId),
            objects: deps.mediaObjects,
            uploadTimeoutMs: uploadTimeoutMs(remainingMs),
            reusable: (file) => reusableUpload(kept, { ...file, index, endpoint: planned.endpoint }, now()),
          });
          if ('outcome' in staged) {
            outcome = staged.outcome;
          } else {
            // Remembered before the message names it: an upload the hub does not know of could not be
            // erased. An upload named again was remembered by the try that made it.
            const mediaId = staged.message.uploadedMediaId;
            const made = staged.upload?.reused === false ? staged.upload : undefined;
            const fresh: SendUpload | undefined =
              mediaId !== undefined && made !== undefined
                ? {
                    index,
                    partIndex: made.partIndex,
                    s3Key: made.s3Key,
                    bytes: made.bytes,
                    mediaId,
                    endpoint: planned.endpoint,
                    uploadedAt: iso(),
                  }
                : undefined;
            if (fresh && deps.rememberUpload)
              await deps.rememberUpload({
                hubMessageId: record.hubMessageId,
                mediaId: fresh.mediaId,
                endpoint: fresh.endpoint,
              });
            reusedUpload = staged.upload?.reused === true;
            // The endpoint's turn and the staging took time: the deadline and the window are checked
            // again last, on what was read (no read here).
            const lateNow = pastDeadline(command);
            if (lateNow) return failAt(index, lateNow);
            const windowNow = windowAt(
              command,
              planned,
              sender,
              { messages, index },
              policy,
              decision?.read ?? conversation,
            );
            if (!windowNow.ok) return failAt(index, windowNow.failure);
            policy = windowNow.policy;
            requireTimeLeft(remainingMs);
            attemptAt = iso();
            // The upload is kept with the note (one write): a try sent back names it again.
            await startAttempt(record.hubMessageId, index, attemptAt, delivery, fresh);
            attemptNoted = true;
            await step('start-attempt', record.hubMessageId);
            outcome = await sender.send(staged.message, contextFor(record, command, index, policy));
            await step('provider-call', record.hubMessageId);
            const again = reusedUpload ? refusedForNow(outcome) : undefined;
            if (again) {
              outcome = again;
              dropUpload = true;
            }
          }
        } finally {
          release?.();
        }
      }
      switch (outcome.kind) {
        case 'accepted': {
          // Durable before anything else can fail: the provider's id lives nowhere else until its
          // status comes, and the recording below publishes the sent event before it writes the
          // message record, so a failure between the two would leave a redelivery unable to tell
          // that the message went (it would end `outcome_unknown` after the sent event). For the
          // last message the sent event's time (the attempt's) goes with it, the same on every
          // delivery that rebuilds the event.
          await accept(record.hubMessageId, index, outcome.providerMessageId, last ? attemptAt : undefined);
          await step('accept', record.hubMessageId);
          record = {
            ...wentOn(record, index, outcome.providerMessageId),
            ...(last ? { completedAt: attemptAt } : {}),
          };
          break;
        }
        case 'ambiguous':
          logger.warn('provider outcome unknown; waiting for its status or echo', {
            hubMessageId: record.hubMessageId,
            errorCodes: [outcome.error.code],
          });
          throw new RetryLaterError('the provider did not answer', delivery);
        case 'throttled':
        case 'unreachable':
        case 'refused': {
          // Refused for good, or for longer than the hub waits (`retryLater`): ended now, as the provider said.
          if (outcome.kind === 'refused' && (!outcome.retryable || outcome.retryLater))
            return failAt(
              index,
              { reason: outcome.reason, retryable: outcome.retryable, errors: [outcome.error] },
              attemptNoted ? { kind: 'answer', at: attemptAt, by: delivery } : undefined,
            );
          // The deadline passed during the call: no later try could go, and the reason is the deadline,
          // whatever the provider answered (not a rate or an outage the helpdesk could retry).
          const late = pastDeadline(command);
          if (late)
            return failAt(
              index,
              {
                ...late,
                detail: `the deadline passed while ${WAIT_MESSAGES[outcome.kind]}`,
                errors: [outcome.error],
              },
              attemptNoted ? { kind: 'answer', at: attemptAt, by: delivery } : undefined,
            );
          const waitingSince = record.waitingSince ?? iso();
          const retry = nextTry(command, record, waitingSince, outcome);
          const givenUp = {
            // A request that never reached the provider is no rate: a network or configuration fault.
            reason:
              outcome.kind === 'throttled'
                ? ('rate_limited' as const)
                : outcome.kind === 'unreachable'
                  ? ('provider_error' as const)
                  : outcome.reason,
            retryable: true,
            ...(retry.detail ? { detail: retry.detail } : {}),
            errors: [outcome.error],
          };
          if (retry.afterMs !== undefined) {
            const release = () =>
              sends.release(record.hubMessageId, index, waitingSince, delivery, {
                waits: record.waits ?? 0,
                unreachable: outcome.kind === 'unreachable',
                dropUpload,
              });
            /** DynamoDB refused the release through the invocation: the wait is also a fault. */
            let refused: unknown;
            try {
              await persist(release, remainingMs);
            } catch (error) {
              // Another delivery noted its own attempt meanwhile: its call may be under way, its note stays.
              if (!(error instanceof SendRaceError)) {
                // Nothing noted (refused while staging): nothing to keep, the delivery fails as any other.
                if (!attemptNoted) throw error;
                // Still refused: this environment writes it before its next command. The command
                // comes back after its backoff as if it had been written; a redelivery here finds it
                // released, one elsewhere finds the note and waits on it (never a second call).
                const ending = endingAt(index, {
                  ...givenUp,
                  detail: `its retries ran out while ${WAIT_MESSAGES[outcome.kind]}`,
                });
                keepUnsettled(
                  record.hubMessageId,
                  { write: release, attempt: { index, by: delivery }, ending },
                  error,
                );
                refused = error;
              }
            }
            throw new RetryLaterError(
              `${WAIT_MESSAGES[outcome.kind]} (back in ${Math.ceil(retry.afterMs / 1000)} s)`,
              undefined,
              retry.afterMs,
              [outcome.error],
              refused,
            );
          }
          return failAt(
            index,
            givenUp,
            attemptNoted ? { kind: 'answer', at: attemptAt, by: delivery } : undefined,
          );
        }
        case 'credentials': {
          logger.error(
            "provider refused the credentials or the business account; the endpoint is paused, check that provider's credentials secret or the account its error code names",
            {
              hubMessageId: record.hubMessageId,
              errorCodes: [outcome.error.code],
            },
          );
          const plan = record.plan as SendPlan;
          const { pauses } = deps;
          if (pauses) {
            const ref = { provider: plan.provider, endpoint: plan.endpoint };
            const until = new Date(now().getTime() + limits.credentialsPauseMs);
            const code = outcome.error.code === undefined ? undefined : String(outcome.error.code);
            const pause = () => pauses.pause(ref, until, code);
            try {
              await persist(pause, remainingMs);
            } catch (error) {
              // Still refused: the command still ends as refused, and this environment writes the
              // pause before its next command (meanwhile another may call and pause it itself).
              // Written late, it never pauses past its own end (an operator may have fixed it since).
              // Only this environment holds it: a fault of this receive, though nothing waits on it.
              keepUnsettled(
                `pause ${sendingEndpointKey(ref.provider, ref.endpoint)}`,
                { write: async () => (now() < until ? pause() : undefined) },
                error,
              );
              left.fault = error;
            }
          }
          deps.onPause?.({ channel: plan.channel, provider: plan.provider });
          return failAt(
            index,
            { reason: 'credentials', retryable: true, errors: [outcome.error] },
            attemptNoted ? { kind: 'answer', at: attemptAt, by: delivery } : undefined,
          );
        }
      }
    }
    return finishSent(command, record, conversation, lastAccept, hints, publisher);
  };

  /**
   * A command's send record before anything is decided: nothing sent, nothing noted. `queuedAt`
   * (when the outbox got the command) is kept only when before now: the command waited behind an
   * earlier one of its conversation.
   */
  const newRecord = (
    command: SendMessageCommand,
    hubMessageId: string,
    commandHash: string,
    queuedAt?: string,
  ): SendRecord => {
    const acceptedAt = iso();
    return {
      hubMessageId,
      conversationId: command.data.conversationId,
      commandId: command.id,
      commandHash,
      state: 'sending',
      acceptedAt,
      ...(queuedAt !== undefined && Date.parse(queuedAt) < Date.parse(acceptedAt) ? { queuedAt } : {}),
      messageCount: 0,
      next: 0,
      providerIds: [],
      links: {},
    };
  };

  /**
   * The command's give-up receive ended without an outcome (it waited on the provider, its rate, an
   * earlier command of its conversation, or failed), or a receive after it came (that one died
   * unfinished: `UnfinishedReceiveError`): failing again would leave it to the dead-letter queue
   * with no event. It ends here in `send_failed` instead, without a provider call:
   * `outcome_unknown` when a call went unanswered, `rate_limited` when it waited on a rate, else
   * `provider_error`; all retryable. A record already failed is published if it was not. One whose
   * messages all went (accepted, or the last one named by a status or already recorded) ends as
   * sent: its recording and sent mark need no provider call.
   */
  const endUnfinished = async (
    command: SendMessageCommand,
    { cause, heldBehind }: LastReceiveCause,
    publisher: EventPublisher,
  ): Promise<SendResult> => {
    const hubMessageId = outboundHubMessageId(command.data.conversationId, command.data.idempotencyKey);
    await settleUnsettled();
    const stored = await deps.reads.conversation(command.data.conversationId);
    const conversation = stored.model?.state;
    const waitedOnRate =
      cause instanceof RetryLaterError && /rate|throttled/.test(cause.message) ? cause.message : undefined;
    const failureFor = (record: SendRecord | undefined): SendFailure => {
      if (record?.inFlight)
        return {
          reason: 'outcome_unknown',
          retryable: true,
          partIndex: partIndexOf(record, record.inFlight.index),
          detail:
            'its retries ran out before the provider said whether the message went: it may have been delivered',
          decidedAt: iso(),
        };
      // The part stuck: those before it went (a record of no prepared message names none).
      const stuck =
        record && record.next < record.messageCount ? { partIndex: partIndexOf(record, record.next) } : {};
      // What the provider answered this very receive when it took nothing (a throttle, a refusal for
      // now), as the 10-minute give-up names it; not an earlier command's (held behind).
      const answer =
        !heldBehind && cause instanceof RetryLaterError && cause.errors !== undefined
          ? { errors: cause.errors.map(storableError) }
          : {};
      // Its deadline passed while it waited (held behind, or backing off): that is why it did not go.
      const late = pastDeadline(command);
      if (late) return { ...late, ...stuck, ...answer, decidedAt: iso() };
      return {
        reason: waitedOnRate ? 'rate_limited' : 'provider_error',
        retryable: true,
        ...stuck,
        ...answer,
        detail: `its retries ran out before it could be sent (${
          heldBehind ? 'an earlier command of its conversation was unfinished: ' : ''
        }${cause instanceof RetryLaterError || cause instanceof UnfinishedReceiveError ? cause.message : errorNameOf(cause)})`,
        decidedAt: iso(),
      };
    };
    const read = await sends.read(hubMessageId);
    if (read?.state === 'erased') return afterErasure(command, read, conversation, publisher);
    let record = read;
    if (!record) {
      const failure = failureFor(undefined);
      // Its uploads named, as a refused send's are: a delivery before may have noted their
      // references, which an erasure finds from this record.
      const failed: SendRecord = {
        ...newRecord(command, hubMessageId, commandHashOf(command.data)),
        state: 'failed',
        ...filesNamedBy(command.data.parts),
        failure,
      };
      if ((await sends.claim(failed)) === 'claimed')
        return publishFailed(command, failed, failure, conversation, publisher);
      const taken = await sends.read(hubMessageId);
      if (taken?.state === 'erased') return afterErasure(command, taken, conversation, publisher);
      record = taken;
      if (!record) throw new SendRaceError('send record vanished after a lost claim');
    }
    if (!isCommandHashOf(record.commandHash, command.data)) {
      // Refused at once and alike on every receive: nothing a receive could have died in the middle
      // of, so past the give-up the record it died on is looked for behind it (LastReceiveEnding).
      await refuseReusedKey(command, record, conversation, publisher);
      return 'duplicate';
    }
    if (record.state === 'failed')
      return record.published
        ? 'duplicate'
        : publishFailed(command, record, record.failure as SendFailure, conversation, publisher);
    if (record.state === 'sent') return 'duplicate';
    const { inFlight } = record;
    // A noted attempt whose provider took nothing, its bookkeeping still refused (keepUnsettled):
    // its call is over, and the send ends as that answer would have ended it.
    const answered = answeredHere(record);
    // An attempt noted so recently, unless by this very receive (its call went unanswered), may be
    // another delivery's call still under way (two deliveries of one command at once): its outcome
    // will stand, so this receive sends the command back.
    const ownAttempt =
      answered !== undefined || (cause instanceof RetryLaterError && cause.delivery === inFlight?.by);
    if (inFlight && !ownAttempt && elapsedSince(inFlight.at) < limits.attemptLifetimeMs)
      throw new RetryLaterError('another delivery of the command is sending it');
    let current: SendRecord = record;
    if (current.plan && conversation) {
      const hints: RecordHints = { conversation: stored };
      const lastIndex = current.messageCount - 1;
      // Messages before the last that a status or echo already named as gone (links) are accepted
      // first: the ending never fails a message that went (sends.fail refuses that, on every receive
      // to the dead-letter queue), and names the ones that went.
      for (let went = current.links[String(current.next)]; current.next < lastIndex && went !== undefined; ) {
        await accept(hubMessageId, current.next, went);
        current = wentOn(current, current.next, went);
        went = current.links[String(current.next)];
      }
      if (current.next >= current.messageCount)
        return finishSent(command, current, conversation, undefined, hints, publisher);
      if (current.next === lastIndex) {
        // The last message went when a status named it, or its unanswered call's message is recorded.
        const went =
          current.inFlight?.index === lastIndex
            ? await wentAs(current, lastIndex, true)
            : current.links[String(lastIndex)];
        if (went !== undefined) {
          const at = current.inFlight?.at ?? iso();
          const last = { index: lastIndex, providerMessageId: went, at };
          const done: SendRecord = {
            ...current,
            next: current.messageCount,
            providerIds: [...current.providerIds, went],
            completedAt: at,
          };
          return finishSent(command, done, conversation, last, hints, publisher);
        }
      }
    }
    // Only over the record as read above (its next message, its attempt or none, no link for it):
    // an attempt another delivery notes meanwhile, or its accept, stands.
    const failure = answered?.ending ? { ...answered.ending, decidedAt: iso() } : failureFor(current);
    return fail(command, current, failure, conversation, publisher, {
      index: current.next,
      attempt: current.inFlight,
    });
  };

  const handleCommand = async (
    command: SendMessageCommand,
    remainingMs: () => number,
    publisher: SendPublisher,
    queuedAt: string | undefined,
    /** Where this receive notes a fault its command ends with anyway (see sendRemaining). */
    left: FaultLeft,
  ): Promise<SendResult> => {
    const hubMessageId = outboundHubMessageId(command.data.conversationId, command.data.idempotencyKey);
    const commandHash = commandHashOf(command.data);
    const delivery = randomUUID();
    // What an earlier command of this environment could not write yet, first: this command's own
    // redelivery then finds its send as the provider's answer left it.
    await settleUnsettled();
    const first = await deps.reads.sendWithConversation(hubMessageId, command.data.conversationId);
    const { stored } = first;
    const conversation = stored.model?.state;
    // Taken before its customer was erased: a repeat, whatever conversation the id holds now.
    if (first.record?.state === 'erased') return afterErasure(command, first.record, conversation, publisher);
    let record: SendRecord | undefined = first.record;
    let prepared: { sender: ChannelSender; messages: readonly PreparedMessage[] } | undefined;
    /** When this delivery's claim also noted the first attempt. */
    let notedAt: string | undefined;
    let claimedNow = false;

    if (!record) {
      const base = newRecord(command, hubMessageId, commandHash, queuedAt);
      if (!conversation) {
        const failure: SendFailure = {
          reason: 'conversation_unknown',
          retryable: false,
          failedField: 'conversationId',
          detail: 'the hub has no such conversation',
          decidedAt: iso(),
        };
        // Its uploads named, as every refused send's are: a conversation erased before the sender
        // took the command had its references noted by the helpdesk's POST, and the next erasure
        // finds them, and the file sent to this person alone, from this record only.
        const refused: SendRecord = {
          ...base,
          state: 'failed',
          ...filesNamedBy(command.data.parts),
          failure,
        };
        const claimed = await sends.claim(refused);
        await step('claim', hubMessageId);
        if (claimed === 'claimed') return publishFailed(command, refused, failure, undefined, publisher);
      } else {
        // Before the claim, whose record names them (looked up or refused): without it an erasure
        // of another recipient of the same upload would delete the file this conversation is sent.
        const uploads = uploadsNamedBy(command.data.parts);
        if (uploads.length > 0) await deps.noteUploads?.(command.data.conversationId, uploads);
        let decided = await plan(command, conversation);
        // One provider message and nothing to stage: its turn is taken now and its attempt noted with
        // the claim (one write less); the call follows at once.
        const oneCall = decided.ok && decided.messages.length === 1 && decided.plan.media === undefined;
        if (oneCall && decided.ok) {
          await takeTurn(decided.plan, command, remainingMs, publisher);
          // The turn may have taken up to SENDER.maxRateWaitMs: the deadline and the window are checked
          // again, on the conversation read above (no read). A window that closed meanwhile refuses, or
          // changes only what the prepared message allows (Messenger's HUMAN_AGENT tag): the plan, and
          // so the call and every later delivery, goes by the policy of now.
          const late = pastDeadline(command);
          if (late) decided = { ok: false, plan: decided.plan, failure: late };
          else {
            const { plan: planned, sender, messages } = decided;
            const windowNow = windowAt(
              command,
              planned,
              sender,
              { messages, index: 0 },
              undefined,
              conversation,
            );
            if (!windowNow.ok) decided = { ok: false, plan: planned, failure: windowNow.failure };
            else {
              const { withinWindow, humanAgentTag } = windowNow.policy;
              decided = { ...decided, plan: { ...planned, withinWindow, humanAgentTag } };
              notedAt = iso();
            }
          }
        }
        const candidate: SendRecord = decided.ok
          ? {
              ...base,
              plan: decided.plan,
              messageCount: decided.messages.length,
              preparedDigest: preparedDigestOf(decided.messages),
              ...partIndexesOf(decided.messages),
              ...(notedAt ? { inFlight: { index: 0, at: notedAt, by: delivery } } : {}),
            }
          : {
              ...base,
              state: 'failed',
              ...(decided.plan ? { plan: decided.plan } : {}),
              ...(decided.plan?.media ? {} : filesNamedBy(command.data.parts)),
              failure: { ...decided.failure, decidedAt: iso() },
            };
        const claimed = await sends.claim(candidate);
        await step('claim', hubMessageId);
        if (claimed === 'claimed') {
          if (!decided.ok)
            return publishFailed(
              command,
              candidate,
              candidate.failure as SendFailure,
              conversation,
              publisher,
            );
          record = candidate;
          prepared = decided;
          claimedNow = true;
        } else {
          const taken = await sends.read(hubMessageId);
          // Erased between the read above and the claim.
          if (taken?.state === 'erased') return afterErasure(command, taken, conversation, publisher);
          record = taken;
          if (decided.ok && notedAt !== undefined && record?.inFlight?.by === delivery) {
            // This delivery's own claim: its write landed, its answer was lost and the SDK wrote it
            // again, which failed the condition. The noted attempt is ours to make.
            prepared = decided;
            claimedNow = true;
          } else notedAt = undefined;
        }
      }
      if (!record) {
        const taken = await sends.read(hubMessageId);
        if (taken?.state === 'erased') return afterErasure(command, taken, conversation, publisher);
        record = taken;
      }
      if (!record) throw new SendRaceError('send record vanished after a lost claim');
    }

    if (!isCommandHashOf(record.commandHash, command.data))
      return refuseReusedKey(command, record, conversation, publisher);
    if (record.state === 'failed') {
      if (record.published) return 'duplicate';
      return publishFailed(command, record, record.failure as SendFailure, conversation, publisher);
    }
    if (record.state === 'sent' && record.published) return 'duplicate';
    if (!conversation || !record.plan) throw new Error('a send under way lost its conversation or plan');
    if (!prepared) {
      const sender = await deps.senderFor(record.plan);
      if (!sender) {
        // Every message went (a receive died before its recording or sent mark): finishing it needs
        // no provider.
        if (record.next >= record.messageCount)
          return finishSent(command, record, conversation, undefined, { conversation: stored }, publisher);
        // Its credentials went after the claim: with no call of it unanswered, it ends now as a new
        // command would (`credentials`), instead of holding its conversation to its last receive.
        if (record.inFlight !== undefined || record.links[String(record.next)] !== undefined)
          throw new RetryLaterError(`no ${record.plan.provider} sender configured`);
        const failure: SendFailure = {
          ...noCredentials(record.plan.provider),
          partIndex: partIndexOf(record, record.next),
          decidedAt: iso(),
        };
        return fail(command, record, failure, conversation, publisher, { index: record.next });
      }
      const again = sender.prepare(
        command.data.parts,
        { withinWindow: record.plan.withinWindow, humanAgentTag: record.plan.humanAgentTag },
        targetOf(record.plan, record.conversationId),
        record.plan.media,
      );
      // Not as claimed (an upgrade since moved where a text is cut, say): the rest is not sent,
      // which would repeat or skip text; the command ends at its last receive, `provider_error`.
      if (
        !again.ok ||
        again.messages.length !== record.messageCount ||
        (record.preparedDigest !== undefined && preparedDigestOf(again.messages) !== record.preparedDigest)
      ) {
        throw new Error('the command no longer prepares as it did when it was claimed');
      }
      prepared = { sender, messages: again.messages };
    }
    return sendRemaining(
      command,
      record,
      prepared.sender,
      prepared.messages,
      conversation,
      remainingMs,
      notedAt,
      delivery,
      // The recorder applies the sent message to the conversation read above; when this delivery
      // made the claim, the message cannot have been recorded yet. Two reads less.
      { conversation: stored, ...(claimedNow ? { unrecorded: true } : {}) },
      publisher,
      claimedNow,
      left,
    );
  };

  return async (
    command: SendMessageCommand,
    remainingMs: () => number,
    /** Where its outcome event goes: the batch's shared rounds; the helpdesk queue when absent. */
    publisher: SendPublisher = deps.publisher,
    /**
     * At the command's last receive, after it (or an earlier command of its conversation) failed
     * with `cause`: no provider call, the command ends in `send_failed` (see endUnfinished).
     */
    endAtLastReceive?: LastReceiveCause,
    /**
     * When the outbox queued the command (its SQS record's SentTimestamp): its send record keeps it
     * when the sender takes it later, and its `message.sent` counts it as taken then (`takenAt`).
     */
    queuedAt?: string,
  ): Promise<SendHandled> => {
    // An ending at the last receive makes no provider call: no answer of one to keep.
    if (endAtLastReceive) return { result: await endUnfinished(command, endAtLastReceive, publisher) };
    const left: FaultLeft = {};
    try {
      const result = await handleCommand(command, remainingMs, publisher, queuedAt, left);
      return left.fault === undefined ? { result } : { result, fault: left.fault };
    } catch (error) {
      // Its ending lost a race to another delivery after a write was kept (a refused pause): the
      // command waits for that delivery's outcome, and this receive's fault still counts.
      if (left.fault !== undefined && error instanceof RetryLaterError && error.fault === undefined)
        throw new RetryLaterError(error.message, error.delivery, error.afterMs, error.errors, left.fault);
      throw error;
    }
  };
};

export type SendCommandHandler = ReturnType<typeof createSendCommandHandler>;

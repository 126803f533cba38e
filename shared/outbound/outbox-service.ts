import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import type { EventPublisher } from '#shared/aws/event-publisher.ts';
import {
  type LastReceiveCause,
  type LastReceiveEnding,
  processFifoBatch,
} from '#shared/aws/sqs-fifo-batch.ts';
import {
  COMMAND_TYPES,
  type HubCommand,
  HubCommandSchema,
  IdempotencyKeySchema,
  MAX_COMMAND_BYTES,
} from '#shared/contract/commands.ts';
import { canonicalJson, hubMessageIdFor, outboundHubMessageId, stableHash } from '#shared/contract/ids.ts';
import { callPartOf } from '#shared/contract/parts.ts';
import type { Channel, ConversationState, Message, Provider } from '#shared/contract/types.ts';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';
import { type GroupPublisher, publishInRounds } from '#shared/recorder/publish-rounds.ts';
import { OUTBOX_QUEUE } from '#shared/resources/definitions.ts';
import type { EndpointPauses } from '#shared/store/endpoint-pauses.ts';
import type { SendFailure, SendRecord, SendStore } from '#shared/store/sends.ts';
import type { ChannelSender, SendOutcome, SendTarget } from './channel-sender.ts';
import { nonMessageReferenceOf } from './message-references.ts';
import { failedEventFor } from './outcome-events.ts';
import {
  isCommandFault,
  RetryLaterError,
  type SendCommandHandler,
  type SenderReads,
} from './send-command.ts';
import type { SenderFor } from './senders.ts';

/*
 * The sender Lambda's work: an outbox batch through the FIFO batch framework (one conversation's
 * commands in order, a waiting command holding back the ones behind it), each record parsed and
 * handed to the command it is.
 */

/** Enough of a send command to say which conversation and command a malformed one was. */
const AttributableSendSchema = z.object({
  id: z.string().min(1).max(256),
  type: z.literal(COMMAND_TYPES.sendMessage),
  data: z.object({ conversationId: z.string().min(1).max(128), idempotencyKey: IdempotencyKeySchema }),
});

/** The `commandHash` of a malformed command's send record: no command's data hashes to it. */
const MALFORMED_COMMAND_HASH = 'malformed';

/**
 * A malformed command's record's hash: the marker and its command id's hash, so that what an erasure
 * keeps of it (a keyed hash of this) still tells the command's own redelivery from another command
 * under its key (until 2026-12-07 the marker alone, and a redelivery after the erasure was refused
 * again under a new event id as another command's: two events for one command; found by a review).
 */
const malformedCommandHash = (commandId: string): string =>
  `${MALFORMED_COMMAND_HASH}:${stableHash('malformed-command', commandId)}`;

/** Whether a record's hash is a malformed command's (the bare marker: a record of before 2026-12-07). */
const isMalformedHash = (commandHash: string): boolean =>
  commandHash === MALFORMED_COMMAND_HASH || commandHash.startsWith(`${MALFORMED_COMMAND_HASH}:`);

export interface OutboxDeps {
  readonly sendMessage: SendCommandHandler;
  readonly reads: Pick<SenderReads, 'conversation' | 'message' | 'newestInbound' | 'erasedCommandHashIs'>;
  readonly sends: SendStore;
  readonly publisher: EventPublisher;
  readonly senderFor: SenderFor;
  readonly providerOf: (state: ConversationState) => Provider;
  /** Moves a record no event can be made of to the outbox's dead-letter queue, with the reason. */
  readonly deadLetter: (record: SQSRecord, reason: string) => Promise<void>;
  /**
   * Makes outbox records visible again after `seconds` (SQS ChangeMessageVisibilityBatch): a
   * command backing off from a provider that took nothing, and those behind it in its conversation.
   * Without it they come back after the queue's visibility timeout.
   */
  readonly setVisibility?: (records: readonly SQSRecord[], seconds: number) => Promise<void>;
  /**
   * Endpoints whose credentials were refused (the send commands' pauses): a signal to a paused
   * endpoint is not sent, and a signal whose credentials are refused pauses its endpoint too.
   */
  readonly pauses?: EndpointPauses;
  /** How long such a pause lasts (the send commands' `credentialsPauseMs`). */
  readonly credentialsPauseMs: number;
  /**
   * No signal starts with less than this left of the invocation (the send commands'
   * `minRemainingMs`): it is skipped, as best effort allows, instead of running the invocation out
   * and returning the batch with it.
   */
  readonly signalMinRemainingMs: number;
  /** An endpoint was paused: the send commands' alarm. */
  readonly onPause?: (paused: { channel: Channel; provider: Provider }) => void;
  readonly clock: () => Date;
  readonly logger: Logger;
  /**
   * Commands failed unexpectedly, not a wait for a provider: the sender's own AWS calls (DynamoDB,
   * the helpdesk queue, Secrets Manager), a wait whose bookkeeping DynamoDB refused (its provider
   * took nothing) or the ending of a command at its give-up receive, a bug. Called once per failed
   * group with the records left for redelivery by it (the failed one and those held behind it; after
   * a wait, those whose ending failed), and with 1 for a command that ended with a write of its own
   * kept for the environment's next command (a credentials pause DynamoDB refused, SendHandled.fault);
   * the function counts them for an alarm.
   */
  readonly onCommandError?: (failedCount: number) => void;
}

/** A customer's call, recorded as their message: its id is the call's, no message a signal answers. */
const isCall = (message: Message): boolean => callPartOf(message.parts) !== undefined;

/** The latest time a Date holds (8.64e15 ms after the epoch). */
const MAX_DATE_MS = 8.64e15;

/**
 * When the outbox queued a record (its SentTimestamp, epoch milliseconds on SQS's clock), or
 * undefined when it names no such time.
 */
const queuedAtOf = (record: SQSRecord): string | undefined => {
  const ms = Number(record.attributes.SentTimestamp);
  return Number.isInteger(ms) && ms > 0 && ms <= MAX_DATE_MS ? new Date(ms).toISOString() : undefined;
};

/** SQS's longest visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;

const fieldOf = (issue: z.core.$ZodIssue | undefined): string =>
  issue
    ? issue.path
        .map(String)
        .join('.')
        .replace(/^data\./, '')
    : 'data';

/** What is wrong with a send command that is refused before it is read as one. */
interface Malformed {
  /** The command field named as refused, as a schema issue's path names it (under `data` without the prefix). */
  readonly failedField: string;
  readonly detail: string;
}

const malformedOf = (error: z.ZodError): Malformed => ({
  failedField: fieldOf(error.issues[0]),
  detail: error.issues[0]?.message ?? 'invalid command',
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** Its size as JSON; one nested too deep to write out (a RangeError: the call stack) counts as larger than any. */
const jsonBytes = (value: unknown): number => {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
};

/**
 * What a malformed command's own refusal is hashed from (its event id): its body as canonical JSON,
 * the same however its keys were ordered; the body as it came when it is nested too deep for that.
 */
const malformedContentHashOf = (json: unknown, body: string): string => {
  try {
    return stableHash('malformed', canonicalJson(json));
  } catch {
    return stableHash('malformed', 'body', body);
  }
};

interface SizedField {
  readonly key: string;
  readonly value: unknown;
  /** Its size as JSON. */
  readonly bytes: number;
}

/** The largest of `fields`. */
const largestOf = (fields: readonly (readonly [string, unknown])[]): SizedField | undefined => {
  let largest: SizedField | undefined;
  for (const [key, value] of fields) {
    const bytes = jsonBytes(value);
    if (largest === undefined || bytes > largest.bytes) largest = { key, value, bytes };
  }
  return largest;
};

/** The deepest a field named for an oversize command goes. */
const MAX_FIELD_DEPTH = 8;

/**
 * What makes an oversize command large, as a failed field: its largest field (of its data, or of
 * its envelope), and inside it the largest field or part for as long as that holds most of it
 * (`parts.0.text` for one long text; `parts` for many parts), at most MAX_FIELD_DEPTH deep.
 */
const largestFieldOf = (json: unknown): string => {
  if (!isObject(json)) return 'data';
  const { data, ...envelope } = json;
  let largest = largestOf([...Object.entries(isObject(data) ? data : {}), ...Object.entries(envelope)]);
  if (largest === undefined) return 'data';
  const path = [largest.key];
  // Each level sizes what is under it again: a few levels name the field, and a bound keeps a body
  // nested thousands deep from costing thousands of passes over a megabyte.
  while (path.length < MAX_FIELD_DEPTH) {
    const outer: SizedField = largest;
    const inner = isObject(outer.value) ? largestOf(Object.entries(outer.value)) : undefined;
    if (inner === undefined || inner.bytes * 2 <= outer.bytes) return path.join('.');
    path.push(inner.key);
    largest = inner;
  }
  return path.join('.');
};

export const createOutboxService = (deps: OutboxDeps) => {
  const { logger } = deps;

  /**
   * CommandErrors: the records of a receive left with a fault of the sender's own, a failed group's
   * (isCommandFault) or a command's that ended all the same (SendHandled.fault); once per record and
   * receive, however often its calls were tried. Every count goes through here.
   */
  const countFaults = (records: number): void => deps.onCommandError?.(records);

  /**
   * A send command that does not parse but names its conversation and key: it ends `content_invalid`.
   * Its key's send record keeps its refusal, so a redelivery publishes the same event. A key that
   * already stands for another command (another command id) is left as it is: that command ends in
   * its own event, and this one in a refusal of its own (its own event id, hashed from its body).
   */
  const refuseMalformed = async (
    json: unknown,
    body: string,
    problem: Malformed,
    publisher: EventPublisher,
  ): Promise<boolean> => {
    const attributable = AttributableSendSchema.safeParse(json);
    if (!attributable.success) return false;
    const { id, data } = attributable.data;
    const command = { id, data };
    const hubMessageId = outboundHubMessageId(data.conversationId, data.idempotencyKey);
    const failure: SendFailure = {
      reason: 'content_invalid',
      retryable: false,
      failedField: problem.failedField,
      detail: problem.detail,
      decidedAt: deps.clock().toISOString(),
    };
    const record: SendRecord = {
      hubMessageId,
      conversationId: data.conversationId,
      commandId: id,
      commandHash: malformedCommandHash(id),
      state: 'failed',
      acceptedAt: failure.decidedAt,
      messageCount: 0,
      next: 0,
      providerIds: [],
      links: {},
      failure,
    };
    const stored =
      (await deps.sends.claim(record)) === 'claimed' ? record : await deps.sends.read(hubMessageId);
    if (!stored) throw new Error('send record vanished after a lost claim');
    // This very command's refusal, its customer erased since: it had its one event then.
    if (stored.state === 'erased' && (await deps.reads.erasedCommandHashIs(stored, malformedCommandHash(id))))
      return true;
    if (stored.state === 'erased' || stored.commandId !== id) {
      // Another command's key: its record (sending, sent or failed, published or not; or what an
      // erasure left of it, a well-formed command's) is not this command's to publish or mark; the
      // refusal gets an event id of its own.
      await publisher.publish([
        failedEventFor({
          command,
          hubMessageId,
          failure: {
            ...failure,
            detail: `${failure.detail} (its idempotency key also stands for another command, which stands)`,
          },
          sentProviderMessageIds: [],
          plan: undefined,
          conversation: undefined,
          reusedKeyCommandHash: malformedContentHashOf(json, body),
        }),
      ]);
      logger.warn('malformed send command refused; its idempotency key stands for another command', {
        conversationId: data.conversationId,
        hubMessageId,
        commandId: id,
        reason: 'content_invalid',
      });
      return true;
    }
    // This command's own record. One it made well-formed before (a corrupted redelivery of the same
    // command) ends in that send's own event, which its own delivery publishes.
    if (stored.published || !isMalformedHash(stored.commandHash)) return true;
    await publisher.publish([
      failedEventFor({
        command,
        hubMessageId,
        failure: stored.failure ?? failure,
        sentProviderMessageIds: [],
        plan: undefined,
        conversation: undefined,
      }),
    ]);
    await deps.sends.markPublished(hubMessageId);
    logger.info('send command refused', {
      conversationId: data.conversationId,
      hubMessageId,
      reason: 'content_invalid',
    });
    return true;
  };

  /**
   * Why a signal is not sent at all, before any provider call: its endpoint is paused (the provider
   * refused its credentials: a call would be refused too), or a read receipt names a message the hub
   * recorded in another conversation (it would mark another customer's message read), or a WhatsApp
   * call (no message Meta marks read).
   */
  const signalRefusal = async (
    command: Exclude<HubCommand, { type: typeof COMMAND_TYPES.sendMessage }>,
    conversation: ConversationState,
    provider: Provider,
  ): Promise<string | undefined> => {
    const pausedUntil = await deps.pauses?.pausedUntil({ provider, endpoint: conversation.endpoint });
    if (pausedUntil !== undefined) return 'endpoint paused';
    if (command.type !== COMMAND_TYPES.markRead) return undefined;
    const nonMessage = nonMessageReferenceOf(conversation.channel, command.data.providerMessageId);
    if (nonMessage) return `${nonMessage}, not a message`;
    const message = await deps.reads.message(
      hubMessageIdFor(conversation.channel, command.data.providerMessageId),
    );
    return message !== undefined && message.conversationId !== conversation.conversationId
      ? 'message of another conversation'
      : undefined;
  };

  /**
   * Read receipts and typing indicators: best effort, no event, never retried. Skipped (logged at
   * info) when the invocation has too little time left for its provider call.
   */
  const signal = async (
    command: Exclude<HubCommand, { type: typeof COMMAND_TYPES.sendMessage }>,
    remainingMs: () => number,
  ) => {
    const outOfTime = () => {
      if (remainingMs() >= deps.signalMinRemainingMs) return false;
      logger.info('signal not sent', {
        conversationId: command.data.conversationId,
        eventType: command.type,
        reason: 'too little time left in this invocation',
      });
      return true;
    };
    if (outOfTime()) return;
    const conversation = (await deps.reads.conversation(command.data.conversationId)).model?.state;
    const [recipient] = conversation?.contact.identities ?? [];
    if (!conversation || !recipient) {
      logger.info('signal for an unknown conversation ignored', {
        conversationId: command.data.conversationId,
      });
      return;
    }
    const provider = deps.providerOf(conversation);
    const refusal = await signalRefusal(command, conversation, provider);
    if (refusal !== undefined) {
      logger.info('signal not sent', {
        conversationId: conversation.conversationId,
        eventType: command.type,
        reason: refusal,
      });
      return;
    }
    const sender = await deps.senderFor({
      provider,
      channel: conversation.channel,
      endpoint: conversation.endpoint,
    });
    const target: SendTarget = {
      channel: conversation.channel,
      provider,
      endpoint: conversation.endpoint,
      recipient,
      conversationId: conversation.conversationId,
    };
    // The reads took time of their own.
    if (outOfTime()) return;
    const outcome =
      command.type === COMMAND_TYPES.markRead
        ? await sender?.markRead?.(target, command.data.providerMessageId)
        : await showTyping(sender, target, conversation);
    const fields = {
      conversationId: conversation.conversationId,
      eventType: command.type,
      reason: outcome?.kind ?? 'unsupported',
      ...(outcome !== undefined && outcome.kind !== 'accepted' ? { errorCodes: [outcome.error.code] } : {}),
    };
    // A signal the provider did not take is worth seeing: it is dropped, never retried.
    if (outcome === undefined || outcome.kind === 'accepted') logger.debug('signal sent', fields);
    else logger.info('signal not sent', fields);
    if (outcome?.kind === 'credentials') {
      // The token is refused for the endpoint's sends too: paused as a send's refusal pauses it.
      logger.error(
        "provider refused the credentials or the business account; the endpoint is paused, check that provider's credentials secret or the account its error code names",
        {
          conversationId: conversation.conversationId,
          eventType: command.type,
          errorCodes: [outcome.error.code],
        },
      );
      await deps.pauses?.pause(
        { provider, endpoint: conversation.endpoint },
        new Date(deps.clock().getTime() + deps.credentialsPauseMs),
        outcome.error.code === undefined ? undefined : String(outcome.error.code),
      );
      deps.onPause?.({ channel: conversation.channel, provider });
    }
  };

  /**
   * WhatsApp answers the customer's newest message with it: read only for a sender that needs it. A
   * call is no message a typing indicator can answer (its id is the call's), so after a call it
   * answers the customer's newest message before the call: one of the call's second, or one Query
   * more, of the conversation's last few messages before it (shared/store/messages.ts). When none of
   * those is the customer's, the sender gets no message (WhatsApp's then refuses, logged at info).
   */
  const showTyping = async (
    sender: ChannelSender | undefined,
    target: SendTarget,
    conversation: ConversationState,
  ): Promise<SendOutcome | undefined> => {
    if (sender?.typing === undefined) return undefined;
    const answered = sender.typingAnswersInbound
      ? await deps.reads.newestInbound(conversation, isCall)
      : undefined;
    return sender.typing(target, answered?.providerMessageId);
  };

  /**
   * The command `record` holds. A record that holds none is dealt with here, and gives undefined: a
   * send command that names its conversation and key ends in `send_failed` (refuseMalformed), and
   * anything else goes to the outbox's dead-letter queue with its reason.
   */
  const commandOf = async (record: SQSRecord, publisher: EventPublisher): Promise<HubCommand | undefined> => {
    // Bounded before it is parsed: the outbox itself takes nothing larger.
    const bytes = Buffer.byteLength(record.body, 'utf8');
    if (bytes > OUTBOX_QUEUE.maximumMessageSizeBytes) {
      await deps.deadLetter(record, `command larger than ${OUTBOX_QUEUE.maximumMessageSizeBytes} bytes`);
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(record.body);
    } catch {
      await deps.deadLetter(record, 'body is not JSON');
      return undefined;
    }
    // Larger than a command may be (the helpdesk API refuses it; a helpdesk may queue it on the
    // outbox itself, which takes up to 1 MiB): refused as a whole, however it parses.
    if (bytes > MAX_COMMAND_BYTES) {
      const oversize: Malformed = {
        failedField: largestFieldOf(json),
        detail: `the command (its body with its envelope, as JSON) is ${bytes} bytes, larger than the ${MAX_COMMAND_BYTES} bytes (${MAX_COMMAND_BYTES / 1024} KiB) a command may be: nothing was sent`,
      };
      if (!(await refuseMalformed(json, record.body, oversize, publisher)))
        await deps.deadLetter(record, `command larger than ${MAX_COMMAND_BYTES} bytes`);
      return undefined;
    }
    const parsed = HubCommandSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    if (!(await refuseMalformed(json, record.body, malformedOf(parsed.error), publisher)))
      await deps.deadLetter(record, 'not a command the hub knows');
    return undefined;
  };

  const handle = async (
    record: SQSRecord,
    remainingMs: () => number,
    publisher: GroupPublisher,
  ): Promise<void> => {
    const command = await commandOf(record, publisher);
    if (command === undefined) return;
    if (command.type === COMMAND_TYPES.sendMessage) {
      const { fault } = await deps.sendMessage(
        command,
        remainingMs,
        publisher,
        undefined,
        queuedAtOf(record),
      );
      // Ended, with a write of its own refused and kept for this environment's next command (logged
      // as it was kept): nothing waits on it, but only this environment holds it.
      if (fault !== undefined) countFaults(1);
      return;
    }
    // A signal publishes nothing: the batch's outcome events do not wait for its provider call.
    await publisher.aside(() => signal(command, remainingMs));
  };

  /**
   * A send command at its last receive that did not reach an outcome ends in `send_failed` rather
   * than in the dead-letter queue without an event (shared/outbound/send-command.ts). Read and typing
   * commands are best effort and end in no event anyway: they are let go. A record that holds no
   * command is dealt with as `handle` deals with it (a receive past the give-up one does not run
   * `handle`): a malformed send command that names its conversation and key ends `content_invalid`,
   * anything else goes to the dead-letter queue with its reason. Throws (the record stays failed,
   * and comes back) only when that cannot be done now.
   */
  const endAtLastReceive = async (
    record: SQSRecord,
    why: LastReceiveCause,
    publisher: EventPublisher,
  ): Promise<LastReceiveEnding> => {
    const command = await commandOf(record, publisher);
    // A malformed command ends at once, a signal has no outcome to wait for: neither is one a
    // receive could have died in the middle of.
    if (command?.type !== COMMAND_TYPES.sendMessage) return 'finished-before';
    const { result: outcome } = await deps.sendMessage(command, () => 0, publisher, why);
    if (outcome === 'duplicate') return 'finished-before';
    logger.warn('command ended at its last receive', {
      conversationId: command.data.conversationId,
      commandId: command.id,
      reason: outcome,
    });
    return 'ended';
  };

  const handleSqsEvent = (
    event: SQSEvent,
    remainingMs: () => number = () => Number.POSITIVE_INFINITY,
  ): Promise<SQSBatchResponse> =>
    processFifoBatch(event, {
      openGroups: (groupCount) => {
        // The batch's conversations send concurrently; their outcome events share SendMessageBatch
        // requests, as the recorder's groups do (each still awaits its own before its sent mark).
        const joinRounds = publishInRounds(deps.publisher, groupCount);
        return () => {
          const publisher = joinRounds();
          return {
            handle: (record) => handle(record, remainingMs, publisher),
            lastReceive: (record, why) => endAtLastReceive(record, why, publisher),
            close: () => publisher.leave(),
          };
        };
      },
      giveUpAtReceive: OUTBOX_QUEUE.consumerGivesUpAtReceive,
      comeBack: deps.setVisibility && {
        afterSeconds: (error) =>
          error instanceof RetryLaterError && error.afterMs !== undefined
            ? Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil(error.afterMs / 1000)))
            : undefined,
        setVisibility: deps.setVisibility,
        onError: (error) =>
          logger.warn(
            'could not set when a waiting command comes back; it comes after the visibility timeout',
            {
              errorName: errorNameOf(error),
            },
          ),
      },
      onGroupFailure: ({ error, failedCount, record, endErrors }) => {
        // A fault (not a wait): the failed record and those held behind it. Else only the records a
        // fault kept from ending at their give-up receive (a wait whose ending DynamoDB refused).
        const faults = isCommandFault(error) ? failedCount : endErrors.filter(isCommandFault).length;
        // A wait is named by its fault: its own bookkeeping's, or its ending's.
        const fault =
          error instanceof RetryLaterError ? (error.fault ?? endErrors.find(isCommandFault)) : error;
        const fields = {
          errorName: errorNameOf(fault ?? error),
          failedCount,
          attempt: Number(record.attributes.ApproximateReceiveCount),
          ...(error instanceof RetryLaterError ? { reason: error.message } : {}),
        };
        if (faults === 0) logger.info('command waits; its conversation holds until it is done', fields);
        else {
          logger.error('command not handled; its conversation waits for a retry', fields);
          countFaults(faults);
        }
      },
    });

  return { handleSqsEvent };
};

export type OutboxService = ReturnType<typeof createOutboxService>;

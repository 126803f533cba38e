import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventPublisher } from '#shared/aws/event-publisher.ts';
import {
  type LastReceiveCause,
  processFifoBatch,
  UnfinishedReceiveError,
} from '#shared/aws/sqs-fifo-batch.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { isMessageEvent } from '#shared/domain/conversation.ts';
import { errorNameOf } from '#shared/observability/logger.ts';
import { parseCorrelationId } from '#shared/outbound/channel-sender.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { type BatchReads, createBatchReads } from './batch-reads.ts';
import { messageTurns } from './message-turns.ts';
import { publishInRounds } from './publish-rounds.ts';
import {
  type BodyResolver,
  type LostClaimChecks,
  PoisonMessageError,
  parseQueuedEvent,
} from './queued-event.ts';
import { createEventRecorder, type EventRecorderDeps, whatsAppConversationOf } from './record-event.ts';

export interface RecorderDependencies extends EventRecorderDeps {
  /** The helpdesk queue: resolves only once every event is accepted. */
  readonly publisher: EventPublisher;
  readonly resolveBody?: BodyResolver;
  /**
   * Moves an ingest record to the ingest dead-letter queue, its reason in a message attribute
   * (shared/recorder/wiring.ts). With it, a record still failing at its give-up receive
   * (`INGEST_QUEUE.consumerGivesUpAtReceive`) is moved there by the recorder and the later records
   * of its conversation are recorded in the same invocation; without it, the record and every later
   * one of its conversation fail together until the queue's redrive moves them all.
   */
  readonly deadLetter?: (record: SQSRecord, reason: string) => Promise<void>;
}

/** Why a record is set aside: the error's name, or a poison body's own words; never the event's data. */
const reasonOf = (error: unknown, receives: number): string =>
  `failed at receive ${receives}: ${error instanceof PoisonMessageError ? error.message : errorNameOf(error)}`;

/**
 * The recorder Lambda's work: an ingest batch through the FIFO batch framework, each record parsed
 * and recorded, the batch's messages' reads made together first, the batch's groups sharing
 * helpdesk publishes in rounds, and the records of one message in two groups taking turns
 * (message-turns.ts).
 */
export const createRecorderService = (deps: RecorderDependencies) => {
  const record = createEventRecorder(deps);
  const recordEvent = (event: HubEvent, publisher: EventPublisher = deps.publisher): Promise<void> =>
    record(event, publisher);

  /**
   * A claim check whose object is gone or altered fails every receive alike: it is settled on the
   * first, the helpdesk told by a `provider.unsupported` notice (queued-event.ts).
   */
  const lostClaimChecks: LostClaimChecks = {
    now: deps.clock,
    onNotice: (lost) =>
      deps.logger.warn('claim-checked event lost; the helpdesk is told', {
        eventId: lost.pointer.id,
        eventType: lost.pointer.type,
        reason: lost.reason,
      }),
  };
  const parse = (body: string): Promise<HubEvent> =>
    parseQueuedEvent(body, deps.resolveBody, lostClaimChecks);

  /**
   * Records one queued event. A lost claim check no notice can be built for (a pointer queued
   * before pointers named their channel and provider) fails like before, into the dead-letter
   * queue and its alarm: seen by someone, never settled silently.
   */
  const handleRecord = async (
    event: Promise<HubEvent>,
    publisher: EventPublisher,
    batch: BatchReads | undefined,
  ): Promise<void> => {
    const parsed = await event;
    await record(parsed, publisher, batch ? { batch } : undefined);
  };

  /**
   * A record at its give-up receive that did not record. Held behind one that could not be set aside,
   * it stays failed (recorded now, it would overtake that one). Past the give-up receive (a receive
   * died before it ended), it is tried once more first: the crash may have been another record's.
   * Otherwise it goes to the ingest dead-letter queue with its reason and counts as handled, so the
   * later records of its conversation go on; a failing move leaves it failed, its group behind it.
   */
  const setAside = async (
    sqsRecord: SQSRecord,
    { cause, heldBehind }: LastReceiveCause,
    attempt: () => Promise<void>,
  ): Promise<void> => {
    const { deadLetter } = deps;
    if (heldBehind || !deadLetter) throw cause;
    let failure = cause;
    if (cause instanceof UnfinishedReceiveError) {
      try {
        await attempt();
        return;
      } catch (error) {
        failure = error;
      }
    }
    const receives = Number(sqsRecord.attributes.ApproximateReceiveCount);
    const reason = reasonOf(failure, receives);
    await deadLetter(sqsRecord, reason);
    deps.logger.error(
      'event moved to the ingest dead-letter queue; the later events of its conversation go on',
      {
        errorName: errorNameOf(failure),
        reason,
        attempt: receives,
      },
    );
  };

  const handleSqsEvent = async (sqsEvent: SQSEvent): Promise<SQSBatchResponse> => {
    // Every body parsed (claim checks fetched) at once; a failure stays with its record, met in turn.
    const parsed = new Map(
      sqsEvent.Records.map((sqsRecord) => {
        const event = parse(sqsRecord.body);
        event.catch(() => undefined);
        return [sqsRecord.messageId, event] as const;
      }),
    );
    const settled = await Promise.allSettled(
      sqsEvent.Records.map((sqsRecord) => parsed.get(sqsRecord.messageId)),
    );
    // Each record's event, in batch order; undefined where it failed (its record fails in turn).
    const events = settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    const batch = await readBatch(events.filter((event) => event !== undefined));
    const inTurn = messageTurns(sqsEvent.Records, events);
    return processFifoBatch(sqsEvent, {
      openGroups: (groupCount) => {
        // Groups that reach their publish together share SendMessageBatch requests.
        const joinRounds = publishInRounds(deps.publisher, groupCount);
        return () => {
          const publisher = joinRounds();
          const handle = (sqsRecord: SQSRecord): Promise<void> =>
            inTurn(
              sqsRecord,
              // Out of the rounds while it waits: the record it waits for may be publishing in one.
              (before) => publisher.aside(() => before),
              () => handleRecord(parsed.get(sqsRecord.messageId) ?? parse(sqsRecord.body), publisher, batch),
            );
          return {
            handle,
            lastReceive: async (sqsRecord, why) => {
              await setAside(sqsRecord, why, () => handle(sqsRecord));
              return 'ended';
            },
            // Done or failed, the group publishes nothing more: the other groups' rounds need not wait.
            close: () => publisher.leave(),
          };
        };
      },
      // Only with somewhere to move a record to: without it, the queue's redrive is the only end.
      giveUpAtReceive: deps.deadLetter ? INGEST_QUEUE.consumerGivesUpAtReceive : undefined,
      onGroupFailure: ({ error, record: failedRecord, failedCount }) =>
        deps.logger.error('event not recorded; its group waits for a retry', {
          errorName: errorNameOf(error),
          reason: error instanceof PoisonMessageError ? error.message : undefined,
          failedCount,
          attempt: Number(failedRecord.attributes.ApproximateReceiveCount),
        }),
    });
  };

  /**
   * In one read: the done-markers and conversations of the batch's messages (echoes of the hub's own
   * sends left out: most end before either read), the WhatsApp conversations its other events name
   * (whether each is an alias), and the sends its statuses name (whether each still awaits a link).
   * Unread (nothing to read, or the read failed): each record reads for itself, as it would alone.
   */
  const readBatch = async (events: readonly HubEvent[]): Promise<BatchReads | undefined> => {
    const messages = events
      .filter(isMessageEvent)
      .filter(
        (event) => !(event.data.direction === 'outbound' && parseCorrelationId(event.data.correlationId)),
      );
    const others = events.filter((event) => !isMessageEvent(event));
    const aliasChecks = others.flatMap((event) => whatsAppConversationOf(event) ?? []);
    // (a status without the provider's id links nothing)
    const sendIds = others.flatMap((event) =>
      event.type === 'switchboard.message.status_updated' && event.data.providerMessageIds.length > 0
        ? (parseCorrelationId(event.data.correlationId)?.hubMessageId ?? [])
        : [],
    );
    if (messages.length + aliasChecks.length + sendIds.length === 0) return undefined;
    try {
      return createBatchReads(
        await deps.store.readForBatch(
          messages.map((event) => event.data.hubMessageId),
          [...messages.map((event) => event.data.conversationId), ...aliasChecks],
          sendIds,
        ),
      );
    } catch (error) {
      deps.logger.warn('batch read failed; each event reads for itself', { errorName: errorNameOf(error) });
      return undefined;
    }
  };

  return { recordEvent, handleSqsEvent };
};

export type RecorderService = ReturnType<typeof createRecorderService>;

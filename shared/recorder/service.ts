import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import {
  type Channel,
  type HubEvent,
  HubEventSchema,
  hubMessageIdFor,
  stableHash,
} from '#shared/contract/index.ts';
import { applyEvent, isMessageEvent, type MessageEvent } from '#shared/domain/conversation.ts';
import { timeOrder } from '#shared/domain/register.ts';
import { buildStateChangedEvent } from '#shared/domain/state-changed.ts';
import { statusOrder } from '#shared/domain/status.ts';
import { canonicalTime, occurredAt } from '#shared/domain/time.ts';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';
import { contactItemKey, contactKeyFor, conversationKey, messageStateKey } from '#shared/store/keys.ts';
import {
  MESSAGE_RETENTION_SECONDS,
  RECENT_EVENT_LIMIT,
  type RecorderStore,
  type RegisterTarget,
} from '#shared/store/recorder-store.ts';
import { epochSeconds } from '#shared/store/table.ts';
import { publishInRounds } from './publish-rounds.ts';
import type { AfterStep, RecorderStep } from './steps.ts';

export interface RecorderDependencies {
  readonly store: RecorderStore;
  /** The helpdesk queue: resolves only once every event is accepted. */
  readonly publisher: EventPublisher;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly afterStep?: AfterStep;
  readonly retentionSeconds?: number;
  readonly resolveBody?: BodyResolver;
}

export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

/** Concurrent writers only meet after a redrive or an overlapping redelivery; a few re-reads settle it. */
const MAX_CONFLICT_RETRIES = 5;

/** 64 bits of the event id: eight of them keep the conversation item well under 1 KB. */
export const shortEventId = (eventId: string): string => stableHash('recent', eventId).slice(0, 16);

/** Turns a queue body into event JSON; the wiring resolves the webhook side's S3 claim-checks here. */
export type BodyResolver = (body: string) => Promise<unknown>;

export const parseQueuedEvent = async (
  body: string,
  resolve: BodyResolver = async (text) => JSON.parse(text),
): Promise<HubEvent> => {
  let json: unknown;
  try {
    json = await resolve(body);
  } catch (error) {
    if (error instanceof SyntaxError) throw new PoisonMessageError('body is not JSON');
    throw error;
  }
  const parsed = HubEventSchema.safeParse(json);
  if (!parsed.success) throw new PoisonMessageError('body is not a valid hub event');
  return parsed.data;
};

export const createRecorderService = (deps: RecorderDependencies) => {
  const { store, logger } = deps;
  const retention = deps.retentionSeconds ?? MESSAGE_RETENTION_SECONDS;
  const step = async (name: RecorderStep, event: HubEvent): Promise<void> => {
    await deps.afterStep?.(name, event);
  };
  const messageExpiry = (): number => epochSeconds(deps.clock()) + retention;

  const recordMessage = async (event: MessageEvent, publisher: EventPublisher): Promise<void> => {
    // A provider retry days later: the done-marker says everything below already happened.
    const done = await store.hasMessage(event);
    await step('check-message', event);
    if (done) {
      logger.debug('duplicate message skipped', {
        eventId: event.id,
        conversationId: event.data.conversationId,
      });
      return;
    }
    const short = shortEventId(event.id);
    let toPublish: HubEvent[] | undefined;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES && !toPublish; attempt++) {
      const stored = await store.loadConversation(event.data.conversationId);
      await step('load-conversation', event);
      if (stored.model && stored.recentEventIds.includes(short)) {
        // Applied before a crash: publish again, with the same state_changed if it was the last change.
        const wasLast = stored.lastChange?.eventId === event.id;
        toPublish = wasLast
          ? [
              event,
              buildStateChangedEvent(stored.model.state, stored.lastChange?.previousStatus ?? null, event),
            ]
          : [event];
        break;
      }
      const applied = applyEvent(stored.model, event);
      if (applied.newIdentities.length > 0) {
        const contactKey = contactKeyFor(event.data.channel, applied.model.state.contact);
        await store.indexContact(event.data.channel, contactKey, applied.newIdentities);
        await step('index-contact', event);
      }
      const saved = await store.saveConversation({
        model: applied.model,
        previous: stored.model,
        recentEventIds: [...stored.recentEventIds, short].slice(-RECENT_EVENT_LIMIT),
        lastChange: { eventId: event.id, previousStatus: applied.previousStatus },
      });
      if (saved === 'conflict') {
        logger.warn('conversation changed concurrently, re-reading', {
          conversationId: event.data.conversationId,
          attempt,
        });
        continue;
      }
      await step('save-conversation', event);
      toPublish = applied.changed
        ? [event, buildStateChangedEvent(applied.model.state, applied.previousStatus, event)]
        : [event];
    }
    if (!toPublish) throw new Error('conversation kept changing concurrently');
    await publisher.publish(toPublish);
    await step('publish', event);
    await store.putMessage(event);
    await step('put-message', event);
  };

  /** Writes every register; publishes when at least one moved (or had been moved by this very event). */
  const recordRegisters = async (
    event: HubEvent,
    writes: readonly RegisterWrite[],
    publisher: EventPublisher,
  ): Promise<void> => {
    let moved = writes.length === 0;
    for (const write of writes) {
      const outcome = await store.writeRegister(write.target, {
        order: write.order,
        eventId: event.id,
        value: JSON.stringify(write.value),
      });
      await step('write-register', event);
      moved ||= outcome === 'written';
    }
    if (!moved) {
      // Behind what the helpdesk already has (a late "delivered" after "read"): forwarding it would regress it.
      logger.info('stale event not forwarded', { eventId: event.id, eventType: event.type });
      return;
    }
    await publisher.publish([event]);
    await step('publish', event);
  };

  const messageStateTarget = (
    event: { readonly data: { readonly channel: Channel; readonly conversationId: string } },
    providerMessageId: string,
    attribute: string,
  ): RegisterTarget => ({
    key: messageStateKey(event.data.channel, providerMessageId),
    attribute,
    expiresAt: messageExpiry(),
    with: {
      conversationId: event.data.conversationId,
      hubMessageId: hubMessageIdFor(event.data.channel, providerMessageId),
    },
  });

  const registerWritesFor = (event: HubEvent): RegisterWrite[] | undefined => {
    const at = occurredAt(event);
    switch (event.type) {
      case 'switchboard.message.status_updated': {
        const { data } = event;
        const value = {
          status: data.status,
          providerStatus: data.providerStatus,
          at,
          ...(data.errors ? { errors: data.errors } : {}),
        };
        const writes: RegisterWrite[] = data.providerMessageIds.map((id) => ({
          target: messageStateTarget(event, id, 'status'),
          order: statusOrder(data.status),
          value,
        }));
        if (data.watermark) {
          const watermark = canonicalTime(data.watermark);
          writes.push({
            target: { key: conversationKey(data.conversationId), attribute: `${data.status}Watermark` },
            order: watermark,
            value: { watermark },
          });
        }
        return writes;
      }
      case 'switchboard.message.reaction_changed':
        return [
          {
            target: messageStateTarget(
              event,
              event.data.targetProviderMessageId,
              `${event.data.actor}Reaction`,
            ),
            order: timeOrder(at, event.id),
            value: { action: event.data.action, emoji: event.data.emoji ?? null, at },
          },
        ];
      case 'switchboard.message.edited':
        return [
          {
            target: messageStateTarget(event, event.data.targetProviderMessageId, 'edit'),
            order: timeOrder(at, event.id),
            value: {
              parts: event.data.parts,
              actor: event.data.actor,
              at,
              ...(event.data.editProviderMessageId
                ? { editProviderMessageId: event.data.editProviderMessageId }
                : {}),
            },
          },
        ];
      case 'switchboard.message.deleted':
        return [
          {
            target: messageStateTarget(event, event.data.targetProviderMessageId, 'deletion'),
            // Any deletion is final; the earliest one is kept so a retry never rewrites it.
            order: '1',
            value: { actor: event.data.actor, at },
          },
        ];
      case 'switchboard.contact.consent_changed': {
        return [
          {
            target: {
              key: contactItemKey(contactKeyFor(event.data.channel, event.data.contact)),
              attribute: `${event.data.scope}Consent`,
            },
            order: timeOrder(at, event.id),
            value: { consent: event.data.consent, trigger: event.data.trigger ?? null, at },
          },
        ];
      }
      default:
        return undefined;
    }
  };

  /** `publisher` is the helpdesk queue, or a share of it while a batch's groups are recorded together. */
  const recordEvent = async (event: HubEvent, publisher: EventPublisher = deps.publisher): Promise<void> => {
    if (isMessageEvent(event)) return recordMessage(event, publisher);
    if (event.type === 'switchboard.contact.consent_changed') {
      // Consent can come from someone who never wrote (a STOP to a campaign): make them findable too.
      const contactKey = contactKeyFor(event.data.channel, event.data.contact);
      await store.indexContact(event.data.channel, contactKey, event.data.contact.identities);
      await step('index-contact', event);
    }
    const writes = registerWritesFor(event);
    if (writes) return recordRegisters(event, writes, publisher);
    // Referrals, provider notices, unsupported items: nothing to keep, everything to pass on.
    await publisher.publish([event]);
    await step('publish', event);
  };

  const groupOf = (record: SQSRecord): string => record.attributes.MessageGroupId ?? record.messageId;

  /**
   * FIFO partial-batch semantics per message group: after a failure, the rest of THAT group is
   * reported failed (its order must hold), while other groups — other conversations — carry on.
   */
  const handleSqsEvent = async (sqsEvent: SQSEvent): Promise<SQSBatchResponse> => {
    const groups = new Map<string, SQSRecord[]>();
    for (const record of sqsEvent.Records) {
      const group = groups.get(groupOf(record)) ?? [];
      group.push(record);
      groups.set(groupOf(record), group);
    }
    const failed: string[] = [];
    // Groups that reach their publish together share SendMessageBatch requests.
    const joinRounds = publishInRounds(deps.publisher, groups.size);
    await Promise.all(
      [...groups.values()].map(async (records) => {
        const publisher = joinRounds();
        try {
          for (const [index, record] of records.entries()) {
            try {
              await recordEvent(await parseQueuedEvent(record.body, deps.resolveBody), publisher);
            } catch (error) {
              const rest = records.slice(index).map((entry) => entry.messageId);
              failed.push(...rest);
              logger.error('event not recorded; its group waits for a retry', {
                errorName: errorNameOf(error),
                reason: error instanceof PoisonMessageError ? error.message : undefined,
                failedCount: rest.length,
                attempt: Number(record.attributes.ApproximateReceiveCount),
              });
              return;
            }
          }
        } finally {
          // Done or failed, the group publishes nothing more: the other groups' rounds need not wait.
          publisher.leave();
        }
      }),
    );
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };

  return { recordEvent, handleSqsEvent };
};

interface RegisterWrite {
  readonly target: RegisterTarget;
  readonly order: string;
  readonly value: unknown;
}

export type RecorderService = ReturnType<typeof createRecorderService>;

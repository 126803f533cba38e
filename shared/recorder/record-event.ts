import type { EventPublisher } from '#shared/aws/event-publisher.ts';
import { fallbackReplyAddressOf } from '#shared/channels/email/reply-address.ts';
import {
  type Channel,
  type ChannelIdentity,
  type ConversationState,
  callPartOf,
  conversationIdFor,
  type HubEvent,
  identityKey,
  sourceFor,
  stableHash,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import {
  type Applied,
  applyCallAnswered,
  applyEvent,
  applyWindowAction,
  type ConversationModel,
  isMessageEvent,
  type MessageEvent,
} from '#shared/domain/conversation.ts';
import { buildStateChangedEvent } from '#shared/domain/state-changed.ts';
import { windowActionOf } from '#shared/domain/window-actions.ts';
import { mediaJobsFor } from '#shared/media/job.ts';
import type { MediaJobQueue } from '#shared/media/job-queue.ts';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';
import { parseCorrelationId } from '#shared/outbound/channel-sender.ts';
import type { FirstReceipt } from '#shared/store/consent-ledger.ts';
import { consentKeysFor } from '#shared/store/contacts.ts';
import {
  RECENT_EVENT_LIMIT,
  RECENT_SEND_LIMIT,
  type StoredConversation,
} from '#shared/store/conversations.ts';
import { epochSeconds } from '#shared/store/item-rules.ts';
import { contactKeyFor, contactsConversationsPartition } from '#shared/store/keys.ts';
import { MESSAGE_RETENTION_SECONDS } from '#shared/store/messages.ts';
import { PseudonymKeyMismatchError } from '#shared/store/pseudonym-key-check.ts';
import type { RecorderStore } from '#shared/store/recorder-store.ts';
import type { RegisterWrite } from '#shared/store/registers.ts';
import type { BatchReads } from './batch-reads.ts';
import { consentLedgerEntryFor, registerWritesFor } from './register-writes.ts';
import type { AfterStep, RecorderStep } from './steps.ts';
import { objectKeysOf, secondReceiptOf, unreadableEmailOf } from './unreadable-email.ts';

export interface EventRecorderDeps {
  readonly store: RecorderStore;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly afterStep?: AfterStep;
  readonly retentionSeconds?: number;
  /**
   * The media queue: each media part of a recorded message becomes a job there (after the message
   * is published, before its done-marker, so a crash in between enqueues again and SQS's
   * deduplication and the fetcher's claim make that harmless). Absent: attachments stay references.
   */
  readonly mediaJobs?: MediaJobQueue;
}

/** What the caller already knows when it records a message it made itself (the sender's sent message). */
export interface RecordHints {
  /** The message cannot be recorded yet (its send was claimed in this very delivery): no done-marker read. */
  readonly unrecorded?: boolean;
  /**
   * The conversation as the caller read it in this delivery: the first attempt applies the message to
   * it instead of reading it again (a write over a changed conversation conflicts and re-reads).
   */
  readonly conversation?: StoredConversation;
  /** What the recorder's batch already read and wrote (shared/recorder/batch-reads.ts). */
  readonly batch?: BatchReads;
}

/** Records one event and publishes what it changed; `publisher` is the helpdesk queue or a share of it. */
export type RecordEvent = (event: HubEvent, publisher: EventPublisher, hints?: RecordHints) => Promise<void>;

/**
 * Concurrent writers only meet after a redrive or an overlapping redelivery, and a batch's own read
 * can be one write behind (one extra attempt, as every later attempt reads afresh); a few re-reads
 * settle it.
 */
const MAX_CONFLICT_RETRIES = 8;

/** Whether a message may be applied to a stored conversation: same channel, same business endpoint. */
const belongsTo = (state: ConversationState, event: MessageEvent): boolean =>
  state.channel === event.data.channel && state.endpoint.id === event.data.endpoint.id;

/**
 * A customer's answer to the hub's fallback reply address (`reply+<tag>@<domain>`, for an endpoint
 * whose own local part leaves no room for the tag): the webhook read it as written to
 * `reply@<domain>`, and names a conversation of another endpoint only from a tag whose MAC checked
 * (any other id it derives hashes `reply@<domain>` in). It belongs to the conversation's endpoint
 * when that endpoint is on the same domain; a tag taken to another domain, or to another local part
 * than `reply`, still lands in a conversation of its own.
 */
const answersAtFallbackOf = (state: ConversationState, event: MessageEvent): boolean =>
  state.channel === 'email' &&
  event.data.channel === 'email' &&
  event.data.direction === 'inbound' &&
  event.data.endpoint.id !== state.endpoint.id &&
  event.data.endpoint.id === fallbackReplyAddressOf(state.endpoint.id);

/** The event in another conversation: its subject too, and so its group on the helpdesk queue. */
const movedTo = <E extends HubEvent>(event: E, conversationId: string): E =>
  ({ ...event, subject: conversationId, data: { ...event.data, conversationId } }) as E;

/**
 * The message moved to a conversation derived from its own channel, endpoint and contact and the
 * conversation it claimed: the same event always lands in the same place, and never in the other.
 */
const rehomed = (event: MessageEvent): MessageEvent => {
  const [primary] = event.data.contact.identities;
  return movedTo(
    event,
    conversationIdFor(
      event.data.channel,
      event.data.endpoint.id,
      `rehomed:${event.data.conversationId}:${primary ? identityKey(primary) : ''}`,
    ),
  );
};

/** Why the recorder merges a person into another (the reason a merge keeps, as the helpdesk's say theirs). */
const MERGED_CUSTOMER_LINK_REASON =
  'linked by the hub: this WhatsApp number belongs to a customer merged into this person';

/** Aliases followed at most, in a chain (two racing first messages make one of two). */
const MAX_ALIAS_HOPS = 4;

/** The WhatsApp conversation an event names, when it names one (only WhatsApp ids become aliases). */
export const whatsAppConversationOf = (event: HubEvent): string | undefined => {
  const data = event.data as { readonly channel?: unknown; readonly conversationId?: unknown };
  return data.channel === 'whatsapp' && typeof data.conversationId === 'string'
    ? data.conversationId
    : undefined;
};

/**
 * The message as filed under its conversation's endpoint (a reply to the fallback address), its
 * `source` naming that endpoint too, as every event's does (until 2026-12-06 it kept the fallback
 * address, shared by every long-named inbox of the domain; found by a review).
 */
const withEndpoint = (event: MessageEvent, endpoint: ConversationState['endpoint']): MessageEvent =>
  ({
    ...event,
    source: sourceFor(event.data.channel, endpoint.id),
    data: { ...event.data, endpoint },
  }) as MessageEvent;

/** The message as the helpdesk gets it: with the person its conversation is with. */
const withContactId = (event: MessageEvent, contactId: string): MessageEvent =>
  event.data.contactId === contactId
    ? event
    : ({ ...event, data: { ...event.data, contactId } } as MessageEvent);

/**
 * A message the hub may be given in two conversations at once: an e-mail, which Mailgun posts once
 * per business address it was sent to, with the same ids; inbound for each, or, for an agent's mail
 * with one business address in Bcc and another in Cc, the business's own copy (outbound) for one and
 * inbound for the other. It is claimed for one conversation before it counts
 * (shared/store/messages.ts, claimMessage). The hub's own sends are recorded by the sender.
 */
const mayArriveTwice = (event: MessageEvent): boolean => event.data.channel === 'email';

/** 64 bits of the event id: eight of them keep the conversation item well under 1 KB. */
const shortEventId = (eventId: string): string => stableHash('recent', eventId).slice(0, 16);

/** A message the sender recorded (not one echoed from the business's own app or inbox). */
const isHubSend = (event: HubEvent): boolean =>
  event.type === 'switchboard.message.sent' && event.data.sentBy === 'hub';

/** Applied already, as far as the conversation remembers: among its last events, or its last sends. */
const isRecent = (stored: StoredConversation, short: string): boolean =>
  stored.recentEventIds.includes(short) || (stored.recentSendIds?.includes(short) ?? false);

/**
 * When the business picked up the customer's call, if the event says so: the end of a WhatsApp call
 * (a `message.edited` of the call, its part `answered` with the time it was picked up).
 */
const callPickedUp = (event: HubEvent): PickedUpCall | undefined => {
  if (event.type !== 'switchboard.message.edited' || event.data.actor !== 'customer') return undefined;
  const call = callPartOf(event.data.parts);
  return call?.outcome === 'answered' && call.startedAt !== undefined
    ? {
        conversationId: event.data.conversationId,
        startedAt: call.startedAt,
        receivedAt: event.data.receivedAt,
        endedAt: event.data.providerTimestamp,
      }
    : undefined;
};

interface PickedUpCall {
  readonly conversationId: string;
  readonly startedAt: string;
  readonly receivedAt: string;
  /** When the call ended, as the provider says (the end's own time): the same on every retry of it. */
  readonly endedAt: string | null;
}

/**
 * What an event other than a message changes in its conversation's state, if anything: the business
 * picking up the customer's call (an answer), or a customer's action that opens Meta's window (a
 * reaction, an m.me link's click: shared/domain/window-actions.ts).
 */
interface ConversationChange {
  readonly conversationId: string;
  /** The model after the change; undefined when it changes nothing (applied already, or older). */
  readonly apply: (model: ConversationModel) => ConversationModel | undefined;
}

const conversationChangeOf = (event: HubEvent): ConversationChange | undefined => {
  const pickedUp = callPickedUp(event);
  if (pickedUp) {
    return {
      conversationId: pickedUp.conversationId,
      apply: (model) => applyCallAnswered(model, pickedUp),
    };
  }
  const action = windowActionOf(event);
  return (
    action && { conversationId: action.conversationId, apply: (model) => applyWindowAction(model, action.at) }
  );
};

/**
 * Recording one event, every write conditional or idempotent, so that a crash between any two
 * steps followed by a redelivery ends as if the event ran once:
 * - a message: the done-marker is checked, the conversation updated with optimistic concurrency
 *   (carrying its recent event ids), the message and the state change published, and the
 *   done-marker written last; a delivery that fails after the conversation took the message (or a
 *   later one that finds it there without its done-marker) writes a counted-marker in the
 *   done-marker's place first, so a redelivery however many messages later never counts it again;
 * - statuses, reactions, edits, deletions, consent: forward-only registers, published when one moved;
 * - anything else (referrals, provider notices): passed on.
 */
export const createEventRecorder = (deps: EventRecorderDeps): RecordEvent => {
  const { store, logger } = deps;
  const retention = deps.retentionSeconds ?? MESSAGE_RETENTION_SECONDS;
  const step = async (name: RecorderStep, event: HubEvent): Promise<void> => {
    await deps.afterStep?.(name, event);
  };

  /**
   * Indexes a channel contact under these identities (store.indexContact). Those its item is too
   * full to list (MAX_CONTACT_ITEM_IDENTITIES) stay unindexed: said by count and channel, never by
   * value, and the event goes on (its conversation keeps them; an opt-out is still recorded).
   */
  const indexContact = async (
    event: HubEvent,
    channel: Channel,
    contactKey: string,
    identities: readonly ChannelIdentity[],
    contactId: string,
    options?: { readonly keepPerson?: boolean },
  ): Promise<void> => {
    const left = await store.indexContact(channel, contactKey, identities, contactId, options);
    if (left > 0) {
      logger.warn('contact item full: identities left unindexed', {
        eventId: event.id,
        channel,
        identityCount: left,
      });
    }
  };

  /** The conversation this new id should join (made an alias of it), if the customer has one. */
  const findLinked = async (event: MessageEvent): Promise<string | undefined> => {
    const { channel, endpoint, contact, conversationId } = event.data;
    let canonical = await store.findLinkedConversation(channel, endpoint.id, contact);
    if (canonical === undefined) {
      // None recorded yet: claim the identifiers, so a first message racing this one (another
      // identifier of the same customer) meets it in one conversation.
      canonical = await store.claimIdentities(channel, endpoint.id, contact.identities, conversationId);
      await step('claim-identities', event);
    }
    if (canonical === undefined) return undefined;
    const aliased = await store.putConversationAlias(
      conversationId,
      canonical,
      contactIdFor(channel, contact, conversationId),
    );
    await step('alias-conversation', event);
    // Created meanwhile by another event: it stays a conversation of its own.
    return aliased === 'aliased' ? canonical : undefined;
  };

  /**
   * An echo of a message the hub sent (it carries the hub's correlation id): the sender records that
   * message itself, so the echo only tells a waiting sender that it went. Recorded as a message of
   * its own only when it names the one message a failed send left unknown (`outcome_unknown`: its
   * call went unanswered, and it did go after all). A message the provider accepted before the send
   * failed was reported in the failure's `sentProviderMessageIds`: its echo is the hub's own.
   */
  const isEchoOfHubSend = async (event: MessageEvent): Promise<boolean> => {
    if (event.data.direction !== 'outbound') return false;
    const correlation = parseCorrelationId(event.data.correlationId);
    if (!correlation) {
      // An echo of the hub's own send that did not bring the correlation id back (the provider
      // dropped its metadata, perhaps its app id too): the hub's send of that provider id, if it is
      // one, records it. Messenger and Instagram alone echo the hub's sends; an echo naming another
      // app (the page inbox's) is not one, and the sender's own record of a send names its command.
      const mayBeHubs =
        event.data.channel === 'messenger' &&
        event.data.commandId === undefined &&
        (event.data.sentBy === 'hub' || event.data.senderAppId === undefined);
      if (!mayBeHubs) return false;
      const send = await store.sendOfProviderMessage(
        event.data.conversationId,
        event.data.providerMessageId,
        event.time,
      );
      return send !== undefined;
    }
    const send = await store.linkSend(
      correlation.hubMessageId,
      correlation.sequence,
      event.data.providerMessageId,
    );
    await step('link-send', event);
    // No send record: an erasure deleted it (and left a tombstone at its message key), or it never
    // was. A message recorded, or erased, under the id the echo names is the hub's own all the same.
    if (send === undefined) return (await store.messageMark(correlation.hubMessageId)) !== 'absent';
    if (send.state !== 'failed') return true;
    const leftUnknown =
      send.failure?.reason === 'outcome_unknown' &&
      correlation.sequence === send.next &&
      !send.providerIds.includes(event.data.providerMessageId);
    return !leftUnknown;
  };

  /**
   * On the way out of a delivery that failed after the conversation took the message: best effort
   * (the delivery's own error is the one thrown). Missed, a retry writes it while the conversation
   * still remembers the event; a redrive after that would count the message again.
   */
  const noteCounted = async (event: MessageEvent, queuedIn: string): Promise<void> => {
    try {
      await store.putCountedMarker(event, queuedIn);
    } catch (error) {
      logger.warn('counted-marker not written', {
        eventId: event.id,
        conversationId: event.data.conversationId,
        errorName: errorNameOf(error),
      });
    }
  };

  /**
   * Any event of an id that became an alias (a WhatsApp customer first seen by another identifier)
   * moved to the conversation it belongs to, as a message is (`recordMessage` follows `aliasOf` in
   * the conversation it reads anyway): the helpdesk knows only that one, and its FIFO group. The
   * batch's read answers when it has the id; otherwise one read of the alias attribute.
   */
  const inCanonicalConversation = async (
    event: HubEvent,
    batch: BatchReads | undefined,
  ): Promise<HubEvent> => {
    let moved = event;
    for (let hop = 0; hop < MAX_ALIAS_HOPS; hop++) {
      const conversationId = whatsAppConversationOf(moved);
      if (conversationId === undefined) return moved;
      const known = batch?.conversation(conversationId);
      const aliasOf =
        known?.model || known?.aliasOf ? known.aliasOf : await store.conversationAlias(conversationId);
      if (aliasOf === undefined) return moved;
      moved = movedTo(moved, aliasOf);
    }
    return moved;
  };

  /**
   * A new or newly derived person stands for whoever an explicit merge made them (usually
   * themselves); a conversation a merge moved keeps the person it chose while it stands (keptByMerge).
   */
  const withPerson = async (applied: Applied): Promise<Applied> => {
    if (!applied.personDerived) return applied;
    const { state } = applied.model;
    const resolved = await store.resolvePerson(state.contactId);
    const person =
      applied.ownPersonBefore === undefined
        ? resolved
        : await keptByMerge(applied.ownPersonBefore, state, resolved);
    return person === state.contactId
      ? applied
      : { ...applied, model: { ...applied.model, state: { ...state, contactId: person } } };
  };

  /**
   * The person of a conversation a merge moved, once its contact became another person (a WhatsApp
   * customer merged by their BSUID alone, whose wa_id a webhook now names: `state.contactId`, which
   * stands for `resolved`): while its former own person (`before`) still stands for someone else, the
   * merge that took it there stands, and so does the conversation, in that person's journey; the new
   * person is linked to them when they have nothing of their own (linkPerson, which also finishes a
   * link a crash left half-way), so the customer's next conversations under the number land there
   * too. Else (the merge undone: its unmerge moves the conversation back) the new person. A GetItem
   * per merge followed, only for such a conversation. Until 2026-12-06 it always became the new
   * person, leaving the survivor's journey while the merge still stood (found by a review).
   */
  const keptByMerge = async (before: string, state: ConversationState, resolved: string): Promise<string> => {
    const chosen = await store.resolvePerson(before);
    if (chosen === before) return resolved;
    const outcome =
      resolved === state.contactId || resolved === chosen
        ? await store.linkPerson({
            surviving: chosen,
            discarded: state.contactId,
            conversationId: state.conversationId,
            reason: MERGED_CUSTOMER_LINK_REASON,
            at: deps.clock().toISOString(),
          })
        : 'already-merged';
    // Merged into the chosen person through another (a chain) is as good as linked.
    if (outcome !== 'linked' && resolved !== chosen)
      logger.info("conversation kept with the person a merge chose, its contact's new person apart", {
        conversationId: state.conversationId,
        reason: outcome,
      });
    return chosen;
  };

  /**
   * A receipt of an e-mail that is skipped (recorded already, or claimed by another conversation):
   * what it stored that the record does not name (SES's second raw object of one mail, the
   * attachments and bodies Mailgun's post for a second business address stored under its own
   * conversation) is filed under its contact, so erasure finds it (secondReceiptOf; the ingest queue
   * lets an SES second receipt through: deduplicationIdOf). Only a skipped e-mail that names objects
   * costs anything: a consistent read of the record, and when something is left the tombstone's read
   * and one write (keepUnreadableEmail). Nothing is filed for a redelivery of the recorded receipt
   * (its objects are the record's), nor after an erasure (the contact's address must not come back).
   */
  const keepSecondReceipt = async (event: MessageEvent, mark: 'recorded' | 'elsewhere'): Promise<void> => {
    if (!mayArriveTwice(event) || objectKeysOf(event.data).length === 0) return;
    const recorded = await store.recordedMessage(event.data.hubMessageId);
    // Recorded, yet no record to read: an erasure's tombstone. (A claim is no record: the mail taken
    // elsewhere is not recorded yet, and everything this receipt names is filed.)
    if (mark === 'recorded' && recorded === undefined) return;
    const receipt = secondReceiptOf(event, recorded);
    if (!receipt) return;
    if (receipt.leftUnfiled > 0) {
      logger.warn('skipped e-mail names more objects than one item files: blobCount left to the lifecycle', {
        eventId: event.id,
        blobCount: receipt.leftUnfiled,
      });
    }
    await store.keepUnreadableEmail(receipt.filed);
    await step('keep-unreadable-email', event);
  };

  const recordMessage = async (
    queued: MessageEvent,
    publisher: EventPublisher,
    hints: RecordHints | undefined,
  ): Promise<void> => {
    let event = queued;
    if (await isEchoOfHubSend(event)) {
      logger.debug("echo of the hub's own send", {
        eventId: event.id,
        conversationId: event.data.conversationId,
      });
      return;
    }
    // A provider retry days later: the done-marker says everything below already happened; a
    // counted-marker, that the conversation took the message before a delivery failed. Marks are
    // seen from the conversation the event was queued in (its message group), which every delivery
    // of it shares.
    const batch = hints?.batch;
    const { hubMessageId } = event.data;
    const queuedIn = queued.data.conversationId;
    let mark = hints?.unrecorded
      ? 'absent'
      : (batch?.mark(hubMessageId, queuedIn) ?? (await store.messageMark(hubMessageId, queuedIn)));
    await step('check-message', event);
    if (mark === 'absent' && !hints?.unrecorded && mayArriveTwice(event)) {
      // Posted for another business address too, perhaps recorded by another invocation right now:
      // the one conversation that claims it first takes it.
      if (!(await store.claimMessage(hubMessageId, queuedIn))) {
        mark = await store.messageMark(hubMessageId, queuedIn);
        if (mark === 'absent') throw new Error('message claim not taken and not held: retried');
      }
      await step('claim-message', event);
    }
    if (mark === 'recorded' || mark === 'elsewhere') {
      logger.debug(
        mark === 'recorded' ? 'duplicate message skipped' : 'message taken by another conversation',
        { eventId: event.id, conversationId: event.data.conversationId },
      );
      await keepSecondReceipt(event, mark);
      return;
    }
    const counted = mark === 'counted';
    const short = shortEventId(event.id);
    let toPublish: HubEvent[] | undefined;
    let linked = false;
    // This delivery counted the message: should it fail before the done-marker, it says so.
    let countedHere = false;
    try {
      for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES && !toPublish; attempt++) {
        const known =
          attempt > 0
            ? undefined
            : event.data.conversationId === queued.data.conversationId && hints?.conversation
              ? hints.conversation
              : batch?.conversation(event.data.conversationId);
        const fromBatch = known !== undefined && known !== hints?.conversation;
        const stored = known ?? (await store.loadConversation(event.data.conversationId));
        if (!known) batch?.remember(event.data.conversationId, stored);
        await step('load-conversation', event);
        if (stored.aliasOf) {
          // An alias (of an alias, when two racing first messages met): its events belong there.
          event = movedTo(event, stored.aliasOf);
          continue;
        }
        if (!linked && !stored.model && event.data.channel === 'whatsapp') {
          // One conversation per WhatsApp customer and number, whichever identifier (wa_id, BSUID)
          // each webhook carries: a new id joins the conversation already open under another one.
          linked = true;
          const canonical = await findLinked(event);
          // The id may have just become an alias, which no version records: the next message of the
          // batch under it reads it again and follows it.
          batch?.forget(event.data.conversationId);
          if (canonical !== undefined) {
            event = movedTo(event, canonical);
            continue;
          }
        }
        if (stored.model && answersAtFallbackOf(stored.model.state, event)) {
          event = withEndpoint(event, stored.model.state.endpoint);
        }
        if (stored.model && !belongsTo(stored.model.state, event)) {
          // Never applied to a conversation of another channel or endpoint (a forged reply tag, a
          // bug): the message is kept, in a conversation of its own.
          logger.warn('message re-homed: its conversation belongs to another channel or endpoint', {
            eventId: event.id,
            conversationId: event.data.conversationId,
          });
          event = rehomed(event);
          continue;
        }
        if (stored.model && (counted || isRecent(stored, short))) {
          if (fromBatch) {
            // Published again below with no write to check it: from a fresh read, never the batch's.
            batch?.forget(event.data.conversationId);
            continue;
          }
          if (!counted) {
            // Taken before a failure, and remembered only among the last few events: noted for good.
            await store.putCountedMarker(event, queuedIn);
            await step('mark-counted', event);
          }
          // Applied before a crash: publish again, with the same state_changed if it was the last change.
          const wasLast = stored.lastChange?.eventId === event.id;
          event = withContactId(event, stored.model.state.contactId);
          toPublish = wasLast
            ? [
                event,
                buildStateChangedEvent(stored.model.state, stored.lastChange?.previousStatus ?? null, event),
              ]
            : [event];
          break;
        }
        const applied = await withPerson(applyEvent(stored.model, event));
        if (applied.newIdentities.length > 0) {
          const contactKey = contactKeyFor(event.data.channel, applied.model.state.contact);
          await indexContact(
            event,
            event.data.channel,
            contactKey,
            applied.newIdentities,
            applied.model.state.contactId,
          );
          await step('index-contact', event);
        }
        const written = {
          model: applied.model,
          recentEventIds: [...stored.recentEventIds, short].slice(-RECENT_EVENT_LIMIT),
          ...(isHubSend(event)
            ? { recentSendIds: [...(stored.recentSendIds ?? []), short].slice(-RECENT_SEND_LIMIT) }
            : {}),
          lastChange: { eventId: event.id, previousStatus: applied.previousStatus },
        };
        const saved = await store.saveConversation({
          ...written,
          previous: stored.model,
          ...(stored.personEntry ? { personEntry: stored.personEntry } : {}),
        });
        if (saved === 'conflict') {
          batch?.forget(event.data.conversationId);
          logger.warn('conversation changed concurrently, re-reading', {
            conversationId: event.data.conversationId,
            attempt,
          });
          continue;
        }
        countedHere = true;
        await step('save-conversation', event);
        batch?.remember(event.data.conversationId, {
          ...(stored.recentSendIds ? { recentSendIds: stored.recentSendIds } : {}),
          ...written,
          // Under its person now, whatever the item held (a conversation of before 2026-12-01).
          personEntry: contactsConversationsPartition(applied.model.state.contactId),
          ...(stored.overdueReported ? { overdueReported: stored.overdueReported } : {}),
        });
        event = withContactId(event, applied.model.state.contactId);
        toPublish = applied.changed
          ? [event, buildStateChangedEvent(applied.model.state, applied.previousStatus, event)]
          : [event];
      }
      if (!toPublish) throw new Error('conversation kept changing concurrently');
      await publisher.publish(toPublish);
      await step('publish', event);
      const jobs = deps.mediaJobs ? mediaJobsFor(event) : [];
      if (jobs.length > 0) {
        await deps.mediaJobs?.enqueue(jobs);
        await step('enqueue-media', event);
      }
      await store.putMessage(event);
    } catch (error) {
      if (countedHere) await noteCounted(event, queuedIn);
      throw error;
    }
    batch?.markRecorded(event.data.hubMessageId);
    await step('put-message', event);
  };

  /**
   * Writes every register; publishes when at least one moved (or had been moved by this very event),
   * unless this is a later receipt of a consent change (`laterReceipt`): its first receipt forwards it.
   */
  const recordRegisters = async (
    event: HubEvent,
    writes: readonly RegisterWrite[],
    publisher: EventPublisher,
    laterReceipt: boolean,
    stateChanged: readonly HubEvent[] = [],
  ): Promise<void> => {
    // A receipt with a watermark (Messenger) is as new as its watermark: the message ids it may also
    // name are covered by it, so a watermark at or behind what was told (a delivery after the read of
    // the same time) is not forwarded even when one of those messages' own status moved.
    const watermarked = writes.some((write) => write.target.orderIsValue === true);
    let moved = writes.length === 0;
    for (const write of writes) {
      const outcome = await store.writeRegister(write);
      await step('write-register', event);
      if (write.copy !== true && (!watermarked || write.target.orderIsValue === true))
        moved ||= outcome === 'written';
    }
    if (!moved) {
      // Behind what the helpdesk already has (a late "delivered" after "read"): forwarding it would regress it.
      logger.info('stale event not forwarded', { eventId: event.id, eventType: event.type });
    } else if (laterReceipt) {
      // A provider's retry of a consent change already entered: the same register, written again at
      // its first receipt's order, so it "moved"; forwarded by that receipt, never again by this one.
      logger.info('retried consent change not forwarded again', { eventId: event.id });
    }
    const toPublish = moved && !laterReceipt ? [event, ...stateChanged] : [...stateChanged];
    if (toPublish.length === 0) return;
    await publisher.publish(toPublish);
    await step('publish', event);
  };

  /**
   * A change an event other than a message makes to its conversation (`ConversationChange`: the
   * business picking up the customer's call, an answer at that moment; a customer's reaction or
   * link click opening Meta's window), applied once. The conversation remembers the event among its
   * recent ones, as it does a message, so a redelivery after the write applies nothing again and
   * publishes the same state change again if it was the conversation's last. The state change to
   * publish after the event, if any. A conversation the hub has not recorded (the call's ring not
   * recorded yet) has nothing to change: nothing is applied.
   */
  const applyConversationChange = async (
    event: HubEvent,
    change: ConversationChange,
    batch: BatchReads | undefined,
  ): Promise<HubEvent[]> => {
    const short = shortEventId(event.id);
    let { conversationId } = change;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const known = attempt === 0 ? batch?.conversation(conversationId) : undefined;
      const stored = known ?? (await store.loadConversation(conversationId));
      if (!known) batch?.remember(conversationId, stored);
      await step('load-conversation', event);
      if (stored.aliasOf) {
        conversationId = stored.aliasOf;
        continue;
      }
      if (!stored.model) return [];
      if (stored.recentEventIds.includes(short)) {
        if (known !== undefined) {
          // Published again without a write to check it: from a fresh read, never the batch's.
          batch?.forget(conversationId);
          continue;
        }
        return stored.lastChange?.eventId === event.id
          ? [buildStateChangedEvent(stored.model.state, stored.lastChange.previousStatus, event)]
          : [];
      }
      const model = change.apply(stored.model);
      if (model === undefined) return [];
      const previousStatus = stored.model.state.status;
      const written = {
        model,
        recentEventIds: [...stored.recentEventIds, short].slice(-RECENT_EVENT_LIMIT),
        lastChange: { eventId: event.id, previousStatus },
      };
      const saved = await store.saveConversation({
        ...written,
        previous: stored.model,
        ...(stored.personEntry ? { personEntry: stored.personEntry } : {}),
      });
      if (saved === 'conflict') {
        batch?.forget(conversationId);
        continue;
      }
      await step('save-conversation', event);
      batch?.remember(conversationId, {
        ...(stored.recentSendIds ? { recentSendIds: stored.recentSendIds } : {}),
        ...written,
        personEntry: contactsConversationsPartition(model.state.contactId),
        ...(stored.overdueReported ? { overdueReported: stored.overdueReported } : {}),
      });
      return [buildStateChangedEvent(model.state, previousStatus, event)];
    }
    throw new Error('conversation kept changing concurrently');
  };

  /** The state change an event other than a message makes to its conversation, if any (conversationChangeOf). */
  const changeConversationBy = async (
    event: HubEvent,
    batch: BatchReads | undefined,
  ): Promise<HubEvent[]> => {
    const change = conversationChangeOf(event);
    return change ? applyConversationChange(event, change, batch) : [];
  };

  return async (queued, publisher, hints) => {
    if (isMessageEvent(queued)) return recordMessage(queued, publisher, hints);
    // Statuses, reactions, edits, deletions, referrals… of an alias go where its messages go.
    const event = await inCanonicalConversation(queued, hints?.batch);
    if (event.type === 'switchboard.message.status_updated') {
      // A status of one of the hub's sends (even `failed`: the provider took it): a sender that never
      // heard the provider's answer learns here that it went.
      const correlation = parseCorrelationId(event.data.correlationId);
      const [providerMessageId] = event.data.providerMessageIds;
      // Most statuses come after the sender took the provider's answer: the batch's read says so.
      if (
        correlation &&
        providerMessageId !== undefined &&
        hints?.batch?.sendMayTakeLink(correlation.hubMessageId, correlation.sequence) !== false
      ) {
        await store.linkSend(correlation.hubMessageId, correlation.sequence, providerMessageId);
        await step('link-send', event);
      }
    }
    /** A consent change's register time and order: its earliest receipt's, as its ledger keeps them. */
    let firstReceipt: FirstReceipt | undefined;
    if (event.type === 'switchboard.contact.consent_changed') {
      const { contactKey, entry, order } = consentLedgerEntryFor(event);
      const { channel, contact, conversationId } = event.data;
      // Every key the event writes under (a WhatsApp customer's identifiers, consentKeysFor).
      const contactKeys = consentKeysFor(channel, contact);
      const erased = await store.wasErasedWith(contactKeys, event.id).catch((error: unknown) => {
        // A refused pseudonym key (its alarm fires): a STOP is recorded all the same, since it only
        // ever refuses more sends; anything else waits for the key (retried, then dead-lettered).
        if (error instanceof PseudonymKeyMismatchError && entry.consent === 'opted_out') return false;
        throw error;
      });
      if (erased) {
        // A provider's late retry of a STOP the erased contact sent: it would bring their identifiers back.
        logger.info('consent event of an erased contact not recorded again', { eventId: event.id });
        return;
      }
      // Consent can come from someone who never wrote (a STOP to a campaign): make them findable too,
      // under every key its register is written under, so that erasure and export find each of them.
      const person = await store.resolvePerson(contactIdFor(channel, contact, conversationId));
      for (const key of contactKeys)
        await indexContact(event, channel, key, contact.identities, person, { keepPerson: true });
      await step('index-contact', event);
      firstReceipt = await store.recordConsentChange(contactKey, entry, order);
      // Entered under every key it is written under too (a WhatsApp customer's identifiers), at the
      // same receipt: an erasure of one of them keeps its id, and the ledger lists it once.
      for (const key of contactKeys.filter((key) => key !== contactKey))
        await store.recordConsentChange(key, { ...entry, at: firstReceipt.at }, firstReceipt.order);
      await step('record-consent', event);
    }
    const writes = registerWritesFor(event, epochSeconds(deps.clock()) + retention, firstReceipt);
    if (writes) {
      const stateChanged = await changeConversationBy(event, hints?.batch);
      return recordRegisters(event, writes, publisher, firstReceipt?.laterReceipt === true, stateChanged);
    }
    const unreadable = unreadableEmailOf(event);
    if (unreadable) {
      // Its raw object, which no message names, is filed under its sender: erasure finds it there.
      const kept = await store.keepUnreadableEmail(unreadable);
      await step('keep-unreadable-email', event);
      if (kept === 'erased') {
        // A redelivery from before the sender's erasure: skipped as a replay of an erased message is
        // (not published: the event names the erased address).
        logger.info('unreadable e-mail of an erased sender not kept again', { eventId: event.id });
        return;
      }
    }
    // Referrals, provider notices, unsupported items: nothing else to keep, everything to pass on (an
    // m.me link's referral with the window it opened).
    await publisher.publish([event, ...(await changeConversationBy(event, hints?.batch))]);
    await step('publish', event);
  };
};

import {
  type ChannelIdentity,
  type Contact,
  type ConversationState,
  type ConversationStatus,
  type EmailDetails,
  type HubEventOf,
  identityKey,
  REPLY_WINDOW_HOURS,
  stableHash,
} from '#shared/contract/index.ts';
import { adReplyWindowOnInbound } from './ad-reply-window.ts';
import { contactIdFor } from './contact-identity.ts';
import { canonicalEmailAddress } from './email-address.ts';
import { freeEntryOnInbound, freeEntryOnOutbound } from './free-entry.ts';
import {
  addHours,
  believedTime,
  canonicalTime,
  earlierOf,
  laterOf,
  occurredAt,
  secondsBetween,
} from './time.ts';

/** Events that change a conversation's state: messages, either way. */
export type MessageEvent =
  | HubEventOf<'switchboard.message.received'>
  | HubEventOf<'switchboard.message.sent'>;

export const isMessageEvent = (event: { type: string }): event is MessageEvent =>
  event.type === 'switchboard.message.received' || event.type === 'switchboard.message.sent';

/**
 * The published state plus the two facts needed to keep it correct when messages arrive out of
 * order: when the customer first wrote (first-response time) and when the business last answered
 * (unread count).
 */
export interface ConversationModel {
  readonly state: ConversationState;
  readonly firstInboundAt: string | null;
  readonly lastOutboundAt: string | null;
  /**
   * When the hub last received a customer message (one that moves `state.lastInboundAt`, in any
   * order of recording): an answer covers the customer's messages only if made after they came in
   * (`covers`). Absent in models stored before 2026-12-04; until that evening it was the receipt of
   * the message `lastInboundAt` names only.
   */
  readonly lastInboundReceivedAt?: string;
  /**
   * When the hub last received an answer (a business copy's receipt; its own send's `takenAt`, when
   * it took the command: until 2026-12-06, and for a send published before, its completion).
   * Absent in models stored before the evening of 2026-12-04, where `lastOutboundAt` stands in for it.
   */
  readonly lastOutboundReceivedAt?: string;
  /**
   * When the hub received the first customer message (the one `firstInboundAt` names; of two of that
   * time, the one received first): the first response is the first answer that covers it (`covers`).
   * Absent when it is `firstInboundAt` itself, and in models stored before 2026-12-07, where an answer
   * made after `firstInboundAt` was taken for its first response.
   */
  readonly firstInboundReceivedAt?: string;
  /**
   * The newest customer message that starts a wait (the newest time and the newest receipt of those
   * messages), kept only while a message that starts none is newer (an opt-out keyword where it ends
   * no wait: Twilio's STOP on WhatsApp); null when none of the customer's messages starts one. An
   * answer recorded late ends the wait if it covers this, not the keyword (`lastAskedOf`). Absent: it is
   * the newest customer message (`state.lastInboundAt`, `lastInboundReceivedAt`), as it was taken to
   * be in every model stored before 2026-12-05.
   */
  readonly lastAsked?: CustomerMessage | null;
  /**
   * The conversation's version when the customer's current wait began (`withWaitVersion`): with the
   * conversation it names the wait, which `waitingSince` alone does not (a wait after an answer can
   * start at or before the one it follows: a message held up at its provider, then retried). Absent
   * while nothing waits, and for a wait begun before 2026-12-05 (named by its `waitingSince` then).
   */
  readonly waitVersion?: number;
  /**
   * Which conversation under its id this is (`originOf` the message that created it). An erasure
   * deletes a conversation and the customer's next message creates another under the same id, its
   * versions from 1 again: the ids of events named by a version (a wait's `response_overdue`, a
   * helpdesk change's `state_changed`) name this too, so the new conversation's never repeat the
   * erased one's. Absent in models stored before 2026-12-06, whose events keep the ids they had.
   */
  readonly origin?: string;
}

/** A customer message as an answer covers it: when it was written and when the hub received it. */
interface CustomerMessage {
  readonly at: string;
  readonly receivedAt: string;
}

export interface Applied {
  readonly model: ConversationModel;
  readonly changed: boolean;
  readonly previousStatus: ConversationStatus | null;
  /** Identities the event revealed that the stored contact did not list yet (to index them). */
  readonly newIdentities: readonly ChannelIdentity[];
  /**
   * The conversation's person is new or derived anew (a new conversation, or a contact that learned
   * its phone number): the recorder resolves it through explicit merges (shared/store/person-merges.ts).
   */
  readonly personDerived: boolean;
  /**
   * Set when a stored conversation's contact became another person while the conversation was filed
   * under someone else than its contact's own person (an explicit merge moved it there): that own
   * person before. The recorder keeps the conversation with the person the merge chose while the
   * merge stands (shared/recorder/record-event.ts, withPerson).
   */
  readonly ownPersonBefore?: string;
}

/**
 * Identities one conversation's contact keeps. A person has a handful per channel (a wa_id and a
 * BSUID, a phone and its WhatsApp id, the addresses of one e-mail thread); more come only from a
 * broken or hostile provider, and would grow the conversation item without bound.
 */
export const MAX_CONTACT_IDENTITIES = 16;

const mergeContact = (
  known: Contact | undefined,
  seen: Contact,
): { contact: Contact; added: ChannelIdentity[] } => {
  const identities = [...(known?.identities ?? [])];
  const keys = new Set(identities.map(identityKey));
  const added = seen.identities
    .filter((identity) => !keys.has(identityKey(identity)))
    .slice(0, Math.max(0, MAX_CONTACT_IDENTITIES - identities.length));
  identities.push(...added);
  const displayName = seen.displayName ?? known?.displayName;
  const username = seen.username ?? known?.username;
  return {
    contact: {
      identities: identities as Contact['identities'],
      ...(displayName !== undefined ? { displayName } : {}),
      ...(username !== undefined ? { username } : {}),
    },
    added,
  };
};

const emptyState = (event: MessageEvent, at: string): ConversationState => ({
  conversationId: event.data.conversationId,
  channel: event.data.channel,
  provider: event.data.provider,
  endpoint: event.data.endpoint,
  contact: event.data.contact,
  contactId: contactIdFor(event.data.channel, event.data.contact, event.data.conversationId),
  status: 'open',
  createdAt: at,
  lastMessageAt: null,
  firstReceivedAt: canonicalTime(event.data.receivedAt),
  lastReceivedAt: canonicalTime(event.data.receivedAt),
  lastInboundAt: null,
  replyWindow: { applies: REPLY_WINDOW_HOURS[event.data.channel] !== null, closesAt: null },
  unreadCount: 0,
  messageCount: 0,
  firstResponseAt: null,
  firstResponseSeconds: null,
  assignee: null,
  labels: [],
  priority: null,
  snoozedUntil: null,
  waitingSince: null,
  version: 0,
});

/**
 * 24 hours after the customer's last message, or on Messenger and Instagram after their last action
 * that opens the window when later (`replyWindow.lastActionAt`: shared/domain/window-actions.ts), and
 * later still while an ad's window (7 days from the ad's message) reaches further: all only move
 * forward, so the result is the same in any order of recording (but for an action recorded before
 * the conversation exists, which the recorder drops: README, Known limitations).
 */
const replyWindowClosesAt = (
  state: ConversationState,
  lastInboundAt: string | null,
  adReplyWindow: ConversationState['adReplyWindow'],
): string | null => {
  const hours = REPLY_WINDOW_HOURS[state.channel];
  const { lastActionAt } = state.replyWindow;
  const openedAt = lastActionAt === undefined ? lastInboundAt : laterOf(lastInboundAt, lastActionAt);
  if (hours === null || openedAt === null) return null;
  const standard = addHours(openedAt, hours);
  return adReplyWindow === undefined ? standard : laterOf(standard, adReplyWindow.closesAt);
};

const firstResponseSeconds = (
  firstInboundAt: string | null,
  firstResponseAt: string | null,
): number | null =>
  firstInboundAt === null || firstResponseAt === null
    ? null
    : secondsBetween(firstInboundAt, firstResponseAt);

/**
 * An e-mail a machine wrote on the customer's side: an auto-reply (an out-of-office, RFC 3834) or a
 * bounce (a delivery status notification). Nobody wrote it, and nobody waits for its answer.
 */
export const isMachineEmail = (email: { isAutoReply: boolean; isBounce: boolean } | undefined): boolean =>
  email !== undefined && (email.isAutoReply || email.isBounce);

/**
 * A notice the platform sends in the customer's name: a WhatsApp `system` message (the customer
 * changed their number, `user_changed_number`, or their security code, `customer_identity_changed`),
 * every part of it. A welcome request (`request_welcome`: the customer opened the chat, and Meta
 * opens the service window for the business's welcome) is the customer's doing, and is not one.
 */
const isPlatformNotice = (parts: MessageEvent['data']['parts']): boolean =>
  parts.length > 0 && parts.every((part) => part.type === 'system' && part.kind !== 'request_welcome');

/**
 * Who wrote a message from the customer's side, as its conversation counts it: the customer, or
 * nobody: a machine (an e-mail's auto-reply or bounce, `isMachineEmail`) or the platform (a notice in
 * the customer's name, `isPlatformNotice`). What nobody wrote is recorded and passed on, but is not
 * the customer writing (`applyInbound`): the one home of that rule.
 */
type Writer = 'customer' | 'machine' | 'platform';

const writerOf = (data: MessageEvent['data']): Writer =>
  isPlatformNotice(data.parts) ? 'platform' : isMachineEmail(data.email) ? 'machine' : 'customer';

/**
 * Whether an e-mail is vouched for as written by the conversation's customer: the receiving service
 * authenticated its From's domain (`fromAuthenticated`: DMARC PASS on a single From mailbox, see
 * shared/channels/email/inbound/normalize.ts) and that From is the address the hub's replies go to
 * and its consent is kept under (the contact's primary identity). From and Reply-To headers are
 * anyone's to write, so only such a mail lifts an e-mail opt-out (shared/outbound/policy.ts);
 * Mailgun passes no verdicts, so its mail vouches for nobody. Both compared in their one form
 * (canonicalEmailAddress): the From as written may give an internationalised domain in ASCII, and a
 * contact recorded before 2026-12-06 from such a From keeps it so.
 */
const vouchesForContact = (email: EmailDetails | undefined, contact: Contact): boolean => {
  const [primary] = contact.identities;
  return (
    email?.fromAuthenticated === true &&
    primary?.type === 'email' &&
    canonicalEmailAddress(primary.value) === canonicalEmailAddress(email.from.address)
  );
};

/**
 * Whether an answer covers a customer message: it was made after the message was written and after
 * the hub received it. A provider's time alone misleads both ways: an e-mail's Date is the sender's
 * clock (behind: a mail written at 10:20 that arrived at 11:00 is no answer's to a reply at 10:30;
 * ahead, within the 15 minutes a provider time is believed: a message is written no later than it
 * arrives, so its arrival bounds it), and a time in whole seconds (WhatsApp's) does not order a
 * message against an answer of the same second. The hub's receipts order the two on one clock (a
 * redriven message keeps its first receipt, so a late recording of an answered message stays
 * answered). When unsure, a message waits rather than being taken as answered. Before the evening of 2026-12-04
 * only the provider times were compared (but within a second); found by a review.
 */
const covers = (
  answer: { readonly at: string | null; readonly receivedAt: string | null },
  message: CustomerMessage,
): boolean =>
  answer.at !== null &&
  earlierOf(message.at, message.receivedAt) <= answer.at &&
  message.receivedAt <= (answer.receivedAt ?? answer.at);

/**
 * The newest customer message: the newest time and the newest receipt (they may be two messages':
 * together they wait for an answer after both); null before the customer wrote.
 */
const lastInboundOf = (model: ConversationModel): CustomerMessage | null =>
  model.state.lastInboundAt === null
    ? null
    : {
        at: model.state.lastInboundAt,
        receivedAt: model.lastInboundReceivedAt ?? model.state.lastInboundAt,
      };

/**
 * The first customer message that starts a wait (`firstInboundAt`, `firstInboundReceivedAt`): what
 * an answer must cover to be the first response; null before the customer asked anything.
 */
const firstAskedOf = (model: ConversationModel): CustomerMessage | null =>
  model.firstInboundAt === null
    ? null
    : { at: model.firstInboundAt, receivedAt: model.firstInboundReceivedAt ?? model.firstInboundAt };

/**
 * The first customer message once `message` (one that starts a wait, written no later than it came
 * in) is recorded: the earlier of the two, and of two written at one time, the one received first,
 * so the same whatever the order of recording.
 */
const firstAskedAfter = (before: CustomerMessage | null, message: CustomerMessage): CustomerMessage => {
  const written = earlierOf(message.at, message.receivedAt);
  return before === null ||
    written < before.at ||
    (written === before.at && message.receivedAt < before.receivedAt)
    ? { at: written, receivedAt: message.receivedAt }
    : before;
};

/** The newest customer message that starts a wait (`lastAsked`); null when none does. */
const lastAskedOf = (model: ConversationModel): CustomerMessage | null =>
  model.lastAsked === undefined ? lastInboundOf(model) : model.lastAsked;

const sameMessage = (a: CustomerMessage | null, b: CustomerMessage | null): boolean =>
  a === null || b === null ? a === b : a.at === b.at && a.receivedAt === b.receivedAt;

/**
 * `lastAsked` after a customer message: moved by one that starts a wait, kept apart from the newest
 * customer message by one that starts none (and moves that), and left out again when it is the
 * newest (as most conversations' always is), to keep the stored item small.
 */
const lastAskedAfter = (
  before: ConversationModel,
  after: ConversationModel,
  message: CustomerMessage,
  asks: boolean,
): CustomerMessage | null | undefined => {
  // Absent, it is the newest customer message, which one that starts a wait moves alike.
  if (asks && before.lastAsked === undefined) return undefined;
  const previous = lastAskedOf(before);
  const asked = asks
    ? {
        at: laterOf(previous?.at ?? null, message.at),
        receivedAt: laterOf(previous?.receivedAt ?? null, message.receivedAt),
      }
    : previous;
  return sameMessage(asked, lastInboundOf(after)) ? undefined : asked;
};

const applyInbound = (model: ConversationModel, event: MessageEvent, at: string): ConversationModel => {
  const { state } = model;
  const freeEntryPoint = freeEntryOnInbound(state.freeEntryPoint, event.data, at, {
    lastOutboundAt: model.lastOutboundAt,
    firstInboundAt: model.firstInboundAt,
  });
  const adReplyWindow = adReplyWindowOnInbound(state.adReplyWindow, event.data, at);
  // A message nobody wrote (an auto-reply, a bounce, a platform's notice) is counted like any message
  // (the helpdesk shows it), but is not the customer writing: it starts no wait (nor a first-response
  // time), reopens nothing, and moves neither lastInboundAt nor the reply window (an out-of-office
  // after an e-mail opt-out must not read as the customer writing again, which lifts the opt-out:
  // shared/outbound/policy.ts; Meta opens its window when the customer writes or calls, and says
  // nothing of its own notices: a send refused by the hub beats a 131047 from Meta). Before
  // 2026-12-05 a WhatsApp number-change notice reopened a resolved conversation and started a wait;
  // found by a review.
  const writer = writerOf(event.data);
  const nobody = writer !== 'customer';
  const lastInboundAt = nobody ? state.lastInboundAt : laterOf(state.lastInboundAt, at);
  const vouched = !nobody && vouchesForContact(event.data.email, state.contact);
  // At the earlier of its Date and its arrival: a sender's clock ahead (up to 15 minutes is taken
  // as its time) must not date a mail written before an opt-out after it.
  const lastAuthenticatedInboundAt = vouched
    ? laterOf(state.lastAuthenticatedInboundAt ?? null, earlierOf(at, event.data.receivedAt))
    : state.lastAuthenticatedInboundAt;
  // An opt-out keyword (an SMS STOP) asks nothing: it is an instruction to the provider and the hub,
  // after which the hub sends the customer nothing more on the channel. It is counted and unread
  // like any message, but starts no wait (nor a first-response time) and reopens nothing.
  const asks = event.data.consentKeyword !== 'opted_out' && !nobody;
  // On SMS it also ends a wait that began before it: the hub may send nothing more there, so nothing
  // can answer it. (A STOP Twilio reports on WhatsApp stops marketing only: an answer may still go.)
  // Applied in the order recorded: a question dated before the STOP but recorded after it waits.
  const endsWait =
    event.data.consentKeyword === 'opted_out' &&
    event.data.channel === 'sms' &&
    state.waitingSince !== null &&
    state.waitingSince <= at;
  const receivedAt = canonicalTime(event.data.receivedAt);
  // Written no later than it came in (a sender's clock ahead).
  const firstAsked = asks ? firstAskedAfter(firstAskedOf(model), { at, receivedAt }) : firstAskedOf(model);
  const firstInboundAt = firstAsked?.at ?? null;
  // A business answer made after this message was written and received already covers it. A
  // platform's notice is shown, not read: unlike an auto-reply (what it says is for an agent: back on
  // Monday, the address is gone), it is not unread.
  const unread =
    writer !== 'platform' &&
    !covers(
      { at: model.lastOutboundAt, receivedAt: model.lastOutboundReceivedAt ?? null },
      { at, receivedAt },
    );
  // An answer recorded before the first customer message it answers (that message held up: a
  // provider's retry, a redrive): the newest answer after it is its first response, an upper bound
  // (exact with one answer). Before 2026-12-04 none was set, and the next answer became the first.
  // It must cover the first customer message, as when recorded after it (`answeredBy`).
  const firstResponseAt =
    state.firstResponseAt === null &&
    asks &&
    firstAsked !== null &&
    model.lastOutboundAt !== null &&
    covers({ at: model.lastOutboundAt, receivedAt: model.lastOutboundReceivedAt ?? null }, firstAsked)
      ? model.lastOutboundAt
      : state.firstResponseAt;
  const needsAnswer = unread && asks;
  const lastInboundReceivedAt = nobody
    ? model.lastInboundReceivedAt
    : laterOf(model.lastInboundReceivedAt ?? null, receivedAt);
  const { lastAsked: _replaced, firstInboundReceivedAt: _first, ...rest } = model;
  const moved: ConversationModel = {
    ...rest,
    firstInboundAt,
    // Left out when it is `firstInboundAt` (a message received when written), to keep the item small.
    ...(firstAsked !== null && firstAsked.receivedAt !== firstAsked.at
      ? { firstInboundReceivedAt: firstAsked.receivedAt }
      : {}),
    ...(lastInboundReceivedAt !== undefined ? { lastInboundReceivedAt } : {}),
    state: {
      ...state,
      // A customer message no answer covers needs attention, whatever the helpdesk had set: a
      // resolved or snoozed conversation reopens (and its snooze is over). One the business already
      // answered (recorded late: a redrive, a provider's retry) changes neither: what the helpdesk
      // set after that answer stands.
      status: needsAnswer ? 'open' : state.status,
      snoozedUntil: needsAnswer ? null : state.snoozedUntil,
      // From when it was written, no later than it came in (as firstInboundAt): a wait started at a
      // sender's clock ahead was reported overdue that much late (until 2026-12-06; found by a review).
      waitingSince: needsAnswer
        ? earlierOf(state.waitingSince, earlierOf(at, receivedAt))
        : endsWait
          ? null
          : state.waitingSince,
      lastInboundAt,
      ...(lastAuthenticatedInboundAt ? { lastAuthenticatedInboundAt } : {}),
      replyWindow: {
        ...state.replyWindow,
        closesAt: replyWindowClosesAt(state, lastInboundAt, adReplyWindow),
      },
      ...(freeEntryPoint !== undefined ? { freeEntryPoint } : {}),
      ...(adReplyWindow !== undefined ? { adReplyWindow } : {}),
      unreadCount: unread ? state.unreadCount + 1 : state.unreadCount,
      firstResponseAt,
      firstResponseSeconds: firstResponseSeconds(firstInboundAt, firstResponseAt),
    },
  };
  const lastAsked = lastAskedAfter(model, moved, { at, receivedAt }, asks);
  return lastAsked === undefined ? moved : { ...moved, lastAsked };
};

/** A business answer: made `at`, received by the hub at `receivedAt` (its own: when it took the command). */
interface Answer {
  readonly at: string;
  readonly receivedAt: string;
}

/**
 * What a business answer made `at` does to the wait for one, the unread count and the first
 * response: a message of the business, or the business picking up the customer's call
 * (`applyCallAnswered`). `answer` is what it covers (`covers`).
 */
const answeredBy = (model: ConversationModel, at: string, answer: Answer): ConversationModel => {
  const { state } = model;
  // Covers the newest customer message, and every one the hub received before it.
  const newest = lastInboundOf(model);
  const answersEverything = newest === null || covers(answer, newest);
  const asked = lastAskedOf(model);
  // Covers the first customer message (made after it was written and received: the hub's own answer
  // when its command was taken), whatever the order of recording; dated `at` (the hub's own, when its
  // last part went). Until 2026-12-07 made after it was written was enough, so recorded after the
  // message an answer it never covered was its first response, the customer still waiting, and
  // recorded before it was not; found by a review.
  const first = firstAskedOf(model);
  const isEarlierFirstResponse =
    first !== null && covers(answer, first) && (state.firstResponseAt === null || at < state.firstResponseAt);
  const firstResponseAt = isEarlierFirstResponse ? at : state.firstResponseAt;
  return {
    ...model,
    lastOutboundAt: laterOf(model.lastOutboundAt, at),
    lastOutboundReceivedAt: laterOf(model.lastOutboundReceivedAt ?? null, answer.receivedAt),
    state: {
      ...state,
      unreadCount: answersEverything ? 0 : state.unreadCount,
      // The wait ends when the answer covers the newest message that starts one: an opt-out keyword
      // after that (Twilio's STOP on WhatsApp, recorded before this older answer) waits for nothing.
      // An answer older than that message leaves it waiting (the exact oldest unanswered one is not
      // known without the history: the newest is a lower bound), from when it was written, no later
      // than it came in. Before 2026-12-05 the keyword, as the newest customer message, became the
      // wait's start there; found by a review. A wait that began after the answer was made (a
      // message that came in while the hub's answer went out) is none of its: it goes on as it is.
      waitingSince:
        asked === null || covers(answer, asked)
          ? null
          : state.waitingSince !== null && state.waitingSince <= answer.at
            ? earlierOf(asked.at, asked.receivedAt)
            : state.waitingSince,
      firstResponseAt,
      firstResponseSeconds: firstResponseSeconds(model.firstInboundAt, firstResponseAt),
    },
  };
};

const applyOutbound = (model: ConversationModel, event: MessageEvent, at: string): ConversationModel => {
  // The hub's own answer was made when the hub took its command (`takenAt`), not when its last part
  // went (its time and `receivedAt`): a command of several parts, or one that waited on a rate or a
  // retry, goes out minutes after it was written, and a customer message that came in meanwhile is
  // none it answers. Before 2026-12-06 it covered those too; found by a review.
  const { takenAt } = event.data;
  const arrived = canonicalTime(event.data.receivedAt);
  const receivedAt = takenAt === undefined ? arrived : earlierOf(arrived, canonicalTime(takenAt));
  // A business copy dated ahead (an e-mail's Date) was made no later than the hub received it: so
  // are its time as an answer and the first response it may be (until 2026-12-07 that was dated
  // ahead too, and a later answer then moved it back; found by a review). A hub send's time is
  // when it was received.
  const dated = earlierOf(at, arrived);
  const answered = answeredBy(model, dated, { at: earlierOf(at, receivedAt), receivedAt });
  const freeEntryPoint = freeEntryOnOutbound(model.state.freeEntryPoint, at);
  return freeEntryPoint === undefined
    ? answered
    : { ...answered, state: { ...answered.state, freeEntryPoint } };
};

/**
 * The business picking up the customer's call (the end of a WhatsApp call names when it was picked
 * up, `startedAt`): an answer at that moment, as a message of the business is, to the call and to
 * what the customer wrote before it; no message of its own (the call was counted when it rang), and
 * no reply that ends a click-to-WhatsApp ad's free entry point (only a message does). Undefined when
 * it changes nothing: already applied (a provider's retry, a redelivery), or older than an answer
 * that covered as much. Before 2026-12-05 a call the business took left the conversation waiting,
 * unread and on its way to `response_overdue`; found by a review.
 */
export const applyCallAnswered = (
  current: ConversationModel,
  pickedUp: { readonly startedAt: string; readonly receivedAt: string; readonly endedAt?: string | null },
): ConversationModel | undefined => {
  // The answer is known from when the call ended (no later than this delivery came in): a retry of
  // the end, received hours later, is then the same answer and changes nothing (until 2026-12-07 it
  // moved the answer's receipt and the version, and told a state_changed again under the first
  // one's id; found by a review).
  const arrived = canonicalTime(pickedUp.receivedAt);
  const receivedAt =
    pickedUp.endedAt === undefined || pickedUp.endedAt === null
      ? arrived
      : earlierOf(arrived, believedTime(pickedUp.endedAt, pickedUp.receivedAt));
  const at = believedTime(pickedUp.startedAt, pickedUp.receivedAt);
  const answered = answeredBy(current, at, { at: earlierOf(at, receivedAt), receivedAt });
  const { state } = current;
  const same =
    answered.state.unreadCount === state.unreadCount &&
    answered.state.waitingSince === state.waitingSince &&
    answered.state.firstResponseAt === state.firstResponseAt &&
    answered.lastOutboundAt === current.lastOutboundAt &&
    answered.lastOutboundReceivedAt === current.lastOutboundReceivedAt;
  return same
    ? undefined
    : withWaitVersion(current, { ...answered, state: { ...answered.state, version: state.version + 1 } });
};

/**
 * A customer action other than a message that opens Meta's window, made `at` (a reaction, an m.me
 * link's click: shared/domain/window-actions.ts): the conversation keeps the newest one's time, and
 * its reply window runs 24 hours from it when that is later than from the customer's last message.
 * Nothing else moves: an action is no message (no wait, no unread, no reopening). Undefined when it
 * changes nothing (not newer than the action kept: a redelivery, or recorded late), or where no
 * window applies.
 */
export const applyWindowAction = (current: ConversationModel, at: string): ConversationModel | undefined => {
  const { state } = current;
  const { lastActionAt: kept } = state.replyWindow;
  if (!state.replyWindow.applies || (kept !== undefined && at <= kept)) return undefined;
  const acted = { ...state, replyWindow: { ...state.replyWindow, lastActionAt: at } };
  const closesAt = replyWindowClosesAt(acted, state.lastInboundAt, state.adReplyWindow);
  return {
    ...current,
    state: { ...acted, replyWindow: { ...acted.replyWindow, closesAt }, version: state.version + 1 },
  };
};

/**
 * The model after a change, with the version its customer's wait began at: this change's own when it
 * starts a wait (one where none was, or one later than the wait before: an answer that covered only
 * the older messages ended that one), the wait's own while it goes on (an older message recorded late
 * moves its start back, in the same wait), none once nothing waits. Versions only grow, so every wait
 * of a conversation has another.
 */
export const withWaitVersion = (
  before: ConversationModel | undefined,
  after: ConversationModel,
): ConversationModel => {
  const { waitVersion: _previous, ...rest } = after;
  const since = after.state.waitingSince;
  if (since === null) return rest;
  const previousSince = before?.state.waitingSince ?? null;
  const waitVersion =
    previousSince === null || since > previousSince ? after.state.version : before?.waitVersion;
  return waitVersion === undefined ? rest : { ...rest, waitVersion };
};

/**
 * The origin of the conversation a message creates (`ConversationModel.origin`): 8 hex digits of a
 * hash of its event's id. A message is recorded once (its record, then its erasure's tombstone, stop
 * it again), so a conversation created again after an erasure has another origin.
 */
const originOf = (event: MessageEvent): string => stableHash('conversation-origin', event.id).slice(0, 8);

/**
 * The hub's first and last receipt of a conversation's recorded messages once it records one it
 * received at `receivedAt` (`state.firstReceivedAt`, `lastReceivedAt`; a new conversation starts
 * with its first message's, `emptyState`): every state of a conversation spans the receipt of its
 * first recorded message, on the hub's own clock, which is how a consumer tells a conversation
 * created again after an erasure from the erased one. A conversation created before 2026-12-06
 * gains neither: its earlier messages' receipts are not known, and a first receipt after theirs
 * would break that span (its consumers read `createdAt` and `lastMessageAt` instead).
 */
const receiptsAfter = (
  { firstReceivedAt, lastReceivedAt }: ConversationState,
  receivedAt: string,
): Pick<ConversationState, 'firstReceivedAt' | 'lastReceivedAt'> =>
  firstReceivedAt === undefined || lastReceivedAt === undefined
    ? {}
    : {
        firstReceivedAt: earlierOf(firstReceivedAt, receivedAt),
        lastReceivedAt: laterOf(lastReceivedAt, receivedAt),
      };

/**
 * Applies one distinct message to a conversation (pure). Callers guarantee distinctness (the
 * message record and the recent-event list); everything here is order-tolerant: times only move
 * forward, first times only backward, so late arrivals land where they belong.
 */
export const applyEvent = (current: ConversationModel | undefined, event: MessageEvent): Applied => {
  const at = occurredAt(event);
  const base: ConversationModel = current ?? {
    state: emptyState(event, at),
    firstInboundAt: null,
    lastOutboundAt: null,
    origin: originOf(event),
  };
  const { contact, added } = mergeContact(current?.state.contact, event.data.contact);
  const derivedBefore = contactIdFor(base.state.channel, base.state.contact, base.state.conversationId);
  const derived = contactIdFor(base.state.channel, contact, base.state.conversationId);
  const personDerived = current === undefined || derived !== derivedBefore;
  const movedByMerge = current !== undefined && personDerived && base.state.contactId !== derivedBefore;
  const counted: ConversationModel = {
    ...base,
    state: {
      ...base.state,
      // Conversations recorded before the provider was kept learn it from their next message.
      provider: base.state.provider ?? event.data.provider,
      contact,
      // A contact that learns its phone number (a BSUID, then the wa_id) becomes that person, unless
      // an explicit merge chose another that still stands (the recorder reads it: ownPersonBefore);
      // otherwise the person stays as stored (it may be the one an explicit merge chose).
      contactId: personDerived ? derived : base.state.contactId,
      createdAt: current ? earlierOf(base.state.createdAt, at) : at,
      lastMessageAt: laterOf(base.state.lastMessageAt, at),
      ...receiptsAfter(base.state, canonicalTime(event.data.receivedAt)),
      messageCount: base.state.messageCount + 1,
    },
  };
  const directed =
    event.data.direction === 'inbound' ? applyInbound(counted, event, at) : applyOutbound(counted, event, at);
  return {
    model: withWaitVersion(current, {
      ...directed,
      state: { ...directed.state, version: base.state.version + 1 },
    }),
    // Every distinct message changes at least the counters.
    changed: true,
    previousStatus: current ? current.state.status : null,
    newIdentities: current ? added : event.data.contact.identities,
    personDerived,
    ...(movedByMerge ? { ownPersonBefore: derivedBefore } : {}),
  };
};

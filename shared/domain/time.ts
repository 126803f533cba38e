import type { HubEvent } from '#shared/contract/index.ts';

/** Canonical UTC ISO form, so timestamps compare correctly as strings whatever offset they came with. */
export const canonicalTime = (timestamp: string): string => new Date(timestamp).toISOString();

/**
 * How far ahead of the hub's receipt a provider's time is still believed: clocks differ by seconds;
 * beyond this a sender's clock is wrong (an e-mail's `Date:` is the sender's own, and may say 2199).
 */
const MAX_CLOCK_AHEAD_MS = 15 * 60_000;

/**
 * How far behind the hub's receipt a provider's time is still believed: as long as a provider holds
 * an occurrence back and retries it. Meta retries a WhatsApp webhook for up to 7 days, a sending
 * mail server retries for 4–5 days (RFC 5321 §4.5.4.1), an inbound-mail service for hours (Mailgun)
 * to 3 days (SendGrid). An older time is a wrong clock (an e-mail's `Date:` saying 2001), not a retry.
 */
const MAX_CLOCK_BEHIND_MS = 7 * 24 * 3_600_000;

/**
 * When the occurrence happened: the provider's time, else when the hub received it; the receipt's
 * time too when the provider's is more than MAX_CLOCK_AHEAD_MS after it or MAX_CLOCK_BEHIND_MS
 * before it. A time in the future would hold a conversation's last activity, its waiting time and
 * its place in the indexes there (an answer would never come after the customer's message); one
 * years back would start a wait overdue at once and list the message before the whole conversation.
 * What the hub keeps and derives (the conversation, its message list, the registers) uses this; the
 * published event keeps the provider's time (`providerTimestamp`, `time`). Before 2026-12-05 a time
 * however far back was believed; found by a review.
 */
export const occurredAt = (event: HubEvent): string =>
  believedTime(event.time, 'receivedAt' in event.data ? event.data.receivedAt : undefined);

/** A provider's time of something the hub received at `receivedAt`, as `occurredAt` believes it. */
export const believedTime = (providerTime: string, receivedAt: unknown): string => {
  const time = canonicalTime(providerTime);
  if (typeof receivedAt !== 'string' || !Number.isFinite(Date.parse(receivedAt))) return time;
  const received = Date.parse(receivedAt);
  const provided = Date.parse(time);
  const believed = provided <= received + MAX_CLOCK_AHEAD_MS && provided >= received - MAX_CLOCK_BEHIND_MS;
  return believed ? time : canonicalTime(receivedAt);
};

/**
 * The latest moment a time can stand for: a time in whole seconds (WhatsApp's, an e-mail's Date) for
 * any moment of its second, its last millisecond; any other for itself. A time of another provider
 * that falls on a whole second (one in a thousand) is read as a second's too: what uses this bounds
 * it by the hub's receipt, so it moves less than a second and never past that receipt.
 */
export const latestMomentOf = (time: string): string => {
  const ms = Date.parse(time);
  return ms % 1_000 === 0 ? new Date(ms + 999).toISOString() : canonicalTime(time);
};

/**
 * Where a message stands among its conversation's messages (the helpdesk's list, oldest first): the
 * latest moment its provider's time allows, but never after the hub received it. The receipt bounds
 * it as it does the recorder's waits (a message is written no later than it arrives: an e-mail
 * whose Date is 10 minutes fast, believed by `occurredAt`, lists at its arrival, before the answer
 * made after it came in). The latest moment, not the first, of a time in whole seconds: WhatsApp
 * stamps a reply made at 10:00:00.700 to the hub's message of 10:00:00.400 "10:00:00"; bounded by
 * its receipt it lists after that message when it came in after it, before it when it came in
 * before: as the recorder's rule has it, an answer covers (lists after) what was made and received
 * before it (domain/conversation.ts `covers`). Messages of one moment go by their arrival
 * (`arrivalOf`). Before 2026-12-06 the list took `occurredAt` and the hub message id: a second's
 * messages listed in the order of their ids' hashes, a customer's answer before the hub's message
 * of its second, and a mail dated ahead after the answer to it; found by a review.
 */
export const listedAt = (event: HubEvent): string => {
  const at = occurredAt(event);
  const receivedAt = 'receivedAt' in event.data ? event.data.receivedAt : undefined;
  if (typeof receivedAt !== 'string' || !Number.isFinite(Date.parse(receivedAt))) return at;
  return earlierOf(latestMomentOf(at), canonicalTime(receivedAt));
};

/**
 * The CloudEvents `sequence` of the event at `position` of a request received at `receivedAt`:
 * the order of arrival, which breaks ties where providers date occurrences to the same second.
 */
export const arrivalSequence = (receivedAt: Date, position: number): string =>
  `${String(receivedAt.getTime()).padStart(13, '0')}-${String(position).padStart(6, '0')}`;

/**
 * The order in which the hub received an event: its `sequence`, else, for one that has none (the
 * hub's own sends, recorded by the sender; events queued before the intake set it), its receipt as
 * the first of a request, so every event of a conversation compares on the hub's one clock.
 */
export const arrivalOf = (event: HubEvent): string => {
  if (event.sequence !== undefined) return event.sequence;
  const receivedAt = 'receivedAt' in event.data ? event.data.receivedAt : undefined;
  const ms = typeof receivedAt === 'string' ? Date.parse(receivedAt) : Number.NaN;
  return Number.isFinite(ms) ? arrivalSequence(new Date(ms), 0) : '';
};

export const laterOf = (a: string | null, b: string): string => (a === null || b > a ? b : a);
export const earlierOf = (a: string | null, b: string): string => (a === null || b < a ? b : a);

export const addHours = (timestamp: string, hours: number): string =>
  new Date(Date.parse(timestamp) + hours * 3_600_000).toISOString();

export const secondsBetween = (from: string, to: string): number =>
  (Date.parse(to) - Date.parse(from)) / 1000;

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

export const laterOf = (a: string | null, b: string): string => (a === null || b > a ? b : a);
export const earlierOf = (a: string | null, b: string): string => (a === null || b < a ? b : a);

export const addHours = (timestamp: string, hours: number): string =>
  new Date(Date.parse(timestamp) + hours * 3_600_000).toISOString();

export const secondsBetween = (from: string, to: string): number =>
  (Date.parse(to) - Date.parse(from)) / 1000;

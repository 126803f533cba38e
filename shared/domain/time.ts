import type { HubEvent } from '#shared/contract/index.ts';

/** Canonical UTC ISO form, so timestamps compare correctly as strings whatever offset they came with. */
export const canonicalTime = (timestamp: string): string => new Date(timestamp).toISOString();

/**
 * How far ahead of the hub's receipt a provider's time is still believed: clocks differ by seconds;
 * beyond this a sender's clock is wrong (an e-mail's `Date:` is the sender's own, and may say 2199).
 */
const MAX_CLOCK_AHEAD_MS = 15 * 60_000;

/**
 * When the occurrence happened: the provider's time, else when the hub received it; the receipt's
 * time too when the provider's is more than MAX_CLOCK_AHEAD_MS after it, as a time in the future
 * would hold a conversation's last activity, its waiting time and its place in the indexes there
 * (an answer would never come after the customer's message).
 */
export const occurredAt = (event: HubEvent): string =>
  believedTime(event.time, 'receivedAt' in event.data ? event.data.receivedAt : undefined);

/** A provider's time of something the hub received at `receivedAt`, as `occurredAt` believes it. */
export const believedTime = (providerTime: string, receivedAt: unknown): string => {
  const time = canonicalTime(providerTime);
  if (typeof receivedAt !== 'string' || !Number.isFinite(Date.parse(receivedAt))) return time;
  return Date.parse(time) > Date.parse(receivedAt) + MAX_CLOCK_AHEAD_MS ? canonicalTime(receivedAt) : time;
};

export const laterOf = (a: string | null, b: string): string => (a === null || b > a ? b : a);
export const earlierOf = (a: string | null, b: string): string => (a === null || b < a ? b : a);

export const addHours = (timestamp: string, hours: number): string =>
  new Date(Date.parse(timestamp) + hours * 3_600_000).toISOString();

export const secondsBetween = (from: string, to: string): number =>
  (Date.parse(to) - Date.parse(from)) / 1000;

import type { HubEvent } from '#shared/contract/index.ts';

/** Canonical UTC ISO form, so timestamps compare correctly as strings whatever offset they came with. */
export const canonicalTime = (timestamp: string): string => new Date(timestamp).toISOString();

/** When the occurrence happened: the provider's time, else when the hub received it. */
export const occurredAt = (event: HubEvent): string => canonicalTime(event.time);

export const laterOf = (a: string | null, b: string): string => (a === null || b > a ? b : a);
export const earlierOf = (a: string | null, b: string): string => (a === null || b < a ? b : a);

export const addHours = (timestamp: string, hours: number): string =>
  new Date(Date.parse(timestamp) + hours * 3_600_000).toISOString();

export const secondsBetween = (from: string, to: string): number =>
  (Date.parse(to) - Date.parse(from)) / 1000;

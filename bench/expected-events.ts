import type { HubEvent } from '#shared/contract/index.ts';
import type { Sample } from '#shared/local/samples.ts';
import { adapterFor, signSample } from './webhook-path.ts';

/** The events the hub will derive from a sample: adapters are pure and event ids deterministic. */
export const expectedEvents = async (sample: Sample): Promise<readonly HubEvent[]> => {
  const signed = signSample(sample);
  const outcome = await adapterFor(sample.channel, signed.outgoing.url)(signed.request);
  return outcome.kind === 'accept' ? outcome.events : [];
};

/**
 * Samples whose copies really are distinct occurrences (no event id shared between two copies):
 * the others (a read watermark, an opt-in without ids) are sent once, as a provider would.
 */
export const copyable = async (
  sample: Sample,
  copyOf: (sample: Sample, copy: number) => Sample,
): Promise<boolean> => {
  const first = new Set((await expectedEvents(copyOf(sample, 1))).map((event) => event.id));
  const second = await expectedEvents(copyOf(sample, 2));
  return first.size > 0 && second.every((event) => !first.has(event.id));
};

import { z } from 'zod';
import type { DatedObject } from '#shared/aws/blob-store.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';

/*
 * The spill drain: queues what webhooks kept in the spill (./spill.ts) when SQS refused their
 * events. Each object's events go to the ingest queue through the webhooks' own publisher (same
 * message group, same deduplication id, a claim check for one too large), in their order; the
 * object is deleted only once all of them are queued, and otherwise left for the next run. A run
 * that dies between the publish and the delete queues the object again next time: SQS drops the
 * repeat within its five minutes, and the recorder after that (a message by its done-marker and
 * the conversation's recent event ids, everything else by forward-only registers:
 * shared/recorder/record-event.ts).
 */

export interface SpillDrainDeps {
  /** The spill objects (ListObjectsV2 under the spill prefix), up to a bound. */
  readonly list: () => Promise<readonly DatedObject[]>;
  readonly read: (key: string) => Promise<Uint8Array>;
  /** Deletes one object; one already gone is no error. */
  readonly remove: (key: string) => Promise<void>;
  /** Resolves once every event is queued (the webhooks' BatchEventPublisher). */
  readonly publish: (events: readonly HubEvent[]) => Promise<void>;
  readonly now: () => Date;
  /** Objects are begun only within this many milliseconds of the run's start; the rest wait for the next run. */
  readonly budgetMs: number;
  readonly logger: Logger;
}

export interface SpillDrainReport {
  /** Objects listed at the start of the run. */
  readonly listed: number;
  /** Objects whose events were all queued, and deleted. */
  readonly drained: number;
  /** Events queued from them. */
  readonly eventsQueued: number;
  /** Objects left because a read, a publish or the delete failed. */
  readonly failed: number;
  /** Objects not begun: the budget ran out, or an earlier object of their conversation was left. */
  readonly deferred: number;
  /** Seconds since the oldest listed object was written (0 when none): the alarm's gauge. */
  readonly oldestAgeSeconds: number;
}

/**
 * What a spill object holds, as the webhook wrote it. The events are checked for what the drain
 * reads of them (id, type, subject) and passed on whole: the recorder checks them against the
 * contract, as it does every queued event.
 */
const SpillObjectSchema = z.object({
  version: z.literal(1),
  events: z.array(
    z.looseObject({ id: z.string().min(1), type: z.string().min(1), subject: z.string().min(1) }),
  ),
});

const eventsOf = (bytes: Uint8Array): HubEvent[] =>
  // The webhook wrote them from HubEvents (./spill.ts); the schema above checks the envelope.
  SpillObjectSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8'))).events as unknown as HubEvent[];

/** Queues one object's events and deletes it: the number queued, or the error that stopped it. */
const drainOne = async (
  deps: SpillDrainDeps,
  key: string,
): Promise<{ ok: true; events: number } | { ok: false; error: unknown }> => {
  try {
    const events = eventsOf(await deps.read(key));
    if (events.length > 0) await deps.publish(events);
    await deps.remove(key);
    return { ok: true, events: events.length };
  } catch (error) {
    return { ok: false, error };
  }
};

/** One run: every listed object in turn, oldest first, until the budget is spent. */
export const drainSpill = async (deps: SpillDrainDeps): Promise<SpillDrainReport> => {
  const startedAt = deps.now().getTime();
  const listed = [...(await deps.list())].sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime());
  const oldest = listed[0];
  const oldestAgeSeconds = oldest
    ? Math.max(0, Math.round((startedAt - oldest.lastModified.getTime()) / 1000))
    : 0;
  let drained = 0;
  let eventsQueued = 0;
  let failed = 0;
  let begun = 0;
  /** Conversations (key prefixes) with an object left: their later objects wait too, so none overtakes it. */
  const held = new Set<string>();
  for (const { key } of listed) {
    if (deps.now().getTime() - startedAt >= deps.budgetMs) break;
    const conversation = key.slice(0, key.lastIndexOf('/') + 1);
    if (held.has(conversation)) continue;
    begun += 1;
    const outcome = await drainOne(deps, key);
    if (outcome.ok) {
      drained += 1;
      eventsQueued += outcome.events;
    } else {
      failed += 1;
      held.add(conversation);
      deps.logger.error('spill object left for the next run', { errorName: errorNameOf(outcome.error) });
    }
  }
  const report = {
    listed: listed.length,
    drained,
    eventsQueued,
    failed,
    deferred: listed.length - begun,
    oldestAgeSeconds,
  };
  if (listed.length > 0)
    deps.logger.info('spill drained', {
      objectCount: listed.length,
      eventCount: eventsQueued,
      failedCount: failed,
      durationMs: deps.now().getTime() - startedAt,
    });
  return report;
};

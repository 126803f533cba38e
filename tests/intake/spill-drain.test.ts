import { describe, expect, it } from 'vitest';
import type { HubEvent } from '#shared/contract/index.ts';
import { spillObjectsFor } from '#shared/intake/spill.ts';
import { drainSpill, type SpillDrainDeps } from '#shared/intake/spill-drain.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { unsupportedEvent } from '#tests/support/factories.ts';

/*
 * The drain queues each spill object's events and deletes the object only once all of them are
 * queued; one it could not queue stays for the next run, and a run stops beginning objects once
 * its budget is spent.
 */

const CONVERSATION_A = `conv_${'a'.repeat(32)}`;
const CONVERSATION_B = `conv_${'b'.repeat(32)}`;
const NOW = new Date('2026-12-07T12:00:00Z');

const bucketWith = (groups: { events: HubEvent[]; writtenSecondsAgo: number }[]) => {
  const objects = new Map<string, { bytes: Uint8Array; lastModified: Date }>();
  for (const { events, writtenSecondsAgo } of groups)
    for (const object of spillObjectsFor(events))
      objects.set(object.key, {
        bytes: object.bytes,
        lastModified: new Date(NOW.getTime() - writtenSecondsAgo * 1000),
      });
  return objects;
};

const harness = (
  objects: Map<string, { bytes: Uint8Array; lastModified: Date }>,
  options: { refuse?: (events: readonly HubEvent[]) => boolean; msPerCall?: number; budgetMs?: number } = {},
) => {
  const journal: string[] = [];
  let clock = NOW.getTime();
  const logLines: Record<string, unknown>[] = [];
  const deps: SpillDrainDeps = {
    list: async () => [...objects].map(([key, { lastModified }]) => ({ key, lastModified })),
    read: async (key) => {
      clock += options.msPerCall ?? 0;
      const object = objects.get(key);
      if (!object) throw new Error('NoSuchKey');
      return object.bytes;
    },
    publish: async (events) => {
      if (options.refuse?.(events)) throw new Error('ThrottlingException');
      journal.push(...events.map((event) => `queued:${event.id}`));
    },
    remove: async (key) => {
      objects.delete(key);
      journal.push(`deleted:${key}`);
    },
    now: () => new Date(clock),
    budgetMs: options.budgetMs ?? 30_000,
    logger: createLogger({ level: 'debug', write: (line) => logLines.push(JSON.parse(line)) }),
  };
  return { deps, journal, logLines };
};

describe('drainSpill', () => {
  it('queues an object’s events in order, then deletes it, and reports the oldest age', async () => {
    // Prepare
    const events = [unsupportedEvent(1, CONVERSATION_A), unsupportedEvent(2, CONVERSATION_A)];
    const objects = bucketWith([{ events, writtenSecondsAgo: 75 }]);
    const [key] = [...objects.keys()];
    const { deps, journal } = harness(objects);
    // Act
    const report = await drainSpill(deps);
    // Assess
    expect(journal).toEqual([`queued:${events[0]?.id}`, `queued:${events[1]?.id}`, `deleted:${key}`]);
    expect(objects.size).toBe(0);
    expect(report).toEqual({
      listed: 1,
      drained: 1,
      eventsQueued: 2,
      failed: 0,
      deferred: 0,
      oldestAgeSeconds: 75,
    });
  });

  it('keeps an object whose events could not be queued, and drains the others', async () => {
    // Prepare
    const refused = unsupportedEvent(1, CONVERSATION_A);
    const other = unsupportedEvent(2, CONVERSATION_B);
    const objects = bucketWith([
      { events: [refused], writtenSecondsAgo: 60 },
      { events: [other], writtenSecondsAgo: 30 },
    ]);
    const { deps, journal, logLines } = harness(objects, {
      refuse: (events) => events.some((event) => event.id === refused.id),
    });
    // Act
    const report = await drainSpill(deps);
    // Assess
    expect([...objects.keys()]).toEqual([expect.stringContaining(`spill/${CONVERSATION_A}/`)]);
    expect(journal).toEqual([
      `queued:${other.id}`,
      expect.stringContaining(`deleted:spill/${CONVERSATION_B}/`),
    ]);
    expect(report).toMatchObject({ drained: 1, failed: 1, oldestAgeSeconds: 60 });
    expect(logLines).toContainEqual(expect.objectContaining({ level: 'error', errorName: 'Error' }));
  });

  it('holds a conversation’s later object behind one it left, so the later cannot overtake it', async () => {
    // Prepare
    const first = unsupportedEvent(1, CONVERSATION_A);
    const second = unsupportedEvent(2, CONVERSATION_A);
    const objects = bucketWith([
      { events: [first], writtenSecondsAgo: 60 },
      { events: [second], writtenSecondsAgo: 30 },
    ]);
    const { deps, journal } = harness(objects, { refuse: (events) => events[0]?.id === first.id });
    // Act
    const report = await drainSpill(deps);
    // Assess
    expect(journal).toEqual([]);
    expect(objects.size).toBe(2);
    expect(report).toMatchObject({ drained: 0, failed: 1, deferred: 1 });
  });

  it('begins no object once its budget is spent, leaving the rest for the next run', async () => {
    // Prepare: each read takes 10 s of a 25-second budget
    const objects = bucketWith(
      [1, 2, 3, 4, 5].map((index) => ({
        events: [unsupportedEvent(index, `conv_${String(index).repeat(32)}`)],
        writtenSecondsAgo: 60 - index,
      })),
    );
    const { deps } = harness(objects, { msPerCall: 10_000, budgetMs: 25_000 });
    // Act
    const report = await drainSpill(deps);
    // Assess
    expect(report).toMatchObject({ listed: 5, drained: 3, deferred: 2 });
    expect(objects.size).toBe(2);
  });

  it('reports nothing to do on an empty spill', async () => {
    // Prepare
    const { deps, logLines } = harness(new Map());
    // Act
    const report = await drainSpill(deps);
    // Assess
    expect(report).toMatchObject({ listed: 0, drained: 0, oldestAgeSeconds: 0 });
    expect(logLines).toEqual([]);
  });
});

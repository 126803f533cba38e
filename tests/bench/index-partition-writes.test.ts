import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { allowSupplementaryCharactersInFauxqs } from '#shared/local/fauxqs-fidelity.ts';
import { type Scenario, scenarioSamples } from '../../bench/aws-cost.ts';
import { runPipeline } from '../../bench/pipeline.ts';
import { INBOUND_INDEX_WRITES, type InboundKind } from '../../bench/scale-counts.ts';
import { round } from '../../bench/stats.ts';

/*
 * The scale model weighs the index partitions every conversation shares (`STATUS#open` in gsi1,
 * `WAITING` in gsi4) against a partition's 1,000 write units. Their writes per event are counted
 * here as the AWS section counts its scenarios (the same samples, five messages a conversation,
 * the real webhook path and recorder over the emulators, every table write metered by index
 * partition). The AWS section keeps the same tally from 2026-12-05; for its runs before that the
 * model takes INBOUND_INDEX_WRITES, which this pins.
 */
const SCENARIO_OF: Record<InboundKind, Scenario> = {
  chat: 'inbound chat message',
  status: 'status update',
  email: 'inbound e-mail',
};
/** Six conversations of five messages (chat: two per channel), eight of five statuses, thirty e-mails. */
const COUNT: Record<InboundKind, number> = { chat: 30, status: 40, email: 30 };

let emulators: RunningEmulators | undefined;

const hourOf = (ms: number): number => Math.floor(ms / 3_600_000);

/**
 * The pipeline dates each message at its real receipt (the samples are older than the hub believes),
 * and the by-status entry is filed by the hour: a run the hour turns in moves entries the model's
 * row does not count (found by a review: 0.6 for 0.2 when the hour turned during the chat loop). Such
 * a run is made again, fresh; two in a row cannot both straddle an hour.
 */
const runWithinOneHour = async (kind: InboundKind): Promise<Awaited<ReturnType<typeof runPipeline>>> => {
  for (;;) {
    await emulators?.stop();
    emulators = await startEmulators();
    const started = Date.now();
    const usage = await runPipeline(emulators, scenarioSamples(SCENARIO_OF[kind], COUNT[kind]));
    if (hourOf(started) === hourOf(Date.now())) return usage;
  }
};

describe('index writes per inbound event, by index partition', () => {
  beforeAll(async () => {
    await allowSupplementaryCharactersInFauxqs();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  for (const kind of Object.keys(SCENARIO_OF) as InboundKind[]) {
    it(`match the scale model's committed row for ${SCENARIO_OF[kind]}`, async () => {
      // Prepare: fresh emulators, as the AWS section runs each scenario (in runWithinOneHour)
      // Act
      const usage = await runWithinOneHour(kind);
      // Assess
      const perEvent: Record<string, number> = {};
      for (const tally of [usage.webhook.indexPartitionWriteUnits, usage.recorder.indexPartitionWriteUnits])
        for (const [where, units] of Object.entries(tally ?? {}))
          perEvent[where] = (perEvent[where] ?? 0) + units / usage.ingestEvents;
      expect(usage.ingestEvents).toBe(COUNT[kind]);
      expect(Object.keys(perEvent).sort()).toEqual(Object.keys(INBOUND_INDEX_WRITES[kind]).sort());
      for (const [where, units] of Object.entries(INBOUND_INDEX_WRITES[kind])) {
        // The shared partitions exactly; a person's own entries (gsi3) differ between runs of the
        // e-mail samples, as a condition that fails (a race between one sender's threads, a retry
        // under load) is charged too: 87 or 88 in 30 on a quiet machine, 94 once in a fresh-clone CI
        // run (2026-12-05), so within 0.3 a message. The model weighs per-item partitions only for
        // the busiest index, which is gsi2.
        if (where.endsWith(' per item'))
          expect(Math.abs((perEvent[where] ?? 0) - units), where).toBeLessThan(0.3);
        else expect(round(perEvent[where] ?? 0, 3), where).toBe(units);
      }
    });
  }
});

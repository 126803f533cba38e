import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry } from '#infra/bundling/analyze.ts';
import { HUB_FUNCTION_ENTRIES, type HubFunctionEntry } from '#infra/bundling/options.ts';

/*
 * The webhooks (and the SES e-mail functions, which share the intake) validate with `zod/mini`:
 * their bundles hold none of classic zod's code, whose schemas cost tens of milliseconds of every
 * cold start to build. The recorder keeps classic zod (the contract's schemas) and is the control:
 * the same check finds classic zod there, so the check can see it.
 */

const MINI_FUNCTIONS = HUB_FUNCTION_ENTRIES.filter(
  (entry): entry is HubFunctionEntry => entry.startsWith('webhook-') || entry.startsWith('email-ses'),
);

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-zod-mini-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Inputs of classic zod: its own files, or the locale-free stand-in the bundles alias `zod` to. */
const classicZodInputs = async (entry: HubFunctionEntry): Promise<string[]> => {
  const { metafile } = await bundleEntry(entry, outdir);
  return Object.keys(metafile.inputs).filter((input) =>
    /zod\/v4\/classic\/|infra\/bundling\/zod-(classic|without-locales)\.js$/.test(input),
  );
};

describe('webhook bundles validate with zod/mini', () => {
  it('leaves classic zod out of every webhook and SES e-mail bundle', async () => {
    // Prepare
    expect(MINI_FUNCTIONS.length).toBeGreaterThanOrEqual(6);
    for (const entry of MINI_FUNCTIONS) {
      // Act
      const classic = await classicZodInputs(entry);
      // Assess
      expect(classic, entry).toEqual([]);
    }
  }, 180_000);

  it('finds classic zod in the recorder, which keeps it (control)', async () => {
    // Act
    const classic = await classicZodInputs('recorder');
    // Assess
    expect(classic.length).toBeGreaterThan(0);
  }, 60_000);
});

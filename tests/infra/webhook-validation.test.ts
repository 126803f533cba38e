import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry } from '#infra/bundling/analyze.ts';
import { HUB_FUNCTION_ENTRIES, type HubFunctionEntry } from '#infra/bundling/options.ts';

/*
 * The webhooks (and the SES e-mail functions, which share the intake) validate with valibot: their
 * bundles hold no zod at all, neither classic zod (whose schemas cost tens of milliseconds of every
 * cold start to build) nor zod/mini (about 31 KB and a third of a webhook's import). The recorder
 * keeps classic zod (the contract's schemas) and is the control: the same check finds zod there,
 * so the check can see it.
 */

const VALIBOT_FUNCTIONS = HUB_FUNCTION_ENTRIES.filter(
  (entry): entry is HubFunctionEntry => entry.startsWith('webhook-') || entry.startsWith('email-ses'),
);

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-validation-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Inputs of the bundle by library: zod's own files or the locale-free stand-in, and valibot's. */
const validationInputs = async (entry: HubFunctionEntry): Promise<{ zod: string[]; valibot: string[] }> => {
  const { metafile } = await bundleEntry(entry, outdir);
  const inputs = Object.keys(metafile.inputs);
  return {
    zod: inputs.filter((input) => /node_modules\/zod\/|infra\/bundling\/zod-[a-z-]+\.js$/.test(input)),
    valibot: inputs.filter((input) => input.includes('node_modules/valibot/')),
  };
};

describe('webhook bundles validate with valibot', () => {
  it('leaves zod out of every webhook and SES e-mail bundle, which hold valibot', async () => {
    // Prepare
    expect(VALIBOT_FUNCTIONS.length).toBeGreaterThanOrEqual(6);
    for (const entry of VALIBOT_FUNCTIONS) {
      // Act
      const { zod, valibot } = await validationInputs(entry);
      // Assess
      expect(zod, entry).toEqual([]);
      expect(valibot.length, entry).toBeGreaterThan(0);
    }
  }, 180_000);

  it('finds zod in the recorder, which keeps it (control)', async () => {
    // Act
    const { zod } = await validationInputs('recorder');
    // Assess
    expect(zod.length).toBeGreaterThan(0);
  }, 60_000);
});

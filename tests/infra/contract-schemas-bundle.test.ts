import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry } from '#infra/bundling/analyze.ts';
import type { HubFunctionEntry } from '#infra/bundling/options.ts';

/**
 * Webhooks build events; they never validate them against the contract's zod schemas (the recorder
 * does, on the other side of the queue). A value import of the contract barrel would still construct
 * every schema at the Lambda's import, so webhook code takes its values from the schema-free modules.
 */
const SCHEMA_FREE_CONTRACT_MODULES = ['build.ts', 'event-types.ts', 'ids.ts'];

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-contract-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('contract schemas in the webhook bundles', () => {
  it.each(['webhook-messenger', 'webhook-whatsapp', 'webhook-sms-twilio', 'webhook-email-mailgun'] as const)(
    '%s bundles only the schema-free contract modules',
    async (entry: HubFunctionEntry) => {
      // Act
      const report = await bundleEntry(entry, outdir);
      // Assess
      const contractModules = Object.keys(report.metafile.inputs)
        .filter((input) => input.startsWith('shared/contract/'))
        .map((input) => path.basename(input))
        .sort();
      expect(contractModules.length).toBeGreaterThan(0);
      expect(contractModules.every((name) => SCHEMA_FREE_CONTRACT_MODULES.includes(name))).toBe(true);
    },
  );

  it('the recorder, which validates every queued event, bundles the schemas', async () => {
    // Act
    const report = await bundleEntry('recorder', outdir);
    // Assess
    expect(Object.keys(report.metafile.inputs)).toContain('shared/contract/events.ts');
  });
});

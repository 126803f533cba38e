import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry, contributions } from '#infra/bundling/analyze.ts';
import { SECRET_SECTIONS, webhookConnectors } from '#shared/channels/registry.ts';

/*
 * A webhook reads its own provider's secret sections alone (the registry's `secretSections`), so
 * its bundle holds those sections' schemas and parsing and no other's: each section is a module of
 * its own (shared/config/secrets/<section>.ts), and the composition of all four
 * (shared/config/secrets.ts, shared/aws/channel-secrets.ts) stays with the functions that read
 * several. Before 2026-12-05 every webhook carried all four, Twilio's further accounts included.
 */

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-webhook-sections-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const COMPOSED_SECRETS = ['shared/config/secrets.ts', 'shared/aws/channel-secrets.ts'];

describe("a webhook bundle's secret sections", () => {
  it.each(webhookConnectors().map(([id, connector]) => [id, connector] as const))(
    '%s holds the schemas of its own sections only',
    async (_id, connector) => {
      // Act
      const { metafile } = await bundleEntry(connector.functionEntry, outdir);
      // Assess: inputs with code in the output (an import whose code is all shaken away does not count)
      const inputs = new Set(contributions(metafile).map((row) => row.input));
      const sectionsHeld = SECRET_SECTIONS.filter((section) =>
        inputs.has(`shared/config/secrets/${section}.ts`),
      );
      expect(sectionsHeld.sort()).toEqual([...connector.secretSections].sort());
      expect(COMPOSED_SECRETS.filter((file) => inputs.has(file))).toEqual([]);
    },
    60_000,
  );
});

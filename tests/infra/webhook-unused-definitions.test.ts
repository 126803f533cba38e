import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFile } from '#infra/bundling/analyze.ts';
import { entryPath } from '#infra/bundling/options.ts';
import { webhookConnectors } from '#shared/channels/registry.ts';

/*
 * The shared resource definitions (shared/resources/definitions.ts) reach every webhook through the
 * payload bucket's prefixes and the ingest queue's message size. esbuild leaves out what a bundle
 * never reads, but keeps any top-level value it cannot prove free of side effects (a product, a sum
 * of properties): until 2026-12-05 the sender's settings and the outbox queue's definition rode in
 * every webhook bundle that way. Checked on the unminified build, whose names are the source's.
 */

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-webhook-definitions-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Definitions no webhook reads. */
const OTHER_FUNCTIONS_DEFINITIONS = [
  'HUB_TABLE',
  'HELPDESK_QUEUE',
  'OUTBOX_QUEUE',
  'OUTBOX_LONGEST_WAIT_SECONDS',
  'MEDIA_QUEUE',
  'QUEUES',
  'CORE_FUNCTIONS',
  'CORE_FUNCTION_SECRET_SECTIONS',
  'RECORDER',
  'SENDER',
  'MEDIA_FETCHER',
];

describe("a webhook bundle's resource definitions", () => {
  it.each(webhookConnectors().map(([id, connector]) => [id, connector.functionEntry] as const))(
    '%s holds none of the other functions’ definitions',
    async (_id, entry) => {
      // Act
      const { file } = await bundleFile(entry, entryPath(entry), outdir, { minify: false });
      // Assess
      const code = readFileSync(file, 'utf8');
      const declared = OTHER_FUNCTIONS_DEFINITIONS.filter((name) =>
        new RegExp(`^var ${name}\\d* = `, 'm').test(code),
      );
      expect(declared).toEqual([]);
    },
    60_000,
  );
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry, bundleFile } from '#infra/bundling/analyze.ts';
import { BUNDLE_ALIASES, HUB_FUNCTION_ENTRIES, REPO_ROOT } from '#infra/bundling/options.ts';

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-boundaries-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Folders of code that runs only on a developer's machine: the local hub, its CLIs, the benchmarks. */
const LOCAL_ONLY = ['shared/local/', 'shared/cli/', 'bench/', 'tests/'];

describe('what a Lambda bundle may contain', () => {
  it('never reaches local-only code (local hub, CLIs, benchmarks, tests)', async () => {
    for (const entry of HUB_FUNCTION_ENTRIES) {
      // Act
      const { metafile } = await bundleEntry(entry, outdir);
      const local = Object.keys(metafile.inputs).filter((input) =>
        LOCAL_ONLY.some((folder) => input.startsWith(folder)),
      );
      // Assess
      expect(local, entry).toEqual([]);
    }
  }, 120_000);

  it('aliases no AWS client: any command of a client the code uses can be bundled', async () => {
    // Prepare: commands the hub does not use yet (erasure will delete objects), in a file that
    // resolves packages as the functions do (git ignores .vitest/).
    const probeDir = path.join(REPO_ROOT, '.vitest');
    mkdirSync(probeDir, { recursive: true });
    const probe = path.join(probeDir, 'bundle-probe.ts');
    writeFileSync(
      probe,
      [
        "import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';",
        "import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';",
        "import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';",
        'export const commands = [DeleteObjectCommand, ListObjectsV2Command, S3Client, DeleteItemCommand, ChangeMessageVisibilityCommand];',
      ].join('\n'),
    );
    // Act
    const report = await bundleFile('probe', probe, outdir);
    // Assess
    expect(report.bytes).toBeGreaterThan(0);
    expect(
      BUNDLE_ALIASES.map((alias) => alias.module).filter((module) => module.startsWith('@aws-sdk/client-')),
    ).toEqual([]);
  }, 120_000);
});

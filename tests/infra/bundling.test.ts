import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry } from '#infra/bundling/analyze.ts';
import { HUB_FUNCTION_ENTRIES, REPO_ROOT } from '#infra/bundling/options.ts';
import { ZOD_WITHOUT_LOCALES } from '#infra/constructs/hub-function.ts';
import { ALL_CHANNELS_CONTEXT, buildHub } from './support.ts';

/** Hard ceiling for a webhook bundle; the 250 KB target is reported by the benchmarks, not asserted. */
const WEBHOOK_BUNDLE_CEILING_BYTES = 1024 * 1024;

// Prepare (once per file): the one synth with real esbuild bundling.
const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-bundling-'));
const { app, template } = buildHub(
  { ...ALL_CHANNELS_CONTEXT, helpdeskApi: 'true' },
  { bundling: true, outdir },
);
app.synth();

interface Bundle {
  readonly description: string;
  readonly file: string;
  readonly bytes: number;
}

const bundles: Bundle[] = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) => {
  const key = fn.Properties.Code.S3Key as string;
  const file = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
  return {
    description: fn.Properties.Description as string,
    file,
    bytes: existsSync(file) ? statSync(file).size : -1,
  };
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('real esbuild bundling', () => {
  it('produces one ESM bundle with a source map per function', () => {
    // Act
    const report = bundles.map(
      (bundle) => `${(bundle.bytes / 1024).toFixed(1).padStart(8)} KB  ${bundle.description}`,
    );
    console.log(`Lambda bundle sizes (index.mjs):\n${report.join('\n')}`);
    // Assess
    // Five connectors, the recorder, the sender, the SES delivery events, the helpdesk API, the
    // attention sweeper, the media fetcher, the deploy's channel secret upgrade and the spill drain.
    expect(bundles).toHaveLength(13);
    for (const bundle of bundles) {
      expect(existsSync(bundle.file), bundle.description).toBe(true);
      expect(existsSync(`${bundle.file}.map`), bundle.description).toBe(true);
    }
  });

  it('bundles the AWS SDK instead of importing the runtime copy, and gives CommonJS a require', () => {
    for (const bundle of bundles) {
      // Act
      const code = readFileSync(bundle.file, 'utf8');
      // Assess
      expect(code, bundle.description).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(code, bundle.description).toContain('createRequire');
    }
  });

  it('swaps zod for the same API without locales', async () => {
    // Prepare
    const zod = await import('zod');
    const slim = (await import(pathToFileURL(ZOD_WITHOUT_LOCALES).href)) as Record<string, unknown>;
    // Act
    const missing = Object.keys(zod).filter((name) => !(name in slim));
    // Assess
    expect(missing.sort()).toEqual(['core', 'locales']);
    expect(() => (slim.fromJSONSchema as () => unknown)()).toThrow(/left out of Lambda bundles/);
    expect(Object.keys(slim.z as object).sort()).toEqual(
      Object.keys(slim)
        .filter((name) => name !== 'z' && name !== 'default')
        .sort(),
    );
    for (const bundle of bundles) {
      expect(readFileSync(bundle.file, 'utf8'), bundle.description).not.toContain('Ungültige Eingabe');
    }
  });

  it('keeps every webhook bundle under the 1 MB ceiling', () => {
    // Act
    const webhooks = bundles.filter((bundle) => bundle.description.startsWith('Switchboard webhook'));
    // Assess
    expect(webhooks).toHaveLength(4);
    for (const bundle of webhooks)
      expect(bundle.bytes, bundle.description).toBeLessThan(WEBHOOK_BUNDLE_CEILING_BYTES);
  });

  it('analyze.ts (and the bench through it) builds byte for byte what the construct deploys', async () => {
    // Prepare
    const analysisDir = mkdtempSync(path.join(tmpdir(), 'switchboard-analysis-'));
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    try {
      // Act
      const analysed = await Promise.all(
        HUB_FUNCTION_ENTRIES.map(async (entry) => readFileSync((await bundleEntry(entry, analysisDir)).file)),
      );
      // Assess
      expect(analysed.map(sha).sort()).toEqual(
        bundles.map((bundle) => sha(readFileSync(bundle.file))).sort(),
      );
    } finally {
      rmSync(analysisDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('leaves zod.fromJSONSchema (a stub in the bundles) uncalled by every bundled source', async () => {
    // Prepare
    const analysisDir = mkdtempSync(path.join(tmpdir(), 'switchboard-analysis-'));
    try {
      // Act
      const ownSources = new Set<string>();
      for (const entry of HUB_FUNCTION_ENTRIES) {
        const { metafile } = await bundleEntry(entry, analysisDir);
        for (const input of Object.keys(metafile.inputs))
          if (!input.includes('node_modules') && !input.startsWith('infra/bundling/')) ownSources.add(input);
      }
      const callers = [...ownSources].filter((input) =>
        readFileSync(path.join(REPO_ROOT, input), 'utf8').includes('fromJSONSchema'),
      );
      // Assess
      expect(ownSources.size).toBeGreaterThan(20);
      expect(callers).toEqual([]);
    } finally {
      rmSync(analysisDir, { recursive: true, force: true });
    }
  }, 120_000);
});

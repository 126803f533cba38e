import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFile } from '#infra/bundling/analyze.ts';
import { entryPath, type HubFunctionEntry, REPO_ROOT } from '#infra/bundling/options.ts';
import { webhookConnectors } from '#shared/channels/registry.ts';

/**
 * The webhooks carry no AWS SDK at all: their S3 puts, like their queue sends, secret reads and
 * Mailgun's replay guard, are signed requests of their own (shared/aws/signed/). The recorder uses
 * S3 only for a claim check, so its bundle must not evaluate the S3 SDK at import. esbuild wraps every module reached through a dynamic `import()` in an `init_…` function;
 * a static import anywhere else would call that function at the bundle's top level. This follows
 * the init calls from the top level (unminified build, same options as deployed) and checks that
 * none reaches an S3 module.
 */

/** Packages only S3 uses (xml-builder is not among them: @aws-sdk/core's protocols load it for SQS too). */
const S3_ONLY_PACKAGES = [
  '@aws-sdk/client-s3/',
  '@aws-sdk/middleware-sdk-s3/',
  '@aws-sdk/signature-v4-multi-region/',
  '@aws-sdk/checksums/',
];

interface ModuleBlock {
  readonly source: string;
  readonly initName: string | undefined;
  readonly body: string;
}

/** esbuild's unminified output names every module in a `// path` comment line before its code. */
const moduleBlocks = (code: string): ModuleBlock[] => {
  const parts = code.split(/^\/\/ (\S+\.(?:[cm]?js|ts|json))$/m);
  const blocks: ModuleBlock[] = [];
  for (let index = 1; index < parts.length; index += 2) {
    const body = parts[index + 1] ?? '';
    blocks.push({
      source: parts[index] ?? '',
      initName: /^var (init_[\w$]+) = __esm\(/m.exec(body)?.[1],
      body,
    });
  }
  return blocks;
};

/** Sources of the modules evaluated at import: top-level init calls and what they call in turn. */
const modulesEvaluatedAtImport = (code: string): Set<string> => {
  const blocks = moduleBlocks(code);
  const byInit = new Map(
    blocks.flatMap((block) => (block.initName ? [[block.initName, block] as const] : [])),
  );
  const pending = blocks
    .filter((block) => !block.initName)
    .flatMap((block) => [...block.body.matchAll(/^(init_[\w$]+)\(\);/gm)].map((match) => match[1] ?? ''));
  const seen = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop() ?? '';
    const block = byInit.get(name);
    if (seen.has(name) || !block) continue;
    seen.add(name);
    for (const match of block.body.matchAll(/\b(init_[\w$]+)\(\)/g)) pending.push(match[1] ?? '');
  }
  return new Set([...seen].map((name) => byInit.get(name)?.source ?? name));
};

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-lazy-s3-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const unminifiedBundle = async (name: string, entryFile: string): Promise<string> => {
  const report = await bundleFile(name, entryFile, outdir, { minify: false });
  return readFileSync(report.file, 'utf8');
};

const s3Modules = (sources: Iterable<string>): string[] =>
  [...sources].filter((source) => S3_ONLY_PACKAGES.some((name) => source.includes(name)));

describe('S3 in the bundles that use it only for claim checks', () => {
  it.each(webhookConnectors().map(([, connector]) => connector.functionEntry))(
    '%s bundles no AWS SDK package and wraps no module for lazy evaluation',
    async (entry: HubFunctionEntry) => {
      // Act
      const code = await unminifiedBundle(entry, entryPath(entry));
      const sources = moduleBlocks(code).map((block) => block.source);
      // Assess: the bundle is read (its own modules are there), and none is the SDK's
      expect(sources.some((source) => source.includes('shared/intake/'))).toBe(true);
      expect(sources.filter((source) => /node_modules\/@(aws-sdk|smithy|aws-crypto)\//.test(source))).toEqual(
        [],
      );
      // …and no module is wrapped for lazy evaluation: a dynamic import anywhere in the graph (the
      // lazy S3 store, shared/intake/payload-store.ts) would wrap zod and the signed-request modules,
      // to be parsed twice and run through a wrapper at every cold start. The built-in stand-ins
      // (infra/bundling/node-*.js) included: an SDK module anywhere in the graph, even one
      // tree-shaking drops, imports them too and gets them wrapped (shared/store/item-rules.ts).
      expect(moduleBlocks(code).filter((block) => block.initName !== undefined)).toEqual([]);
    },
    60_000,
  );

  it.each(['recorder'] as const)(
    '%s bundles S3 but evaluates none of it at import',
    async (entry: HubFunctionEntry) => {
      // Act
      const code = await unminifiedBundle(entry, entryPath(entry));
      // Assess: present for the claim check, reached only through the dynamic import
      expect(code).toMatch(/^var init_s3_client = __esm\(/m);
      expect(code).toContain('Promise.resolve().then(() => (init_s3_client(), s3_client_exports))');
      expect(s3Modules(modulesEvaluatedAtImport(code))).toEqual([]);
      // Secrets Manager likewise: only a consent event reads the pseudonym key (kept opt-outs).
      const secretsManager = (sources: Iterable<string>) =>
        [...sources].filter((source) => source.includes('@aws-sdk/client-secrets-manager/'));
      expect(secretsManager(moduleBlocks(code).map((block) => block.source)).length).toBeGreaterThan(0);
      expect(secretsManager(modulesEvaluatedAtImport(code))).toEqual([]);
    },
    60_000,
  );

  it.each(['media-fetcher', 'attention-sweeper', 'helpdesk-api'] as const)(
    '%s bundles Secrets Manager but evaluates none of it at import: the channel secret is read on first use',
    async (entry: HubFunctionEntry) => {
      // Act
      const code = await unminifiedBundle(entry, entryPath(entry));
      const secretsManager = moduleBlocks(code).filter((block) =>
        block.source.includes('@aws-sdk/client-secrets-manager/'),
      );
      // Assess: present, every module of it wrapped (a static import leaves it top-level code, run at
      // import: the media fetcher's until 2026-12-06), and none of the wrappers called at import
      expect(secretsManager.length).toBeGreaterThan(0);
      expect(
        secretsManager.filter((block) => block.initName === undefined).map((block) => block.source),
      ).toEqual([]);
      expect(
        [...modulesEvaluatedAtImport(code)].filter((source) =>
          source.includes('@aws-sdk/client-secrets-manager/'),
        ),
      ).toEqual([]);
    },
    60_000,
  );

  it('sees S3 evaluated at import when a module imports the client statically (control)', async () => {
    // Prepare: the lazy path plus one static import of the client module
    const entry = path.join(outdir, 'static-s3-entry.ts');
    const shared = (file: string) => JSON.stringify(path.join(REPO_ROOT, 'shared', file));
    writeFileSync(
      entry,
      [
        `export { lazyS3BlobStore } from ${shared('aws/blob-store.ts')};`,
        `export { s3Client } from ${shared('aws/clients/s3-client.ts')};`,
      ].join('\n'),
    );
    // Act
    const code = await unminifiedBundle('static-s3', entry);
    // Assess
    expect(s3Modules(modulesEvaluatedAtImport(code)).length).toBeGreaterThan(10);
  }, 60_000);
});

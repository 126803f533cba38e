import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as timers from 'node:timers';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry } from '#infra/bundling/analyze.ts';
import { BUNDLE_ALIASES, HUB_FUNCTION_ENTRIES } from '#infra/bundling/options.ts';

/*
 * Lambda bundles take node:crypto, node:fs/promises and node:timers from stand-ins
 * (infra/bundling/node-*.js) that load the built-in without an ESM namespace: an ESM import makes
 * Node read every export, getters included, which loads Web Crypto, readline and
 * node:timers/promises at every cold start. What a process loaded is in `process.moduleLoadList`,
 * no clock needed; the control imports node:crypto as ESM, so the check is shown to see it.
 */

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-builtins-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const NOT_AT_IMPORT = [
  'internal/crypto/webcrypto',
  'NativeModule fs/promises',
  'NativeModule timers/promises',
];

/** Imports `file` in a fresh Node (the Lambdas' major) and lists which of NOT_AT_IMPORT it loaded. */
const loadedAtImport = async (file: string): Promise<string[]> => {
  const probe = path.join(outdir, `probe-${path.basename(path.dirname(file))}.mjs`);
  writeFileSync(
    probe,
    [
      `await import(${JSON.stringify(file)});`,
      `const watched = ${JSON.stringify(NOT_AT_IMPORT)};`,
      'console.log(JSON.stringify(watched.filter((name) => process.moduleLoadList.some((loaded) => loaded.endsWith(name)))));',
    ].join('\n'),
  );
  const { stdout } = await promisify(execFile)(process.execPath, [probe], {
    encoding: 'utf8',
    env: { ...process.env, SWITCHBOARD_INGEST_QUEUE_URL: 'http://127.0.0.1:1/queue/ingest.fifo' },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
};

const standIn = async (file: string): Promise<Record<string, unknown>> => {
  const alias = BUNDLE_ALIASES.find((entry) => entry.replacement.endsWith(file));
  if (!alias) throw new Error(`no alias to ${file}`);
  return (await import(alias.replacement)) as Record<string, unknown>;
};

describe('built-in modules in Lambda bundles', () => {
  it('runs on Node 22, the Lambdas’ major version', () => {
    expect(process.versions.node.split('.')[0]).toBe('22');
  });

  it('a webhook bundle, imported, loads none of Web Crypto, node:fs/promises or node:timers/promises', async () => {
    // Prepare
    const { file } = await bundleEntry('webhook-whatsapp', outdir);
    // Act
    const loaded = await loadedAtImport(file);
    // Assess
    expect(loaded).toEqual([]);
  }, 60_000);

  it('an ESM import of node:crypto loads Web Crypto (control)', async () => {
    // Prepare
    const control = path.join(outdir, 'control', 'index.mjs');
    rmSync(path.dirname(control), { recursive: true, force: true });
    mkdirSync(path.dirname(control), { recursive: true });
    writeFileSync(control, "import { createHash } from 'node:crypto'; export const hash = createHash;\n");
    // Act
    const loaded = await loadedAtImport(control);
    // Assess
    expect(loaded).toContain('internal/crypto/webcrypto');
  }, 60_000);

  it('reach every bundle through ESM imports only: a require would get the stand-in’s few names', async () => {
    // Prepare
    const standIns = BUNDLE_ALIASES.filter((alias) => alias.module.startsWith('node:')).map(
      (alias) => alias.replacement,
    );
    const byKind = new Map<string, number>();
    // Act
    for (const entry of HUB_FUNCTION_ENTRIES) {
      const { metafile } = await bundleEntry(entry, outdir);
      for (const input of Object.values(metafile.inputs))
        for (const imported of input.imports)
          if (standIns.some((file) => file.endsWith(imported.path)))
            byKind.set(imported.kind, (byKind.get(imported.kind) ?? 0) + 1);
    }
    // Assess
    expect(standIns).toHaveLength(3);
    expect([...byKind.keys()]).toEqual(['import-statement']);
  }, 120_000);

  it('the stand-ins hand out the built-ins’ own functions', async () => {
    // Act
    const cryptoStandIn = await standIn('node-crypto.js');
    const timersStandIn = await standIn('node-timers.js');
    // Assess
    const crypto = process.getBuiltinModule('node:crypto') as unknown as Record<string, unknown>;
    for (const name of ['createHash', 'createHmac', 'randomUUID', 'timingSafeEqual', 'randomBytes'])
      expect(cryptoStandIn[name]).toBe(crypto[name]);
    expect(cryptoStandIn.default).toBe(crypto);
    expect(timersStandIn.setTimeout).toBe(timers.setTimeout);
  });

  it('node:fs/promises’ stand-in reads a file on first call', async () => {
    // Prepare
    const file = path.join(outdir, 'token');
    writeFileSync(file, 'container-token\n');
    const { readFile } = (await standIn('node-fs-promises.js')) as {
      readFile: (path: string, encoding: 'utf8') => Promise<string>;
    };
    // Act
    const text = await readFile(file, 'utf8');
    // Assess
    expect(text).toBe('container-token\n');
  });
});

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry, bundleFile } from '#infra/bundling/analyze.ts';
import { BUNDLE_ALIASES, entryPath, HUB_FUNCTION_ENTRIES } from '#infra/bundling/options.ts';
import { webhookConnectors } from '#shared/channels/registry.ts';

/*
 * Lambda bundles take node:crypto, node:fs/promises and node:timers from stand-ins
 * (infra/bundling/node-*) that load the built-in without an ESM namespace: an ESM import makes
 * Node read every export, getters included, which loads Web Crypto, readline and
 * node:timers/promises at every cold start. What a process loaded is in `process.moduleLoadList`,
 * no clock needed; the control imports node:crypto as ESM, so the check is shown to see it. The
 * webhooks are checked: the bundles that keep the AWS SDK still load Web Crypto and
 * node:fs/promises through the SDK itself (its global `crypto` check and an ESM import of node:fs).
 */

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-builtins-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The bundles without the AWS SDK, whose imports the stand-ins make lean (see the README). */
const WEBHOOK_ENTRIES = webhookConnectors().map(([, connector]) => connector.functionEntry);

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

  it.each(WEBHOOK_ENTRIES)(
    '%s, imported, loads none of Web Crypto, node:fs/promises or node:timers/promises',
    async (entry) => {
      // Prepare
      const { file } = await bundleEntry(entry, outdir);
      // Act
      const loaded = await loadedAtImport(file);
      // Assess
      expect(loaded).toEqual([]);
    },
    60_000,
  );

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

  it('no bundle takes a stand-in as a whole (namespace import or require): it would see only its names', async () => {
    // Prepare
    const wholes: string[] = [];
    let importedByName = 0;
    // Act: esbuild makes a module's namespace object (`<name>_exports`) only for a namespace import
    // used as a whole or a require; named imports become plain references (the readable build).
    for (const entry of HUB_FUNCTION_ENTRIES) {
      const { file } = await bundleFile(`${entry}-readable`, entryPath(entry), outdir, { minify: false });
      const code = readFileSync(file, 'utf8');
      for (const standIn of ['node_crypto', 'node_timers', 'node_fs_promises']) {
        if (code.includes(`${standIn}_exports`)) wholes.push(`${entry}: ${standIn}`);
        if (code.includes(`infra/bundling/${standIn.replaceAll('_', '-')}.js`)) importedByName += 1;
      }
    }
    // Assess
    expect(importedByName).toBeGreaterThanOrEqual(HUB_FUNCTION_ENTRIES.length * 2);
    expect(wholes).toEqual([]);
  }, 120_000);

  it('the stand-ins hand out the built-ins’ own functions', async () => {
    // Act
    const cryptoStandIn = await standIn('node-crypto.js');
    const timersStandIn = await standIn('node-timers.js');
    // Assess
    const crypto = process.getBuiltinModule('node:crypto') as unknown as Record<string, unknown>;
    const timers = process.getBuiltinModule('node:timers') as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(cryptoStandIn))
      expect(value).toBe(name === 'default' ? crypto : crypto[name]);
    for (const [name, value] of Object.entries(timersStandIn))
      expect(value).toBe(name === 'default' ? timers : timers[name]);
    expect(Object.keys(cryptoStandIn)).toContain('getRandomValues');
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

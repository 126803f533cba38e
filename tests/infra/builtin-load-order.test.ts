import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry, bundleFile } from '#infra/bundling/analyze.ts';
import {
  BUNDLE_ALIASES,
  entryPath,
  HUB_FUNCTION_ENTRIES,
  type HubFunctionEntry,
  REPO_ROOT,
} from '#infra/bundling/options.ts';
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

  it.each([...WEBHOOK_ENTRIES, 'limit'])(
    '%s, imported, loads none of Web Crypto, node:fs/promises or node:timers/promises',
    async (entry) => {
      // Prepare: the limit bundle (bench/limit-function.ts) is built on the same terms
      const { file } =
        entry === 'limit'
          ? await bundleFile('limit', path.join(REPO_ROOT, 'bench', 'limit-function.ts'), outdir)
          : await bundleEntry(entry as HubFunctionEntry, outdir);
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

  /** The stand-ins a readable build of `entryFile` holds, and those it takes as a whole. */
  const standInsOf = async (name: string, entryFile: string) => {
    const { file } = await bundleFile(`${name}-readable`, entryFile, outdir, { minify: false });
    const code = readFileSync(file, 'utf8');
    const names = ['node_crypto', 'node_timers', 'node_fs_promises'];
    return {
      held: names.filter((name) => code.includes(`// infra/bundling/${name.replaceAll('_', '-')}.js`)),
      // esbuild makes a module's namespace object (`<name>_exports`) only for a namespace import
      // used as a whole, a require or a dynamic import; named imports become plain references.
      whole: names.filter((name) => code.includes(`${name}_exports`)),
    };
  };

  it('no bundle takes a stand-in as a whole (namespace import or require): it would see only its names', async () => {
    // Act
    const found = await Promise.all(
      HUB_FUNCTION_ENTRIES.map(async (entry) => ({ entry, ...(await standInsOf(entry, entryPath(entry))) })),
    );
    // Assess: every bundle holds node:crypto's stand-in at least, and none takes one as a whole
    for (const { entry, held } of found)
      expect({ entry, held }).toEqual({ entry, held: expect.arrayContaining(['node_crypto']) });
    expect(found.filter(({ whole }) => whole.length > 0)).toEqual([]);
  }, 120_000);

  it('sees a namespace import of node:crypto used as a whole (control)', async () => {
    // Prepare
    const entry = path.join(outdir, 'whole-crypto.ts');
    writeFileSync(entry, "import * as crypto from 'node:crypto';\nconsole.log(crypto);\n");
    // Act
    const { whole } = await standInsOf('whole-crypto', entry);
    // Assess
    expect(whole).toEqual(['node_crypto']);
  }, 60_000);

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

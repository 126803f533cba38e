import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFile } from '#infra/bundling/analyze.ts';
import { REPO_ROOT } from '#infra/bundling/options.ts';

/*
 * The signed requests load node:http(s) through `require` (shared/aws/signed/http.ts) because on
 * Node 22 an ESM import of node:http also loads Node's fetch client, undici, which a webhook never
 * uses. Whether a process loaded it is in `process.moduleLoadList`, no clock needed. Each bundle
 * (built as deployed) makes one request to a local server in a fresh `node` of the Lambdas' major
 * version and reports whether undici was loaded; the control adds an ESM import of node:http, so
 * the check is shown to see what it looks for.
 */

const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-http-load-'));
const server = createServer((_request, response) => response.end('{}'));
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.close();
  rmSync(outdir, { recursive: true, force: true });
});

/** Bundles a probe that sends one GET through the signed requests' HTTP, runs it, reports undici and TLS. */
const loadedBy = async (name: string, extraImport: string): Promise<{ undici: boolean; tls: boolean }> => {
  const entry = path.join(outdir, `${name}.ts`);
  writeFileSync(
    entry,
    [
      extraImport,
      `import { nodeHttpGet } from ${JSON.stringify(path.join(REPO_ROOT, 'shared/aws/signed/http.ts'))};`,
      'const answer = await nodeHttpGet(new URL(process.argv[2] ?? ""), {}, 5000);',
      'const undici = process.moduleLoadList.some((name) => name.includes("undici"));',
      'const tls = process.moduleLoadList.includes("NativeModule tls");',
      'console.log(JSON.stringify({ status: answer.statusCode, undici, tls }));',
    ].join('\n'),
  );
  const { file } = await bundleFile(name, entry, outdir);
  // Not spawnSync: the server answering the probe lives in this process's event loop.
  const { stdout } = await promisify(execFile)(process.execPath, [file, url], { encoding: 'utf8' });
  const report = JSON.parse(stdout.trim()) as { status: number; undici: boolean; tls: boolean };
  expect(report.status).toBe(200);
  return { undici: report.undici, tls: report.tls };
};

const undiciLoaded = async (name: string, extraImport: string): Promise<boolean> =>
  (await loadedBy(name, extraImport)).undici;

describe('node:http loaded through require', () => {
  it('runs on Node 22, the Lambdas’ major version', () => {
    expect(process.versions.node.split('.')[0]).toBe('22');
  });

  it('sends a request without loading undici', async () => {
    // Act
    const loaded = await undiciLoaded('through-require', '');
    // Assess
    expect(loaded).toBe(false);
  }, 60_000);

  it('loads no TLS for a plain http request (the local servers), only for https (AWS)', async () => {
    // Act
    const plain = await loadedBy('plain-http', '');
    const control = await loadedBy(
      'with-https',
      "import { createRequire } from 'node:module'; createRequire(import.meta.url)('node:https');",
    );
    // Assess
    expect([plain.tls, control.tls]).toEqual([false, true]);
  }, 60_000);

  it('loads undici once node:http is imported as ESM (control)', async () => {
    // Act
    const loaded = await undiciLoaded(
      'through-esm-import',
      "import { request } from 'node:http'; Object.assign(globalThis, { request });",
    );
    // Assess
    expect(loaded).toBe(true);
  }, 60_000);
});

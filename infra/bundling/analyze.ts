/**
 * Builds every Lambda entry exactly as the CDK app does (infra/bundling/options.ts) and reports
 * what is inside: minified and gzip size, the packages that take the space, the largest inputs and,
 * with `--import-time`, how long a fresh Node process takes to import the bundle beyond a bare one.
 *
 *   npx tsx infra/bundling/analyze.ts [entry… | file.ts…] [--top=15] [--import-time] [--runs=15]
 *     [--source-maps] [--verbose] [--unminified] [--keep] [--against=<dir>]
 *
 * An argument ending in `.ts` or `.js` is bundled as an entry of its own on the same terms (the
 * bench's stack floor: `bench/floor-function.ts`).
 * `--source-maps` times the import with `--enable-source-maps`, as HubFunction's NODE_OPTIONS runs it.
 * `--unminified` builds without minifying (readable names for `node --cpu-prof`), `--keep` leaves
 * the bundles on disk and prints where. `--against=<dir>` (with `--import-time`) times each bundle in
 * turns with the bundle of the same name in `dir`, a `--keep` folder of another build (a commit
 * before a change): the before/after comparison on one machine at one time.
 * `--module-times` builds an unminified copy with a clock reading before every module's code and
 * reports where the import's evaluation goes, by package and by own file (see `moduleTimes`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { analyzeMetafile, build, type Metafile } from 'esbuild';
import {
  BUNDLE_LOG_OVERRIDES,
  BUNDLE_MAIN_FIELDS,
  BUNDLE_TARGET,
  bundleAliasOption,
  ESM_REQUIRE_BANNER,
  entryPath,
  HUB_FUNCTION_ENTRIES,
  type HubFunctionEntry,
  REPO_ROOT,
  TSCONFIG_PATH,
} from './options.ts';

export interface BundleReport {
  readonly entry: string;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly metafile: Metafile;
}

/** One entry, bundled with the construct's options into `outdir/<entry>/index.mjs`. */
export const bundleEntry = (entry: HubFunctionEntry, outdir: string): Promise<BundleReport> =>
  bundleFile(entry, entryPath(entry), outdir);

/**
 * Any entry file (the bench's stack floor too) bundled with the construct's options into
 * `outdir/<name>/index.mjs`, so it is measured on the same terms as the functions.
 */
export const bundleFile = async (
  name: string,
  entryFile: string,
  outdir: string,
  { minify = true }: { readonly minify?: boolean } = {},
): Promise<BundleReport> => {
  const file = path.join(outdir, name, 'index.mjs');
  const result = await build({
    entryPoints: [entryFile],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    banner: { js: ESM_REQUIRE_BANNER },
    minify,
    sourcemap: true,
    sourcesContent: false,
    tsconfig: TSCONFIG_PATH,
    alias: bundleAliasOption(),
    logOverride: { ...BUNDLE_LOG_OVERRIDES },
    absWorkingDir: REPO_ROOT,
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles.find((output) => output.path.endsWith('.mjs'));
  if (!code) throw new Error(`no index.mjs for ${name}`);
  for (const output of result.outputFiles) {
    mkdirSync(path.dirname(output.path), { recursive: true });
    writeFileSync(output.path, output.contents);
  }
  return {
    entry: name,
    file,
    bytes: code.contents.byteLength,
    gzipBytes: gzipSync(code.contents, { level: 9 }).byteLength,
    metafile: result.metafile,
  };
};

/** `node_modules/@aws-sdk/client-s3/dist-es/…` → `@aws-sdk/client-s3`; own files by top folder. */
export const packageOf = (input: string): string => {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return parts.length > 1 ? `(own) ${parts[0]}/${parts[1]}` : `(own) ${input}`;
  const name = parts[at + 1] ?? input;
  return name.startsWith('@') ? `${name}/${parts[at + 2]}` : name;
};

/** Bytes each input contributes to the output file (after minification). */
export const contributions = (metafile: Metafile): Array<{ input: string; bytes: number }> =>
  Object.values(metafile.outputs)
    .flatMap((output) => Object.entries(output.inputs))
    .map(([input, { bytesInOutput }]) => ({ input, bytes: bytesInOutput }))
    .filter((row) => row.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);

export const byPackage = (metafile: Metafile): Array<{ name: string; bytes: number }> => {
  const totals = new Map<string, number>();
  for (const { input, bytes } of contributions(metafile)) {
    const name = packageOf(input);
    totals.set(name, (totals.get(name) ?? 0) + bytes);
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
};

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** Placeholder configuration: entries read required settings at import (the recorder does). */
const IMPORT_ENV = {
  AWS_REGION: 'eu-west-1',
  SWITCHBOARD_TABLE_NAME: 'bench-table',
  SWITCHBOARD_INGEST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/ingest.fifo',
  SWITCHBOARD_HELPDESK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/helpdesk.fifo',
  SWITCHBOARD_PAYLOAD_BUCKET: 'bench-bucket',
  SWITCHBOARD_SECRET_ARN: 'local',
};

export interface ImportTiming {
  /** Median wall time of the import, measured inside each fresh process. */
  readonly wallMs: number;
  /** Median CPU time (user + system) of the import: steadier than wall time on a busy machine. */
  readonly cpuMs: number;
}

/**
 * A fresh `node` per run imports a bundle and reports how long that took from inside: a bare
 * process imports nothing, so this is the time above bare Node, without process start-up noise.
 * Several bundles are taken in turns (the order reversed every other round), so that a machine
 * whose speed drifts weighs on all of them alike: a before/after comparison.
 */
export const importTimings = (
  files: readonly string[],
  runs: number,
  directory: string,
  nodeOptions: readonly string[] = [],
): ImportTiming[] => {
  const probes = files.map((file, index) => {
    const probe = path.join(directory, `import-probe-${index}.mjs`);
    writeFileSync(
      probe,
      [
        'const cpu = process.cpuUsage();',
        'const started = performance.now();',
        `await import(${JSON.stringify(pathToFileURL(file).href)});`,
        'const wallMs = performance.now() - started;',
        'const { user, system } = process.cpuUsage(cpu);',
        'console.log(JSON.stringify({ wallMs, cpuMs: (user + system) / 1000 }));',
      ].join('\n'),
    );
    return { file, probe, samples: [] as ImportTiming[] };
  });
  for (let run = 0; run < runs; run++) {
    for (const { file, probe, samples } of run % 2 ? [...probes].reverse() : probes) {
      const child = spawnSync(process.execPath, [...nodeOptions, probe], {
        env: { ...process.env, ...IMPORT_ENV },
        encoding: 'utf8',
      });
      if (child.status !== 0) throw new Error(`import of ${file} failed: ${child.stderr}`);
      const lastLine = child.stdout.trim().split('\n').at(-1) ?? '{}';
      samples.push(JSON.parse(lastLine) as ImportTiming);
    }
  }
  return probes.map(({ samples }) => ({
    wallMs: median(samples.map((sample) => sample.wallMs)),
    cpuMs: median(samples.map((sample) => sample.cpuMs)),
  }));
};

/**
 * esbuild's unminified output starts every module's code with a `// path` comment line, always
 * between top-level statements. A clock reading there splits the import's evaluation by module:
 * code run at the top level, and the init functions of lazily wrapped modules (`__esm`) that the
 * top level calls, counted where they are first called. Parse and compile before evaluation are
 * not in it; first calls into a library are counted at the caller that makes them. A pause of the
 * engine (garbage collection, compiling the bundle's long top-level code) lands on whichever module
 * it interrupts: a few milliseconds on a module that only declares wrappers are that, not its cost.
 */
export const instrumentModuleTimes = (code: string): string => {
  // The banner (`import … from 'node:module'`, then `const require`) stays the first line.
  const [banner = '', ...lines] = code.split('\n');
  const out = [banner, 'const __switchboardModuleTimes = [["(bundle start)", performance.now()]];'];
  for (const line of lines) {
    const module = /^\/\/ (\S+\.(?:[cm]?js|ts|json))$/.exec(line)?.[1];
    if (module) out.push(`__switchboardModuleTimes.push([${JSON.stringify(module)}, performance.now()]);`);
    if (/^export\s*\{/.test(line))
      out.push(
        '__switchboardModuleTimes.push(["(end)", performance.now()]); globalThis.__switchboardModuleTimes = __switchboardModuleTimes;',
      );
    out.push(line);
  }
  return out.join('\n');
};

/** Median milliseconds of evaluation per module over `runs` fresh processes of the instrumented file. */
export const moduleTimes = (file: string, runs: number): Map<string, number> => {
  const probe = [
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const marks = globalThis.__switchboardModuleTimes; const times = {};',
    'for (let i = 0; i < marks.length - 1; i++) times[marks[i][0]] = (times[marks[i][0]] ?? 0) + marks[i + 1][1] - marks[i][1];',
    'console.log(JSON.stringify(times));',
  ].join('\n');
  const samples: Array<Record<string, number>> = [];
  for (let run = 0; run < runs; run++) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
      env: { ...process.env, ...IMPORT_ENV },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`instrumented import of ${file} failed: ${child.stderr}`);
    samples.push(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>);
  }
  const modules = new Set(samples.flatMap((sample) => Object.keys(sample)));
  return new Map(
    [...modules].map((module) => [module, median(samples.map((sample) => sample[module] ?? 0))]),
  );
};

const main = async (): Promise<void> => {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const given = args.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
    return given === undefined ? undefined : given.slice(`--${name}=`.length);
  };
  const top = Number(flag('top') || 15);
  if (flag('against') !== undefined && (flag('against') === '' || flag('import-time') === undefined))
    throw new Error('--against=<dir> needs a folder and --import-time');
  const runs = Number(flag('runs') || 15);
  const wanted = args.filter((arg) => !arg.startsWith('--'));
  const isFile = (arg: string): boolean => /\.[jt]s$/.test(arg);
  const files = wanted.filter(isFile);
  const named = wanted.filter((arg) => !isFile(arg));
  const entries: Array<{ name: string; file: string }> = [
    ...HUB_FUNCTION_ENTRIES.filter(
      (entry) => (named.length === 0 && files.length === 0) || named.includes(entry),
    ).map((entry) => ({ name: entry, file: entryPath(entry) })),
    ...files.map((file) => ({ name: path.basename(file).replace(/\.[jt]s$/, ''), file: path.resolve(file) })),
  ];
  const minify = flag('unminified') === undefined;
  const outdir = mkdtempSync(path.join(tmpdir(), 'switchboard-analyze-'));
  const summary: string[] = [];
  try {
    for (const { name: entry, file } of entries) {
      const report = await bundleFile(entry, file, outdir, { minify });
      const nodeOptions = flag('source-maps') !== undefined ? ['--enable-source-maps'] : [];
      const against = flag('against')
        ? path.join(path.resolve(flag('against') ?? ''), entry, 'index.mjs')
        : undefined;
      const [timing, againstTiming] =
        flag('import-time') !== undefined
          ? importTimings(against ? [report.file, against] : [report.file], runs, outdir, nodeOptions)
          : [];
      const importText = timing
        ? `, import +${timing.wallMs.toFixed(1)} ms (cpu ${timing.cpuMs.toFixed(1)} ms)${
            againstTiming
              ? `; in turns with ${against}: +${againstTiming.wallMs.toFixed(1)} ms (cpu ${againstTiming.cpuMs.toFixed(1)} ms)`
              : ''
          }`
        : '';
      const line = `${entry.padEnd(22)} ${kb(report.bytes).padStart(10)} min ${kb(report.gzipBytes).padStart(9)} gzip${importText}`;
      summary.push(line);
      console.log(`\n=== ${line}`);
      console.log('  by package:');
      for (const row of byPackage(report.metafile).slice(0, top))
        console.log(`    ${kb(row.bytes).padStart(10)}  ${row.name}`);
      console.log('  largest inputs:');
      for (const row of contributions(report.metafile).slice(0, top))
        console.log(`    ${kb(row.bytes).padStart(10)}  ${row.input}`);
      if (flag('verbose') !== undefined)
        console.log(await analyzeMetafile(report.metafile, { verbose: true }));
      if (flag('module-times') !== undefined) {
        const unminified = await bundleFile(`${entry}-unminified`, file, outdir, { minify: false });
        const timed = path.join(path.dirname(unminified.file), 'timed.mjs');
        writeFileSync(timed, instrumentModuleTimes(readFileSync(unminified.file, 'utf8')));
        const times = moduleTimes(timed, runs);
        const total = [...times.values()].reduce((sum, ms) => sum + ms, 0);
        const totals = new Map<string, number>();
        for (const [module, ms] of times)
          totals.set(packageOf(module), (totals.get(packageOf(module)) ?? 0) + ms);
        console.log(`  evaluation at import (unminified, median of ${runs}): ${total.toFixed(1)} ms`);
        for (const [name, ms] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top))
          console.log(`    ${ms.toFixed(2).padStart(8)} ms  ${name}`);
      }
    }
    console.log(`\nSummary\n${summary.join('\n')}`);
  } finally {
    if (flag('keep') === undefined) rmSync(outdir, { recursive: true, force: true });
    else console.log(`bundles kept in ${outdir}`);
  }
};

if (import.meta.url === `file://${process.argv[1]}`) await main();

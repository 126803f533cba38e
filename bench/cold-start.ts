import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { WITHOUT_RUNTIME_SOURCE_MAPS } from '#infra/bundling/options.ts';
import { BUNDLE_MARKER, EMAIL_LIMIT_BUNDLE, FLOOR_BUNDLE, LIMIT_BUNDLE } from './bundle-functions.ts';
import { bundleAtCommit } from './commit-baseline.ts';
import { firstRequestScript, startFirstRequestBench } from './first-request.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);

export interface BundleColdStart {
  readonly function: string;
  readonly bytes: number;
  readonly kb: number;
  readonly gzipKb: number;
  readonly importMedianMs: number;
  /** Import minus a bare `node -e ""` start, both medians of the same run. */
  readonly importAboveBareMs: number;
  /**
   * CPU time (user + system) of the importing process minus a bare one's, medians: steadier than
   * wall time when other work shares the machine, and what Lambda's CPU share throttles.
   */
  readonly importCpuAboveBareMs?: number;
  /** Resident memory right after the import (median), and above a bare Node process of the same run. */
  readonly rssMb: number;
  readonly rssAboveBareMb: number;
  /**
   * The same import under `--enable-source-maps`, which HubFunction sets in NODE_OPTIONS of every
   * function but the webhooks: Node then reads and parses the bundle's source map at load.
   */
  readonly importWithSourceMapsAboveBareMs?: number;
  /** Whether the function is deployed with source maps decoded at run time (infra/bundling/options.ts). */
  readonly deployedWithSourceMaps?: boolean;
  readonly rssWithSourceMapsAboveBareMb?: number;
  readonly sizeTargetKb: number | null;
  readonly meetsSizeTarget: boolean | null;
  readonly meetsImportTarget: boolean;
  /**
   * This bundle over the stack floor of the same run (bench/floor-function.ts): size, and import
   * time and resident memory above bare Node. 1 would be nothing loaded beyond the mandated stack.
   */
  readonly sizeVsFloor?: number;
  readonly importVsFloor?: number;
  readonly importCpuVsFloor?: number;
  readonly rssVsFloor?: number;
  /** Import time above bare Node over the limit bundle's (bench/limit-function.ts), same run. */
  readonly importVsLimit?: number;
  /**
   * Import + the first request (bench/first-request.ts): one real invocation, handled against the
   * local servers; the whole process against bare Node, run as deployed (with source maps decoded
   * where HubFunction sets them). Every function has one.
   */
  readonly firstRequestAboveBareMs?: number;
  readonly firstRequestCpuAboveBareMs?: number;
  /** Import + first request above bare Node over the limit bundle's, same run. */
  readonly firstRequestVsLimit?: number;
  /**
   * Import, and import + first request, above bare Node over the same function's at the commit the
   * cold-start issue measured (`ColdStartResult.baseline`), same run; with whether each is within
   * the issue's mark scaled to that code (ISSUE_MARKS).
   */
  readonly importVsBaseline?: number;
  readonly firstRequestVsBaseline?: number;
  readonly meetsIssueImportMark?: boolean;
  readonly meetsIssueFirstRequestMark?: boolean;
  /** The Mailgun webhook's import, and import + first request, over the e-mail limit's, same run. */
  readonly importVsEmailLimit?: number;
  readonly firstRequestVsEmailLimit?: number;
}

/**
 * The cold-start issue's marks as fractions of the code it measured: import ≤ 15 ms above bare
 * Node where that code took ~104, import + first queue send ≤ 35 ms where it took ~140. Against
 * that code bundled and run in the same run, they hold on any machine, however fast.
 */
export const ISSUE_MARKS = { import: 15 / 104, firstRequest: 35 / 140 } as const;

/** The functions of the issue's code measured beside today's: its webhooks, as the issue did. */
const isBaselineMeasured = (name: string): boolean => name.startsWith('webhook-');

export interface ColdStartResult {
  readonly runsPerBundle: number;
  readonly bareNodeMedianMs: number;
  readonly bareNodeRssMb: number;
  readonly bareNodeCpuMs?: number;
  /** Variables set for the import: the CDK app's runtime environment (modules may read it at load). */
  readonly environment: Readonly<Record<string, string>>;
  readonly bundledWith: string;
  readonly bundles: readonly BundleColdStart[];
  /**
   * The stack floor, measured in the same run: a valibot parse + one signed SQS SendMessageBatch,
   * bundled with the functions' options. What it loads no webhook on this
   * stack can avoid; its figures against the targets say whether they are reachable at all.
   */
  readonly floor?: BundleColdStart & { readonly entry: string };
  /**
   * The limit, measured in the same run: HMAC + JSON.parse + one signed SendMessageBatch, no
   * validation library (bench/limit-function.ts). What no webhook of this design can go below.
   */
  readonly limit?: BundleColdStart & { readonly entry: string };
  /**
   * The webhooks of the code the cold-start issue measured (bench/commit-baseline.ts), bundled by
   * that commit's own bench in this run and measured in turns with today's: import and import +
   * first request, plain (the issue's way; that code deployed them under --enable-source-maps,
   * which only made them slower). Skipped, with the reason, where the checkout lacks the commit.
   */
  /**
   * The e-mail limit, measured in the same run: the Mailgun webhook's least (bench/limit-email-function.ts:
   * the form's fields, the HMAC, the replay guard's PutItem, postal-mime, the raw mail's PutObject, one
   * SendMessageBatch), handed the Mailgun webhook's own first request.
   */
  readonly emailLimit?: BundleColdStart & { readonly entry: string };
  readonly baseline?:
    | { readonly commit: string; readonly bundles: readonly BundleColdStart[] }
    | { readonly commit: string; readonly skipped: string };
}

/**
 * Whether HubFunction runs this function under --enable-source-maps (infra/bundling/options.ts);
 * undefined for the floor and limit bundles, which are never deployed (measured plain).
 */
/** The bench's own bundles, never deployed: the floor and the limits. */
const BENCH_BUNDLES: ReadonlySet<string> = new Set([FLOOR_BUNDLE, LIMIT_BUNDLE, EMAIL_LIMIT_BUNDLE]);

const deployedWithSourceMaps = (name: string): boolean | undefined =>
  BENCH_BUNDLES.has(name) || name.includes(BASELINE_SEPARATOR)
    ? undefined
    : !(WITHOUT_RUNTIME_SOURCE_MAPS as ReadonlySet<string>).has(name);

/** Between a function's name and the commit of a baseline bundle: `webhook-whatsapp@bfb2ff6`. */
const BASELINE_SEPARATOR = '@';
const baseName = (name: string): string => name.split(BASELINE_SEPARATOR)[0] ?? name;

const WEBHOOK_SIZE_TARGET_KB = 250;
const IMPORT_TARGET_MS = 60;

/** What the CDK app sets in Lambda (infra/constructs/hub-function.ts), with placeholder values. */
const LAMBDA_LIKE_ENVIRONMENT = {
  SWITCHBOARD_TABLE_NAME: 'bench-table',
  SWITCHBOARD_INGEST_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-ingest.fifo',
  SWITCHBOARD_HELPDESK_QUEUE_URL:
    'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-helpdesk.fifo',
  SWITCHBOARD_OUTBOX_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-outbox.fifo',
  SWITCHBOARD_INGEST_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-ingest-dlq.fifo',
  SWITCHBOARD_OUTBOX_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-outbox-dlq.fifo',
  SWITCHBOARD_MEDIA_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-media.fifo',
  SWITCHBOARD_PAYLOAD_BUCKET: 'bench-bucket',
  SWITCHBOARD_META_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/meta',
  SWITCHBOARD_TWILIO_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/twilio',
  SWITCHBOARD_MAILGUN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/mailgun',
  SWITCHBOARD_EMAIL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/email',
  AWS_REGION: 'us-east-1',
} as const;

const bundleFunctions = async (): Promise<Record<string, string>> => {
  const script = resolve(import.meta.dirname, 'bundle-functions.ts');
  const tsx = resolve(import.meta.dirname, '../node_modules/.bin/tsx');
  const { stdout } = await run(tsx, [script], { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });
  const line = stdout.split('\n').find((text) => text.startsWith(BUNDLE_MARKER));
  if (!line) throw new Error('bundling printed no result');
  return JSON.parse(line.slice(BUNDLE_MARKER.length)) as Record<string, string>;
};

interface ProcessRun {
  /** Milliseconds from spawn to exit. */
  readonly ms: number;
  /** Resident set size the process reported at the end of its script, bytes. */
  readonly rss: number;
  /** CPU time (user + system) the process had used at the end of its script, milliseconds. */
  readonly cpuMs: number;
}

/** The child prints its RSS and CPU time last, after the import (or at once for the bare start). */
const PRINT_RSS =
  'const { user, system } = process.cpuUsage(); process.stdout.write("\\n" + process.memoryUsage().rss + " " + (user + system) / 1000)';

/** One fresh Node process: how long it ran and how much memory it held at the end. */
const runNode = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> =>
  new Promise((resolvePromise, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      // The last line: a handler's own log lines come before it.
      const [rss, cpuMs] = (stdout.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
      if (code === 0)
        resolvePromise({ ms: performance.now() - start, rss: rss ?? Number.NaN, cpuMs: cpuMs ?? Number.NaN });
      else reject(new Error(`node exited ${code}: ${stderr.split('\n')[0] ?? ''}`));
    });
  });

const MB = 1024 * 1024;

/** Ratios are only meaningful over a positive floor; a noisy run can put the floor at or below bare. */
const ratio = (value: number, floor: number): number | undefined =>
  floor > 0 ? round(value / floor, 2) : undefined;

const withFloorRatios = (bundle: BundleColdStart, floor: BundleColdStart | undefined): BundleColdStart => {
  if (!floor) return bundle;
  const sizeVsFloor = ratio(bundle.bytes, floor.bytes);
  const importVsFloor = ratio(bundle.importAboveBareMs, floor.importAboveBareMs);
  const importCpuVsFloor = ratio(bundle.importCpuAboveBareMs ?? 0, floor.importCpuAboveBareMs ?? 0);
  const rssVsFloor = ratio(bundle.rssAboveBareMb, floor.rssAboveBareMb);
  return {
    ...bundle,
    ...(sizeVsFloor === undefined ? {} : { sizeVsFloor }),
    ...(importVsFloor === undefined ? {} : { importVsFloor }),
    ...(importCpuVsFloor === undefined ? {} : { importCpuVsFloor }),
    ...(rssVsFloor === undefined ? {} : { rssVsFloor }),
  };
};

export const runColdStart = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<ColdStartResult> => {
  const runs = quick ? 7 : 21;
  progress('  bundling through HubFunction (real esbuild)…');
  const files = await bundleFunctions();
  progress('  bundling the webhooks of the code the cold-start issue measured, with its own bench…');
  const atCommit = await bundleAtCommit();
  if ('skipped' in atCommit) progress(`  (the issue's code: ${atCommit.skipped})`);
  const baselineFiles: [string, string][] =
    'files' in atCommit
      ? Object.entries(atCommit.files)
          .filter(([name]) => isBaselineMeasured(name))
          .map(([name, file]) => [`${name}${BASELINE_SEPARATOR}${atCommit.commit.slice(0, 7)}`, file])
      : [];
  const env = { PATH: process.env.PATH ?? '', ...LAMBDA_LIKE_ENVIRONMENT };
  const entries = [...Object.entries(files), ...baselineFiles];
  const bare: ProcessRun[] = [];
  const imports = new Map<string, ProcessRun[]>(entries.map(([name]) => [name, []]));
  const mappedImports = new Map<string, ProcessRun[]>(entries.map(([name]) => [name, []]));
  const firstRequests = new Map<string, ProcessRun[]>(entries.map(([name]) => [name, []]));
  const firstRequest = await startFirstRequestBench(Object.keys(files), [
    LIMIT_BUNDLE,
    FLOOR_BUNDLE,
    EMAIL_LIMIT_BUNDLE,
  ]);
  const firstRequestEnv = { ...env, ...firstRequest.env };
  // Interleaved: bare, then every bundle, repeated, so load on the machine hits all alike.
  try {
    await runNode(['-e', PRINT_RSS], env);
    for (let index = 0; index < runs; index++) {
      bare.push(await runNode(['-e', PRINT_RSS], env));
      for (const [name, file] of entries) {
        const code = `await import(${JSON.stringify(pathToFileURL(file).href)}); ${PRINT_RSS}`;
        imports.get(name)?.push(await runNode(['--input-type=module', '-e', code], env));
        // The issue's code is measured plain, as the issue measured it.
        if (!name.includes(BASELINE_SEPARATOR))
          mappedImports
            .get(name)
            ?.push(await runNode(['--enable-source-maps', '--input-type=module', '-e', code], env));
        const invocation = await firstRequest.invocationFor(baseName(name));
        if (invocation !== undefined) {
          // As deployed: with the source maps decoded where HubFunction sets --enable-source-maps.
          const flags = deployedWithSourceMaps(name) ? ['--enable-source-maps'] : [];
          const script = firstRequestScript(pathToFileURL(file).href, invocation, PRINT_RSS);
          firstRequests
            .get(name)
            ?.push(await runNode([...flags, '--input-type=module', '-e', script], firstRequestEnv));
          await firstRequest.afterRun(baseName(name));
        }
      }
    }
  } finally {
    await firstRequest.stop();
  }
  const bareMedian = median(bare.map((run) => run.ms));
  const bareRssMb = median(bare.map((run) => run.rss)) / MB;
  const bareCpuMs = median(bare.map((run) => run.cpuMs));
  const measure = (name: string, file: string): BundleColdStart => {
    const deployed = deployedWithSourceMaps(name);
    const bytes = statSync(file).size;
    const runsOf = imports.get(name) ?? [];
    const importMedianMs = median(runsOf.map((run) => run.ms));
    const rssMb = median(runsOf.map((run) => run.rss)) / MB;
    const mappedRuns = mappedImports.get(name) ?? [];
    const firstRuns = firstRequests.get(name) ?? [];
    const sizeTargetKb = name.startsWith('webhook-') || name === FLOOR_BUNDLE ? WEBHOOK_SIZE_TARGET_KB : null;
    const kb = round(bytes / 1024, 1);
    const aboveBare = round(importMedianMs - bareMedian, 1);
    progress(`  ${name.padEnd(24)} ${String(kb).padStart(7)} KB  +${aboveBare} ms`);
    return {
      function: name,
      bytes,
      kb,
      gzipKb: round(gzipSync(readFileSync(file)).length / 1024, 1),
      importMedianMs: round(importMedianMs, 1),
      importAboveBareMs: aboveBare,
      importCpuAboveBareMs: round(median(runsOf.map((run) => run.cpuMs)) - bareCpuMs, 1),
      rssMb: round(rssMb, 1),
      rssAboveBareMb: round(rssMb - bareRssMb, 1),
      ...(mappedRuns.length > 0
        ? {
            importWithSourceMapsAboveBareMs: round(median(mappedRuns.map((run) => run.ms)) - bareMedian, 1),
            rssWithSourceMapsAboveBareMb: round(median(mappedRuns.map((run) => run.rss)) / MB - bareRssMb, 1),
          }
        : {}),
      ...(deployed === undefined ? {} : { deployedWithSourceMaps: deployed }),
      ...(firstRuns.length > 0
        ? {
            firstRequestAboveBareMs: round(median(firstRuns.map((run) => run.ms)) - bareMedian, 1),
            firstRequestCpuAboveBareMs: round(median(firstRuns.map((run) => run.cpuMs)) - bareCpuMs, 1),
          }
        : {}),
      sizeTargetKb,
      meetsSizeTarget: sizeTargetKb === null ? null : kb <= sizeTargetKb,
      meetsImportTarget: aboveBare <= IMPORT_TARGET_MS,
    };
  };
  const floorFile = files[FLOOR_BUNDLE];
  const floor = floorFile === undefined ? undefined : measure(FLOOR_BUNDLE, floorFile);
  const limitFile = files[LIMIT_BUNDLE];
  const limit = limitFile === undefined ? undefined : measure(LIMIT_BUNDLE, limitFile);
  const emailLimitFile = files[EMAIL_LIMIT_BUNDLE];
  const emailLimit = emailLimitFile === undefined ? undefined : measure(EMAIL_LIMIT_BUNDLE, emailLimitFile);
  /** A bundle's import, and import + first request, above bare Node over a reference bundle's. */
  const ratiosOver = (
    bundle: BundleColdStart,
    reference: BundleColdStart | undefined,
  ): { readonly import?: number; readonly firstRequest?: number } => {
    if (!reference) return {};
    const importRatio = ratio(bundle.importAboveBareMs, reference.importAboveBareMs);
    const firstRequest =
      reference.firstRequestAboveBareMs !== undefined && bundle.firstRequestAboveBareMs !== undefined
        ? ratio(bundle.firstRequestAboveBareMs, reference.firstRequestAboveBareMs)
        : undefined;
    return {
      ...(importRatio === undefined ? {} : { import: importRatio }),
      ...(firstRequest === undefined ? {} : { firstRequest }),
    };
  };
  const withEmailLimitRatio = (bundle: BundleColdStart): BundleColdStart => {
    if (bundle.function !== 'webhook-email-mailgun') return bundle;
    const over = ratiosOver(bundle, emailLimit);
    return {
      ...bundle,
      ...(over.import === undefined ? {} : { importVsEmailLimit: over.import }),
      ...(over.firstRequest === undefined ? {} : { firstRequestVsEmailLimit: over.firstRequest }),
    };
  };
  const withLimitRatio = (bundle: BundleColdStart): BundleColdStart => {
    const over = ratiosOver(bundle, limit);
    return {
      ...bundle,
      ...(over.import === undefined ? {} : { importVsLimit: over.import }),
      ...(over.firstRequest === undefined ? {} : { firstRequestVsLimit: over.firstRequest }),
    };
  };
  const baselineBundles = new Map(
    baselineFiles.map(([name, file]) => [baseName(name), withLimitRatio(measure(name, file))]),
  );
  const withBaselineRatio = (bundle: BundleColdStart): BundleColdStart => {
    const over = ratiosOver(bundle, baselineBundles.get(bundle.function));
    return {
      ...bundle,
      ...(over.import === undefined
        ? {}
        : { importVsBaseline: over.import, meetsIssueImportMark: over.import <= ISSUE_MARKS.import }),
      ...(over.firstRequest === undefined
        ? {}
        : {
            firstRequestVsBaseline: over.firstRequest,
            meetsIssueFirstRequestMark: over.firstRequest <= ISSUE_MARKS.firstRequest,
          }),
    };
  };
  const bundles = Object.entries(files)
    .filter(([name]) => !BENCH_BUNDLES.has(name))
    .map(([name, file]) =>
      withEmailLimitRatio(withBaselineRatio(withLimitRatio(withFloorRatios(measure(name, file), floor)))),
    );
  const outdir = dirname(dirname(entries[0]?.[1] ?? ''));
  for (const folder of [outdir, 'outdir' in atCommit ? atCommit.outdir : ''])
    if (folder.includes('switchboard-bench-bundles-')) rmSync(folder, { recursive: true, force: true });
  return {
    runsPerBundle: runs,
    bareNodeMedianMs: round(bareMedian, 1),
    bareNodeRssMb: round(bareRssMb, 1),
    bareNodeCpuMs: round(bareCpuMs, 1),
    environment: LAMBDA_LIKE_ENVIRONMENT,
    bundledWith:
      'HubFunction construct (infra/constructs/hub-function.ts) synthesized in a throwaway CDK app: its esbuild options, ESM, minified',
    bundles,
    ...(floor ? { floor: { ...withLimitRatio(floor), entry: 'bench/floor-function.ts' } } : {}),
    ...(limit ? { limit: { ...limit, entry: 'bench/limit-function.ts' } } : {}),
    ...(emailLimit ? { emailLimit: { ...emailLimit, entry: 'bench/limit-email-function.ts' } } : {}),
    baseline:
      'skipped' in atCommit ? atCommit : { commit: atCommit.commit, bundles: [...baselineBundles.values()] },
  };
};

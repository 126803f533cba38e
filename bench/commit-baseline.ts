/**
 * The code as it was when the scale and cold-start issues were filed, measured in the same
 * benchmark run as today's code, from a detached git worktree of that commit (sharing this
 * checkout's node_modules):
 * - end to end: that commit's own `bench/end-to-end.ts` runs in a child process; its figures are
 *   the old code's own measurement, with its own phases and definitions (events per second from the
 *   first post to the last arrival, as today's);
 * - cold start: that commit's own `bench/bundle-functions.ts` bundles its functions, which the
 *   cold-start bench then imports and invokes beside today's (bench/cold-start.ts);
 * - webhook CPU: that commit's own `bench/webhook-cost.ts` runs in a child process, each channel's
 *   CPU per request against the floor it measures in that process (bench/webhook-cost.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from '#infra/bundling/options.ts';

/**
 * The last commit before the scale work (2026-12-01 00:08): the code whose full-speed replay
 * measured 123 events/s, the figure the issue asks to rise well beyond.
 */
const SCALE_BASELINE_COMMIT = 'bfb2ff6ea3b48f38ce40c3b943dcd125259d8373';

const RESULT_MARKER = 'SWITCHBOARD_COMMIT_BASELINE=';
/** Two phases and two 90 s waits in the old bench at most: well under this. */
const CHILD_TIMEOUT_MS = 15 * 60_000;

const CommitPhaseSchema = z.object({
  phase: z.string(),
  requests: z.number(),
  accepted: z.number(),
  expectedEvents: z.number(),
  arrivedEvents: z.number(),
  ackP50Ms: z.number(),
  ackP99Ms: z.number(),
  toHelpdeskP50Ms: z.number(),
  toHelpdeskP99Ms: z.number(),
  acceptedPerSecond: z.number(),
  eventsPerSecond: z.number(),
});
export type CommitPhase = z.infer<typeof CommitPhaseSchema>;

const CommitRunSchema = z.object({
  phases: z.array(CommitPhaseSchema),
  cpuMs: z.number(),
});

export type CommitBaseline =
  | {
      readonly commit: string;
      readonly phases: readonly CommitPhase[];
      /** CPU of the whole child process (both phases, start-up and the waits included). */
      readonly cpuMs: number;
    }
  | { readonly commit: string; readonly skipped: string };

/** Written into the worktree: runs that commit's own end-to-end bench (full size) and prints its phases. */
const DRIVER_SOURCE = [
  "import { runEndToEnd } from './bench/end-to-end.ts';",
  'const cpu = process.cpuUsage();',
  'const result = await runEndToEnd(false, (line) => console.error(line));',
  'const { user, system } = process.cpuUsage(cpu);',
  `console.log(${JSON.stringify(RESULT_MARKER)} + JSON.stringify({ phases: result.phases, cpuMs: (user + system) / 1000 }));`,
  'process.exit(0);',
].join('\n');

const WORKTREE_PARENT_PREFIX = 'switchboard-baseline-';
/** Git must never wait for a terminal or hang the bench (a partial clone could fetch). */
const GIT_TIMEOUT_MS = 120_000;

const git = (args: readonly string[]): { ok: boolean; output: string } => {
  const child = spawnSync('git', ['-C', REPO_ROOT, ...args], {
    encoding: 'utf8',
    timeout: GIT_TIMEOUT_MS,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  return { ok: child.status === 0, output: `${child.stdout ?? ''}${child.stderr ?? ''}`.trim() };
};

/**
 * Removes this run's worktree and its temporary parent folder. Git forgets a worktree it removed;
 * only when removal failed is the folder deleted by hand and git's list pruned. Never throws.
 */
const removeWorktree = (directory: string): void => {
  const removed = git(['worktree', 'remove', '--force', directory]).ok;
  try {
    rmSync(path.dirname(directory), { recursive: true, force: true });
  } catch {
    // A folder in use stays in the temporary directory; nothing else depends on it.
  }
  if (!removed) git(['worktree', 'prune']);
};

/** Calls `onLine` with each complete line of a stream's text; `end` hands over the last one. */
const lines = (onLine: (line: string) => void) => {
  let pending = '';
  return {
    chunk: (chunk: string): void => {
      pending += chunk;
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) onLine(line);
    },
    end: (): void => {
      if (pending) onLine(pending);
      pending = '';
    },
  };
};

/** How a child in the worktree is run, and where its result is. */
interface ChildRun {
  readonly args: readonly string[];
  /** Its result: the first stdout line that starts with this, the marker cut off. */
  readonly marker: string;
  readonly timeoutMs: number;
  /** Each stderr line as it comes; none: kept quiet, the last line named if the child fails. */
  readonly onErrorLine?: (line: string) => void;
}

/** Runs a child in `directory` and resolves with its result line (other stdout lines are dropped). */
const runChild = (directory: string, run: ChildRun): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...run.args], {
      cwd: directory,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, run.timeoutMs);
    let resultLine: string | undefined;
    let lastErrorLine = '';
    const stdout = lines((line) => {
      if (resultLine === undefined && line.startsWith(run.marker)) resultLine = line;
    });
    const stderr = lines((line) => {
      if (!line.trim()) return;
      lastErrorLine = line.trim();
      run.onErrorLine?.(line);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', stdout.chunk);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', stderr.chunk);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      stdout.end();
      stderr.end();
      const said = run.onErrorLine || !lastErrorLine ? '' : ` (${lastErrorLine.slice(0, 160)})`;
      if (code === 0 && resultLine) resolve(resultLine.slice(run.marker.length));
      else if (timedOut) reject(new Error(`timed out after ${run.timeoutMs / 60_000} minutes`));
      else
        reject(
          new Error(
            `its bench exited with ${code ?? `signal ${signal}`}${resultLine ? '' : ', no result'}${said}`,
          ),
        );
    });
  });

const failure = (commit: string, error: unknown): { readonly commit: string; readonly skipped: string } => ({
  commit,
  skipped: `failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300),
});

/**
 * Runs `work` in a detached worktree of `commit` under `tempRoot` (this checkout's node_modules
 * linked in). Never throws: where the checkout has no such commit (a shallow clone), the worktree
 * cannot be made or `work` fails, the result says so and the run goes on. A run killed before its
 * end leaves its worktree registered (`git worktree list` shows it under the temporary folder; `git
 * worktree remove --force` clears it): nothing here removes worktrees it did not make.
 */
const inCommitWorktree = async <T extends object>(
  commit: string,
  tempRoot: string,
  work: (directory: string) => Promise<T>,
): Promise<T | { readonly commit: string; readonly skipped: string }> => {
  if (!git(['cat-file', '-e', `${commit}^{commit}`]).ok)
    return { commit, skipped: 'commit not in this checkout (shallow clone?)' };
  let directory: string;
  try {
    directory = path.join(mkdtempSync(path.join(tempRoot, WORKTREE_PARENT_PREFIX)), 'tree');
  } catch (error) {
    return failure(commit, error);
  }
  try {
    const added = git(['worktree', 'add', '--detach', directory, commit]);
    if (!added.ok) return { commit, skipped: `git worktree add failed: ${added.output.slice(0, 200)}` };
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(directory, 'node_modules'), 'dir');
    return await work(directory);
  } catch (error) {
    return failure(commit, error);
  } finally {
    removeWorktree(directory);
  }
};

/** Runs `commit`'s end-to-end bench in a worktree under `tempRoot`; see inCommitWorktree. */
export const runCommitBaseline = async (
  progress: (line: string) => void,
  commit: string = SCALE_BASELINE_COMMIT,
  tempRoot: string = tmpdir(),
): Promise<CommitBaseline> =>
  inCommitWorktree(commit, tempRoot, async (directory) => {
    writeFileSync(path.join(directory, 'baseline-driver.mts'), DRIVER_SOURCE);
    const line = await runChild(directory, {
      args: ['--import', 'tsx', 'baseline-driver.mts'],
      marker: RESULT_MARKER,
      timeoutMs: CHILD_TIMEOUT_MS,
      onErrorLine: (text) => progress(`  [${commit.slice(0, 7)}] ${text}`),
    });
    const parsed = CommitRunSchema.parse(JSON.parse(line));
    return { commit, phases: parsed.phases, cpuMs: parsed.cpuMs };
  });

/**
 * The code the cold-start issue measured, the same commit: its webhook-whatsapp bundled to 583 KB
 * then (its README's bench table) and its stack floor to 365 KB, as the issue's table says. On
 * today's node_modules the same code bundles to about 615 KB; its floor still to 365.
 */
export const COLD_START_BASELINE_COMMIT = SCALE_BASELINE_COMMIT;

/** What `bench/bundle-functions.ts` prints before its JSON (function name → bundle file), then and now. */
const BUNDLES_MARKER = 'SWITCHBOARD_BUNDLES=';
const BUNDLING_TIMEOUT_MS = 5 * 60_000;
const BundleFilesSchema = z.record(z.string(), z.string());

export type CommitBundles =
  | {
      readonly commit: string;
      /** Function name → its bundle, outside the worktree (in `outdir`, which the caller removes). */
      readonly files: Readonly<Record<string, string>>;
      readonly outdir: string;
    }
  | { readonly commit: string; readonly skipped: string };

/**
 * Every function of `commit` bundled by that commit's own `bench/bundle-functions.ts` (its
 * HubFunction construct and esbuild options), in a worktree under `tempRoot`, with this checkout's
 * node_modules. The bundles outlive the worktree. Never throws (see inCommitWorktree).
 */
export const bundleAtCommit = async (
  commit: string = COLD_START_BASELINE_COMMIT,
  tempRoot: string = tmpdir(),
): Promise<CommitBundles> =>
  inCommitWorktree(commit, tempRoot, async (directory) => {
    const line = await runChild(directory, {
      args: ['--import', 'tsx', 'bench/bundle-functions.ts'],
      marker: BUNDLES_MARKER,
      timeoutMs: BUNDLING_TIMEOUT_MS,
    });
    const files = BundleFilesSchema.parse(JSON.parse(line));
    const outdir = path.dirname(path.dirname(Object.values(files)[0] ?? ''));
    return { commit, files, outdir };
  });

/** What the webhook-cost child prints before its JSON. */
const WEBHOOK_COST_MARKER = 'SWITCHBOARD_COMMIT_WEBHOOK_COST=';
const WEBHOOK_COST_TIMEOUT_MS = 10 * 60_000;

const CommitChannelCostSchema = z.object({
  channel: z.string(),
  samples: z.number(),
  medianRatio: z.number(),
  worstRatio: z.number(),
  medianFullCpuMicros: z.number(),
});
export type CommitChannelCost = z.infer<typeof CommitChannelCostSchema>;

export type CommitWebhookCost =
  | { readonly commit: string; readonly channels: readonly CommitChannelCost[] }
  | { readonly commit: string; readonly skipped: string };

/** Written into the worktree: that commit's own webhook-cost bench, its channels' medians printed. */
const webhookCostDriver = (quick: boolean): string =>
  [
    "import { runWebhookCost } from './bench/webhook-cost.ts';",
    `const result = await runWebhookCost(${quick}, () => {});`,
    `console.log(${JSON.stringify(WEBHOOK_COST_MARKER)} + JSON.stringify(result.channels));`,
    'process.exit(0);',
  ].join('\n');

/**
 * `commit`'s own webhook-cost bench (bench/webhook-cost.ts then), in a worktree under `tempRoot`:
 * each channel's CPU per request (median) and its ratio to the floor that bench measured in its own
 * process, over that commit's samples. Never throws (see inCommitWorktree).
 */
export const runCommitWebhookCost = async (
  quick: boolean,
  commit: string = COLD_START_BASELINE_COMMIT,
  tempRoot: string = tmpdir(),
): Promise<CommitWebhookCost> =>
  inCommitWorktree(commit, tempRoot, async (directory) => {
    writeFileSync(path.join(directory, 'webhook-cost-driver.mts'), webhookCostDriver(quick));
    const line = await runChild(directory, {
      args: ['--import', 'tsx', 'webhook-cost-driver.mts'],
      marker: WEBHOOK_COST_MARKER,
      timeoutMs: WEBHOOK_COST_TIMEOUT_MS,
    });
    return { commit, channels: z.array(CommitChannelCostSchema).parse(JSON.parse(line)) };
  });

/**
 * The end-to-end replay of the code as it was when the scale issue was filed, run in the same
 * benchmark run as today's code: a detached git worktree of that commit (sharing this checkout's
 * node_modules), whose own `bench/end-to-end.ts` runs in a child process. Its figures are the
 * old code's own measurement, with its own phases and definitions (events per second from the first
 * post to the last arrival, as today's).
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

/** Runs the child and resolves with its result line (its hub's logs on stdout are dropped). */
const runDriver = (directory: string, label: string, progress: (line: string) => void): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'baseline-driver.mts'], {
      cwd: directory,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    let resultLine: string | undefined;
    const stdout = lines((line) => {
      if (line.startsWith(RESULT_MARKER)) resultLine = line;
    });
    const stderr = lines((line) => {
      if (line.trim()) progress(`  [${label}] ${line}`);
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
      if (code === 0 && resultLine) resolve(resultLine.slice(RESULT_MARKER.length));
      else if (timedOut) reject(new Error(`timed out after ${CHILD_TIMEOUT_MS / 60_000} minutes`));
      else
        reject(
          new Error(`its bench exited with ${code ?? `signal ${signal}`}${resultLine ? '' : ', no result'}`),
        );
    });
  });

const failure = (commit: string, error: unknown): CommitBaseline => ({
  commit,
  skipped: `failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300),
});

/**
 * Runs `commit`'s end-to-end bench in a worktree under `tempRoot`. Never throws: where the checkout
 * has no such commit (a shallow clone), the worktree cannot be made or that bench fails, the result
 * says so and the run goes on. A run killed before its end leaves its worktree registered (`git
 * worktree list` shows it under the temporary folder; `git worktree remove --force` clears it):
 * nothing here removes worktrees it did not make.
 */
export const runCommitBaseline = async (
  progress: (line: string) => void,
  commit: string = SCALE_BASELINE_COMMIT,
  tempRoot: string = tmpdir(),
): Promise<CommitBaseline> => {
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
    writeFileSync(path.join(directory, 'baseline-driver.mts'), DRIVER_SOURCE);
    const line = await runDriver(directory, commit.slice(0, 7), progress);
    const parsed = CommitRunSchema.parse(JSON.parse(line));
    return { commit, phases: parsed.phases, cpuMs: parsed.cpuMs };
  } catch (error) {
    return failure(commit, error);
  } finally {
    removeWorktree(directory);
  }
};

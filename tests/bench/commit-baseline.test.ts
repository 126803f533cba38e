import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCommitBaseline } from '../../bench/commit-baseline.ts';

/*
 * The end-to-end bench runs the code from before the scale work in a worktree of that commit.
 * Whatever goes wrong there (no such commit in a shallow clone, a commit whose bench fails) must
 * come back as a reason, never stop the benchmark, and leave no worktree or folder behind.
 */

const worktrees = (): string =>
  spawnSync('git', ['worktree', 'list', '--porcelain'], { encoding: 'utf8' }).stdout;
/** A shallow clone's first commit is wherever the history was cut, with a whole bench in it. */
const shallow =
  spawnSync('git', ['rev-parse', '--is-shallow-repository'], { encoding: 'utf8' }).stdout.trim() === 'true';
const baselineFolders = (): string[] =>
  readdirSync(tmpdir()).filter((name) => name.startsWith('switchboard-baseline-'));

describe('the commit baseline of the end-to-end bench', () => {
  it('is skipped with its reason when the commit is not in the checkout', async () => {
    // Prepare
    const before = worktrees();
    const missing = 'f'.repeat(40);

    // Act
    const result = await runCommitBaseline(() => {}, missing);

    // Assess
    expect(result).toEqual({ commit: missing, skipped: expect.stringContaining('not in this checkout') });
    expect(worktrees()).toBe(before);
  });

  it.skipIf(shallow)(
    'reports a commit whose bench fails as failed, and removes its worktree and folder',
    async () => {
      // Prepare: the repository's first commit has no bench at all.
      const root = spawnSync('git', ['rev-list', '--max-parents=0', 'HEAD'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .at(-1) as string;
      const before = { worktrees: worktrees(), folders: baselineFolders() };
      const progress: string[] = [];

      // Act
      const result = await runCommitBaseline((line) => progress.push(line), root);

      // Assess
      expect(result).toEqual({
        commit: root,
        skipped: expect.stringMatching(/^failed: its bench exited with 1/),
      });
      expect(progress.some((line) => line.startsWith(`  [${root.slice(0, 7)}] `))).toBe(true);
      expect(worktrees()).toBe(before.worktrees);
      expect(baselineFolders()).toEqual(before.folders);
    },
    60_000,
  );
});

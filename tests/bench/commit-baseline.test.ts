import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCommitBaseline } from '../../bench/commit-baseline.ts';

/*
 * The end-to-end bench runs the code from before the scale work in a worktree of that commit. Where
 * the checkout lacks the commit (a shallow clone), the run must say so and leave no worktree.
 */

const worktrees = (): string =>
  spawnSync('git', ['worktree', 'list', '--porcelain'], { encoding: 'utf8' }).stdout;

describe('the commit baseline of the end-to-end bench', () => {
  it('is skipped with its reason when the commit is not in the checkout, leaving no worktree', async () => {
    // Prepare
    const before = worktrees();
    const missing = 'f'.repeat(40);

    // Act
    const result = await runCommitBaseline(false, () => {}, missing);

    // Assess
    expect(result).toEqual({ commit: missing, skipped: expect.stringContaining('not in this checkout') });
    expect(worktrees()).toBe(before);
  });
});

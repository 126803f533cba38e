import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bundleAtCommit,
  COLD_START_BASELINE_COMMIT,
  runCommitBaseline,
  runCommitWebhookCost,
} from '../../bench/commit-baseline.ts';

/*
 * The end-to-end bench runs the code from before the scale work in a worktree of that commit.
 * Whatever goes wrong there (no such commit in a shallow clone, a commit whose bench fails) must
 * come back as a reason, never stop the benchmark, and leave no worktree or folder behind.
 */

const git = (...args: string[]): string => spawnSync('git', args, { encoding: 'utf8' }).stdout.trim();
const worktrees = (): string => git('worktree', 'list', '--porcelain');
/** The repository's first commit, which has no bench; none outside a git checkout. */
const root = git('rev-list', '--max-parents=0', 'HEAD').split('\n').at(-1) ?? '';
/** A shallow clone's first commit is wherever the history was cut, with a whole bench in it. */
const shallow = git('rev-parse', '--is-shallow-repository') === 'true';

const tempRoot = mkdtempSync(path.join(tmpdir(), 'switchboard-baseline-test-'));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));

describe('the commit baseline of the end-to-end bench', () => {
  it('is skipped with its reason when the commit is not in the checkout', async () => {
    // Prepare
    const before = worktrees();
    const missing = 'f'.repeat(40);

    // Act
    const result = await runCommitBaseline(() => {}, missing, tempRoot);

    // Assess
    expect(result).toEqual({ commit: missing, skipped: expect.stringContaining('not in this checkout') });
    expect(worktrees()).toBe(before);
    expect(readdirSync(tempRoot)).toEqual([]);
  });

  it.skipIf(shallow || root === '')(
    'reports a commit whose bench fails as failed, and removes its worktree and folder',
    async () => {
      // Prepare
      const before = worktrees();
      const progress: string[] = [];

      // Act
      const result = await runCommitBaseline((line) => progress.push(line), root, tempRoot);

      // Assess
      expect(result).toEqual({
        commit: root,
        skipped: expect.stringMatching(/^failed: its bench exited with 1/),
      });
      expect(progress.some((line) => line.startsWith(`  [${root.slice(0, 7)}] `))).toBe(true);
      expect(worktrees()).toBe(before);
      expect(readdirSync(tempRoot)).toEqual([]);
    },
    60_000,
  );
});

/*
 * The cold-start bench measures the webhooks of the code the issue measured beside today's, bundled
 * by that commit's own bench. A bundling that broke would only show as a skipped line in the bench.
 */
describe('the commit baseline of the cold-start bench', () => {
  it('is skipped with its reason when the commit is not in the checkout', async () => {
    // Prepare
    const before = worktrees();
    const missing = 'e'.repeat(40);

    // Act
    const result = await bundleAtCommit(missing, tempRoot);

    // Assess
    expect(result).toEqual({ commit: missing, skipped: expect.stringContaining('not in this checkout') });
    expect(worktrees()).toBe(before);
    expect(readdirSync(tempRoot)).toEqual([]);
  });

  const hasBaseline =
    spawnSync('git', ['cat-file', '-e', `${COLD_START_BASELINE_COMMIT}^{commit}`]).status === 0;
  it.skipIf(!hasBaseline)(
    "bundles that commit's webhooks with its own bench, outside the worktree, which it removes",
    async () => {
      // Prepare
      const before = worktrees();

      // Act
      const result = await bundleAtCommit(COLD_START_BASELINE_COMMIT, tempRoot);

      // Assess
      if (!('files' in result)) throw new Error(`skipped: ${result.skipped}`);
      try {
        for (const name of [
          'webhook-whatsapp',
          'webhook-messenger',
          'webhook-sms-twilio',
          'webhook-email-mailgun',
        ]) {
          const file = result.files[name];
          expect(file, name).toBeDefined();
          // That code's webhooks carried the whole AWS SDK clients and classic zod: about 600 KB each.
          expect(statSync(file ?? '').size, name).toBeGreaterThan(500 * 1024);
          expect(file?.startsWith(result.outdir), name).toBe(true);
        }
        expect(worktrees()).toBe(before);
        expect(readdirSync(tempRoot)).toEqual([]);
      } finally {
        rmSync(result.outdir, { recursive: true, force: true });
      }
    },
    300_000,
  );
});

describe('the commit baseline of the webhook CPU bench', () => {
  it('is skipped with its reason when the commit is not in the checkout', async () => {
    // Prepare
    const before = worktrees();
    const missing = 'd'.repeat(40);

    // Act
    const result = await runCommitWebhookCost(true, missing, tempRoot);

    // Assess
    expect(result).toEqual({ commit: missing, skipped: expect.stringContaining('not in this checkout') });
    expect(worktrees()).toBe(before);
    expect(readdirSync(tempRoot)).toEqual([]);
  });

  const hasBaseline =
    spawnSync('git', ['cat-file', '-e', `${COLD_START_BASELINE_COMMIT}^{commit}`]).status === 0;
  it.skipIf(!hasBaseline)(
    "runs that commit's own bench: a ratio to its own floor for each chat channel, its worktree removed",
    async () => {
      // Prepare
      const before = worktrees();

      // Act
      const result = await runCommitWebhookCost(true, COLD_START_BASELINE_COMMIT, tempRoot);

      // Assess
      if (!('channels' in result)) throw new Error(`skipped: ${result.skipped}`);
      expect(result.channels.map((channel) => channel.channel)).toEqual(
        expect.arrayContaining(['messenger', 'whatsapp', 'sms']),
      );
      for (const channel of result.channels) {
        expect(channel.samples, channel.channel).toBeGreaterThan(0);
        expect(channel.medianRatio, channel.channel).toBeGreaterThan(1);
      }
      expect(worktrees()).toBe(before);
      expect(readdirSync(tempRoot)).toEqual([]);
    },
    300_000,
  );
});

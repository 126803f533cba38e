import { stripQuotedHistory } from '#shared/channels/email/inbound/quoting.ts';
import { HOSTILE_TEXTS } from '#tests/support/hostile-text.ts';
import { fastestTimes, LINEAR_TIME_SUBJECTS } from '#tests/support/linear-time.ts';
import { round } from './stats.ts';

/**
 * The worst case of every function that reads provider text (the regexes among them): each hostile
 * text at 100 KB and 400 KB, the larger run's time over the smaller's (4× is linear, 16× quadratic;
 * the test fails above 8×). Runs under 5 ms are compared from a 5 ms floor, as the test does.
 */
export interface LinearTimeResult {
  readonly measured: number;
  readonly worst: readonly {
    readonly subject: string;
    readonly text: string;
    readonly smallMs: number;
    readonly largeMs: number;
    readonly ratio: number;
  }[];
  /** The outside review's case: "Hello" + 400,000 spaces + "world" through quote stripping (was ~30 s). */
  readonly reviewCaseMs: number;
}

const FLOOR_MS = 5;

export const runLinearTime = (quick: boolean, progress: (line: string) => void): LinearTimeResult => {
  const [small, large] = quick ? [25_000, 100_000] : [100_000, 400_000];
  const rows: LinearTimeResult['worst'][number][] = [];
  for (const [subject, run] of Object.entries(LINEAR_TIME_SUBJECTS)) {
    progress(`  ${subject}`);
    for (const [text, build] of Object.entries(HOSTILE_TEXTS)) {
      const { smallMs, largeMs } = fastestTimes(run, build(small), build(large));
      rows.push({
        subject,
        text,
        smallMs: round(smallMs, 2),
        largeMs: round(largeMs, 2),
        ratio: round(largeMs / Math.max(smallMs, FLOOR_MS), 2),
      });
    }
  }
  const review = `Hello${' '.repeat(400_000)}world`;
  const start = performance.now();
  stripQuotedHistory(review);
  const reviewCaseMs = round(performance.now() - start, 1);
  const worst = [...rows].sort((a, b) => b.ratio - a.ratio || b.largeMs - a.largeMs).slice(0, 5);
  return { measured: rows.length, worst, reviewCaseMs };
};

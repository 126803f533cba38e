import { describe, expect, it } from 'vitest';
import { stripQuotedHistory } from '#shared/channels/email/inbound/quoting.ts';
import { HOSTILE_TEXTS } from '#tests/support/hostile-text.ts';
import { fastestTimes, LINEAR_TIME_SUBJECTS } from '#tests/support/linear-time.ts';

/**
 * Every function that reads provider text must take time linear in it: a regex that retries a
 * match from each position of a long run (`\s+$`, nested quantifiers) or a string rebuilt once per
 * line turns a 400 KB message into seconds or minutes of Lambda time. Each function gets every
 * hostile text at 100 KB and at 400 KB; linear time makes the larger run ~4× the smaller one,
 * quadratic ~16×. The bound is 12×, over a floor that keeps sub-millisecond noise from counting:
 * V8 shows a step between 100 and 125 KB (Node 22, `stripQuotedHistory` on header lines: 4.5 ms at
 * 100 KB, 12.7 at 125 KB, then 2× per doubling up to 800 KB), so a linear function measured
 * across it can read 10–12×; 8× failed such functions now and then, even on a quiet machine.
 * (`npm run bench -- --only=linear-time` reports the worst ratio.)
 */

const SMALL = 100_000;
const LARGE = 400_000;
const MAX_RATIO = 12;
const FLOOR_MS = 5;

describe('e-mail functions on hostile input', () => {
  it('strips the review’s "Hello" + 400,000 spaces + "world" well under a second', () => {
    // Prepare
    const text = `Hello${' '.repeat(LARGE)}world`;
    // Act
    const start = performance.now();
    const reply = stripQuotedHistory(text);
    const elapsed = performance.now() - start;
    // Assess
    expect(reply).toBe(text);
    expect(elapsed).toBeLessThan(1000);
  });

  describe.each(Object.entries(LINEAR_TIME_SUBJECTS))('%s', (_name, subject) => {
    // A retry absorbs a stray pause of the machine; a super-linear function fails every try.
    it.each(Object.keys(HOSTILE_TEXTS))('takes linear time on %s', { retry: 2 }, (label) => {
      // Prepare
      const build = HOSTILE_TEXTS[label];
      if (build === undefined) throw new Error(`no hostile text ${label}`);
      const small = build(SMALL);
      const large = build(LARGE);
      // Act
      const { smallMs, largeMs } = fastestTimes(subject, small, large);
      // Assess
      expect(largeMs, `100 KB: ${smallMs.toFixed(1)} ms, 400 KB: ${largeMs.toFixed(1)} ms`).toBeLessThan(
        MAX_RATIO * Math.max(smallMs, FLOOR_MS),
      );
    });
  });
});

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

/*
 * A message's time in the timeline (and an edit's or a deletion's): the time alone when it is from
 * today, the date too on any other day. With the page's own module (no browser).
 */

const TimelineModuleSchema = z.looseObject({
  when: z.custom<(value: string | undefined, now?: Date) => string>((value) => typeof value === 'function'),
});

describe('console message times', () => {
  let when: (value: string | undefined, now?: Date) => string;

  beforeAll(async () => {
    const file = pathToFileURL(
      join(import.meta.dirname, '../../shared/local/console/static/timeline.js'),
    ).href;
    ({ when } = TimelineModuleSchema.parse(await import(file)));
  });

  it('shows the time alone for today, the date and time for another day, nothing for no time', () => {
    // Prepare: local noon, so that a day before and the same day stay days in any time zone
    const now = new Date(2026, 11, 5, 12, 0, 0);
    const earlierToday = new Date(2026, 11, 5, 8, 30, 0);
    const lastWeek = new Date(2026, 10, 28, 8, 30, 0);
    // Act
    const today = when(earlierToday.toISOString(), now);
    const before = when(lastWeek.toISOString(), now);
    // Assess
    expect(today).toBe(earlierToday.toLocaleTimeString());
    expect(before).toBe(lastWeek.toLocaleString());
    expect(before).toContain(lastWeek.toLocaleDateString());
    expect(when(undefined, now)).toBe('');
  });
});

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

/*
 * A message's time in the timeline (and an edit's or a deletion's, a raw event's, a consent
 * change's): the time alone when it is from today, the date too on any other day, each with its
 * time zone; and the same time in UTC for a title. With the page's own module (no browser).
 */

const TimelineModuleSchema = z.looseObject({
  when: z.custom<(value: string | undefined, now?: Date) => string>((value) => typeof value === 'function'),
  utc: z.custom<(value: string) => string>((value) => typeof value === 'function'),
});

/** The runtime's short name of its time zone at `at` ("UTC", "CET", "GMT+2"…). */
const zoneAt = (at: Date): string =>
  new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value ?? '';

describe('console message times', () => {
  let when: (value: string | undefined, now?: Date) => string;
  let utc: (value: string) => string;

  beforeAll(async () => {
    const file = pathToFileURL(
      join(import.meta.dirname, '../../shared/local/console/static/timeline.js'),
    ).href;
    ({ when, utc } = TimelineModuleSchema.parse(await import(file)));
  });

  it('shows the time alone for today, the date and time for another day, each with its time zone, nothing for no time', () => {
    // Prepare: local noon, so that a day before and the same day stay days in any time zone
    const now = new Date(2026, 11, 5, 12, 0, 0);
    const earlierToday = new Date(2026, 11, 5, 8, 30, 0);
    const lastWeek = new Date(2026, 10, 28, 8, 30, 0);
    // Act
    const today = when(earlierToday.toISOString(), now);
    const before = when(lastWeek.toISOString(), now);
    // Assess
    expect(today).toBe(earlierToday.toLocaleTimeString(undefined, { timeZoneName: 'short' }));
    expect(today.endsWith(zoneAt(earlierToday))).toBe(true);
    expect(before).toContain(lastWeek.toLocaleDateString());
    expect(before.endsWith(zoneAt(lastWeek))).toBe(true);
    expect(when(undefined, now)).toBe('');
  });

  it('gives the UTC time for a title', () => {
    // Act
    const title = utc('2026-12-05T08:30:00.123Z');
    // Assess
    expect(title).toBe('2026-12-05 08:30:00 UTC');
  });
});

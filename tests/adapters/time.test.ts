import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isoFromDate,
  isoFromDateString,
  isoFromEpochMillis,
  isoFromEpochSeconds,
} from '#shared/adapters/time.ts';

const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1);
const MAX_PLAUSIBLE_MS = Date.UTC(2200, 0, 1);

describe('provider times as ISO strings', () => {
  it('formats every plausible instant exactly as Date#toISOString does', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_PLAUSIBLE_MS, max: MAX_PLAUSIBLE_MS }), (ms) => {
        // Act
        const iso = isoFromEpochMillis(ms);
        // Assess
        expect(iso).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
  });

  it('matches the builtin on the edges of days, leap days and centuries', () => {
    // Prepare
    const instants = [
      '2000-01-01T00:00:00.000Z',
      '2000-02-29T23:59:59.999Z',
      '2000-03-01T00:00:00.000Z',
      '2024-02-29T12:00:00.001Z',
      '2099-12-31T23:59:59.999Z',
      '2100-02-28T23:59:59.999Z',
      '2100-03-01T00:00:00.000Z',
      '2200-01-01T00:00:00.000Z',
    ].map((iso) => Date.parse(iso));
    // Act
    const formatted = instants.map((ms) => isoFromEpochMillis(ms));
    // Assess
    expect(formatted).toEqual(instants.map((ms) => new Date(ms).toISOString()));
  });

  it('truncates fractional milliseconds and rounds fractional seconds like Date', () => {
    // Act
    const fromMillis = isoFromEpochMillis(1795166043512.9);
    const fromSeconds = isoFromEpochSeconds('1795166043.5126');
    // Assess
    expect(fromMillis).toBe(new Date(1795166043512.9).toISOString());
    expect(fromSeconds).toBe(new Date(Math.round(1795166043.5126 * 1000)).toISOString());
  });

  it('answers null for absent or implausible times', () => {
    // Act
    const results = [
      isoFromEpochMillis(undefined),
      isoFromEpochMillis(0),
      isoFromEpochSeconds('not a number'),
      isoFromDateString('yesterday-ish'),
    ];
    // Assess
    expect(results).toEqual([null, null, null, null]);
  });

  it('formats any date as toISOString does, invalid dates included', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        // Act
        const iso = isoFromDate(date);
        // Assess
        expect(iso).toBe(date.toISOString());
      }),
    );
    expect(() => isoFromDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});

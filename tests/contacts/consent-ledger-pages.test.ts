import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConsentLedgerEntry, ledgerPage } from '#shared/store/consent-ledger.ts';

/*
 * A ledger read whole is answered a page at a time: walking the pages gives every change once, in
 * order, whatever the page size, and ties in time are ordered by event id the same way each time.
 */
const entry = (at: string, eventId: string): ConsentLedgerEntry => ({
  channel: 'sms',
  scope: 'sms',
  consent: 'opted_out',
  trigger: 'STOP',
  source: 'provider',
  at,
  eventId,
});

const newestFirst = (entries: ConsentLedgerEntry[]) =>
  [...entries].sort((a, b) =>
    a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.eventId === b.eventId ? 0 : a.eventId < b.eventId ? 1 : -1,
  );

const walk = (changes: ConsentLedgerEntry[], limit: number): ConsentLedgerEntry[][] => {
  const pages: ConsentLedgerEntry[][] = [];
  let after: { at: string; eventId: string } | undefined;
  do {
    const page = ledgerPage(changes, { after, limit });
    pages.push(page.changes);
    after = page.last;
  } while (after && pages.length <= changes.length);
  return pages;
};

describe('consent ledger pages', () => {
  it('gives every change once and in order, whatever the page size', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            at: fc.constantFrom(
              '2026-12-01T10:00:00.000Z',
              '2026-12-01T10:00:01.000Z',
              '2026-12-02T09:00:00.000Z',
            ),
            eventId: fc.stringMatching(/^[0-9a-fA-F]{1,4}$/),
          }),
          { selector: (change) => change.eventId, maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 12 }),
        (raw, limit) => {
          // Prepare
          const changes = newestFirst(raw.map(({ at, eventId }) => entry(at, eventId)));
          // Act
          const pages = walk(changes, limit);
          // Assess
          expect(pages.flat()).toEqual(changes);
          expect(pages.every((page) => page.length <= limit)).toBe(true);
          expect(pages.slice(0, -1).every((page) => page.length === limit)).toBe(true);
        },
      ),
    );
  });

  it('answers an empty page, without a cursor, past the last change', () => {
    // Prepare
    const changes = [entry('2026-12-02T09:00:00.000Z', 'b'), entry('2026-12-01T09:00:00.000Z', 'a')];
    // Act
    const past = ledgerPage(changes, { after: { at: '2026-12-01T09:00:00.000Z', eventId: 'a' }, limit: 5 });
    const exact = ledgerPage(changes, { limit: 2 });
    // Assess
    expect(past).toEqual({ changes: [] });
    expect(exact).toEqual({ changes });
  });
});

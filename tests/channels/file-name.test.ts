import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayFileName, MAX_DISPLAY_FILE_NAME } from '#shared/channels/file-name.ts';

/*
 * A customer's file name as every adapter passes it on (shared/channels/file-name.ts): its last
 * segment, without controls or bidirectional marks, trimmed, bounded with its extension kept.
 * Found by a security review: a WhatsApp document's `filename` reached the helpdesk with path
 * separators, CR/LF and a right-to-left override intact, an e-mail attachment's lost its path only.
 */

/** What must never be in a name passed on: separators, C0/C1 controls, bidi marks and controls, line separators. */
const FORBIDDEN = /[/\\\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** Characters a hostile name is made of: the forbidden ones, halves of emoji, spaces, and letters of a few scripts. */
const hostileCharacter = fc.oneof(
  fc.constantFrom(
    '/',
    '\\',
    '.',
    ' ',
    '\t',
    '\r',
    '\n',
    '\u0000',
    '\u007f',
    '\u0085',
    '\u009f',
    '\u061c',
    '\u200e',
    '\u200f',
    '\u2028',
    '\u202a',
    '\u202e',
    '\u2066',
    '\u2069',
    '\ufeff',
    '\ud83d',
    '\ude00',
    '😀',
  ),
  fc.constantFrom('a', 'Z', '0', '-', '_', 'é', 'ж', '中', 'ש'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const hostileName = fc.string({ unit: hostileCharacter, maxLength: 700 });
/**
 * A name nothing needs to be taken from: letters, digits, inner spaces and dots. Its middle is sized
 * 'max': at fast-check's default size it held at most 10 characters, so no name passed 255.
 */
const plainName = fc
  .tuple(
    fc.string({ unit: fc.constantFrom('a', 'B', '7', 'é', '中', '😀'), minLength: 1, maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('a', 'B', '7', ' ', '.', '-', 'ж'), maxLength: 400, size: 'max' }),
    fc.constantFrom('', '.pdf', '.docx', '.JPG'),
  )
  .map(([start, middle, extension]) => `${start}${middle.trimEnd()}${extension}`);
const path = fc.array(fc.constantFrom('..', 'C:', 'Users', 'AppData', 'Startup', '.', ''), { maxLength: 6 });

describe('displayFileName', () => {
  it("passes on the review's name as the name it reads as", () => {
    // Act
    const name = displayFileName('..\\..\\AppData\\Startup\\invoice\u202Efdp.exe\r\n');
    // Assess
    expect(name).toBe('invoicefdp.exe');
  });

  it.each([
    ['a Unix path', '../../etc/cron.d/job.pdf', 'job.pdf'],
    ['a Windows path', 'C:\\Users\\Jane\\Scan 01.pdf', 'Scan 01.pdf'],
    ['a line break inside', 'Rechnung\r\nX-Injected: 1.pdf', 'RechnungX-Injected: 1.pdf'],
    ['a NUL and DEL', 'photo\u0000\u007f.jpg', 'photo.jpg'],
    ['C1 controls (NEL, CSI)', 'a\u0085b\u009b.txt', 'ab.txt'],
    ['isolates and marks', '\u2066\u200fsalary\u2069\u200e.xlsx', 'salary.xlsx'],
    ['spaces around', '  notes.txt\t', 'notes.txt'],
    ['a lone half of an emoji', 'smile\ud83d.png', 'smile\uFFFD.png'],
    ['a whole emoji', 'smile😀.png', 'smile😀.png'],
  ])('cleans %s', (_what, name, expected) => {
    // Act
    const cleaned = displayFileName(name);
    // Assess
    expect(cleaned).toBe(expected);
  });

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['an empty name', ''],
    ['a path ending in a separator', 'reports/'],
    ['only controls and marks', '\r\n\u202e\u2066 '],
    ['a parent directory', 'a/..'],
    ['the current directory', '.\u200e'],
  ])('passes on no name for %s', (_what, name) => {
    // Act
    const cleaned = displayFileName(name);
    // Assess
    expect(cleaned).toBeUndefined();
  });

  it('bounds a long name to 255 code units, keeping its extension and every emoji whole', () => {
    // Prepare
    const name = `Zdjęcie ${'😀'.repeat(300)}.JPG`;
    // Act
    const cleaned = displayFileName(name) ?? '';
    // Assess
    expect(cleaned.length).toBeLessThanOrEqual(MAX_DISPLAY_FILE_NAME);
    expect(cleaned.length).toBeGreaterThan(MAX_DISPLAY_FILE_NAME - 2);
    expect(cleaned.startsWith('Zdjęcie 😀')).toBe(true);
    expect(cleaned.endsWith('😀.JPG')).toBe(true);
    expect(LONE_SURROGATE.test(cleaned)).toBe(false);
  });

  it('passes on nothing a file system or a reader could take for more, whatever the name', () => {
    fc.assert(
      fc.property(hostileName, (name) => {
        // Act
        const cleaned = displayFileName(name);
        // Assess
        if (cleaned === undefined) return;
        expect(cleaned).not.toMatch(FORBIDDEN);
        expect(LONE_SURROGATE.test(cleaned)).toBe(false);
        expect(cleaned).toBe(cleaned.trim());
        expect(cleaned.length).toBeGreaterThan(0);
        expect(cleaned.length).toBeLessThanOrEqual(MAX_DISPLAY_FILE_NAME);
        expect(['.', '..']).not.toContain(cleaned);
        expect(displayFileName(cleaned)).toBe(cleaned);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a plain name as it is, or cut to 255 code units with its extension, whatever path it came with', () => {
    let cut = 0;
    fc.assert(
      fc.property(plainName, path, fc.constantFrom('/', '\\'), (name, segments, separator) => {
        // Act
        const cleaned = displayFileName([...segments, name].join(separator));
        // Assess
        if (name.length <= MAX_DISPLAY_FILE_NAME) expect(cleaned).toBe(name);
        else {
          cut += 1;
          const extension = /\.[A-Za-z]+$/.exec(name)?.[0] ?? '';
          expect(cleaned?.endsWith(extension)).toBe(true);
          expect(cleaned?.length).toBeLessThanOrEqual(MAX_DISPLAY_FILE_NAME);
        }
      }),
      { numRuns: 1000 },
    );
    // Not vacuous: names past 255 were generated, so the cut was checked.
    expect(cut).toBeGreaterThan(0);
  });
});

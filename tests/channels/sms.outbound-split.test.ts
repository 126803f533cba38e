import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodingOf, segmentCount } from '#shared/channels/sms/outbound/segments.ts';
import { splitText } from '#shared/channels/sms/outbound/split.ts';
import { expectPiecesOf } from '#tests/support/pieces.ts';

const SMS_LIMITS = { maxLength: 1600, maxSegments: 10 } as const;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const graphemesOf = (text: string): string[] => Array.from(graphemes.segment(text), ({ segment }) => segment);

/** Words of GSM-7 letters, extension characters, Greek, emoji (surrogate pairs) and whitespace runs. */
const wordArbitrary = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '0', '€', '[', 'é', 'Ω'), minLength: 1, maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('α', 'ж', '😀', '👍🏽', 'ü'), minLength: 1, maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('x', 'y'), minLength: 200, maxLength: 2500 }),
);
const textArbitrary = fc
  .array(fc.tuple(wordArbitrary, fc.constantFrom(' ', '\n', '  ', '\t')), { minLength: 1, maxLength: 120 })
  .map((words) => words.map(([word, space]) => word + space).join(''));
/**
 * Paragraphs of at most 302 characters (30 words of up to 8 letters, each with a space, a line break or a
 * sentence end), blank lines between them: less than half of any message's room (765 GSM-7 characters, or
 * 335 UCS-2 units once an α is in the text), so the second half of every message's room holds a blank line.
 * Sized 'max': at fast-check's default size a text held at most 10 paragraphs of 10 words, and was
 * hardly ever long enough to be cut.
 */
const paragraphsArbitrary = fc
  .array(
    fc.array(
      fc.tuple(
        fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '€', 'é', 'α'), minLength: 1, maxLength: 8 }),
        fc.constantFrom(' ', '\n', '. '),
      ),
      { minLength: 1, maxLength: 30, size: 'max' },
    ),
    { minLength: 1, maxLength: 40, size: 'max' },
  )
  .map((paragraphs) =>
    paragraphs.map((words) => words.map(([word, after]) => word + after).join('')).join('\n\n'),
  );
const wordSegmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

describe('SMS segments', () => {
  it.each([
    ['160 GSM-7 characters', 'a'.repeat(160), 'gsm7', 1],
    ['161 GSM-7 characters', 'a'.repeat(161), 'gsm7', 2],
    ['306 GSM-7 characters', 'a'.repeat(306), 'gsm7', 2],
    ['307 GSM-7 characters', 'a'.repeat(307), 'gsm7', 3],
    ['80 euro signs (two septets each)', '€'.repeat(80), 'gsm7', 1],
    ['81 euro signs', '€'.repeat(81), 'gsm7', 2],
    ['70 UCS-2 characters', 'α'.repeat(70), 'ucs2', 1],
    ['71 UCS-2 characters', 'α'.repeat(71), 'ucs2', 2],
    ['134 UCS-2 units', 'α'.repeat(134), 'ucs2', 2],
    ['one emoji among GSM-7', `${'a'.repeat(68)}😀`, 'ucs2', 1],
    ['a surrogate pair never split: 66 + pair', `${'α'.repeat(66)}😀${'α'.repeat(10)}`, 'ucs2', 2],
  ])('%s', (_name, text, encoding, segments) => {
    // Act
    const actualEncoding = encodingOf(text);
    const actualSegments = segmentCount(text);
    // Assess
    expect(actualEncoding).toBe(encoding);
    expect(actualSegments).toBe(segments);
  });
});

describe('splitting a text into SMS messages', () => {
  it('keeps a short text whole', () => {
    // Prepare
    const text = 'Your parcel ships tomorrow.';
    // Act
    const pieces = splitText(text, SMS_LIMITS);
    // Assess
    expect(pieces).toEqual([text]);
  });

  it('cuts after whitespace, not inside a word', () => {
    // Prepare: 1,530 septets is the GSM-7 budget of 10 segments
    const text = `${'word '.repeat(307)}tail`;
    // Act
    const pieces = splitText(text, SMS_LIMITS);
    // Assess
    expect(pieces.length).toBe(2);
    expect(pieces[0]?.endsWith(' ')).toBe(true);
    expect(pieces[1]).toBe('word tail');
  });

  it('sizes a text with one non-GSM character as UCS-2 (670 units a message)', () => {
    // Prepare
    const text = `${'ab '.repeat(300)}α`;
    // Act
    const pieces = splitText(text, SMS_LIMITS);
    // Assess
    expect(pieces.map((piece) => piece.length)).toEqual([669, 232]);
  });

  it('cuts a run without whitespace at a code point, never inside a surrogate pair', () => {
    // Prepare
    const text = '😀'.repeat(400);
    // Act
    const pieces = splitText(text, SMS_LIMITS);
    // Assess
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) expect(piece).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it('cuts a run without whitespace between grapheme clusters (an emoji family, a flag, an accented letter stays whole), only one longer than a message between code points', () => {
    // Prepare: ZWJ families (8 units each), flags (4) and e + combining acute (2), no whitespace
    const families = '👨‍👩‍👧'.repeat(100);
    const mixed = '🇩🇪e\u0301👨‍👩‍👧'.repeat(120);
    // Act
    const familyPieces = splitText(families, SMS_LIMITS);
    const mixedPieces = splitText(mixed, SMS_LIMITS);
    const whatsAppPieces = splitText(mixed, { maxLength: 1600 });
    const heaped = `a${'\u0301'.repeat(2000)} end`;
    const heapedPieces = splitText(heaped, SMS_LIMITS);
    // Assess: every cluster whole in one piece, each piece within 1,600 characters (and 10 segments for SMS)
    for (const [text, pieces, counted] of [
      [families, familyPieces, true],
      [mixed, mixedPieces, true],
      [mixed, whatsAppPieces, false],
    ] as const) {
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.flatMap(graphemesOf)).toEqual(graphemesOf(text));
      for (const piece of pieces) {
        expect(piece.length).toBeLessThanOrEqual(1600);
        if (counted) expect(segmentCount(piece)).toBeLessThanOrEqual(10);
      }
    }
    expect(familyPieces.map((piece) => piece.length)).toEqual([664, 136]);
    expect(heapedPieces.join('')).toBe(heaped);
    for (const piece of heapedPieces) expect(segmentCount(piece)).toBeLessThanOrEqual(10);
  });

  it.each([
    [
      'a blank line wins over a later space',
      `${'word '.repeat(200)}end\n\n${'more '.repeat(200)}`,
      `${'word '.repeat(200)}end\n\n`,
    ],
    [
      'a line break wins over a later sentence end',
      `${'word '.repeat(180)}line\n${'Next one. '.repeat(100)}`,
      `${'word '.repeat(180)}line\n`,
    ],
    [
      'a sentence end wins over a later space',
      `${'word '.repeat(180)}That is all. ${'Words '.repeat(150)}`,
      `${'word '.repeat(180)}That is all. `,
    ],
  ])('cuts where a reader would, in the second half of the 10 segments: %s', (_name, text, first) => {
    // Prepare: GSM-7 text past 1,530 septets, the break 900 to 1,005 characters in
    // Act
    const pieces = splitText(text, SMS_LIMITS);
    // Assess
    expect(pieces[0]).toBe(first);
    expect(pieces.join('')).toBe(text);
  });

  it.each([
    ['Chinese', '我们明天下午三点在火车站见面，'],
    ['Thai', 'สวัสดีครับวันนี้อากาศดีมาก'],
  ])('cuts %s, written without spaces, between words', (_name, phrase) => {
    // Prepare: about 1,000 UCS-2 units without a space or a sentence end; 670 units (10 segments) end inside a word
    const text = phrase.repeat(Math.ceil(1000 / phrase.length));
    const wordStarts = new Set(Array.from(wordSegmenter.segment(text), ({ index }) => index));
    expect(wordStarts.has(670)).toBe(false);
    // Act
    const pieces = splitText(text, SMS_LIMITS);
    // Assess
    expect(pieces.length).toBe(2);
    expect(pieces.join('')).toBe(text);
    expect(wordStarts.has((pieces[0] as string).length)).toBe(true);
    expect(segmentCount(pieces[0] as string)).toBeLessThanOrEqual(10);
  });

  it('splits WhatsApp text by length only', () => {
    // Prepare
    const text = 'α'.repeat(3000);
    // Act
    const pieces = splitText(text, { maxLength: 1600 });
    // Assess
    expect(pieces.map((piece) => piece.length)).toEqual([1600, 1400]);
  });

  it('never makes a whitespace-only message: blanks after a full message are left out', () => {
    // Prepare: 1,530 septets of words (the 10-segment budget), then three spaces; a run of blanks longer than a message
    const tail = `${'abcd '.repeat(306)}   `;
    const run = `abc ${' '.repeat(2000)}def`;
    // Act
    const tailPieces = splitText(tail, SMS_LIMITS);
    const runPieces = splitText(run, SMS_LIMITS);
    // Assess
    expect(tailPieces).toEqual(['abcd '.repeat(306)]);
    expect(runPieces.every((piece) => /\S/u.test(piece))).toBe(true);
    expectPiecesOf(run, runPieces);
  });

  it('property: no message is whitespace-only, even of texts full of blank runs', () => {
    const blanky = fc
      .array(fc.constantFrom('word', ' ', '\n', '\t', ' '.repeat(400), 'α'), { minLength: 1, maxLength: 60 })
      .map((chunks) => chunks.join(''));
    fc.assert(
      fc.property(blanky, fc.integer({ min: 2, max: 200 }), (text, maxLength) => {
        // Act
        const pieces = splitText(text, { maxLength, maxSegments: 3 });
        // Assess
        expectPiecesOf(text, pieces);
        for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(maxLength);
      }),
      { numRuns: 300 },
    );
  });

  it('property: pieces are the text in order (only whitespace-only pieces left out), each within 1,600 characters and 10 segments', () => {
    fc.assert(
      fc.property(textArbitrary, (text) => {
        // Act
        const pieces = splitText(text, SMS_LIMITS);
        // Assess
        expectPiecesOf(text, pieces);
        for (const piece of pieces) {
          expect(piece.length).toBeLessThanOrEqual(1600);
          expect(segmentCount(piece)).toBeLessThanOrEqual(10);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a long link whole in the next message rather than cut it where the word segmenter sees words', () => {
    // Prepare: prose, then a link of 1,112 characters (its `/`, `.`, `=` and `&` are word boundaries to Intl.Segmenter)
    const prose = 'Here is the file you asked for, valid for an hour. '.repeat(9).trim();
    const link = `https://files.example.com/${'folder/'.repeat(150)}quote.pdf?X-Amz-Signature=${'a1'.repeat(5)}`;
    // Act
    const pieces = splitText(`${prose} ${link}`, SMS_LIMITS);
    // Assess
    expect(link.length).toBe(1112);
    expect(pieces).toEqual([`${prose} `, link]);
  });

  it('property: a cut never falls inside a link with `?` or `!` while the message has whitespace', () => {
    const linkish = fc
      .array(
        fc.tuple(
          fc.constantFrom(
            'word',
            'Why?',
            'Done!',
            'https://shop.example.com/track?order=4711&zip=10115',
            'https://x.example/#!/orders/4711',
            'Where?Here!Now',
          ),
          fc.constantFrom(' ', '\n', '. ', '? '),
        ),
        { minLength: 1, maxLength: 200 },
      )
      .map((words) => words.map(([word, after]) => word + after).join(''));
    fc.assert(
      fc.property(linkish, fc.integer({ min: 20, max: 400 }), (text, maxLength) => {
        // Act
        const pieces = splitText(text, { maxLength, maxSegments: 10 });
        // Assess: every piece but the last ends in whitespace, or the next starts with it, or it holds none at all
        expectPiecesOf(text, pieces);
        for (const [index, piece] of pieces.slice(0, -1).entries()) {
          const next = pieces[index + 1] as string;
          expect(/\s$/u.test(piece) || /^\s/u.test(next) || !/\s/u.test(piece)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: a cut never falls inside a word while the message has whitespace', () => {
    fc.assert(
      fc.property(textArbitrary, (text) => {
        // Act
        const pieces = splitText(text, SMS_LIMITS);
        // Assess: every piece but the last ends in whitespace, or the next starts with it, or it holds none at all
        for (const [index, piece] of pieces.slice(0, -1).entries()) {
          const next = pieces[index + 1] as string;
          expect(/\s$/u.test(piece) || /^\s/u.test(next) || !/\s/u.test(piece)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    // The `?` 38 characters into the link falls within the room, the link's end past it
    ['SMS (10 segments, 1,530 septets)', SMS_LIMITS, 35, 'Track it here: ', 1485],
    [
      'WhatsApp through Twilio (1,600 characters)',
      { maxLength: 1600 },
      36,
      'You can track your parcel here: ',
      1544,
    ],
  ])(
    '%s: keeps a link with a query string whole rather than cut it after its `?`',
    (_name, limits, sentences, words, cut) => {
      // Prepare: Intl.Segmenter ends a sentence after a `?` or `!` right before a letter, inside every
      // query string; before 2026-12-06 a link over the cut went `…/track?` in one message, `order=4711…` in the next
      const link = 'https://shop.example.com/orders/track?order=4711&zip=10115';
      const prose = 'Thanks for your order. It ships tomorrow. '.repeat(sentences);
      const lead = `${prose}${words}`;
      const text = `${lead}${link} and reply if anything is wrong.`;
      // Act
      const pieces = splitText(text, limits);
      // Assess: cut at the last sentence end (after its space), the words that lead to the link going with it
      expect(lead.length).toBe(cut);
      expect(pieces).toEqual([prose, `${words}${link} and reply if anything is wrong.`]);
    },
  );

  it('property: a text of paragraphs shorter than half a message is cut only at its blank lines', () => {
    let cut = 0;
    fc.assert(
      fc.property(paragraphsArbitrary, (text) => {
        // Act
        const pieces = splitText(text, SMS_LIMITS);
        if (pieces.length > 1) cut += 1;
        // Assess
        expectPiecesOf(text, pieces);
        for (const piece of pieces.slice(0, -1)) expect(piece.endsWith('\n\n')).toBe(true);
        for (const piece of pieces) expect(segmentCount(piece)).toBeLessThanOrEqual(10);
      }),
      { numRuns: 200, endOnFailure: true },
    );
    // Not vacuous: texts were cut, so there were cuts to check.
    expect(cut).toBeGreaterThan(0);
  });
});

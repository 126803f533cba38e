import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withoutBlankPieces } from '#shared/channels/blank-pieces.ts';
import { fitsLimit, splitText } from '#shared/channels/meta/outbound/split-text.ts';
import { expectPiecesOf } from '#tests/support/pieces.ts';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const graphemesOf = (text: string): string[] => [...graphemes.segment(text)].map((s) => s.segment);
const words = new Intl.Segmenter(undefined, { granularity: 'word' });

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Text made of words, sentences, lines and paragraphs in several scripts, emoji and combining marks. */
const chunk = fc.constantFrom(
  'word ',
  'λέξη ',
  'Բարև ',
  '你好。',
  'สวัสดี',
  '. ',
  '? ',
  '\n',
  '\n\n',
  '👨‍👩‍👧‍👦',
  '🇬🇷',
  'é',
  'e\u0301',
  '😀',
  '  ',
  'x'.repeat(37),
);
const prose = fc.array(chunk, { minLength: 1, maxLength: 400 }).map((chunks) => chunks.join(''));
const anyText = fc.oneof(
  prose,
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 600 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 600 }),
);

describe('splitting a long text', () => {
  it('gives the text back in order, only whitespace-only pieces left out, every piece within the limit and non-empty', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 120 }), fc.boolean(), (text, maxLength, countBytes) => {
        // Prepare
        const limit = countBytes ? { maxLength: 4096, maxUtf8Bytes: Math.max(4, maxLength) } : { maxLength };
        // Act
        const pieces = splitText(text, limit);
        // Assess: slices of the text, none of them blank, nothing but whitespace between them
        expectPiecesOf(text, pieces);
        for (const piece of pieces) expect(fitsLimit(piece, limit)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('never makes a whitespace-only piece: a blank tail after a full piece is left out', () => {
    // Prepare: the reviewer's text, 4,095 units and two line breaks, and a run of blanks longer than a piece
    const tail = `${'Hello there. '.repeat(315)}\n\n`;
    const run = `${'a'.repeat(20)}\n${' '.repeat(30)}${'b'.repeat(30)}`;
    // Act
    const tailPieces = splitText(tail, { maxLength: 4096 });
    const runPieces = splitText(run, { maxLength: 40 });
    // Assess
    expect(tailPieces).toEqual([tail.slice(0, 4096)]);
    expect(runPieces).toEqual([`${'a'.repeat(20)}\n`, 'b'.repeat(30)]);
  });

  it('joins a whitespace-only piece to the one before it when both fit, and leaves a lone blank text as it was', () => {
    // Prepare
    const fits = (piece: string) => piece.length <= 10;
    // Act
    const joined = withoutBlankPieces(['abc', '  ', 'def', '\n\n'], fits);
    const full = withoutBlankPieces(['abcdefghij', '\n', 'k'], fits);
    const afterDropped = withoutBlankPieces(['abc', ' '.repeat(10), ' '], fits);
    const leading = withoutBlankPieces(['   ', 'abc'], fits);
    const lone = withoutBlankPieces(['   ', '  '], fits);
    // Assess
    expect(joined).toEqual(['abc  ', 'def\n\n']);
    expect(full).toEqual(['abcdefghij', 'k']);
    expect(afterDropped).toEqual(['abc']);
    expect(leading).toEqual(['abc']);
    expect(lone).toEqual(['   ']);
  });

  it('takes a piece of only zero-width, format or filler characters for blank, as the contract does', () => {
    // Prepare: before 2026-12-06 only whitespace was blank here, so such a piece went out as a message
    // that showed nothing
    const fits = (piece: string) => piece.length <= 10;
    // Act
    const joined = withoutBlankPieces(['abc', '\u200B\u2060', 'def'], fits);
    const dropped = withoutBlankPieces(['abcdefghij', '\u3164\u200D\u0000', 'k'], fits);
    // Assess
    expect(joined).toEqual(['abc\u200B\u2060', 'def']);
    expect(dropped).toEqual(['abcdefghij', 'k']);
  });

  it('sends no piece of a text ending in zero-width spaces longer than a message holds', () => {
    // Prepare
    const text = `${'word '.repeat(10)}${'\u200B'.repeat(5000)}`;
    // Act
    const pieces = splitText(text, { maxLength: 4096 });
    // Assess
    expect(pieces).toEqual(['word '.repeat(10)]);
    expectPiecesOf(text, pieces);
  });

  it('property: no piece is whitespace-only, even of texts full of blank runs', () => {
    const blanky = fc
      .array(fc.constantFrom('word', ' ', '\n', '\n\n', ' '.repeat(50), '\t', '\u00a0'), {
        minLength: 1,
        maxLength: 300,
      })
      .map((chunks) => chunks.join(''));
    fc.assert(
      fc.property(blanky, fc.integer({ min: 2, max: 60 }), (text, maxLength) => {
        // Act
        const pieces = splitText(text, { maxLength });
        // Assess
        expectPiecesOf(text, pieces);
        for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(maxLength);
      }),
      { numRuns: 300 },
    );
  });

  it('never cuts inside a surrogate pair of well-formed text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 500 }),
        fc.integer({ min: 2, max: 50 }),
        (text, maxLength) => {
          // Act
          const pieces = splitText(text, { maxLength });
          // Assess
          for (const piece of pieces) {
            expect(isLow(piece.charCodeAt(0))).toBe(false);
            expect(isHigh(piece.charCodeAt(piece.length - 1))).toBe(false);
          }
        },
      ),
    );
  });

  it('keeps each grapheme whole when one fits in a piece', () => {
    // Prepare: ZWJ families (11 units), flags and combining accents.
    const text = '👨‍👩‍👧‍👦🇬🇷e\u0301'.repeat(40);
    // Act
    const pieces = splitText(text, { maxLength: 30 });
    // Assess
    expect(pieces.flatMap(graphemesOf)).toEqual(graphemesOf(text));
  });

  it('prefers a paragraph, then a line, then a sentence, then a space', () => {
    // Prepare
    const paragraph = `${'a'.repeat(30)}\n\n${'b'.repeat(25)}`;
    const line = `${'a'.repeat(30)}\n${'b'.repeat(25)}`;
    const sentence = `${'a'.repeat(20)} aaa. Bbb ${'b'.repeat(25)}`;
    const spaced = `${'a'.repeat(20)} ${'b'.repeat(20)} ${'c'.repeat(20)}`;
    // Act
    const [p, l, s, w] = [paragraph, line, sentence, spaced].map((text) =>
      splitText(text, { maxLength: 40 }),
    );
    // Assess
    expect(p?.[0]).toBe(`${'a'.repeat(30)}\n\n`);
    expect(l?.[0]).toBe(`${'a'.repeat(30)}\n`);
    expect(s?.[0]).toBe(`${'a'.repeat(20)} aaa. `);
    expect(w?.[0]).toBe(`${'a'.repeat(20)} `);
  });

  it('cuts at word boundaries in scripts without spaces', () => {
    // Prepare
    const text = '你好。我很好。谢谢你的帮助。';
    // Act
    const pieces = splitText(text, { maxLength: 8 });
    // Assess
    expect(pieces).toEqual(['你好。我很好。', '谢谢你的帮助。']);
  });

  it('cuts Thai, written without spaces, between words whatever the limit (the words after a piece read too)', () => {
    // Prepare: before 2026-12-05 a window ending inside a word had that word cut short, for 19 of these 70 limits
    const text = 'สวัสดีครับวันนี้อากาศดีมาก'.repeat(4);
    const wordStarts = new Set(Array.from(words.segment(text), ({ index }) => index));
    for (let maxLength = 10; maxLength < 80; maxLength += 1) {
      // Act
      const pieces = splitText(text, { maxLength });
      // Assess
      expect(pieces.join('')).toBe(text);
      let end = 0;
      for (const piece of pieces.slice(0, -1)) {
        end += piece.length;
        expect({ maxLength, end, wordStart: wordStarts.has(end) }).toEqual({
          maxLength,
          end,
          wordStart: true,
        });
      }
    }
  });

  it.each([
    // The `?` 38 characters into the link falls within the room, the link's end past it
    ['WhatsApp (4,096)', 4096, 96, 'Track your parcel here: ', 4056],
    ['a Messenger page (2,000)', 2000, 46, 'Track your parcel here: ', 1956],
  ])(
    '%s: keeps a link with a query string whole rather than cut it after its `?`',
    (_name, maxLength, sentences, words, cut) => {
      // Prepare: Intl.Segmenter ends a sentence after a `?` or `!` right before a letter, inside every
      // query string; before 2026-12-06 a link over the cut went `…/track?` in one message, `order=4711…` in the next
      const link = 'https://shop.example.com/orders/track?order=4711&zip=10115';
      const prose = 'Thanks for your order. It ships tomorrow. '.repeat(sentences);
      const lead = `${prose}${words}`;
      const text = `${lead}${link} and reply.`;
      // Act
      const pieces = splitText(text, { maxLength });
      // Assess: cut at the last sentence end (after its space), the words that lead to the link going with it
      expect(lead.length).toBe(cut);
      expect(pieces).toEqual([prose, `${words}${link} and reply.`]);
    },
  );

  it('still ends a piece at a sentence end in a text without whitespace', () => {
    // Prepare: no whitespace anywhere, so no cut could keep a run whole: a `?` or `!` still ends a piece
    const text = 'Why?Because!Fine.'.repeat(3);
    // Act
    const pieces = splitText(text, { maxLength: 20 });
    // Assess
    expect(pieces).toEqual(['Why?Because!', 'Fine.Why?Because!', 'Fine.Why?Because!', 'Fine.']);
  });

  it('ends a piece at a Chinese sentence end though the piece has a space (no short first message)', () => {
    // Prepare: one space near the start, then sentences ending in 。 with no whitespace after them
    const sentence = '您的订单已经发货了，预计明天送达。';
    const text = `订单 A1 ${sentence.repeat(12)}`;
    // Act
    const pieces = splitText(text, { maxLength: 100 });
    // Assess: the first piece runs to the last sentence end that fits, not to the early space
    expectPiecesOf(text, pieces);
    expect(pieces[0]?.endsWith('。')).toBe(true);
    expect(pieces[0]?.length).toBeGreaterThan(50);
  });

  it('property: a cut never falls inside a link with `?` or `!` while the piece has whitespace', () => {
    const linkish = fc
      .array(
        fc.tuple(
          fc.constantFrom(
            'word',
            'Why?',
            'Done!',
            '你好。',
            'https://shop.example.com/track?order=4711&zip=10115',
            'https://x.example/#!/orders/4711',
            'Where?Here!Now',
          ),
          fc.constantFrom(' ', '\n', '\n\n', '. ', '? '),
        ),
        { minLength: 1, maxLength: 200 },
      )
      .map((words) => words.map(([word, after]) => word + after).join(''));
    fc.assert(
      fc.property(linkish, fc.integer({ min: 20, max: 400 }), fc.boolean(), (text, maxLength, countBytes) => {
        // Prepare
        const limit = countBytes ? { maxLength: 4096, maxUtf8Bytes: maxLength } : { maxLength };
        // Act
        const pieces = splitText(text, limit);
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

  it('keeps a word whole for the next piece when the second half of the room has no place between words', () => {
    // Prepare
    const text = `see ${'x'.repeat(18)}`;
    // Act
    const pieces = splitText(text, { maxLength: 20 });
    // Assess
    expect(pieces).toEqual(['see ', 'x'.repeat(18)]);
  });

  it('returns a text that fits as its only piece', () => {
    // Act
    const pieces = splitText('short', { maxLength: 4096 });
    // Assess
    expect(pieces).toEqual(['short']);
  });
});

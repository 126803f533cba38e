import { withoutBlankPieces } from './blank-pieces.ts';

/*
 * Where a long text is cut into provider messages, for every channel: each channel says only how
 * much one piece may hold (a `PieceBudget`: characters, UTF-8 bytes, SMS segments), and the cut is
 * chosen here the same way for all. Within the second half of the room a piece has, a cut prefers:
 * after a blank line, after a line break, at the end of a sentence (after an ASCII character, one
 * that ends in whitespace while the room has any: not after the `?` of a link's query; after `。`
 * any), after whitespace; with none of
 * those there, after the last whitespace that fits (a word, or a link, is not cut while the piece
 * has a space); in a room without whitespace, at a word boundary (Intl.Segmenter's, so scripts
 * without spaces, Chinese, Japanese or Thai, are cut between words), the latest in the second half,
 * else the last that fits; else at the last grapheme
 * boundary that fits, so an emoji family, a flag or an accented letter stays whole. Only a single
 * grapheme longer than a whole piece (combining marks heaped on one letter) is cut between code
 * points, never inside a surrogate pair.
 */

/**
 * Measures one piece as it grows: offered the piece's code points in turn, it takes one and answers
 * true while the piece still fits, and answers false (taking nothing) at the first that does not.
 */
export type PieceMeasure = (codePoint: string) => boolean;
/** A fresh, empty measure for each piece. */
export type PieceBudget = () => PieceMeasure;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const words = new Intl.Segmenter(undefined, { granularity: 'word' });
const sentences = new Intl.Segmenter(undefined, { granularity: 'sentence' });

/**
 * Units of the text after a piece's room that its window takes in. One code point decides whether
 * the room's end is a grapheme boundary, but a word of Thai or Chinese found by dictionary, or a
 * sentence end (a period before a lowercase word is none), depends on more of what follows: a
 * window ending inside a word would have its last word cut short.
 */
const LOOK_AHEAD = 64;
const WHITESPACE = /\s/u;
/** What may stand between the two line breaks of a blank line. */
const LINE_BLANKS = new Set([' ', '\t', '\r']);

/** The code point at `offset` (a lone surrogate as itself). */
const codePointAt = (text: string, offset: number): string =>
  String.fromCodePoint(text.codePointAt(offset) as number);

/** How many code units from `start` one piece holds: whole code points, at least one. */
const roomAt = (text: string, start: number, budget: PieceBudget): number => {
  const take = budget();
  let end = start;
  while (end < text.length) {
    const char = codePointAt(text, end);
    if (!take(char)) break;
    end += char.length;
  }
  return end > start ? end - start : codePointAt(text, start).length;
};

/** Boundaries of `segmenter` strictly inside `window` and at most `room`, largest first. */
const boundaries = (segmenter: Intl.Segmenter, window: string, room: number): number[] => {
  const found: number[] = [];
  for (const { index } of segmenter.segment(window)) if (index > 0 && index <= room) found.push(index);
  return found.reverse();
};

/**
 * Whether a blank line ends at `cut`: a line break, then nothing but spaces, tabs and carriage
 * returns back to the line break before it. (A scan, not a regular expression: each blank is read
 * once by the one line break after it, so all the cuts of a window take linear time.)
 */
const endsParagraph = (window: string, cut: number): boolean => {
  if (window[cut - 1] !== '\n') return false;
  let at = cut - 2;
  while (at >= 0 && LINE_BLANKS.has(window[at] as string)) at -= 1;
  return at >= 0 && window[at] === '\n';
};

/** Where to end the piece that starts at `start` and may hold `room` units (the text goes on after it). */
const cutAt = (text: string, start: number, room: number): number => {
  const window = text.slice(start, start + room + LOOK_AHEAD);
  const clusterCuts = boundaries(graphemes, window, room);
  // One grapheme longer than a piece: `room` ends at a code point.
  if (clusterCuts.length === 0) return room;
  const floor = Math.floor(room / 2);
  const late = (cut: number): boolean => cut >= floor;
  const paragraph = clusterCuts.find((cut) => late(cut) && endsParagraph(window, cut));
  if (paragraph !== undefined) return paragraph;
  const line = clusterCuts.find((cut) => late(cut) && window[cut - 1] === '\n');
  if (line !== undefined) return line;
  const clusterSet = new Set(clusterCuts);
  const afterWhitespace = (cut: number): boolean => WHITESPACE.test(window[cut - 1] as string);
  const afterSpace = clusterCuts.filter(afterWhitespace);
  // A sentence of prose ends after its spaces, but Intl.Segmenter also ends one after an ASCII `?`
  // or `!` right before a letter, as in a link's query string: while the room has whitespace, a
  // sentence end right after an ASCII character is one only after whitespace, so a link is not cut
  // after its `?`. One after `。`, `！` or `？` (Chinese, Japanese: no spaces between sentences) is.
  const sentenceEnd = (cut: number): boolean =>
    afterSpace.length === 0 || afterWhitespace(cut) || (window.codePointAt(cut - 1) ?? 0) > 0x7f;
  const sentence = boundaries(sentences, window, room).find(
    (cut) => late(cut) && clusterSet.has(cut) && sentenceEnd(cut),
  );
  if (sentence !== undefined) return sentence;
  const wordCuts = boundaries(words, window, room).filter((cut) => clusterSet.has(cut));
  // Whitespace anywhere in the room before any word boundary: the segmenter also finds boundaries
  // inside a link (at `/`, `.`, `=`), which a cut there would break. Word boundaries are for scripts
  // written without spaces (a room with no whitespace at all).
  return (
    afterSpace.find(late) ?? afterSpace[0] ?? wordCuts.find(late) ?? wordCuts[0] ?? (clusterCuts[0] as number)
  );
};

/** Whether `text` fits one piece of `budget`. */
const fitsBudget = (text: string, budget: PieceBudget): boolean => {
  const take = budget();
  for (const char of text) if (!take(char)) return false;
  return true;
};

/**
 * The text in pieces that each fit `budget` (one piece when it already fits), in order, so that
 * joining them gives the text back (no whitespace trimmed or added), except that no piece is only
 * whitespace: such a piece joins the one before it when both fit, else it is left out
 * (`withoutBlankPieces`). A piece holds at least one code point, even one the budget refuses alone.
 */
export const splitPieces = (text: string, budget: PieceBudget): string[] => {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    const room = roomAt(text, start, budget);
    if (start + room >= text.length) {
      pieces.push(text.slice(start));
      break;
    }
    const cut = cutAt(text, start, room);
    pieces.push(text.slice(start, start + cut));
    start += cut;
  }
  return withoutBlankPieces(pieces, (piece) => fitsBudget(piece, budget));
};

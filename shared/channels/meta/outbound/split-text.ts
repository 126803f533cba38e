import { withoutBlankPieces } from '../../blank-pieces.ts';

/**
 * Splits a text too long for one provider message into pieces that each fit, in order, so that
 * joining the pieces gives the text back (no whitespace trimmed or added), except that no piece is
 * only whitespace: such a piece joins the one before it when both fit, else it is left out
 * (`withoutBlankPieces`). A cut prefers,
 * within the second half of the room a piece has: after a blank line, after a line break, at the
 * end of a sentence, after whitespace, at a word boundary (scripts without spaces); else at the
 * last grapheme boundary that fits; a single grapheme longer than a whole piece (combining-mark
 * abuse) is cut between code points, never inside a surrogate pair.
 */

/** How much one piece may hold: UTF-16 code units (JavaScript length) and, where the provider counts them, UTF-8 bytes. */
export interface TextLimit {
  readonly maxLength: number;
  readonly maxUtf8Bytes?: number;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const words = new Intl.Segmenter(undefined, { granularity: 'word' });
const sentences = new Intl.Segmenter(undefined, { granularity: 'sentence' });

/** Boundaries strictly inside `window` and at most `room`, largest first. */
const boundaries = (segmenter: Intl.Segmenter, window: string, room: number): number[] => {
  const found: number[] = [];
  for (const { index } of segmenter.segment(window)) if (index > 0 && index <= room) found.push(index);
  return found.reverse();
};

const utf8Length = (codePoint: number): number =>
  codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;

/** How many code units from `start` fit the limit (whole code points only when bytes are counted). */
const roomAt = (text: string, start: number, limit: TextLimit): number => {
  const units = Math.min(limit.maxLength, text.length - start);
  if (limit.maxUtf8Bytes === undefined) return units;
  let bytes = 0;
  let offset = 0;
  while (offset < units) {
    const codePoint = text.codePointAt(start + offset) as number;
    const size = codePoint > 0xffff ? 2 : 1;
    if (offset + size > units || bytes + utf8Length(codePoint) > limit.maxUtf8Bytes) break;
    bytes += utf8Length(codePoint);
    offset += size;
  }
  return offset;
};

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

const PARAGRAPH_END = /\n[\t \r]*\n$/;
const WHITESPACE = /\s/;

/** Where to end the piece that starts at `start` and may hold `room` units (the text goes on after it). */
const cutAt = (text: string, start: number, room: number): number => {
  // One code point of look-ahead (two units) decides whether the last position is a grapheme boundary.
  const window = text.slice(start, start + room + 2);
  const clusterCuts = boundaries(graphemes, window, room);
  if (clusterCuts.length === 0) {
    // One grapheme longer than a piece: cut between code points.
    return isHighSurrogate(text.charCodeAt(start + room - 1)) && room > 1 ? room - 1 : room;
  }
  const floor = Math.floor(room / 2);
  const natural = clusterCuts.filter((cut) => cut >= floor);
  const before = (cut: number): string => window.slice(Math.max(0, cut - 16), cut);
  const paragraph = natural.find((cut) => PARAGRAPH_END.test(before(cut)));
  if (paragraph !== undefined) return paragraph;
  const line = natural.find((cut) => window[cut - 1] === '\n');
  if (line !== undefined) return line;
  if (natural.length > 0) {
    const clusterSet = new Set(natural);
    const sentence = boundaries(sentences, window, room).find((cut) => cut >= floor && clusterSet.has(cut));
    if (sentence !== undefined) return sentence;
    const wordCuts = boundaries(words, window, room).filter((cut) => cut >= floor && clusterSet.has(cut));
    const afterSpace = wordCuts.find((cut) => WHITESPACE.test(window[cut - 1] as string));
    if (afterSpace !== undefined) return afterSpace;
    if (wordCuts[0] !== undefined) return wordCuts[0];
  }
  return clusterCuts[0] as number;
};

/** The text in pieces that each fit `limit`; one piece when it already fits. */
export const splitText = (text: string, limit: TextLimit): string[] => {
  if (limit.maxLength < 2) throw new RangeError('a piece must hold at least two code units');
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    const room = roomAt(text, start, limit);
    if (start + room >= text.length) {
      pieces.push(text.slice(start));
      break;
    }
    const cut = cutAt(text, start, Math.max(room, 1));
    pieces.push(text.slice(start, start + cut));
    start += cut;
  }
  return withoutBlankPieces(pieces, (piece) => fitsLimit(piece, limit));
};

/** Whether the text fits one piece. */
export const fitsLimit = (text: string, limit: TextLimit): boolean =>
  text.length <= limit.maxLength &&
  (limit.maxUtf8Bytes === undefined || Buffer.byteLength(text, 'utf8') <= limit.maxUtf8Bytes);

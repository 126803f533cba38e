import { withoutBlankPieces } from '../../blank-pieces.ts';
import { encodingOf, SegmentCounter, type SmsEncoding } from './segments.ts';

export interface SplitLimits {
  /** Most UTF-16 code units one message may hold (Twilio's `Body`: 1,600 characters). */
  readonly maxLength: number;
  /** Most SMS segments one message may take; absent for channels without segments (WhatsApp). */
  readonly maxSegments?: number;
}

const WHITESPACE = /\s/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Where each grapheme cluster of `text` ends, by where it starts. */
const clusterEnds = (text: string): Map<number, number> => {
  const ends = new Map<number, number>();
  for (const { index, segment } of graphemes.segment(text)) ends.set(index, index + segment.length);
  return ends;
};

/** Where the code point at `offset` ends. */
const codePointEnd = (text: string, offset: number): number =>
  offset + String.fromCodePoint(text.codePointAt(offset) as number).length;

/** Whether `more` is past the limits after what the counter holds. */
const overSegments = (limits: SplitLimits, counter: SegmentCounter | undefined, more: string): boolean =>
  counter !== undefined &&
  limits.maxSegments !== undefined &&
  counter.segmentsWith(more) > limits.maxSegments;

/**
 * A grapheme longer than a whole message (combining marks heaped on one letter), from `start`: as
 * many of its code points as fit, at least one, never inside a surrogate pair.
 */
const codePointCut = (
  text: string,
  start: number,
  clusterEnd: number,
  limits: SplitLimits,
  counter: SegmentCounter | undefined,
): number => {
  let end = start;
  while (end < clusterEnd) {
    const next = codePointEnd(text, end);
    const char = text.slice(end, next);
    if (end > start && (next - start > limits.maxLength || overSegments(limits, counter, char))) break;
    counter?.add(char);
    end = next;
  }
  return end;
};

/**
 * The longest prefix of `text` from `start` within the limits, ended after the last whitespace
 * in it when the text goes on (a word is never cut while a space allows otherwise); a run without
 * whitespace longer than the limit is cut between grapheme clusters (an emoji family, a flag, a
 * letter with its accents stays whole), and only a single cluster longer than a whole message
 * between its code points, never inside a surrogate pair.
 */
const nextCut = (
  text: string,
  start: number,
  limits: SplitLimits,
  ends: ReadonlyMap<number, number>,
  counter?: SegmentCounter,
): number => {
  let end = start;
  let lastBreak = -1;
  while (end < text.length) {
    // Inside a cluster only after one was cut between code points: the rest of it goes by code points.
    const next = ends.get(end) ?? codePointEnd(text, end);
    const cluster = text.slice(end, next);
    if (next - start > limits.maxLength || overSegments(limits, counter, cluster)) {
      if (lastBreak > start) return lastBreak;
      return end > start ? end : codePointCut(text, start, next, limits, counter);
    }
    counter?.add(cluster);
    end = next;
    if (WHITESPACE.test(cluster)) lastBreak = end;
  }
  return end;
};

/** Whether `piece` fits one message, its segments counted in the whole text's encoding as the cuts are. */
const fits = (piece: string, limits: SplitLimits, encoding: SmsEncoding | undefined): boolean => {
  if (piece.length > limits.maxLength) return false;
  if (encoding === undefined || limits.maxSegments === undefined) return true;
  const counter = new SegmentCounter(encoding);
  for (const char of piece) {
    if (counter.segmentsWith(char) > limits.maxSegments) return false;
    counter.add(char);
  }
  return true;
};

/**
 * Splits a text into messages within the limits, in order; joined they are the text, every
 * character kept (whitespace at a cut ends the earlier piece), except that no message is only
 * whitespace: such a piece joins the one before it when both fit, else it is left out
 * (`withoutBlankPieces`). With `maxSegments`, the encoding is
 * the whole text's (one non-GSM character anywhere sizes every piece as UCS-2): a piece that happens
 * to be all GSM-7 then takes fewer segments than allowed, never more.
 */
export const splitText = (text: string, limits: SplitLimits): string[] => {
  const encoding = limits.maxSegments === undefined ? undefined : encodingOf(text);
  const ends = clusterEnds(text);
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    const cut = nextCut(text, start, limits, ends, encoding ? new SegmentCounter(encoding) : undefined);
    pieces.push(text.slice(start, cut));
    start = cut;
  }
  return withoutBlankPieces(pieces, (piece) => fits(piece, limits, encoding));
};

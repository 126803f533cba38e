import { withoutBlankPieces } from '../../blank-pieces.ts';
import { encodingOf, SegmentCounter, type SmsEncoding } from './segments.ts';

export interface SplitLimits {
  /** Most UTF-16 code units one message may hold (Twilio's `Body`: 1,600 characters). */
  readonly maxLength: number;
  /** Most SMS segments one message may take; absent for channels without segments (WhatsApp). */
  readonly maxSegments?: number;
}

const WHITESPACE = /\s/u;

/**
 * The longest prefix of `text` from `start` within the limits, ended after the last whitespace
 * in it when the text goes on (a word is never cut while a space allows otherwise); a run without
 * whitespace longer than the limit is cut at a code point, never inside a surrogate pair.
 */
const nextCut = (text: string, start: number, limits: SplitLimits, counter?: SegmentCounter): number => {
  let end = start;
  let lastBreak = -1;
  while (end < text.length) {
    const char = String.fromCodePoint(text.codePointAt(end) as number);
    const tooLong = end + char.length - start > limits.maxLength;
    const tooManySegments =
      counter !== undefined &&
      limits.maxSegments !== undefined &&
      counter.segmentsWith(char) > limits.maxSegments;
    if (tooLong || tooManySegments) {
      if (lastBreak > start) return lastBreak;
      return end > start ? end : start + char.length;
    }
    counter?.add(char);
    end += char.length;
    if (WHITESPACE.test(char)) lastBreak = end;
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
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    const cut = nextCut(text, start, limits, encoding ? new SegmentCounter(encoding) : undefined);
    pieces.push(text.slice(start, cut));
    start = cut;
  }
  return withoutBlankPieces(pieces, (piece) => fits(piece, limits, encoding));
};

import { type PieceBudget, splitPieces } from '../../split-pieces.ts';
import { encodingOf, SegmentCounter, type SmsEncoding } from './segments.ts';

export interface SplitLimits {
  /** Most UTF-16 code units one message may hold (Twilio's `Body`: 1,600 characters). */
  readonly maxLength: number;
  /** Most SMS segments one message may take; absent for channels without segments (WhatsApp). */
  readonly maxSegments?: number;
}

/** A message's code units and, with `maxSegments`, its segments in `encoding`. */
const budgetOf =
  (limits: SplitLimits, encoding: SmsEncoding | undefined): PieceBudget =>
  () => {
    let units = 0;
    const maxSegments = limits.maxSegments;
    const counter =
      encoding === undefined || maxSegments === undefined ? undefined : new SegmentCounter(encoding);
    return (char) => {
      if (units + char.length > limits.maxLength) return false;
      if (counter !== undefined && counter.segmentsWith(char) > (maxSegments as number)) return false;
      counter?.add(char);
      units += char.length;
      return true;
    };
  };

/**
 * Splits a text into messages within the limits, in order, cut where a reader would (after a
 * paragraph, a line, a sentence, whitespace or a word, else between grapheme clusters:
 * `splitPieces`); joined they are the text, every character kept (whitespace at a cut ends the
 * earlier piece), except that no message is only whitespace: such a piece joins the one before it
 * when both fit, else it is left out. With `maxSegments`, the encoding is the whole text's (one
 * non-GSM character anywhere sizes every piece as UCS-2): a piece that happens to be all GSM-7 then
 * takes fewer segments than allowed, never more.
 */
export const splitText = (text: string, limits: SplitLimits): string[] =>
  splitPieces(text, budgetOf(limits, limits.maxSegments === undefined ? undefined : encodingOf(text)));

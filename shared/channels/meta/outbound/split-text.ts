import { type PieceBudget, splitPieces } from '../../split-pieces.ts';

/**
 * Splits a text too long for one provider message into pieces that each fit, in order, so that
 * joining the pieces gives the text back (no whitespace trimmed or added), except that no piece is
 * only whitespace (`splitPieces`, which chooses each cut: after a paragraph, a line, a sentence,
 * whitespace or a word, else between grapheme clusters).
 */

/** How much one piece may hold: UTF-16 code units (JavaScript length) and, where the provider counts them, UTF-8 bytes. */
export interface TextLimit {
  readonly maxLength: number;
  readonly maxUtf8Bytes?: number;
}

const utf8Length = (codePoint: number): number =>
  codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;

/** A piece's code units and, when the limit has them, its UTF-8 bytes (a lone surrogate as the 3 of U+FFFD). */
const budgetOf =
  (limit: TextLimit): PieceBudget =>
  () => {
    let units = 0;
    let bytes = 0;
    return (char) => {
      const charBytes = utf8Length(char.codePointAt(0) as number);
      if (units + char.length > limit.maxLength) return false;
      if (limit.maxUtf8Bytes !== undefined && bytes + charBytes > limit.maxUtf8Bytes) return false;
      units += char.length;
      bytes += charBytes;
      return true;
    };
  };

/** The text in pieces that each fit `limit`; one piece when it already fits. */
export const splitText = (text: string, limit: TextLimit): string[] => {
  if (limit.maxLength < 2) throw new RangeError('a piece must hold at least two code units');
  return splitPieces(text, budgetOf(limit));
};

/** Whether the text fits one piece. */
export const fitsLimit = (text: string, limit: TextLimit): boolean =>
  text.length <= limit.maxLength &&
  (limit.maxUtf8Bytes === undefined || Buffer.byteLength(text, 'utf8') <= limit.maxUtf8Bytes);

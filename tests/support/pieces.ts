import { expect } from 'vitest';

const BLANK = /^\s*$/u;

/**
 * A split's pieces are slices of the text in order, with nothing but whitespace left out between
 * them (or after the last): every other character kept, in order, none added. No piece is empty or
 * only whitespace unless it is the only one.
 */
export const expectPiecesOf = (text: string, pieces: readonly string[]): void => {
  let position = 0;
  for (const piece of pieces) {
    expect(piece.length).toBeGreaterThan(0);
    if (pieces.length > 1) expect(BLANK.test(piece)).toBe(false);
    let at = position;
    while (!text.startsWith(piece, at)) {
      expect(at < text.length && BLANK.test(text[at] as string)).toBe(true);
      at += 1;
    }
    position = at + piece.length;
  }
  expect(BLANK.test(text.slice(position))).toBe(true);
};

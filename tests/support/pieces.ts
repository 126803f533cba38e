import { expect } from 'vitest';
import { showsNothing } from '#shared/validation/shown-text.ts';

/**
 * A split's pieces are slices of the text in order, with nothing but blank text (whitespace,
 * zero-width, format, control characters: `showsNothing`) left out between them (or after the
 * last): every other character kept, in order, none added. No piece is empty or blank unless it is
 * the only one.
 */
export const expectPiecesOf = (text: string, pieces: readonly string[]): void => {
  let position = 0;
  for (const piece of pieces) {
    expect(piece.length).toBeGreaterThan(0);
    if (pieces.length > 1) expect(showsNothing(piece)).toBe(false);
    const at = text.indexOf(piece, position);
    expect(at).toBeGreaterThanOrEqual(position);
    expect(showsNothing(text.slice(position, at))).toBe(true);
    position = at + piece.length;
  }
  expect(showsNothing(text.slice(position))).toBe(true);
};

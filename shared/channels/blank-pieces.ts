import { showsNothing } from '#shared/validation/shown-text.ts';

/*
 * A split text's pieces without one that is blank: such a piece would go out as a provider message
 * showing nothing (a trailing "\n" after a full piece, a run of spaces or of zero-width spaces longer
 * than a piece). Blank is the contract's rule (shared/validation/shown-text.ts): nothing but
 * whitespace, format, control and filler characters.
 */

/**
 * Whether a text shows the reader nothing (empty, or blank): a caption like that is no caption (the
 * contract refuses a blank text part, not a blank caption), never a message of its own.
 */
export const isBlank = (text: string | undefined): boolean => text === undefined || showsNothing(text);

/**
 * Each blank piece joins the piece right before it when the two still fit (`fits`), and
 * is dropped otherwise, or when nothing comes before it, or when a blank piece between them was
 * dropped (every piece stays a slice of the text): a blank piece shows the reader nothing, and
 * every other character stays, in order. A text with no other character keeps its first piece, as
 * it was.
 */
export const withoutBlankPieces = (pieces: readonly string[], fits: (piece: string) => boolean): string[] => {
  const kept: string[] = [];
  /** Whether the last kept piece ends where the next one starts (nothing dropped since). */
  let adjacent = false;
  for (const piece of pieces) {
    const last = kept.length - 1;
    if (!showsNothing(piece)) {
      kept.push(piece);
      adjacent = true;
    } else if (adjacent && fits(`${kept[last]}${piece}`)) {
      kept[last] = `${kept[last]}${piece}`;
    } else {
      adjacent = false;
    }
  }
  return kept.length > 0 || pieces.length === 0 ? kept : [pieces[0] as string];
};

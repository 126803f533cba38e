import { AsyncLocalStorage } from 'node:async_hooks';
import PostalMime from 'postal-mime';

/**
 * More pieces of base64 than a mail carries. postal-mime decodes base64 in pieces that end at each
 * `=` (padding). 4.0.0 kept one buffer per piece and joined them in one Blob: 15–40 µs a piece, so
 * 1 million `QQ==` (4 MB, on one line or in 76-character lines alike) took 40 s. 4.2.0 copies the
 * pieces into fixed-size chunks (its 4.0.6), about 3.5 µs a piece (300,000 took 1 s, 4.0.0 5.4 s),
 * still work a sender decides, so the bound stays. A mail has one
 * piece per 100 KB of each part, plus one per line from mailers that pad every line: at most about
 * 134,000 in the size limit (10 MiB of 76-character lines), and 150,000 pieces took about 1 s (4.0.0).
 * A raw-text count cannot find them (the same `=AB=CD` is quoted-printable in one part and base64
 * in the next, and a base64-encoded forward read inline hides its parts), so the count is kept in
 * postal-mime's own decoder.
 */
export const MAX_BASE64_PIECES = 150_000;

/** Thrown from inside postal-mime's parse once the mail passes MAX_BASE64_PIECES. */
export class TooManyBase64Pieces extends Error {}

interface Budget {
  pieces: number;
}

/** The budget of the parse in progress: postal-mime's nested parsers run in the same async context. */
const budgets = new AsyncLocalStorage<Budget>();

interface Base64DecoderPrototype {
  pushChunk(this: unknown, base64: string): void;
  [GUARDED]?: true;
}

const GUARDED = Symbol.for('switchboard.base64-budget');

/**
 * postal-mime exports neither its MIME node nor its decoder: the prototype is reached through a
 * parser's root node (setupContentDecoder, contentDecoder, pushChunk: the same in 4.0.0 and 4.2.0).
 * A postal-mime without them fails here, at import, not silently unguarded.
 */
const base64DecoderPrototype = (): Base64DecoderPrototype => {
  const root = (new PostalMime() as unknown as { root?: Record<string, unknown> }).root;
  const setup = root?.setupContentDecoder;
  if (typeof setup === 'function') setup.call(root, 'base64');
  const decoder = root?.contentDecoder;
  const prototype: unknown =
    typeof decoder === 'object' && decoder !== null ? Object.getPrototypeOf(decoder) : undefined;
  if (typeof (prototype as Partial<Base64DecoderPrototype> | undefined)?.pushChunk !== 'function') {
    throw new Error('postal-mime has no base64 decoder to guard (its internals changed)');
  }
  return prototype as Base64DecoderPrototype;
};

const guardBase64Decoder = (): void => {
  const prototype = base64DecoderPrototype();
  if (prototype[GUARDED]) return;
  const pushChunk = prototype.pushChunk;
  prototype.pushChunk = function (this: unknown, base64: string): void {
    const budget = budgets.getStore();
    if (budget !== undefined && base64.length > 0) {
      budget.pieces += 1;
      if (budget.pieces > MAX_BASE64_PIECES) throw new TooManyBase64Pieces();
    }
    pushChunk.call(this, base64);
  };
  prototype[GUARDED] = true;
};

guardBase64Decoder();

/** Runs one parse with its own budget of base64 pieces; past it, the parse rejects with TooManyBase64Pieces. */
export const withBase64Budget = <T>(parse: () => Promise<T>): Promise<T> => budgets.run({ pieces: 0 }, parse);

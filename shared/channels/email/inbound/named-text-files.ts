import { AsyncLocalStorage } from 'node:async_hooks';
import PostalMime from 'postal-mime';

/**
 * A text part that names a file is a file. postal-mime (4.0.0, 4.2.0) reads every text/plain and text/html
 * part as body text unless its Content-Disposition is `attachment` (its isInlineTextNode), and has
 * no option to do otherwise; but Apple Mail attaches files `inline; filename="app.log"`, and older
 * clients and many systems write only `Content-Type: text/plain; name="app.log"`. Such a file was
 * pasted into the body (textBody, htmlBody, the message's text and the customer's "new words") and
 * lost as a file: no name, nothing the helpdesk could download. So, within a parse of the hub's, a
 * text part with a `filename` (Content-Disposition, RFC 2231 sections joined) or a `name`
 * (Content-Type) is read as an attachment, as postal-mime reads any other part.
 *
 * Unless that would leave the mail without any body text: MMS-to-mail gateways name the message
 * text itself (`text_0.txt`), so a named text part is a file only when the mail (or forwarded
 * message: each has its parser) has a text part without a name, its body. A mail whose every text
 * part is named is read as before.
 */

interface ParsedHeader {
  parsed?: { value?: unknown; params?: Record<string, unknown> };
  multipart?: unknown;
}

interface PartNode {
  contentType?: ParsedHeader;
  contentDisposition?: ParsedHeader;
  childNodes?: unknown;
}

interface Parser {
  root?: PartNode;
}

const GUARDED = Symbol.for('switchboard.named-text-files');

interface ParserPrototype {
  isInlineTextNode(this: Parser, node: PartNode): boolean;
  /** Whether the parse in progress is the hub's (postal-mime's nested parsers run in its context). */
  [GUARDED]?: AsyncLocalStorage<true>;
}

const namesFile = (node: PartNode): boolean =>
  [node.contentDisposition?.parsed?.params?.filename, node.contentType?.parsed?.params?.name].some(
    (name) => typeof name === 'string' && name.trim() !== '',
  );

const childrenOf = (node: PartNode): PartNode[] => {
  if (!Array.isArray(node.childNodes)) {
    throw new Error('postal-mime has no MIME tree to read (its internals changed)');
  }
  return node.childNodes as PartNode[];
};

/**
 * Whether the parser's mail has a body text part without a name: every part visited once, with a
 * stack (a mail nests parts up to postal-mime's depth limit), and once per parser (see below).
 */
const hasUnnamedText = (parser: Parser, isText: (node: PartNode) => boolean): boolean => {
  const stack = parser.root === undefined ? [] : [parser.root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (!node.contentType?.multipart && isText(node) && !namesFile(node)) return true;
    for (const child of childrenOf(node)) stack.push(child);
  }
  return false;
};

/** The answer of hasUnnamedText for each parser; postal-mime asks for every text part of a mail. */
const unnamedTextOf = new WeakMap<Parser, boolean>();

/**
 * isInlineTextNode is a method of the exported class though not of its types. A postal-mime
 * without it fails here, at import, not silently pasting files into bodies again. The wrapper is
 * installed once; a second load of this module (a bundle holding it twice) shares its context.
 */
const guardParser = (): AsyncLocalStorage<true> => {
  const prototype = PostalMime.prototype as unknown as Partial<ParserPrototype>;
  const { isInlineTextNode } = prototype;
  if (typeof isInlineTextNode !== 'function') {
    throw new Error('postal-mime has no isInlineTextNode to wrap (its internals changed)');
  }
  childrenOf((new PostalMime() as unknown as Parser).root ?? {});
  const installed = prototype[GUARDED];
  if (installed !== undefined) return installed;
  const active = new AsyncLocalStorage<true>();
  prototype.isInlineTextNode = function (this: Parser, node: PartNode): boolean {
    const isText = (part: PartNode): boolean => isInlineTextNode.call(this, part);
    const inline = isText(node);
    if (!inline || active.getStore() === undefined || !namesFile(node)) return inline;
    let unnamed = unnamedTextOf.get(this);
    if (unnamed === undefined) {
      unnamed = hasUnnamedText(this, isText);
      unnamedTextOf.set(this, unnamed);
    }
    return !unnamed;
  };
  prototype[GUARDED] = active;
  return active;
};

const active = guardParser();

/** Runs one parse of the hub's, in which a text part that names a file is read as a file. */
export const withNamedTextFiles = <T>(parse: () => Promise<T>): Promise<T> => active.run(true, parse);

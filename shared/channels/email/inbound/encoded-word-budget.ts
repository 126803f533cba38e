import { AsyncLocalStorage } from 'node:async_hooks';
import PostalMime, { type Address, addressParser, decodeWords } from 'postal-mime';
import { MAX_ENCODED_WORDS } from './headers.ts';

/**
 * How much joined encoded-word text postal-mime may read again in one parse, in characters.
 * Its word decoder (decodeWords, decode-strings.js) joins adjacent words of one charset and encoding
 * into one text (`pending.encodedText += …`); 4.0.0, for base64, tested the joined text with `/=$/`
 * before each join: the test flattens the whole joined text again, so a run of n words cost
 * about n²/2 word lengths. 4.2.0 tracks the pad as it joins (its 4.0.8): 5,000 words of 400
 * characters take 0.2 s, not 32 s. The bound is kept as it was, so it now counts work postal-mime
 * no longer does and can only refuse early, never late; the figures below are 4.0.0's. The word count alone does not bound that: 2,000 words of 400 characters
 * (0.8 MB) took 8.6 s, 5,000 of them (2 MB, within MAX_ENCODED_WORDS) 43 s, as joined texts over
 * 128 KB live in V8's large-object space, 5 to 10 ns a character to copy. 100 million characters
 * took 0.4 to 0.75 s in that regime (runs of 20 to 200,000 characters a word, 2 cores under load)
 * and 11 ms in short words (5,000 words of 8 characters); a mail's own words rarely pass 100,000
 * (50 words of 76 characters in one run: 97,000; the 5,000 check marks of the word bound: 50 million).
 */
export const MAX_ENCODED_WORD_JOIN_WORK = 100_000_000;

/** Thrown once a parse passes MAX_ENCODED_WORDS words or MAX_ENCODED_WORD_JOIN_WORK characters. */
export class EncodedWordOverrun extends Error {
  constructor(readonly bound: 'words' | 'join') {
    super(`encoded words past the ${bound} bound`);
  }
}

interface Budget {
  words: number;
  joinWork: number;
}

const newBudget = (): Budget => ({ words: 0, joinWork: 0 });

const charge = (budget: Budget, words: number, joinWork: number): void => {
  budget.words += words;
  budget.joinWork += joinWork;
  if (budget.words > MAX_ENCODED_WORDS) throw new EncodedWordOverrun('words');
  if (budget.joinWork > MAX_ENCODED_WORD_JOIN_WORK) throw new EncodedWordOverrun('join');
};

/** postal-mime's ENCODED_WORD_PATTERN, unchanged: these strings are the ones it decodes, not latin1. */
const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=/g;

/** Whether `text` is empty or only the whitespace postal-mime skips between two words it joins. */
const onlyFoldingSpace = (text: string, from: number, to: number): boolean => {
  for (let at = from; at < to; at += 1) {
    const code = text.charCodeAt(at);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0a) return false;
  }
  return true;
};

/**
 * The words decodeWords(text) decodes and the characters it reads again joining them: it walks
 * the words as postal-mime does (a word joins the run before it when only whitespace lies between
 * them and charset and encoding match) and counts the run's length at each join it tries. That is
 * more than postal-mime reads (it tests base64 runs only, and only at a multiple of 4), so a
 * change of its test can only make the count too high. One pass, no backtracking past a `?`.
 */
export const decodeWork = (text: string): { words: number; joinWork: number } => {
  let words = 0;
  let joinWork = 0;
  let runCharset: string | undefined;
  let runEncoding = '';
  let runLength = 0;
  let end = 0;
  ENCODED_WORD.lastIndex = 0;
  for (let match = ENCODED_WORD.exec(text); match !== null; match = ENCODED_WORD.exec(text)) {
    words += 1;
    const charset = match[1] ?? '';
    const encoding = (match[2] ?? '').toUpperCase();
    const length = (match[3] ?? '').length;
    if (runCharset !== undefined && onlyFoldingSpace(text, end, match.index)) {
      joinWork += runLength;
      if (runCharset === charset && runEncoding === encoding) {
        runLength += length;
      } else {
        runCharset = charset;
        runEncoding = encoding;
        runLength = length;
      }
    } else {
      runCharset = charset;
      runEncoding = encoding;
      runLength = length;
    }
    end = match.index + match[0].length;
  }
  return { words, joinWork };
};

const chargeText = (budget: Budget, text: unknown): void => {
  if (typeof text !== 'string' || text.length === 0) return;
  const work = decodeWork(text);
  charge(budget, work.words, work.joinWork);
};

const QUESTION_MARK = 0x3f;
const PRIVATE_USE_FIRST = 0xe000;
const PRIVATE_USE_COUNT = 0x1900;

/** The number of `?` in `text` and a private-use character it does not hold (undefined if it holds all). */
const scanForPlaceholder = (text: string): { questionMarks: number; placeholder: string | undefined } => {
  const present = new Uint8Array(PRIVATE_USE_COUNT);
  let questionMarks = 0;
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === QUESTION_MARK) questionMarks += 1;
    else if (code >= PRIVATE_USE_FIRST && code < PRIVATE_USE_FIRST + PRIVATE_USE_COUNT) {
      present[code - PRIVATE_USE_FIRST] = 1;
    }
  }
  const free = present.indexOf(0);
  return { questionMarks, placeholder: free < 0 ? undefined : String.fromCharCode(PRIVATE_USE_FIRST + free) };
};

/** The texts postal-mime's address parser hands decodeWords for a list it returned `addresses` for. */
const decodedTexts = (addresses: readonly Address[]): string[] | undefined => {
  const texts: string[] = [];
  for (const address of addresses) {
    // A group inside a group is flattened and its name, decoded all the same, is not returned.
    if (address.group !== undefined) return undefined;
    texts.push(address.name || address.address || '');
  }
  return texts;
};

/**
 * Charges the decoding postal-mime's address parser (addressParser, which buildMessage runs on
 * From, To, Cc and the rest) does for one header value. The parser rewrites the value before it
 * decodes any word: a quoted string loses its backslashes (`"=\?utf-8\?B\?4pyT\?="`), a comment
 * `(?)` inside a word is set aside and the word's halves joined, so no count over the value finds
 * those words. This runs postal-mime's own exported addressParser on the value with every `?`
 * replaced by a private-use character the value does not hold: `?` is an ordinary character to the
 * tokenizer and the address rules (neither an operator, a word character, `@` nor whitespace), so
 * the parser splits and routes the text exactly as it will for the real value, finds no word (each
 * needs four `?`), and returns the very texts it will decode, which have their `?` put back and are
 * counted. A text that is only encoded words and decodes to an address (`<a@b>`) was parsed again
 * by postal-mime 4.0.0, recursively; that reparse is still charged (its length) and its texts
 * counted the same way, though 4.2.0 reads such a text as a name only. Where the returned names do not show every decoded text (a group, whose nested groups'
 * names are dropped) or no placeholder is free, the count falls back to a bound that cannot be
 * short: a word holds four `?`, each decoded text is no longer than the value, and a reparse of
 * decoded text is shorter than the text it came from.
 */
const chargeAddressList = (budget: Budget, value: unknown): void => {
  if (typeof value !== 'string') return;
  const { questionMarks, placeholder } = scanForPlaceholder(value);
  const mostWords = Math.floor(questionMarks / 4);
  if (mostWords === 0) return;
  const texts =
    placeholder === undefined ? undefined : decodedTexts(addressParser(value.replaceAll('?', placeholder)));
  if (texts === undefined) {
    charge(budget, mostWords, mostWords * value.length + Math.ceil((value.length * value.length) / 8));
    return;
  }
  for (const neutral of texts) {
    const text = placeholder === undefined ? neutral : neutral.replaceAll(placeholder, '?');
    const work = decodeWork(text);
    charge(budget, work.words, work.joinWork);
    if (work.words === 0) continue;
    // Decoding is within the budget now. postal-mime 4.0.0 parsed the result again if it held an
    // angle address (hasAngleAddress: `<`, `@` and `>`); 4.2.0 never does (a text of encoded words
    // is a name, its 4.1.1), so this charge is more than it reads, kept as a bound that cannot be short.
    const decoded = decodeWords(text);
    if (decoded.includes('<') && decoded.includes('@') && decoded.includes('>')) {
      charge(budget, 0, decoded.length);
      chargeAddressList(budget, decoded);
    }
  }
};

/** Headers buildMessage (postal-mime 4.0.0 and 4.2.0) reads as address lists (first or every occurrence). */
const ADDRESS_FIELDS = new Set([
  'from',
  'sender',
  'delivered-to',
  'return-path',
  'to',
  'cc',
  'bcc',
  'reply-to',
]);
/** Headers buildMessage decodes as text. */
const TEXT_FIELDS = new Set(['subject', 'message-id', 'in-reply-to', 'references']);

interface HeaderEntry {
  key?: unknown;
  value?: unknown;
}

/** What buildMessage decodes: every occurrence of its fields is charged, more than it reads. */
const chargeHeaders = (budget: Budget, headers: unknown): void => {
  if (!Array.isArray(headers))
    throw new Error('postal-mime has no root headers to count (its internals changed)');
  for (const header of headers as HeaderEntry[]) {
    if (typeof header.key !== 'string') continue;
    if (ADDRESS_FIELDS.has(header.key)) chargeAddressList(budget, header.value);
    else if (TEXT_FIELDS.has(header.key)) chargeText(budget, header.value);
  }
};

interface ParsedHeader {
  parsed?: { params?: Record<string, unknown> };
}

interface AttachmentNode {
  contentDisposition?: ParsedHeader;
  contentType?: ParsedHeader;
  contentDescription?: unknown;
}

/**
 * What collectAttachment decodes: the filename (Content-Disposition `filename`, else Content-Type
 * `name`) and Content-Description, read from the node after postal-mime has parsed the parameters
 * (quoted strings unescaped, comments removed, RFC 2231 sections joined and percent-decoded), so
 * these are the very strings its decodeWords gets.
 */
const chargeAttachment = (budget: Budget, node: AttachmentNode | undefined): void => {
  const disposition = node?.contentDisposition?.parsed?.params;
  const type = node?.contentType?.parsed?.params;
  if (disposition === undefined || type === undefined) {
    throw new Error('postal-mime has no parsed part headers to count (its internals changed)');
  }
  chargeText(budget, disposition.filename);
  chargeText(budget, type.name);
  chargeText(budget, node?.contentDescription);
};

/** The budget of the parse in progress: postal-mime's nested parsers run in the same async context. */
const budgets = new AsyncLocalStorage<Budget>();

const GUARDED = Symbol.for('switchboard.encoded-word-budget');

interface ParserPrototype {
  buildMessage(this: { root?: { headers?: unknown } }): unknown;
  collectAttachment(this: unknown, node: AttachmentNode, ...rest: unknown[]): unknown;
  [GUARDED]?: true;
}

/**
 * postal-mime decodes words only from its parser's buildMessage (the message's headers) and
 * collectAttachment (each part's filename and description), both methods of the exported class
 * though not of its types (4.2.0's buildMessage also reads an OTP-Token header, without decoding
 * words; collectAttachment folds a filename's line breaks into spaces first, which joins the same
 * words, as whitespace lay between them before). The budget is charged before either runs, so a mail past it stops before
 * any quadratic join. A postal-mime without them fails here, at import, not silently unguarded.
 */
const guardParser = (): void => {
  const prototype = PostalMime.prototype as unknown as Partial<ParserPrototype>;
  const { buildMessage, collectAttachment } = prototype;
  if (typeof buildMessage !== 'function' || typeof collectAttachment !== 'function') {
    throw new Error('postal-mime has no buildMessage or collectAttachment to guard (its internals changed)');
  }
  if (prototype[GUARDED]) return;
  prototype.buildMessage = function (this: { root?: { headers?: unknown } }): unknown {
    const budget = budgets.getStore();
    if (budget !== undefined) chargeHeaders(budget, this.root?.headers);
    return buildMessage.call(this);
  };
  prototype.collectAttachment = function (this: unknown, node: AttachmentNode, ...rest: unknown[]): unknown {
    const budget = budgets.getStore();
    if (budget !== undefined) chargeAttachment(budget, node);
    return collectAttachment.call(this, node, ...rest);
  };
  prototype[GUARDED] = true;
};

guardParser();

/**
 * Runs one parse with its own budget of encoded words; past it, the parse rejects with
 * EncodedWordOverrun before postal-mime decodes the words.
 */
export const withEncodedWordBudget = <T>(parse: () => Promise<T>): Promise<T> =>
  budgets.run(newBudget(), parse);

/**
 * postal-mime's addressParser for the hub's own reading of a header (a bounce's returned original),
 * with a budget of its own; throws EncodedWordOverrun instead of decoding past it.
 */
export const boundedAddressParser = (value: string): Address[] => {
  chargeAddressList(newBudget(), value);
  return addressParser(value);
};

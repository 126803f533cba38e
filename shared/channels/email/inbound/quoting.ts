import {
  ATTRIBUTION_OPENERS,
  ATTRIBUTION_VERBS,
  FOOTER_DEVICES,
  FOOTER_OPENERS,
  FORWARD_INTRODUCTIONS,
  HEADER_FROM_FIELDS,
  HEADER_SENT_FIELDS,
  SEPARATOR_TITLES,
} from './reply-markers.ts';

/**
 * Finds the new text of a reply: the customer's own words, wherever they are around the quoted
 * history. Line by line:
 * - lines starting with `>` are quoted history and go, wherever they are;
 * - an attribution line ("On … wrote:", "Am … schrieb …:", "… пише:", possibly wrapped over up to
 *   three lines) followed by quoted lines goes with them, and the text after that quote is kept:
 *   customers answer below the quote (bottom-posting) or between its parts (interleaved);
 * - an attribution followed by unquoted text (Yahoo, HTML turned to text), an Outlook header block
 *   ("From: …" with "Sent: …" below it, in the client's language, bold or not, after a line of
 *   underscores or not), a dash-framed "Original Message" or "Forwarded message" separator, Apple's
 *   "Begin forwarded message:" and the signature delimiter `-- ` end the new text;
 * - a mobile footer ("Sent from my iPhone", "Von meinem iPhone gesendet", "Get Outlook for iOS")
 *   at the end of the new text goes.
 * Returns undefined when nothing would be left, so callers fall back to the full text.
 *
 * Every check takes time linear in the input: each line is trimmed once, and is then only compared
 * with bounded markers (a field name within its first characters, an attribution of at most
 * MAX_ATTRIBUTION_LENGTH characters); no regex runs over an unbounded run of the input, and trailing
 * whitespace goes with `trimEnd` (a `\s+$` regex retries from every position of a long run).
 */

/** Attribution lines longer than this (after joining wrapped lines) are text. */
const MAX_ATTRIBUTION_LENGTH = 400;
/** Longer lines are no separator, forward introduction or footer. */
const MAX_MARKER_LINE_LENGTH = 100;
/** Header field names sit within the first characters of their line. */
const MAX_FIELD_NAME_LENGTH = 40;
/** A header block's "Sent:" comes within this many non-blank lines after its "From:". */
const HEADER_BLOCK_REACH = 4;
/** Blank lines allowed between an attribution and the quote it introduces. */
const ATTRIBUTION_QUOTE_REACH = 2;
const MIN_UNDERSCORE_RULE = 10;

const ATTRIBUTION_ENDINGS = new Set([':', '։', '：']);
const HEADER_FROM = new Set<string>(HEADER_FROM_FIELDS);
const HEADER_SENT = new Set<string>(HEADER_SENT_FIELDS);

const isBlank = (line: string): boolean => line.trim().length === 0;

/** `>` after optional blanks; a loop, so a long run of blanks costs one pass. */
const isQuoted = (line: string): boolean => {
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (char === '>') return true;
    if (char !== ' ' && char !== '\t' && char !== '\u00a0') return false;
  }
  return false;
};

const isSignatureDelimiter = (line: string): boolean => line === '-- ' || line === '--';

const isUnderscoreRule = (trimmed: string): boolean => {
  if (trimmed.length < MIN_UNDERSCORE_RULE) return false;
  for (const char of trimmed) if (char !== '_') return false;
  return true;
};

/** "-----Original Message-----", "---------- Forwarded message ---------", "----- Original Message -----". */
const isSeparator = (trimmed: string): boolean => {
  if (trimmed.length > MAX_MARKER_LINE_LENGTH || !trimmed.startsWith('--') || !trimmed.endsWith('--')) {
    return false;
  }
  let start = 0;
  while (start < trimmed.length && trimmed[start] === '-') start += 1;
  let end = trimmed.length;
  while (end > start && trimmed[end - 1] === '-') end -= 1;
  return SEPARATOR_TITLES.has(trimmed.slice(start, end).trim().toLowerCase());
};

const isForwardIntroduction = (trimmed: string): boolean =>
  trimmed.length <= MAX_MARKER_LINE_LENGTH &&
  trimmed.endsWith(':') &&
  FORWARD_INTRODUCTIONS.has(trimmed.slice(0, -1).trim().toLowerCase());

/** The lower-cased name of a `Name: value` line (`*Name:*` in Gmail's rendering of bold), if short. */
const fieldNameOf = (trimmed: string): string | undefined => {
  let colon = 0;
  const limit = Math.min(trimmed.length, MAX_FIELD_NAME_LENGTH);
  while (colon < limit && trimmed[colon] !== ':') colon += 1;
  if (colon === 0 || colon === limit) return undefined;
  const start = trimmed.startsWith('*') ? 1 : 0;
  return trimmed.slice(start, colon).trim().toLowerCase();
};

/** "From: …" followed, within a few lines, by "Sent: …" (or "Date: …") in one of the languages. */
const isHeaderBlockAt = (
  trimmed: readonly string[],
  fieldNames: readonly (string | undefined)[],
  index: number,
): boolean => {
  const from = fieldNames[index];
  if (from === undefined || !HEADER_FROM.has(from)) return false;
  let seen = 0;
  for (let next = index + 1; next < trimmed.length && seen < HEADER_BLOCK_REACH; next += 1) {
    if ((trimmed[next] ?? '').length === 0) continue;
    seen += 1;
    const name = fieldNames[next];
    if (name !== undefined && HEADER_SENT.has(name)) return true;
  }
  return false;
};

const OPENER_PREFIXES = ATTRIBUTION_OPENERS.map((opener) => `${opener} `);
const VERB_WORDS = ATTRIBUTION_VERBS.map((verb) => ` ${verb}`);

const startsWithOpener = (lower: string): boolean =>
  OPENER_PREFIXES.some((opener) => lower.startsWith(opener));

/** The verb as a word: after a space, before a space, a colon or the end. */
const hasVerb = (lower: string): boolean =>
  VERB_WORDS.some((verb) => {
    for (let at = lower.indexOf(verb); at >= 0; at = lower.indexOf(verb, at + 1)) {
      const after = lower[at + verb.length];
      if (after === undefined || after === ' ' || ATTRIBUTION_ENDINGS.has(after)) return true;
    }
    return false;
  });

const endsWithVerb = (lowerWithoutColon: string): boolean =>
  VERB_WORDS.some((verb) => lowerWithoutColon.endsWith(verb));

const hasAddressOrDigit = (text: string): boolean => /[@\d]/.test(text);

/** An address in angle brackets: Gmail, Apple Mail and Yandex name the sender that way. */
const hasBracketedAddress = (text: string): boolean => {
  const at = text.indexOf('@');
  return at > 0 && text.lastIndexOf('<', at) >= 0 && text.indexOf('>', at) > 0;
};

/**
 * How sure a line (joined with up to two wrapped continuation lines) is an attribution:
 * - `strong`: an attribution in one of the languages, naming a date or an address: it starts the
 *   history even when no quote follows (Yahoo and HTML bodies do not mark the history);
 * - `weak`: an attribution only if quoted lines follow ("Support wrote:", or Gmail's Russian
 *   "пн, 3 нояб. 2026 г. в 10:00, Support <s@x>:" without a verb).
 * `lines` is how many lines it takes.
 */
interface Attribution {
  readonly strength: 'strong' | 'weak';
  readonly lines: number;
}

const attributionAt = (trimmed: readonly string[], index: number): Attribution | undefined => {
  let length = -1;
  for (let offset = 0; offset < 3 && index + offset < trimmed.length; offset += 1) {
    const line = trimmed[index + offset] ?? '';
    length += line.length + 1;
    if (length > MAX_ATTRIBUTION_LENGTH || (offset > 0 && line.length === 0)) return undefined;
    if (!ATTRIBUTION_ENDINGS.has(line[line.length - 1] ?? '')) continue;
    const candidate = trimmed.slice(index, index + offset + 1).join(' ');
    const lower = candidate.toLowerCase();
    const withoutColon = lower.slice(0, -1).trimEnd();
    const lines = offset + 1;
    const dated = hasAddressOrDigit(candidate);
    if ((startsWithOpener(lower) && hasVerb(lower)) || endsWithVerb(withoutColon)) {
      return { strength: dated ? 'strong' : 'weak', lines };
    }
    if (dated && hasBracketedAddress(candidate)) return { strength: 'weak', lines };
  }
  return undefined;
};

/** Yahoo's mobile apps put the quoted text on the attribution line: "On …, S<s@x> wrote:   text". */
const isInlineAttribution = (trimmed: string): boolean => {
  if (trimmed.length > MAX_ATTRIBUTION_LENGTH || !hasBracketedAddress(trimmed) || !/\d/.test(trimmed)) {
    return false;
  }
  const lower = trimmed.toLowerCase();
  if (!startsWithOpener(lower)) return false;
  return VERB_WORDS.some((verb) => {
    const at = lower.indexOf(verb);
    if (at < 0) return false;
    const rest = lower.slice(at + verb.length).trimStart();
    return rest.startsWith(':') && rest.slice(1).trim().length > 0;
  });
};

const isFooter = (trimmed: string): boolean => {
  if (trimmed.length > MAX_MARKER_LINE_LENGTH) return false;
  const lower = trimmed.toLowerCase();
  return (
    FOOTER_OPENERS.some((opener) => lower.startsWith(opener)) &&
    FOOTER_DEVICES.some((device) => lower.includes(device))
  );
};

/** True when quoted lines follow `index`, after at most a few blank lines. */
const quoteFollows = (lines: readonly string[], trimmed: readonly string[], index: number): boolean => {
  for (let next = index; next < lines.length && next <= index + ATTRIBUTION_QUOTE_REACH; next += 1) {
    if (isQuoted(lines[next] ?? '')) return true;
    if ((trimmed[next] ?? '').length > 0) return false;
  }
  return false;
};

/**
 * Keeps the customer's lines; a removed part leaves at most one blank line between the kept
 * parts around it, and none when the customer wrote directly above and below it. Blankness comes
 * from the trimmed lines, computed once: trimming a long blank line again for every later line
 * would be quadratic.
 */
const assemble = (
  lines: readonly string[],
  trimmed: readonly string[],
  dropped: Uint8Array,
  end: number,
): string[] => {
  const kept: string[] = [];
  let lastKeptBlank = true;
  let afterRemoved = false;
  for (let index = 0; index < end; index += 1) {
    if (dropped[index] === 1) {
      afterRemoved = true;
      continue;
    }
    const blank = (trimmed[index] ?? '').length === 0;
    if (blank && (kept.length === 0 || (afterRemoved && lastKeptBlank))) continue;
    kept.push(lines[index] ?? '');
    lastKeptBlank = blank;
    if (!blank) afterRemoved = false;
  }
  return kept;
};

/** Where lines `start` to `end` stop once trailing blank lines and mobile footers go. */
const trailerStart = (lineAt: (index: number) => string, start: number, end: number): number => {
  let last = end;
  for (;;) {
    while (last > start && isBlank(lineAt(last - 1))) last -= 1;
    if (last > start && isFooter(lineAt(last - 1).trim())) last -= 1;
    else break;
  }
  return last;
};

/** The kept lines, joined again, without the trailer. */
const assembled = (
  lines: readonly string[],
  trimmed: readonly string[],
  dropped: Uint8Array,
  end: number,
) => {
  const kept = assemble(lines, trimmed, dropped, end);
  return kept
    .slice(
      0,
      trailerStart((index) => kept[index] ?? '', 0, kept.length),
    )
    .join('\n')
    .trimEnd();
};

/**
 * Nothing removed before `end` (most mail): the lines from the first that is not blank, without the
 * trailer, sliced out of the text they were split from. Joining them again would copy every line
 * once more: on a 400 KB body most of the work and of the garbage, which made the time of a large
 * body grow faster than its size (tests/channels/email.linear-time.test.ts failed under load).
 */
const unchanged = (normalized: string, lines: readonly string[], trimmed: readonly string[], end: number) => {
  let start = 0;
  while (start < end && (trimmed[start] ?? '').length === 0) start += 1;
  const last = trailerStart((index) => lines[index] ?? '', start, end);
  let from = 0;
  for (let index = 0; index < start; index += 1) from += (lines[index] ?? '').length + 1;
  let to = from;
  for (let index = start; index < last; index += 1) to += (lines[index] ?? '').length + 1;
  return normalized.slice(from, Math.max(from, to - 1)).trimEnd();
};

export const stripQuotedHistory = (text: string): string | undefined => {
  const normalized = text.replace(/\r\n?/g, '\n');
  const lines = normalized.split('\n');
  const trimmed = lines.map((line) => line.trim());
  const fieldNames = trimmed.map(fieldNameOf);
  const dropped = new Uint8Array(lines.length);
  let droppedAny = false;
  let end = lines.length;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const current = trimmed[index] ?? '';
    if (isQuoted(line)) {
      dropped[index] = 1;
      droppedAny = true;
      continue;
    }
    if (current.length === 0) continue;
    if (isSignatureDelimiter(line) || isSeparator(current) || isForwardIntroduction(current)) {
      end = index;
      break;
    }
    if (isHeaderBlockAt(trimmed, fieldNames, index)) {
      end = index > 0 && isUnderscoreRule(trimmed[index - 1] ?? '') ? index - 1 : index;
      break;
    }
    if (isInlineAttribution(current)) {
      end = index;
      break;
    }
    const attribution = attributionAt(trimmed, index);
    if (attribution === undefined) continue;
    if (quoteFollows(lines, trimmed, index + attribution.lines)) {
      for (let offset = 0; offset < attribution.lines; offset += 1) dropped[index + offset] = 1;
      droppedAny = true;
      index += attribution.lines - 1;
    } else if (attribution.strength === 'strong') {
      end = index;
      break;
    }
  }
  const reply = droppedAny
    ? assembled(lines, trimmed, dropped, end)
    : unchanged(normalized, lines, trimmed, end);
  return reply.trim().length > 0 ? reply : undefined;
};

/**
 * Defence in depth for log output: the logger only accepts allow-listed fields, but a developer
 * could still pass a reason or id that embeds customer data. These patterns blank the two kinds
 * that matter most (e-mail addresses and phone numbers) before anything is printed.
 */

/**
 * Each pattern is built on first use: a Unicode-property pattern costs about half a millisecond to
 * build and as much to compile, which a cold start would otherwise pay at import, and most
 * processes never meet an `@` in a log line.
 */
const builtOnFirstUse = (build: () => RegExp): (() => RegExp) => {
  let built: RegExp | undefined;
  return () => {
    built ??= build();
    return built;
  };
};

/**
 * A character an unquoted local part may have: none of whitespace, `@`, `<>()[]\,;:"`. URL
 * delimiters (`/`, `?`, `&`, `=`) stay, as addresses may hold them (VERP, SRS): an address in a
 * URL takes the URL's text before it along (`/lookup?to=jane%40example.com` becomes `[email]`).
 */
const LOCAL = String.raw`[^\s@<>()[\]\\,;:"]`;

/**
 * An e-mail address: a local part, `@` (or `%40`, URL-encoded), then a domain of two or more labels
 * of letters (any script: `bücher.de`), marks, digits and `-`. The local part is unquoted (a run of
 * `LOCAL`, taken from where that run starts) or quoted (`"john doe"`, at most 64 characters).
 *
 * Linear in the text: an unquoted local part may begin only where a run of its characters begins
 * (the lookbehind), so a run is tried once from its start instead of once from each of its
 * characters (the pattern before took 1.2 s on 40,000 letters and an `@`, and grew with the square
 * of the run); the quoted form is bounded; `@` ends every run and `%40` cannot start a domain, and
 * labels are split by dots, so each text splits into local part, separator and domain one way only.
 */
const emailAddress = builtOnFirstUse(
  () =>
    new RegExp(
      String.raw`(?:"(?:[^"\\\r\n]|\\.){1,64}"|(?<!${LOCAL})${LOCAL}+)(?:@|%40)[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)+`,
      'gu',
    ),
);

/**
 * 7 to 15 digits, led by `+`, its URL encoding `%2B` or nothing, each after a run of at most three
 * separators (whitespace, `(`, `)`, `.`, `-`, `%20`): `+1 (415) 555-0123` whole, `+1  415  555  0123`.
 * Without a lead, not glued to a letter, digit or `_` on the left; never on the right: hex ids
 * (`evt_3fa1…`), SIDs and ISO timestamps (`2026-11-22T12:…`) keep their digit runs. Separators are
 * no digits, so each text splits one way only, and a try from any start covers at most 15 digits:
 * linear in the text.
 */
const phoneLike = builtOnFirstUse(
  () =>
    // biome-ignore lint/complexity/useRegexLiterals: V8 checks a literal's pattern, loading its Unicode property sets, when it compiles the module, before any first use
    new RegExp(
      String.raw`(?:\+|%2[Bb]|(?<![\p{L}\p{N}_]))\d(?:(?:[\s().-]|%20){0,3}\d){6,14}(?![\p{L}\p{N}_])`,
      'gu',
    ),
);

/**
 * What looks like a phone number to `phoneLike` but is kept: a calendar date (`2026-11-22`, perhaps
 * with its hour: `2026-11-22 12`), and seven bare digits (no `+`, no separator), such as a Graph
 * error subcode (`error_subcode=2018278`); a number the hub handles has a country code, so eight or more.
 */
const NOT_A_PHONE = /^(?:\d{7}|\d{4}-\d{2}-\d{2}(?: \d{2})?)$/;

const REDACTED_EMAIL = '[email]';
const REDACTED_PHONE = '[phone]';

const PHONE_MIN_DIGITS = 7;

const redactPhone = (match: string): string => (NOT_A_PHONE.test(match) ? match : REDACTED_PHONE);

/** Every log entry passes its keys and values through here: most hold no `@` and few digits. */
const hasPhoneDigitCount = (value: string): boolean => {
  let digits = 0;
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code >= 0x30 && code <= 0x39 && ++digits >= PHONE_MIN_DIGITS) return true;
  }
  return false;
};

export const redactString = (value: string): string => {
  // The patterns cannot match without these: most values skip both.
  const withoutEmails =
    value.includes('@') || value.includes('%40') ? value.replace(emailAddress(), REDACTED_EMAIL) : value;
  return hasPhoneDigitCount(withoutEmails) ? withoutEmails.replace(phoneLike(), redactPhone) : withoutEmails;
};

/** Redacts every string (and record key) inside a JSON-like value. */
export const redactValue = (value: unknown): unknown => {
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    const redacted: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const redactedKey = redactString(key);
      const inner = redactValue((value as Record<string, unknown>)[key]);
      // A `__proto__` key must stay data (as Object.fromEntries kept it), not set the prototype.
      if (redactedKey === '__proto__') {
        Object.defineProperty(redacted, redactedKey, {
          value: inner,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else redacted[redactedKey] = inner;
    }
    return redacted;
  }
  return value;
};

/**
 * Worst-case provider texts for the linear-time checks: each builder repeats a unit that makes a
 * backtracking regex retry its match from every position, until the text is `size` characters.
 */

const repeatTo = (unit: string, size: number, prefix = '', suffix = ''): string =>
  prefix +
  unit.repeat(Math.max(1, Math.floor((size - prefix.length - suffix.length) / unit.length))) +
  suffix;

export const HOSTILE_TEXTS: Readonly<Record<string, (size: number) => string>> = {
  /** The review's case: `\s+$` retried at each start of a long run that ends before a non-space. */
  'spaces before a word': (size) => repeatTo(' ', size, 'Hello', 'world'),
  'blank lines before a word': (size) => repeatTo('\n', size, 'Hello', 'world'),
  'tabs and spaces mixed': (size) => repeatTo(' \t', size, 'Hello', 'world'),
  'one line of quote markers': (size) => repeatTo('> ', size, '', 'x'),
  /** Each blank line after a removed quote asks whether the last kept line was blank. */
  'a long blank line before many removed quotes': (size) =>
    repeatTo('>\n\n', size, `Hi\n${' '.repeat(size / 2)}\n`, 'x'),
  'deeply nested quote markers': (size) => repeatTo('>', size, '', ' x'),
  'many quoted lines': (size) => repeatTo('> > > > quoted\n', size, 'Thanks\n'),
  'many attribution lines': (size) => repeatTo('On Mon, 3 Nov 2026 at 10:00, A <a@b.example> wrote:\n', size),
  'attribution openers without an end': (size) => repeatTo('On On On On On ', size, '', ' wrote'),
  'attribution verbs without a colon': (size) => repeatTo(' wrote wrote schrieb', size, 'On ', ' x'),
  'header lines': (size) => repeatTo('From: a\nTo: b\nCc: c\n', size, 'Hi\n'),
  'folded header lines': (size) => repeatTo(' folded\n', size, 'Subject: x\n'),
  'blank-separated header blocks': (size) => repeatTo('Action: failed\n \t \n', size),
  'header openers without a sent line': (size) => repeatTo('From: x\n', size),
  'a long line of dashes': (size) => repeatTo('-', size, 'Total\n', '\nx'),
  'dash-framed lines': (size) => repeatTo('----- x -----\n', size),
  'underscore rules': (size) => repeatTo('__________\n', size),
  'signature-like lines': (size) => repeatTo('--\n-- x\n', size),
  'footer-like lines': (size) => repeatTo('Sent from my iPhone\n', size, 'Hi\n'),
  'unclosed tags': (size) => repeatTo('<', size, '', 'x'),
  'tag-like runs': (size) => repeatTo('<a ', size),
  'unclosed comment': (size) => repeatTo('<!--', size),
  ampersands: (size) => repeatTo('&', size, '', 'x'),
  'entity-like runs': (size) => repeatTo('&#x1', size),
  'angle brackets around nothing': (size) => repeatTo('<>', size),
  'long word': (size) => repeatTo('a', size),
  colons: (size) => repeatTo(':', size),
  /** The review's case for log redaction: an address pattern retried from each letter before the `@`. */
  'a long word before an @': (size) => repeatTo('a', size, '', '@'),
  'at signs between letters': (size) => repeatTo('a@', size),
  'URL-encoded at signs': (size) => repeatTo('a%40', size),
  'a long label after an @': (size) => repeatTo('b', size, 'a@', '.'),
  'unclosed quotes': (size) => repeatTo('"a a', size),
  /** RFC 2047 encoded words: openers, unterminated words, words with spaces and question marks. */
  'encoded-word openers': (size) => repeatTo('=?', size, '', 'x'),
  'unterminated encoded words': (size) => repeatTo('=?u?B?Q U', size, '', '?'),
  'question marks': (size) => repeatTo('?', size, '=', '='),
  'digit groups in separator runs': (size) => repeatTo('12 (3)  ', size, '+', 'x'),
  /** A word a regex scans the rest of the line from (`\bto\b.*\binvalid`), never followed by the verdict. */
  'recipient words without a verdict': (size) => repeatTo('to ', size),
};

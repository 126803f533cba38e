import { ownValue } from '#shared/validation/own-value.ts';

/**
 * A small HTML → plain text conversion for messages sent as HTML only. It never evaluates
 * anything: it drops invisible elements, turns block boundaries into line breaks, removes the
 * remaining tags and decodes entities. Regexes run on bounded, non-nested patterns only, so the
 * cost stays linear on hostile input.
 */

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  euro: '€',
  laquo: '«',
  raquo: '»',
};

const codePointOrReplacement = (codePoint: number): string =>
  Number.isInteger(codePoint) &&
  codePoint > 0 &&
  codePoint <= 0x10ffff &&
  (codePoint < 0xd800 || codePoint > 0xdfff)
    ? String.fromCodePoint(codePoint)
    : '\uFFFD';

export const decodeHtmlEntities = (text: string): string =>
  text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (match, entity: string) => {
    if (entity[0] === '#') {
      const isHex = entity[1] === 'x' || entity[1] === 'X';
      return codePointOrReplacement(Number.parseInt(entity.slice(isHex ? 2 : 1), isHex ? 16 : 10));
    }
    return ownValue(NAMED_ENTITIES, entity.toLowerCase()) ?? match;
  });

const BLOCK_TAGS = 'p|div|section|article|header|footer|table|tr|h[1-6]|ul|ol|blockquote|pre|hr';
// Not `head`: its start would also match `<header`; what it holds (title, style, meta) goes anyway.
const INVISIBLE_ELEMENTS = ['script', 'style', 'title', 'template'] as const;

/**
 * Cuts every `start … end` span with indexOf scans (linear), where a lazy regex would rescan the
 * rest of the input from each unclosed start. An unclosed span runs to the end of the input.
 */
const cutSpans = (html: string, lowerHtml: string, start: string, end: string): [string, string] => {
  let kept = '';
  let lowerKept = '';
  let from = 0;
  for (;;) {
    const open = lowerHtml.indexOf(start, from);
    if (open < 0) break;
    kept += html.slice(from, open);
    lowerKept += lowerHtml.slice(from, open);
    const close = lowerHtml.indexOf(end, open + start.length);
    if (close < 0) return [kept, lowerKept];
    const closeEnd = lowerHtml.indexOf('>', close);
    from = closeEnd < 0 ? html.length : closeEnd + 1;
  }
  return [kept + html.slice(from), lowerKept + lowerHtml.slice(from)];
};

const withoutInvisibleParts = (html: string): string => {
  // Tag names are matched in ASCII lower case, as HTML's tokenizer does: the copy searched keeps
  // every index, and the text kept is the mail's own. (Until 2026-12-06 the characters whose lower
  // case has another length, U+0130 "İ" among them, were replaced by U+FFFD in the kept text too, so
  // a Turkish HTML-only mail lost every capital dotted I; found by a review.)
  const lower = html.replace(/[A-Z]+/g, (run) => run.toLowerCase());
  let pair: [string, string] = [html, lower];
  pair = cutSpans(pair[0], pair[1], '<!--', '-->');
  for (const element of INVISIBLE_ELEMENTS) {
    pair = cutSpans(pair[0], pair[1], `<${element}`, `</${element}`);
  }
  return pair[0];
};

export const htmlToText = (html: string): string =>
  decodeHtmlEntities(
    withoutInvisibleParts(html)
      .replace(/\s+/g, ' ')
      .replace(/<br\b[^<>]*>/gi, '\n')
      .replace(/<li\b[^<>]*>/gi, '\n- ')
      .replace(/<\/?(td|th)\b[^<>]*>/gi, ' ')
      .replace(new RegExp(`</?(${BLOCK_TAGS})\\b[^<>]*>`, 'gi'), '\n\n')
      // A tag starts with a letter, `/`, `!` or `?`; a lone "<" is text (HTML's own rule).
      .replace(/<[a-z/!?][^<>]*>/gi, ''),
  )
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

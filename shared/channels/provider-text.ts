import { redactString } from '#shared/observability/redact.ts';

/**
 * The text cut to at most `maxUnits` UTF-16 code units, never between the two halves of a
 * surrogate pair: an emoji cut in two leaves a lone surrogate, which is no Unicode text (encoded,
 * it turns into U+FFFD, or a consumer refuses it). Every cut of a provider's text goes through this.
 */
export const cutText = (text: string, maxUnits: number): string => {
  if (text.length <= maxUnits) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(maxUnits - 1)) ? maxUnits - 1 : maxUnits;
  return text.slice(0, Math.max(0, end));
};

/*
 * Provider error texts quote what they refuse ("The 'To' number +1555… is not a valid phone
 * number", "…failed the check in region US-EAST-1: someone@example.com"). What a sender keeps of
 * them goes into outcomes that are logged and published, so contact details are masked first, by
 * the same linear-time rule as every log line (shared/observability/redact.ts), and the text is cut
 * only after: a cut first could split an address or a number at the bound and leave the part
 * before it unmasked (`maria.keller@custo`, `+4915`).
 */

/** Longest provider text kept; the code and the documentation link say the rest. */
const MAX_PROVIDER_TEXT = 1000;
/** Longest text masked: the masks are linear in it, and more would only be cut away after. */
const MAX_MASKED_TEXT = 16 * MAX_PROVIDER_TEXT;
/** Characters a phone number is written with: digits, `+`, and its separators (whitespace, `().-`, `%`). */
const PHONE_CHARACTER = /[\d\s+().%-]/;

/**
 * A text cut at `MAX_MASKED_TEXT` without what the cut may have split: first the run of characters
 * other than whitespace it ended in (an address, a URL-encoded number), then the run of phone
 * characters before that (a number whose groups are split by spaces). Masking shrinks the text,
 * so a piece left there could move within the kept bound unmasked. Scans back, not `/\S+$/`: that
 * pattern tries again from every character of a long run.
 */
const withoutCutTail = (text: string): string => {
  let end = text.length;
  while (end > 0 && !/\s/.test(text.charAt(end - 1))) end -= 1;
  while (end > 0 && PHONE_CHARACTER.test(text.charAt(end - 1))) end -= 1;
  return text.slice(0, end);
};

/** The text with e-mail addresses and phone numbers masked, then cut to a bounded length. */
export const redactContactDetails = (text: string): string => {
  const masked = redactString(
    text.length > MAX_MASKED_TEXT ? withoutCutTail(cutText(text, MAX_MASKED_TEXT)) : text,
  );
  return cutText(masked, MAX_PROVIDER_TEXT);
};

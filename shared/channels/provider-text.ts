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
 * them goes into outcomes that are logged and published, so contact details are masked first.
 */

/** Longest provider text kept; the code and the documentation link say the rest. */
const MAX_PROVIDER_TEXT = 1000;
/** An e-mail address (local part, `@`, a dotted domain). */
const EMAIL_ADDRESS = /[^\s<>()[\]"',;:@]+@[^\s<>()[\]"',;:@]+\.[A-Za-z0-9-]+/g;
/** A phone number: an optional `+` and at least 7 digits, perhaps grouped by spaces, dots, dashes or brackets. */
const PHONE_NUMBER = /\+?\d(?:[\s.\-()]?\d){6,}/g;

const REDACTED = '[redacted]';

/** The text with e-mail addresses and phone numbers masked, and cut to a bounded length. */
export const redactContactDetails = (text: string): string =>
  cutText(text, MAX_PROVIDER_TEXT).replace(EMAIL_ADDRESS, REDACTED).replace(PHONE_NUMBER, REDACTED);

/**
 * Defence in depth for log output: the logger only accepts allow-listed fields, but a developer
 * could still pass a reason or id that embeds customer data. These patterns blank the two kinds
 * that matter most (e-mail addresses and phone numbers) before anything is printed.
 */

const EMAIL_ADDRESS = /[^\s@<>()[\],;:"]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/**
 * 7 to 15 digits, optionally with a leading + and single separators, not glued to letters, digits
 * or underscores on either side: hex ids (`evt_3fa1…`) and SIDs keep their digit runs.
 */
const PHONE_LIKE = /(?<![A-Za-z0-9_])\+?\d(?:[\s().-]?\d){6,14}(?![A-Za-z0-9_])/g;

const REDACTED_EMAIL = '[email]';
const REDACTED_PHONE = '[phone]';

const PHONE_MIN_DIGITS = 7;

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
  // The patterns cannot match without these, and the e-mail one backtracks over every position.
  const withoutEmails = value.includes('@') ? value.replace(EMAIL_ADDRESS, REDACTED_EMAIL) : value;
  return hasPhoneDigitCount(withoutEmails)
    ? withoutEmails.replace(PHONE_LIKE, REDACTED_PHONE)
    : withoutEmails;
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

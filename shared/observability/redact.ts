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

export const REDACTED_EMAIL = '[email]';
export const REDACTED_PHONE = '[phone]';

export const redactString = (value: string): string =>
  value.replace(EMAIL_ADDRESS, REDACTED_EMAIL).replace(PHONE_LIKE, REDACTED_PHONE);

/** Redacts every string (and record key) inside a JSON-like value. */
export const redactValue = (value: unknown): unknown => {
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
        redactString(key),
        redactValue(inner),
      ]),
    );
  }
  return value;
};

/** Provider clocks come as epoch seconds (WhatsApp, as strings), epoch milliseconds (Messenger) or RFC 2822 (e-mail). */

const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1);
const MAX_PLAUSIBLE_MS = Date.UTC(2200, 0, 1);

const toIso = (ms: number): string | null =>
  Number.isFinite(ms) && ms >= MIN_PLAUSIBLE_MS && ms <= MAX_PLAUSIBLE_MS ? new Date(ms).toISOString() : null;

/** Epoch seconds (number or numeric string) → ISO, or null when absent or implausible. */
export const isoFromEpochSeconds = (value: unknown): string | null => {
  const seconds = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' ? toIso(Math.round(seconds * 1000)) : null;
};

/** Epoch milliseconds → ISO, or null when absent or implausible. */
export const isoFromEpochMillis = (value: unknown): string | null => {
  const millis = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof millis === 'number' ? toIso(millis) : null;
};

/** Any Date-parsable string → ISO, or null. */
export const isoFromDateString = (value: unknown): string | null =>
  typeof value === 'string' && value.length > 0 ? toIso(Date.parse(value)) : null;

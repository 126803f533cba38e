/** Provider clocks come as epoch seconds (WhatsApp, as strings), epoch milliseconds (Messenger) or RFC 2822 (e-mail). */

const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1);
const MAX_PLAUSIBLE_MS = Date.UTC(2200, 0, 1);

const MS_PER_DAY = 86_400_000;
/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
const DAYS_FROM_YEAR_ZERO_MARCH_TO_EPOCH = 719_468;
const DAYS_PER_400_YEARS = 146_097;

const twoDigits = (value: number): string => (value < 10 ? `0${value}` : `${value}`);
const threeDigits = (value: number): string =>
  value < 10 ? `00${value}` : value < 100 ? `0${value}` : `${value}`;

/**
 * `new Date(ms).toISOString()` for a plausible instant (years 2000–2199), in plain arithmetic:
 * the builtin crosses into C++ and costs several times as much, and every event carries one or
 * two timestamps. The date is Howard Hinnant's `civil_from_days` (years counted from March, so
 * the leap day ends a year); a property test checks it against the builtin over the whole range.
 */
const isoFromPlausibleMillis = (ms: number): string => {
  const wholeMs = Math.floor(ms);
  const days = Math.floor(wholeMs / MS_PER_DAY);
  let msOfDay = wholeMs - days * MS_PER_DAY;
  const shifted = days + DAYS_FROM_YEAR_ZERO_MARCH_TO_EPOCH;
  const era = Math.floor(shifted / DAYS_PER_400_YEARS);
  const dayOfEra = shifted - era * DAYS_PER_400_YEARS;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(msOfDay / 3_600_000);
  msOfDay -= hours * 3_600_000;
  const minutes = Math.floor(msOfDay / 60_000);
  msOfDay -= minutes * 60_000;
  const seconds = Math.floor(msOfDay / 1000);
  const millis = msOfDay - seconds * 1000;
  return `${year}-${twoDigits(month)}-${twoDigits(day)}T${twoDigits(hours)}:${twoDigits(minutes)}:${twoDigits(seconds)}.${threeDigits(millis)}Z`;
};

const isPlausible = (ms: number): boolean =>
  Number.isFinite(ms) && ms >= MIN_PLAUSIBLE_MS && ms <= MAX_PLAUSIBLE_MS;

const toIso = (ms: number): string | null => (isPlausible(ms) ? isoFromPlausibleMillis(ms) : null);

/** `date.toISOString()` (the same string, the same RangeError for an invalid date), faster for today's dates. */
export const isoFromDate = (date: Date): string => {
  const ms = date.getTime();
  return isPlausible(ms) ? isoFromPlausibleMillis(ms) : date.toISOString();
};

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

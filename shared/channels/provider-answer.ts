/** Helpers for reading a provider's HTTP answer. */

/** The body as JSON, or undefined when it is none (an HTML error page, an empty body). */
export const jsonOrUndefined = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/** `Retry-After` in whole seconds, as milliseconds; an HTTP date or anything else gives nothing. */
export const retryAfterMsOf = (headers: Readonly<Record<string, string>>): number | undefined => {
  const value = headers['retry-after']?.trim();
  return value !== undefined && /^\d{1,6}$/.test(value) ? Number(value) * 1000 : undefined;
};

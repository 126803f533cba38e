/** Helpers for reading a provider's HTTP answer. */

/** The body as JSON, or undefined when it is none (an HTML error page, an empty body). */
export const jsonOrUndefined = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/**
 * At most `maxBytes` of a provider's answer body, as UTF-8 text (a byte order mark dropped, as
 * `Response.text` does), and whether that was all of it. A body past the bound is left unread: the
 * loop's early exit cancels the stream, so the connection closes instead of filling memory.
 */
export const readBoundedText = async (
  body: AsyncIterable<Uint8Array> | null | undefined,
  maxBytes: number,
): Promise<{ readonly text: string; readonly complete: boolean }> => {
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for await (const chunk of body ?? []) {
    const room = maxBytes - bytes;
    if (chunk.byteLength > room)
      return { text: text + decoder.decode(chunk.subarray(0, room)), complete: false };
    bytes += chunk.byteLength;
    text += decoder.decode(chunk, { stream: true });
  }
  return { text: text + decoder.decode(), complete: true };
};

/** `Retry-After` in whole seconds, as milliseconds; an HTTP date or anything else gives nothing. */
export const retryAfterMsOf = (headers: Readonly<Record<string, string>>): number | undefined => {
  const value = headers['retry-after']?.trim();
  return value !== undefined && /^\d{1,6}$/.test(value) ? Number(value) * 1000 : undefined;
};

/** One `name=value` pair of a form body, decoded, in the order it was sent. */
export type FormParam = readonly [name: string, value: string];

export type FormParseResult = { ok: true; params: FormParam[] } | { ok: false; reason: string };

/**
 * A form encoder never leaves these raw (a space is always `+`): accepting them would let two
 * different byte strings decode to the same signed parameters.
 */
const isRawForbidden = (byte: number): boolean => byte <= 0x20 || byte === 0x7f;

/** WHATWG form decoding: `+` is a space, escapes are UTF-8, invalid ones kept as browsers keep them. */
const decodeComponent = (text: string): string => new URLSearchParams(`x=${text}`).get('x') ?? '';

/**
 * Parses `application/x-www-form-urlencoded` bytes, keeping every parameter (repeated names
 * too) in order. Strict where strictness costs nothing for a real encoder: every pair has `=`
 * (Twilio sends `FromCity=` for empty values), so `a=b` and `a&b` cannot sign alike.
 */
export const parseFormBody = (body: Uint8Array): FormParseResult => {
  if (body.length === 0) return { ok: true, params: [] };
  const text = Buffer.from(body).toString('utf8');
  if (body.some(isRawForbidden))
    return { ok: false, reason: 'form body contains unencoded whitespace or control bytes' };
  const params: FormParam[] = [];
  for (const pair of text.split('&')) {
    const separator = pair.indexOf('=');
    if (separator < 0) return { ok: false, reason: 'form body has a parameter without "="' };
    params.push([decodeComponent(pair.slice(0, separator)), decodeComponent(pair.slice(separator + 1))]);
  }
  return { ok: true, params };
};

/** Encodes parameters the way Twilio's form encoder does (spaces as `+`, UTF-8 percent escapes). */
export const encodeForm = (params: Iterable<FormParam>): string => {
  const search = new URLSearchParams();
  for (const [name, value] of params) search.append(name, value);
  return search.toString();
};

/**
 * The parameters as one object for schema parsing and `raw` payloads: a name sent once maps to
 * its value, a repeated name to all its values in order.
 */
export const paramsToRecord = (params: readonly FormParam[]): Record<string, string | string[]> => {
  const record: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of params) {
    const existing = record[name];
    if (existing === undefined) record[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else record[name] = [existing, value];
  }
  return { ...record };
};

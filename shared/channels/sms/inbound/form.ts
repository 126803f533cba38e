/** One `name=value` pair of a form body, decoded, in the order it was sent. */
export type FormParam = readonly [name: string, value: string];

export type FormParseResult = { ok: true; params: FormParam[] } | { ok: false; reason: string };

/**
 * A form encoder never leaves these raw (a space is always `+`): accepting them would let two
 * different byte strings decode to the same signed parameters.
 */
const isRawForbidden = (byte: number): boolean => byte <= 0x20 || byte === 0x7f;

const hasRawForbiddenByte = (body: Uint8Array): boolean => {
  for (let index = 0; index < body.length; index += 1) {
    if (isRawForbidden(body[index] as number)) return true;
  }
  return false;
};

/** Every `&`-separated pair (empty ones included) has a `=`. */
const everyPairHasEquals = (text: string): boolean => {
  let pairStart = 0;
  while (pairStart <= text.length) {
    const pairEnd = text.indexOf('&', pairStart);
    const end = pairEnd < 0 ? text.length : pairEnd;
    const separator = text.indexOf('=', pairStart);
    if (separator < 0 || separator >= end) return false;
    pairStart = end + 1;
  }
  return true;
};

/**
 * Parses `application/x-www-form-urlencoded` bytes, keeping every parameter (repeated names
 * too) in order. Strict where strictness costs nothing for a real encoder: every pair has `=`
 * (Twilio sends `FromCity=` for empty values), so `a=b` and `a&b` cannot sign alike.
 */
export const parseFormBody = (body: Uint8Array): FormParseResult => {
  if (body.length === 0) return { ok: true, params: [] };
  // A view on the same bytes: `Buffer.from(body)` would copy them first.
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (hasRawForbiddenByte(body))
    return { ok: false, reason: 'form body contains unencoded whitespace or control bytes' };
  if (!everyPairHasEquals(text)) return { ok: false, reason: 'form body has a parameter without "="' };
  // With no empty pair, one WHATWG decoder for the whole body (`+` is a space, escapes are UTF-8,
  // invalid ones kept as browsers keep them) splits exactly so. The leading `&` (an empty pair,
  // skipped) keeps a leading `?` from being taken as a query mark.
  return { ok: true, params: [...new URLSearchParams(`&${text}`)] };
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
  // A plain object filled in place: a null-prototype dictionary copied out cost 7x as much.
  const record: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    const existing = Object.hasOwn(record, name) ? record[name] : undefined;
    if (Array.isArray(existing)) existing.push(value);
    else if (name === '__proto__') {
      // Defined, not assigned: the name stays a parameter instead of replacing the prototype.
      Object.defineProperty(record, name, {
        value: existing === undefined ? value : [existing, value],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else record[name] = existing === undefined ? value : [existing, value];
  }
  return record;
};

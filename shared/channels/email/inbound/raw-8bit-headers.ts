/*
 * A mail whose own header block carries 8-bit bytes that are no UTF-8. RFC 5322 allows ASCII only
 * there and RFC 6532 UTF-8, but older mailers and web forms write their local charset raw (a From
 * of "J\xf6rg", a subject of "Gr\xf6\xdfe" in Latin-1). postal-mime reads header bytes as UTF-8, so
 * such a name came out "J�rg" and such a subject "Gr��e", which the hub's reply subject then sent
 * back to the customer. Mail readers read them in the mail's charset or in windows-1252; so does
 * this, before the parse. A block that is ASCII or valid UTF-8 is left as it is, and the raw mail is
 * stored as it came.
 */

/** The mail's charset when none is named: what mail readers fall back to (WHATWG's label for Latin-1 too). */
const FALLBACK_CHARSET = 'windows-1252';

const LF = 0x0a;
const CR = 0x0d;

/** Where the header block ends: the index of the empty line's first byte, or the mail's length. */
const headerBlockEnd = (raw: Uint8Array): number => {
  for (let index = 0; index < raw.length; index += 1) {
    if (raw[index] !== LF) continue;
    const next = raw[index + 1] === CR ? index + 2 : index + 1;
    if (raw[next] === LF) return index + 1;
  }
  return raw.length;
};

const isUtf8 = (bytes: Uint8Array): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** The top-level Content-Type's charset, if the block names one Node can decode. */
const namedCharset = (block: string): string | undefined => {
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  const contentType = unfolded.split(/\r?\n/).find((line) => line.toLowerCase().startsWith('content-type:'));
  const charset = /charset\s*=\s*"?([A-Za-z0-9_.:-]{1,40})/i.exec(contentType ?? '')?.[1];
  if (charset === undefined) return undefined;
  try {
    // A block that is no UTF-8 was not written in UTF-8, whatever the body says.
    return new TextDecoder(charset).encoding === 'utf-8' ? undefined : charset;
  } catch {
    return undefined;
  }
};

/** The mail with its header block as UTF-8 when it was written in another charset; else the mail itself. */
export const withReadableHeaders = (raw: Uint8Array): Uint8Array => {
  const end = headerBlockEnd(raw);
  const header = raw.subarray(0, end);
  if (isUtf8(header)) return raw;
  const charset = namedCharset(Buffer.from(header).toString('latin1')) ?? FALLBACK_CHARSET;
  const text = new TextDecoder(charset).decode(header);
  return Buffer.concat([Buffer.from(text, 'utf8'), raw.subarray(end)]);
};

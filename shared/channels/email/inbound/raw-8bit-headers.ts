/*
 * A mail whose own header lines carry 8-bit bytes that are no UTF-8. RFC 5322 allows ASCII only
 * there and RFC 6532 UTF-8, but older mailers, relays and web forms write their local charset raw
 * (a From of "J\xf6rg", a subject of "Gr\xf6\xdfe" in Latin-1). postal-mime reads header bytes as
 * UTF-8, so such a name came out "J�rg" and such a subject "Gr��e", which the hub's reply subject
 * then sent back to the customer. Mail readers read them in the mail's charset or in windows-1252;
 * so does this, before the parse, line by line: a line that is ASCII or valid UTF-8 is left as it is
 * (a UTF-8 From beside a relay's Latin-1 header stays UTF-8), and the raw mail is stored as it came.
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

const ASCII_PROBE = 'Content-Type: text/plain';

/**
 * The top-level Content-Type's charset, if it is one header bytes can be in: one Node decodes, that
 * reads ASCII as ASCII (not UTF-16 or UTF-32, which a body may be in), and not UTF-8 (which the
 * line was found not to be).
 */
const namedCharset = (block: string): string | undefined => {
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  const contentType = unfolded.split(/\r?\n/).find((line) => line.toLowerCase().startsWith('content-type:'));
  const charset = /charset\s*=\s*"?([A-Za-z0-9_.:-]{1,40})/i.exec(contentType ?? '')?.[1];
  if (charset === undefined) return undefined;
  try {
    const decoder = new TextDecoder(charset);
    const asciiCompatible = decoder.decode(Buffer.from(ASCII_PROBE, 'latin1')) === ASCII_PROBE;
    return asciiCompatible && decoder.encoding !== 'utf-8' ? charset : undefined;
  } catch {
    return undefined;
  }
};

/** The header block's lines, each with its line end. */
const linesOf = (block: Uint8Array): Uint8Array[] => {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let index = 0; index < block.length; index += 1) {
    if (block[index] !== LF) continue;
    lines.push(block.subarray(start, index + 1));
    start = index + 1;
  }
  if (start < block.length) lines.push(block.subarray(start));
  return lines;
};

/** The mail with each header line that is no UTF-8 read in the mail's charset (else windows-1252); else the mail itself. */
export const withReadableHeaders = (raw: Uint8Array): Uint8Array => {
  const end = headerBlockEnd(raw);
  const header = raw.subarray(0, end);
  if (isUtf8(header)) return raw;
  const decoder = new TextDecoder(namedCharset(Buffer.from(header).toString('latin1')) ?? FALLBACK_CHARSET);
  const lines = linesOf(header).map((line) =>
    isUtf8(line) ? line : Buffer.from(decoder.decode(line), 'utf8'),
  );
  return Buffer.concat([...lines, raw.subarray(end)]);
};

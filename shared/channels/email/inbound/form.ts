/**
 * Form bodies parsed to bytes. The platform parsers (URLSearchParams, Response.formData) decode
 * every field as UTF-8, which would corrupt a raw MIME field holding 8-bit text in another
 * charset; these keep each value's exact bytes.
 */

export interface FormField {
  readonly name: string;
  readonly value: Buffer;
  /**
   * Set for file parts of multipart bodies: the part's filename (`filename*` decoded, else
   * `filename`), or '' for a file part that names none (see isFilePart).
   */
  readonly filename?: string;
  readonly contentType?: string;
}

const hexValue = (byte: number | undefined): number => {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
};

/**
 * `%XX` → that byte, and `+` → space in a form (not in an RFC 8187 value, where `+` is itself);
 * everything else kept byte for byte.
 */
const percentDecode = (encoded: Buffer, plusIsSpace = true): Buffer => {
  const decoded = Buffer.alloc(encoded.length);
  let length = 0;
  for (let index = 0; index < encoded.length; index += 1) {
    const byte = encoded[index] ?? 0;
    const high = byte === 0x25 ? hexValue(encoded[index + 1]) : -1;
    const low = byte === 0x25 ? hexValue(encoded[index + 2]) : -1;
    if (byte === 0x2b && plusIsSpace) decoded[length++] = 0x20;
    else if (high >= 0 && low >= 0) {
      decoded[length++] = high * 16 + low;
      index += 2;
    } else decoded[length++] = byte;
  }
  return decoded.subarray(0, length);
};

/**
 * Most fields a form may have. Mailgun's parsed posts have a few dozen plus one per attachment
 * (`attachment-1` …), so a mail with hundreds of files needs hundreds; a body is parsed before its
 * signature can be checked (the signature is one of its fields), so an unsigned body of a million
 * tiny fields must cost next to nothing: parsing stops here (2,048 small fields parse in about a
 * millisecond).
 */
export const MAX_FORM_FIELDS = 2048;

/** A form that has more fields than MAX_FORM_FIELDS. */
export const TOO_MANY_FIELDS = 'too_many_fields';

const AMPERSAND = 0x26;
const EQUALS = 0x3d;

export const parseUrlEncoded = (body: Buffer): FormField[] | typeof TOO_MANY_FIELDS => {
  const fields: FormField[] = [];
  let start = 0;
  while (start <= body.length) {
    if (fields.length > MAX_FORM_FIELDS) return TOO_MANY_FIELDS;
    const ampersand = body.indexOf(AMPERSAND, start);
    const end = ampersand < 0 ? body.length : ampersand;
    const pair = body.subarray(start, end);
    if (pair.length > 0) {
      const equals = pair.indexOf(EQUALS);
      const rawName = equals < 0 ? pair : pair.subarray(0, equals);
      const rawValue = equals < 0 ? Buffer.alloc(0) : pair.subarray(equals + 1);
      fields.push({ name: percentDecode(rawName).toString('utf8'), value: percentDecode(rawValue) });
    }
    start = end + 1;
  }
  return fields;
};

/** `boundary` parameter of a multipart content type, quoted or not. */
export const boundaryOf = (contentType: string): string | undefined => {
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;]{1,200}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
};

const parameterOf = (header: string, name: string): string | undefined => {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s;]+))`, 'i').exec(header);
  const value = match?.[1] ?? match?.[2];
  return value?.replace(/\\(.)/g, '$1');
};

/**
 * An RFC 8187 extended value (`filename*=utf-8''Rechnung%20%E2%82%AC.pdf`, as RFC 7578 allows):
 * charset, language, then percent-encoded bytes. UTF-8 unless the charset is ISO-8859-1; a value
 * without the two quotes is taken as it is.
 */
const extendedValue = (value: string): string => {
  const first = value.indexOf("'");
  const second = first < 0 ? -1 : value.indexOf("'", first + 1);
  if (second < 0) return value;
  const bytes = percentDecode(Buffer.from(value.slice(second + 1), 'utf8'), false);
  const charset = value.slice(0, first).toLowerCase();
  return bytes.toString(charset === 'iso-8859-1' || charset === 'latin1' ? 'latin1' : 'utf8');
};

/** Mailgun's name for the file parts of a parsed post. */
const ATTACHMENT_FIELD = /^attachment-\d{1,6}$/;

/**
 * Whether a part without a filename is a file all the same: Mailgun's `attachment-N`, or a part
 * whose Content-Type is not text (a form's text fields carry none, or a text/* one; a proxy may
 * label a JSON field such as `message-headers` application/json).
 */
const isFilePart = (name: string, contentType: string | undefined): boolean => {
  if (ATTACHMENT_FIELD.test(name)) return true;
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return mediaType !== '' && !mediaType.startsWith('text/') && mediaType !== 'application/json';
};

const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** multipart/form-data (RFC 7578) split on its boundary; parts without a name are skipped. */
export const parseMultipart = (
  body: Buffer,
  boundary: string,
): FormField[] | typeof TOO_MANY_FIELDS | undefined => {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: FormField[] = [];
  let start = body.indexOf(delimiter);
  if (start < 0) return undefined;
  for (let parts = 0; ; parts += 1) {
    if (parts > MAX_FORM_FIELDS) return TOO_MANY_FIELDS;
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString('latin1') === '--') return fields;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), afterDelimiter);
    if (next < 0) return undefined;
    const part = body.subarray(afterDelimiter, next);
    const headerEnd = part.indexOf(CRLF_CRLF);
    if (headerEnd >= 0) {
      const headerLines = part.subarray(0, headerEnd).toString('utf8').split('\r\n');
      const disposition = headerLines.find((line) => /^content-disposition\s*:/i.test(line)) ?? '';
      const contentType = headerLines
        .find((line) => /^content-type\s*:/i.test(line))
        ?.replace(/^content-type\s*:\s*/i, '');
      const name = parameterOf(disposition, 'name');
      const extended = parameterOf(disposition, 'filename\\*');
      const filename =
        extended !== undefined
          ? extendedValue(extended)
          : (parameterOf(disposition, 'filename') ??
            (name !== undefined && isFilePart(name, contentType) ? '' : undefined));
      if (name !== undefined) {
        fields.push({
          name,
          value: Buffer.from(part.subarray(headerEnd + CRLF_CRLF.length)),
          ...(filename !== undefined ? { filename } : {}),
          ...(contentType ? { contentType: contentType.trim() } : {}),
        });
      }
    }
    start = next + 2;
  }
};

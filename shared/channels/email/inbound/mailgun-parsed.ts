import * as v from 'valibot';
import { jsonOrUndefined } from '#shared/channels/provider-answer.ts';
import { lazily, record } from '#shared/validation/schema.ts';
import { sha256Hex } from './attachments.ts';
import type { FormField } from './form.ts';

/**
 * Mailgun's parsed-fields form (a `forward()` route whose URL does not end in `mime`) carries no
 * raw MIME. Best effort: a MIME message is rebuilt from the fields, so one parser and one
 * normalization serve both forms. The original headers come from `message-headers` (minus the
 * ones describing the original body structure), the bodies from `body-plain` / `body-html`, files
 * from the file parts (inline when `content-id-map` names them). Mailgun's own `stripped-*`
 * fields are not used: the hub strips quoted history the same way for every provider.
 */

const MessageHeadersSchema = lazily(() => v.array(v.tupleWithRest([v.string(), v.string()], v.unknown())));
const ContentIdMapSchema = record(v.string());

const SIGNATURE_FIELDS = ['timestamp', 'token', 'signature'] as const;

/**
 * What a delivery says: every field but the three the signature is made of, and only those three
 * exactly: the first text field of each name, which the webhook reads and verifies. Anything else of
 * those names (a file part `name="token"; filename="invoice.exe"`, a second `token` field) is content
 * like any other field: before 2026-12-04 every field so named was left out, so a captured,
 * already-claimed post came back with such a file part added, passed as the same content, and
 * became a new message with that file attached.
 */
export const contentFields = (fields: readonly FormField[]): FormField[] => {
  const signature = new Set(
    SIGNATURE_FIELDS.map((name) =>
      fields.find((field) => field.name === name && field.filename === undefined),
    ),
  );
  return fields.filter((field) => !signature.has(field));
};

const STRUCTURAL_HEADERS = new Set([
  'content-type',
  'content-transfer-encoding',
  'mime-version',
  'content-disposition',
]);

const fieldText = (fields: readonly FormField[], name: string): string | undefined =>
  fields.find((field) => field.name === name && field.filename === undefined)?.value.toString('utf8');

/** A field's JSON, or undefined when the field is absent or no JSON. */
const jsonField = (fields: readonly FormField[], name: string): unknown =>
  jsonOrUndefined(fieldText(fields, name) ?? '');

/** Header values go in as UTF-8 (RFC 6532); line breaks are folded away so nothing can inject headers. */
const headerLine = (name: string, value: string): string =>
  `${name.replace(/[^\x21-\x39\x3b-\x7e]/g, '')}: ${value.replace(/[\r\n]+/g, ' ')}`;

const base64Lines = (bytes: Uint8Array): string =>
  (
    Buffer.from(bytes)
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');

const quotedFilename = (filename: string): string =>
  /^[\x20-\x7e]*$/.test(filename) && !/["\\]/.test(filename)
    ? `filename="${filename}"`
    : `filename*=utf-8''${encodeURIComponent(filename)}`;

export const mimeFromParsedFields = (fields: readonly FormField[]): Buffer => {
  const headers: string[] = [];
  const original = v.safeParse(MessageHeadersSchema, jsonField(fields, 'message-headers'));
  if (original.success) {
    for (const [name, value] of original.output) {
      if (!STRUCTURAL_HEADERS.has(name.toLowerCase())) headers.push(headerLine(name, value));
    }
  } else {
    const from = fieldText(fields, 'from') ?? fieldText(fields, 'sender');
    const recipient = fieldText(fields, 'recipient');
    if (from) headers.push(headerLine('From', from));
    if (recipient) headers.push(headerLine('To', recipient));
    headers.push(headerLine('Subject', fieldText(fields, 'subject') ?? ''));
  }

  const contentIds = v.safeParse(ContentIdMapSchema, jsonField(fields, 'content-id-map'));
  const inlineByField = new Map(
    Object.entries(contentIds.success ? contentIds.output : {}).map(([cid, field]) => [field, cid]),
  );
  const plain = fieldText(fields, 'body-plain');
  const html = fieldText(fields, 'body-html');
  const files = fields.filter((field) => field.filename !== undefined);

  // Boundaries depend on the content only, not on the per-delivery signature fields, so a retry
  // rebuilds the same bytes (and a message without Message-ID gets the same derived id).
  const digest = sha256Hex(
    Buffer.concat(
      contentFields(fields).flatMap((field) => [Buffer.from(`${field.name}\u0000`), field.value]),
    ),
  ).slice(0, 24);
  const outer = `sb-mixed-${digest}`;
  const inner = `sb-alt-${digest}`;
  const lines = [...headers, 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${outer}"`, ''];
  lines.push(`--${outer}`, `Content-Type: multipart/alternative; boundary="${inner}"`, '');
  for (const [body, type] of [
    [plain, 'text/plain'],
    [html, 'text/html'],
  ] as const) {
    if (body === undefined) continue;
    lines.push(`--${inner}`, `Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '');
    lines.push(base64Lines(Buffer.from(body, 'utf8')));
  }
  lines.push(`--${inner}--`);
  for (const file of files) {
    const contentId = inlineByField.get(file.name);
    lines.push(
      `--${outer}`,
      `Content-Type: ${(file.contentType ?? 'application/octet-stream').replace(/[\r\n]+/g, ' ')}`,
      `Content-Disposition: ${contentId ? 'inline' : 'attachment'}${file.filename ? `; ${quotedFilename(file.filename)}` : ''}`,
      ...(contentId ? [`Content-ID: ${contentId.replace(/[\r\n]+/g, ' ')}`] : []),
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(file.value),
    );
  }
  lines.push(`--${outer}--`, '');
  return Buffer.from(lines.join('\r\n'), 'utf8');
};

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
 *
 * Of the fields (shared/reference/providers.md), the mail's are `from`, `subject`, `body-plain`,
 * `body-html`, `stripped-text`, `stripped-html`, `stripped-signature`, `message-headers`,
 * `content-id-map`, `attachment-count` and the file parts; `sender` is the SMTP transaction's MAIL
 * FROM (one for every route the transaction matched); `recipient` is the route's (Mailgun posts a
 * mail once per matching route, each post naming the address it matched), and `timestamp`, `token`
 * and `signature` are each post's own. The rebuild reads the mail's fields only (`sender` stands in
 * for a missing `from`), so the two posts of one mail, and any retry of either, rebuild one mail.
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

/**
 * The header section of the rebuilt mail: the original headers from `message-headers`, else From
 * and Subject alone. Never `recipient`: that is the route's envelope address (Mailgun posts once per
 * matching route, each post naming its own), which the webhook passes on as the envelope recipient;
 * written in as a To header it made the two posts of one mail two different rebuilds.
 */
const headerSection = (fields: readonly FormField[]): string[] => {
  const original = v.safeParse(MessageHeadersSchema, jsonField(fields, 'message-headers'));
  if (!original.success) {
    const from = fieldText(fields, 'from') ?? fieldText(fields, 'sender');
    return [
      ...(from ? [headerLine('From', from)] : []),
      headerLine('Subject', fieldText(fields, 'subject') ?? ''),
    ];
  }
  return original.output
    .filter(([name]) => !STRUCTURAL_HEADERS.has(name.toLowerCase()))
    .map(([name, value]) => headerLine(name, value));
};

/** One leaf of the rebuilt mail: its part headers and its bytes (sent base64). */
interface Leaf {
  readonly headers: readonly string[];
  readonly bytes: Uint8Array;
}

const bodyLeaves = (fields: readonly FormField[]): Leaf[] =>
  (
    [
      ['body-plain', 'text/plain'],
      ['body-html', 'text/html'],
    ] as const
  ).flatMap(([name, type]) => {
    const body = fieldText(fields, name);
    return body === undefined
      ? []
      : [{ headers: [`Content-Type: ${type}; charset=utf-8`], bytes: Buffer.from(body, 'utf8') }];
  });

const fileLeaves = (fields: readonly FormField[]): Leaf[] => {
  const contentIds = v.safeParse(ContentIdMapSchema, jsonField(fields, 'content-id-map'));
  const inlineByField = new Map(
    Object.entries(contentIds.success ? contentIds.output : {}).map(([cid, field]) => [field, cid]),
  );
  return fields
    .filter((field) => field.filename !== undefined)
    .map((file) => {
      const contentId = inlineByField.get(file.name);
      return {
        headers: [
          `Content-Type: ${(file.contentType ?? 'application/octet-stream').replace(/[\r\n]+/g, ' ')}`,
          `Content-Disposition: ${contentId ? 'inline' : 'attachment'}${file.filename ? `; ${quotedFilename(file.filename)}` : ''}`,
          ...(contentId ? [`Content-ID: ${contentId.replace(/[\r\n]+/g, ' ')}`] : []),
        ],
        bytes: file.value,
      };
    });
};

/**
 * What the rebuilt mail carries, as one digest: its header lines and each leaf's headers and bytes,
 * nothing else. The boundaries are made of it, so the rebuilt bytes (the raw object's key, and the
 * id derived from them when the mail has no Message-ID) are the mail's alone: a retry (new
 * signature fields) and the post of another route (another `recipient`) rebuild the same bytes.
 * Until 2026-12-05 the digest covered every field but the signature's, `recipient` included, so one
 * mail without a Message-ID posted for two business addresses became two messages.
 */
const rebuiltDigest = (headers: readonly string[], leaves: readonly Leaf[]): string =>
  sha256Hex(
    [
      JSON.stringify(headers),
      ...leaves.map((leaf) => JSON.stringify([leaf.headers, sha256Hex(leaf.bytes)])),
    ].join('\n'),
  ).slice(0, 24);

export const mimeFromParsedFields = (fields: readonly FormField[]): Buffer => {
  const headers = headerSection(fields);
  const bodies = bodyLeaves(fields);
  const files = fileLeaves(fields);
  const digest = rebuiltDigest(headers, [...bodies, ...files]);
  const outer = `sb-mixed-${digest}`;
  const inner = `sb-alt-${digest}`;
  const leafLines = (boundary: string, leaf: Leaf): string[] => [
    `--${boundary}`,
    ...leaf.headers,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(leaf.bytes),
  ];
  const lines = [
    ...headers,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${outer}"`,
    '',
    `--${outer}`,
    `Content-Type: multipart/alternative; boundary="${inner}"`,
    '',
    ...bodies.flatMap((leaf) => leafLines(inner, leaf)),
    `--${inner}--`,
    ...files.flatMap((leaf) => leafLines(outer, leaf)),
    `--${outer}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
};

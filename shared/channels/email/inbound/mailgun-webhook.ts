import {
  type BlobToStore,
  MAX_BODY_BYTES,
  reject,
  textResponse,
  type WebhookOutcome,
  type WebhookRequest,
} from '#shared/channels/inbound.ts';
import type { SecretsWith } from '#shared/config/secrets/sections.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { sha256Hex } from './attachments.ts';
import {
  boundaryOf,
  type FormField,
  MAX_FORM_FIELDS,
  parseMultipart,
  parseUrlEncoded,
  TOO_MANY_FIELDS,
} from './form.ts';
import { contentFields, mimeFromParsedFields } from './mailgun-parsed.ts';
import { verifyMailgun } from './mailgun-signature.ts';
import { checkToken, MAILGUN_TIMESTAMP_TOLERANCE_SECONDS } from './mailgun-token.ts';
import { normalizeInboundEmail } from './normalize.ts';
import type { ReplayGuard } from './replay-guard.ts';

export interface MailgunDeps {
  readonly secrets: SecretsWith<'mailgun' | 'email'>;
  readonly replayGuard: ReplayGuard;
}

const fieldText = (fields: readonly FormField[], name: string): string | undefined =>
  fields.find((field) => field.name === name && field.filename === undefined)?.value.toString('utf8');

const parseForm = (
  request: WebhookRequest,
): FormField[] | 'unsupported' | 'malformed' | typeof TOO_MANY_FIELDS => {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/x-www-form-urlencoded')) return parseUrlEncoded(request.body);
  if (!contentType.startsWith('multipart/form-data')) return 'unsupported';
  const boundary = boundaryOf(request.headers['content-type'] ?? '');
  if (boundary === undefined) return 'malformed';
  return parseMultipart(request.body, boundary) ?? 'malformed';
};

/**
 * What one delivery says, independent of its signature fields and multipart boundary: two
 * deliveries of the same e-mail have the same digest, and two that differ in any field (its kind,
 * name, filename, Content-Type or bytes, or the fields' order) do not. Each field is one JSON line,
 * so no field's text can pass for another's: before 2026-12-04 a text field hashed as a file part
 * without a filename, and a part's Content-Type was not hashed at all.
 */
const contentDigest = (fields: readonly FormField[]): string =>
  sha256Hex(
    contentFields(fields)
      .map((field) =>
        JSON.stringify([
          field.filename === undefined ? 'text' : 'file',
          field.name,
          field.filename ?? null,
          field.contentType ?? null,
          sha256Hex(field.value),
        ]),
      )
      .join('\n'),
  );

/**
 * POST /webhooks/email/mailgun. Order of checks: method 405, size 413, content type 415, form 400,
 * signature fields 401, signature 403 (Mailgun retries those, which lets a wrong signing key be
 * fixed without losing mail), then the timestamp and the token (406, which stops Mailgun's retries).
 */
export const handleMailgunWebhook = async (
  request: WebhookRequest,
  deps: MailgunDeps,
): Promise<WebhookOutcome> => {
  if (request.method.toUpperCase() !== 'POST') return reject(405, 'only POST is accepted');
  if (request.body.byteLength > MAX_BODY_BYTES.email)
    return reject(413, 'body exceeds the e-mail size limit');
  const fields = parseForm(request);
  if (fields === 'unsupported') return reject(415, 'content type must be multipart/form-data or urlencoded');
  if (fields === 'malformed') return reject(400, 'multipart body could not be parsed');
  if (fields === TOO_MANY_FIELDS) return reject(400, `form has more than ${MAX_FORM_FIELDS} fields`);

  const timestamp = fieldText(fields, 'timestamp');
  const token = fieldText(fields, 'token');
  const signature = fieldText(fields, 'signature');
  if (!timestamp || !token || !signature) return reject(401, 'timestamp, token or signature missing');
  if (!verifyMailgun(deps.secrets.mailgun.signingKey, timestamp, token, signature)) {
    return reject(403, 'signature does not match');
  }
  if (!/^\d{1,12}$/.test(timestamp)) return reject(400, 'timestamp is not epoch seconds');
  const skewSeconds = Number(timestamp) - Math.floor(request.receivedAt.getTime() / 1000);
  if (skewSeconds > MAILGUN_TIMESTAMP_TOLERANCE_SECONDS) return reject(406, 'timestamp is in the future');

  const tokenCheck = await checkToken(
    deps.replayGuard,
    token,
    contentDigest(fields),
    Number(timestamp),
    request.receivedAt,
  );
  if (tokenCheck === 'stale') return reject(406, 'timestamp is too old');
  if (tokenCheck === 'reused_for_other_content') return reject(406, 'token already used for other content');

  const bodyMime = fields.find((field) => field.name === 'body-mime');
  const rawMime = bodyMime ? bodyMime.value : mimeFromParsedFields(fields);
  const rawMimeKey = `${PAYLOAD_BUCKET.prefixes.rawEmail}${sha256Hex(rawMime)}.eml`;
  const rawBlob: BlobToStore = { key: rawMimeKey, contentType: 'message/rfc822', bytes: rawMime };
  const recipient = fieldText(fields, 'recipient');
  const sender = fieldText(fields, 'sender');
  const normalized = await normalizeInboundEmail(rawMime, {
    provider: 'mailgun',
    receivedAt: request.receivedAt,
    envelopeRecipients: (recipient ?? '')
      .split(',')
      .map((address) => address.trim())
      .filter(Boolean),
    envelopeSender: sender,
    headerFrom: fieldText(fields, 'from'),
    rawMimeKey,
    replyTagKey: deps.secrets.email.replyTagKey,
  });
  return {
    kind: 'accept',
    events: normalized.events,
    blobs: [rawBlob, ...normalized.blobs.filter((blob) => blob.key !== rawMimeKey)],
    response: textResponse(200, 'OK'),
  };
};

import { createHash } from 'node:crypto';
import * as v from 'valibot';
import type { SecretsWith } from '#shared/config/secrets/sections.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { Channel, HubEvent } from '#shared/contract/types.ts';
import { lazily, looseObject } from '#shared/validation/schema.ts';
import { boundDepth } from '../bounded-json.ts';
import { MAX_BODY_BYTES, OK_RESPONSE, reject, type WebhookOutcome, type WebhookRequest } from '../inbound.ts';
import { answerMetaHandshake } from './handshake.ts';
import { verifyMetaSignature } from './signature.ts';

/**
 * What Messenger and WhatsApp webhooks share, written once so they answer alike: the GET
 * subscription handshake, then for a POST the size (413) and the signature over the exact bytes
 * (401/403). A signed body is Meta's, and Meta treats any answer but 200 as a failure: it retries for
 * days, then drops the notification. So once the signature holds, nothing is refused: a body that is
 * not UTF-8 JSON of the `{object, entry: [...]}` envelope, or whose normalizer fails, is kept whole as
 * one `provider.unsupported` event (`unnormalizable_body`) and answered 200.
 */

export const MetaEnvelopeSchema = lazily(() =>
  looseObject({
    object: v.string(),
    entry: v.array(v.unknown()),
  }),
);
export type MetaEnvelope = v.InferOutput<typeof MetaEnvelopeSchema>;

export interface MetaNotification {
  readonly envelope: MetaEnvelope;
  /** The parsed body, as Meta sent it. */
  readonly body: unknown;
  /** The exact bytes received. */
  readonly bytes: Buffer;
  readonly receivedAt: string;
}

/** A channel's normalizer: every item of the notification as contract events, in payload order. */
export type MetaNormalizer = (notification: MetaNotification) => HubEvent[];

const SIGNATURE_HEADER = 'x-hub-signature-256';
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** U+FFFD in UTF-8: what a gateway leaves of bytes that were not valid UTF-8 in a text body. */
const REPLACEMENT_CHARACTER = Buffer.from('\ufffd', 'utf8');

type JsonResult = { ok: true; value: unknown } | { ok: false };

/** The body as text, or undefined when its bytes are not UTF-8. */
const decodeUtf8 = (bytes: Buffer): string | undefined => {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
};

/** The body parsed, its depth bounded (shared/channels/bounded-json.ts) before anything reads it. */
const parseJson = (bytes: Buffer): JsonResult => {
  const text = decodeUtf8(bytes);
  if (text === undefined) return { ok: false };
  try {
    return { ok: true, value: boundDepth(JSON.parse(text)) };
  } catch {
    // The parser's message can quote the body: say only what kind of failure it was.
    return { ok: false };
  }
};

/**
 * The whole body as one unsupported event, keyed by its bytes: a retry yields the same event. `raw`
 * is the body's text, or, when its bytes are not UTF-8, `{ base64 }` of them, so nothing is replaced.
 */
const unnormalizableBody = (channel: Channel, bytes: Buffer, receivedAt: string): HubEvent =>
  buildEvent(
    'switchboard.provider.unsupported',
    eventIdFor(channel, 'unsupported', 'body', createHash('sha256').update(bytes).digest('hex')),
    {
      channel,
      provider: 'meta',
      providerTimestamp: null,
      receivedAt,
      providerType: 'unnormalizable_body',
      raw: decodeUtf8(bytes) ?? { base64: bytes.toString('base64') },
    },
  );

const normalizeSafely = (
  channel: Channel,
  normalize: MetaNormalizer,
  notification: MetaNotification,
): HubEvent[] => {
  try {
    return normalize(notification);
  } catch {
    // Normalizers are written not to throw; should anything unforeseen escape, nothing is lost.
    return [unnormalizableBody(channel, notification.bytes, notification.receivedAt)];
  }
};

const handleNotification = (
  channel: Channel,
  request: WebhookRequest,
  secrets: SecretsWith<'meta'>,
  normalize: MetaNormalizer,
): WebhookOutcome => {
  if (request.body.length > MAX_BODY_BYTES.meta) {
    return reject(413, `body of ${request.body.length} bytes exceeds ${MAX_BODY_BYTES.meta}`);
  }
  const header = request.headers[SIGNATURE_HEADER];
  if (!header) return reject(401, 'missing X-Hub-Signature-256 header');
  const signature = verifyMetaSignature(secrets.meta.appSecret, request.body, header);
  if (!signature.ok) {
    // A JSON body reaches a Lambda as text: bytes that were not UTF-8 arrive replaced by U+FFFD, and
    // no signature over the original bytes can match. Say so, rather than blame the signature.
    if (request.body.includes(REPLACEMENT_CHARACTER)) {
      return reject(
        400,
        'body is not valid UTF-8 (its bytes were replaced in transit), so its signature cannot be checked',
      );
    }
    return reject(403, signature.reason);
  }

  const receivedAt = request.receivedAt.toISOString();
  const json = parseJson(request.body);
  const envelope = json.ok ? v.safeParse(MetaEnvelopeSchema, json.value) : undefined;
  const events =
    json.ok && envelope?.success
      ? normalizeSafely(channel, normalize, {
          envelope: envelope.output,
          body: json.value,
          bytes: request.body,
          receivedAt,
        })
      : // Signed, so Meta's, but not the envelope: kept, since a 4xx would only be retried, then dropped.
        [unnormalizableBody(channel, request.body, receivedAt)];
  return { kind: 'accept', events, blobs: [], response: OK_RESPONSE };
};

/**
 * A Meta webhook (Messenger Platform or WhatsApp Cloud API): GET is the subscription handshake,
 * POST a signed batch of up to 1000 updates. Pure: no I/O, no clock but `request.receivedAt`.
 */
export const handleMetaWebhook = (
  channel: Channel,
  request: WebhookRequest,
  secrets: SecretsWith<'meta'>,
  normalize: MetaNormalizer,
): WebhookOutcome => {
  const method = request.method.toUpperCase();
  if (method === 'GET') return answerMetaHandshake(request.rawQueryString, secrets.meta.verifyToken);
  if (method !== 'POST') return reject(405, 'only GET and POST are accepted');
  return handleNotification(channel, request, secrets, normalize);
};

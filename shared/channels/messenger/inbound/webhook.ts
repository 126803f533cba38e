import { createHash } from 'node:crypto';
import {
  MAX_BODY_BYTES,
  OK_RESPONSE,
  reject,
  type WebhookOutcome,
  type WebhookRequest,
} from '#shared/channels/inbound.ts';
import { answerMetaHandshake } from '#shared/channels/meta/handshake.ts';
import { verifyMetaSignature } from '#shared/channels/meta/signature.ts';
import type { ChannelSecrets } from '#shared/config/secrets.ts';
import { normalizeMessengerPayload } from './normalize.ts';
import { MetaEnvelopeSchema } from './schema.ts';

export interface MessengerWebhookDeps {
  readonly secrets: ChannelSecrets;
}

const SIGNATURE_HEADER = 'x-hub-signature-256';

const parseJson = (body: Buffer): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
};

const handleNotification = (request: WebhookRequest, deps: MessengerWebhookDeps): WebhookOutcome => {
  if (request.body.length > MAX_BODY_BYTES.meta)
    return reject(413, 'body exceeds the Meta webhook size limit');
  const header = request.headers[SIGNATURE_HEADER];
  if (header === undefined || header.length === 0) return reject(401, 'missing X-Hub-Signature-256 header');
  const signature = verifyMetaSignature(deps.secrets.meta.appSecret, request.body, header);
  if (!signature.ok) return reject(403, signature.reason);

  const json = parseJson(request.body);
  if (!json.ok) return reject(400, 'body is not valid JSON');
  const envelope = MetaEnvelopeSchema.safeParse(json.value);
  if (!envelope.success)
    return reject(400, 'body is not a Meta webhook: expected {object: string, entry: [...]}');

  const events = normalizeMessengerPayload(envelope.data, json.value, {
    receivedAt: request.receivedAt.toISOString(),
    hubAppIds: new Set(deps.secrets.meta.hubAppIds),
    bodyDigest: () => createHash('sha256').update(request.body).digest('hex'),
  });
  return { kind: 'accept', events, blobs: [], response: OK_RESPONSE };
};

/**
 * The Messenger Platform webhook (Facebook pages and Instagram accounts): GET is Meta's
 * subscription handshake, POST a signed batch of up to 1000 updates. Pure: no I/O, no clock.
 */
export const handleMessengerWebhook = (
  request: WebhookRequest,
  deps: MessengerWebhookDeps,
): WebhookOutcome => {
  switch (request.method.toUpperCase()) {
    case 'GET':
      return answerMetaHandshake(request.rawQueryString, deps.secrets.meta.verifyToken);
    case 'POST':
      return handleNotification(request, deps);
    default:
      return reject(405, 'only GET and POST are accepted');
  }
};

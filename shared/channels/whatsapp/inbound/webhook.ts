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
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor, stableHash } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { CHANNEL, PROVIDER } from './context.ts';
import { normalizeWebhookBody } from './normalize-changes.ts';
import { WebhookBodySchema } from './schema.ts';

export interface WhatsAppWebhookDeps {
  readonly secrets: ChannelSecrets;
}

const SIGNATURE_HEADER = 'x-hub-signature-256';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The WhatsApp Cloud API webhook: GET answers Meta's subscription handshake; POST is checked
 * (size, then signature over the exact bytes, then JSON shape) and every item of every
 * entry × change becomes events. Pure: no I/O, no clock but `request.receivedAt`.
 */
export const handleWhatsAppWebhook = (request: WebhookRequest, deps: WhatsAppWebhookDeps): WebhookOutcome => {
  const method = request.method.toUpperCase();
  if (method === 'GET') return answerMetaHandshake(request.rawQueryString, deps.secrets.meta.verifyToken);
  if (method !== 'POST') return reject(405, `method ${method.slice(0, 10)} not allowed`);
  if (request.body.length > MAX_BODY_BYTES.meta) {
    return reject(413, `body of ${request.body.length} bytes exceeds ${MAX_BODY_BYTES.meta}`);
  }
  const header = request.headers[SIGNATURE_HEADER];
  if (!header) return reject(401, 'missing X-Hub-Signature-256 header');
  const signature = verifyMetaSignature(deps.secrets.meta.appSecret, request.body, header);
  if (!signature.ok) return reject(403, signature.reason);

  const json = parseJson(request.body);
  if (!json.ok) return reject(400, json.reason);
  const body = WebhookBodySchema.safeParse(json.value);
  if (!body.success) return reject(400, 'body is not {object: string, entry: [...]}');

  const receivedAt = request.receivedAt.toISOString();
  return {
    kind: 'accept',
    events: normalizeSafely(body.data, request.body, receivedAt),
    blobs: [],
    response: OK_RESPONSE,
  };
};

type JsonResult = { ok: true; value: unknown } | { ok: false; reason: string };

const parseJson = (bytes: Buffer): JsonResult => {
  try {
    return { ok: true, value: JSON.parse(utf8.decode(bytes)) };
  } catch {
    // The parser's message can quote the body: say only what kind of failure it was.
    return { ok: false, reason: 'body is not valid UTF-8 JSON' };
  }
};

/**
 * Normalization is written not to throw, but a signed body must never earn Meta a 5xx (it would
 * retry for 7 days): should anything unforeseen escape (absurd nesting, say), the whole body is
 * kept as one unsupported event keyed by its bytes.
 */
const normalizeSafely = (
  body: Parameters<typeof normalizeWebhookBody>[0],
  bytes: Buffer,
  receivedAt: string,
): HubEvent[] => {
  try {
    return normalizeWebhookBody(body, receivedAt);
  } catch {
    return [
      buildEvent(
        'switchboard.provider.unsupported',
        eventIdFor(CHANNEL, 'unsupported', 'body', stableHash(bytes.toString('base64'))),
        {
          channel: CHANNEL,
          provider: PROVIDER,
          providerTimestamp: null,
          receivedAt,
          providerType: 'unnormalizable_body',
          raw: bytes.toString('utf8'),
        },
      ),
    ];
  }
};

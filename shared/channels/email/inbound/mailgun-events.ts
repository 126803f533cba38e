import * as v from 'valibot';
import { boundDepth } from '#shared/channels/bounded-json.ts';
import { reject, textResponse, type WebhookOutcome, type WebhookRequest } from '#shared/channels/inbound.ts';
import type { SecretsWith } from '#shared/config/secrets/sections.ts';
import { canonicalJson } from '#shared/contract/ids.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { sha256Hex } from './attachments.ts';
import { normalizeMailgunEvent } from './mailgun-events-normalize.ts';
import { MailgunEventsBodySchema } from './mailgun-events-schema.ts';
import { verifyMailgun } from './mailgun-signature.ts';
import { checkToken, MAILGUN_TIMESTAMP_TOLERANCE_SECONDS } from './mailgun-token.ts';
import type { ReplayGuard } from './replay-guard.ts';

/** One event's JSON is a few kilobytes; far more is no Mailgun event. */
const MAX_EVENT_BODY_BYTES = 256 * 1024;

export interface MailgunEventsDeps {
  readonly secrets: SecretsWith<'mailgun'>;
  /**
   * Remembers used tokens, as for the inbound webhook: Mailgun signs only `timestamp + token`, so
   * without it a signature captured within the tolerance could vouch for another event (a forged
   * opt-out). Without a guard, only a fresh timestamp is accepted.
   */
  readonly replayGuard?: ReplayGuard;
}

const parseJson = (body: Buffer): unknown => {
  try {
    return boundDepth(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
};

/**
 * POST /webhooks/email/mailgun/events: Mailgun's JSON event webhooks. Checks in the inbound
 * webhook's order: method 405, size 413, content type 415, JSON 400, signature fields 401,
 * signature 403, then the timestamp and the token (406, which stops Mailgun's retries). Mailgun
 * retries any other non-200 answer for about 8 hours, "other than for delivery notification": a
 * `delivered` event refused or failed here is gone (README, Known limitations).
 */
export const handleMailgunEventsWebhook = async (
  request: WebhookRequest,
  deps: MailgunEventsDeps,
): Promise<WebhookOutcome> => {
  if (request.method.toUpperCase() !== 'POST') return reject(405, 'only POST is accepted');
  if (request.body.byteLength > MAX_EVENT_BODY_BYTES) return reject(413, 'body exceeds the event size limit');
  if (mediaTypeOf(request.headers['content-type']) !== 'application/json')
    return reject(415, 'content type must be application/json');
  const json = parseJson(request.body);
  if (json === undefined) return reject(400, 'body is not valid JSON');
  const body = v.safeParse(MailgunEventsBodySchema, json);
  if (!body.success) return reject(401, 'signature timestamp, token or signature missing');
  const { timestamp, token, signature } = body.output.signature;
  if (!verifyMailgun(deps.secrets.mailgun.signingKey, timestamp, token, signature)) {
    return reject(403, 'signature does not match');
  }
  if (!/^\d{1,12}$/.test(timestamp)) return reject(400, 'timestamp is not epoch seconds');
  const skewSeconds = Number(timestamp) - Math.floor(request.receivedAt.getTime() / 1000);
  if (skewSeconds > MAILGUN_TIMESTAMP_TOLERANCE_SECONDS) return reject(406, 'timestamp is in the future');
  const eventData = body.output['event-data'];
  if (deps.replayGuard === undefined) {
    if (-skewSeconds > MAILGUN_TIMESTAMP_TOLERANCE_SECONDS) return reject(406, 'timestamp is too old');
  } else {
    const digest = sha256Hex(Buffer.from(canonicalJson(eventData), 'utf8'));
    const check = await checkToken(deps.replayGuard, token, digest, Number(timestamp), request.receivedAt);
    if (check === 'stale') return reject(406, 'timestamp is too old');
    if (check === 'reused_for_other_content') return reject(406, 'token already used for other content');
  }
  return {
    kind: 'accept',
    events: normalizeMailgunEvent(eventData, request.receivedAt),
    blobs: [],
    response: textResponse(200, 'OK'),
  };
};

import {
  type HttpResponse,
  MAX_BODY_BYTES,
  reject,
  textResponse,
  type WebhookOutcome,
  type WebhookRequest,
} from '#shared/channels/inbound.ts';
import { constantTimeEqual } from '#shared/channels/signature.ts';
import type { SecretsWith } from '#shared/config/secrets/sections.ts';
import { twilioWebhookTokens } from '#shared/config/secrets/twilio.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { EVENT_TYPES } from '#shared/contract/event-types.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { parseCorrelationId } from '#shared/outbound/channel-sender.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { boundDepth } from '../../bounded-json.ts';
import { CORRELATION_QUERY_PARAMETER } from '../status-callback.ts';
import { twilioFormRefusal } from './accounts.ts';
import { parseFormBody } from './form.ts';
import { normalizeTwilioParams } from './normalize.ts';
import { sha256Hex, twilioSignatureMatches } from './signature.ts';

export { signTwilioRequest } from './signature.ts';

/** Empty TwiML: received, no automatic reply. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const TWIML_RESPONSE: HttpResponse = textResponse(200, EMPTY_TWIML, 'text/xml');

const FORM_TYPE = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

const firstHeaderValue = (value: string | undefined): string | undefined =>
  value?.split(',')[0]?.trim() || undefined;

/**
 * The exact URL Twilio called, which its signature covers: the configured public base URL when
 * there is one (API Gateway custom domains and CloudFront hide the original host), else rebuilt
 * from `x-forwarded-proto` (default https) and `host`, port included.
 */
export const twilioPublicUrl = (
  request: Pick<WebhookRequest, 'path' | 'rawQueryString' | 'headers'>,
  configuredBaseUrl?: string,
): string => {
  const query = request.rawQueryString.length > 0 ? `?${request.rawQueryString}` : '';
  const base = configuredBaseUrl
    ? configuredBaseUrl.replace(/\/+$/, '')
    : `${firstHeaderValue(request.headers['x-forwarded-proto']) ?? 'https'}://${request.headers.host ?? ''}`;
  return `${base}${request.path}${query}`;
};

/**
 * The hub message a status callback is about: the `sb` query parameter of the URL Twilio called,
 * when it is a correlation id the hub makes. Read from the URL the signature was checked over:
 * Twilio signs the whole URL, query included, so the value is Twilio's (the hub's, echoed), not a
 * caller's.
 */
const correlationIdOfSignedUrl = (signedUrl: string): string | undefined => {
  const queryStart = signedUrl.indexOf('?');
  if (queryStart < 0) return undefined;
  const query = signedUrl.slice(queryStart + 1).split('#')[0] ?? '';
  const values = new URLSearchParams(query).getAll(CORRELATION_QUERY_PARAMETER);
  // Two values are no answer: which one Twilio meant is not for the hub to guess.
  return values.length === 1 && parseCorrelationId(values[0]) ? values[0] : undefined;
};

const accept = (events: HubEvent[]): WebhookOutcome => ({
  kind: 'accept',
  events,
  blobs: [],
  response: TWIML_RESPONSE,
});

/**
 * JSON-bodied Twilio webhooks sign only the URL, which carries `bodySHA256`; the body is bound
 * by that hash. The JSON is not a Messaging request, so it is passed on whole.
 */
const handleJsonBody = (
  request: WebhookRequest,
  tokens: readonly string[],
  publicUrl: string,
  signature: string,
): WebhookOutcome => {
  const expectedHash = new URLSearchParams(request.rawQueryString).get('bodySHA256');
  if (!expectedHash) return reject(415, 'JSON body without a bodySHA256 query parameter');
  if (!twilioSignatureMatches(tokens, publicUrl, [], signature)) {
    return reject(403, 'X-Twilio-Signature does not match the URL');
  }
  if (!constantTimeEqual(sha256Hex(request.body), expectedHash.toLowerCase())) {
    return reject(403, 'body does not match bodySHA256');
  }
  let raw: unknown;
  try {
    raw = boundDepth(JSON.parse(request.body.toString('utf8')));
  } catch {
    return reject(400, 'body is not valid JSON');
  }
  const event = buildEvent(
    EVENT_TYPES.providerUnsupported,
    eventIdFor('sms', 'unsupported', 'twilio_json', expectedHash.toLowerCase()),
    {
      channel: 'sms',
      provider: 'twilio',
      providerTimestamp: null,
      receivedAt: request.receivedAt.toISOString(),
      providerType: 'twilio_json',
      raw,
    },
  );
  return accept([event]);
};

/**
 * Twilio Programmable Messaging webhook (incoming SMS/MMS/WhatsApp and status callbacks): checks
 * `X-Twilio-Signature` over the URL Twilio called and every posted parameter, then normalizes.
 */
export const handleTwilioWebhook = (
  request: WebhookRequest,
  deps: { secrets: SecretsWith<'twilio'>; publicUrl: string },
): WebhookOutcome => {
  if (request.method.toUpperCase() !== 'POST') return reject(405, 'only POST is accepted');
  if (request.body.length > MAX_BODY_BYTES.twilio) return reject(413, 'body exceeds the Twilio size limit');
  const mediaType = mediaTypeOf(request.headers['content-type']);
  if (mediaType !== FORM_TYPE && mediaType !== JSON_TYPE) {
    return reject(415, 'content-type must be application/x-www-form-urlencoded');
  }
  const signature = request.headers['x-twilio-signature']?.trim();
  if (!signature) return reject(401, 'missing X-Twilio-Signature header');
  if (mediaType === JSON_TYPE) {
    // Not a Messaging request (it names no number): checked with the main account's token.
    return handleJsonBody(request, twilioWebhookTokens(deps.secrets.twilio), deps.publicUrl, signature);
  }
  const form = parseFormBody(request.body);
  if (!form.ok) return reject(400, form.reason);
  const refusal = twilioFormRefusal(deps.secrets.twilio, deps.publicUrl, form.params, signature);
  if (refusal !== undefined) return reject(403, refusal);
  return accept(
    normalizeTwilioParams(form.params, request.receivedAt, {
      correlationId: correlationIdOfSignedUrl(deps.publicUrl),
    }),
  );
};

/*
 * The hub's own Twilio StatusCallback URLs: the SMS webhook's public URL plus `sb=<correlation id>`
 * (`correlationIdFor`), so a status callback names the hub message it is about. The sender makes
 * them; the webhook reads them back from the URL Twilio signed.
 */

/** The query parameter that names the hub message. */
export const CORRELATION_QUERY_PARAMETER = 'sb';

/**
 * Twilio's webhook connection overrides, as a URL fragment on every URL the hub gives Twilio (each
 * StatusCallback; the README has the inbound URL registered with it too). Without them Twilio
 * retries a connection failure once and never a 5xx: a status or an inbound message the hub
 * answered 503 while AWS throttled was lost at Twilio (found by a review on 2026-12-07). `rc=5`
 * retries up to five times, the most Twilio takes; `rp=ct,5xx` on a failed connection or TLS
 * handshake and on any 5xx, never on a read timeout (the hub may have queued it; a retry is safe,
 * but the 15 s Twilio allows all tries together would be spent waiting). Twilio leaves the fragment
 * out of the signature (./inbound/signature.ts) and never sends it, so the webhook checks the URL
 * as before. https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides
 */
export const TWILIO_CONNECTION_OVERRIDES = 'rc=5&rp=ct,5xx';

/**
 * The `StatusCallback` of one sent message: the webhook's URL exactly as configured, the parameter
 * appended, then the connection overrides. Not rebuilt through `URL`, which writes the host in lower case (and an international
 * one in punycode): Twilio signs the URL it was given, and the webhook checks the signature over
 * the configured base as written, so a `publicBaseUrl` of `https://Hooks.Example.com` had every
 * status callback refused before 2026-12-04 (found by a review).
 */
export const twilioStatusCallbackUrl = (webhookUrl: string, correlationId: string): string =>
  `${webhookUrl}${webhookUrl.includes('?') ? '&' : '?'}${CORRELATION_QUERY_PARAMETER}=${encodeURIComponent(correlationId)}#${TWILIO_CONNECTION_OVERRIDES}`;

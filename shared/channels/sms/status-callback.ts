/*
 * The hub's own Twilio StatusCallback URLs: the SMS webhook's public URL plus `sb=<correlation id>`
 * (`correlationIdFor`), so a status callback names the hub message it is about. The sender makes
 * them; the webhook reads them back from the URL Twilio signed.
 */

/** The query parameter that names the hub message. */
export const CORRELATION_QUERY_PARAMETER = 'sb';

/**
 * The `StatusCallback` of one sent message: the webhook's URL exactly as configured, the parameter
 * appended. Not rebuilt through `URL`, which writes the host in lower case (and an international
 * one in punycode): Twilio signs the URL it was given, and the webhook checks the signature over
 * the configured base as written, so a `publicBaseUrl` of `https://Hooks.Example.com` had every
 * status callback refused before 2026-12-04 (found by a review).
 */
export const twilioStatusCallbackUrl = (webhookUrl: string, correlationId: string): string =>
  `${webhookUrl}${webhookUrl.includes('?') ? '&' : '?'}${CORRELATION_QUERY_PARAMETER}=${encodeURIComponent(correlationId)}`;

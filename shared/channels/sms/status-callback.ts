/*
 * The hub's own Twilio StatusCallback URLs: the SMS webhook's public URL plus `sb=<correlation id>`
 * (`correlationIdFor`), so a status callback names the hub message it is about. The sender makes
 * them; the webhook reads them back from the URL Twilio signed.
 */

/** The query parameter that names the hub message. */
export const CORRELATION_QUERY_PARAMETER = 'sb';

/** The `StatusCallback` of one sent message. */
export const twilioStatusCallbackUrl = (webhookUrl: string, correlationId: string): string => {
  const url = new URL(webhookUrl);
  url.searchParams.set(CORRELATION_QUERY_PARAMETER, correlationId);
  return url.toString();
};

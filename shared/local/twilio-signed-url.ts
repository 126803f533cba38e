import { twilioPublicUrl } from '#shared/channels/sms/inbound/webhook.ts';

/**
 * The URL to sign, as Twilio would, for a request the local tools deliver to the hub at
 * `deliveryUrl` (over loopback): the one the hub's SMS webhook checks the signature over. A hub
 * with a public base URL (SWITCHBOARD_PUBLIC_BASE_URL, a tunnel's) checks that base plus the path
 * and query, which is what Twilio signs when it calls through the tunnel; so the URL is derived by
 * the webhook's own `twilioPublicUrl`, never rebuilt here. Without one, the URL called is the URL
 * signed.
 */
export const twilioSignedUrl = (deliveryUrl: string, hubPublicBaseUrl: string | undefined): string => {
  if (!hubPublicBaseUrl) return deliveryUrl;
  // As sent on the wire, which is what the webhook sees as its path and query.
  const { pathname, search } = new URL(deliveryUrl);
  return twilioPublicUrl({ path: pathname, rawQueryString: search.slice(1), headers: {} }, hubPublicBaseUrl);
};

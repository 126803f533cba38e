import { reject, textResponse, type WebhookOutcome } from '#shared/channels/inbound.ts';
import { constantTimeEqual } from '#shared/channels/signature.ts';

/**
 * The GET subscription handshake Meta sends when a webhook URL is registered: echo `hub.challenge`
 * only when the mode is `subscribe` and the verify token matches; anything else is 403.
 */
export const answerMetaHandshake = (rawQueryString: string, verifyToken: string): WebhookOutcome => {
  const query = new URLSearchParams(rawQueryString);
  const mode = query.get('hub.mode');
  const token = query.get('hub.verify_token');
  const challenge = query.get('hub.challenge');
  if (mode !== 'subscribe') return reject(403, 'hub.mode is not subscribe');
  if (token === null || !constantTimeEqual(verifyToken, token))
    return reject(403, 'hub.verify_token does not match');
  if (challenge === null || challenge.length === 0 || challenge.length > 256) {
    return reject(400, 'hub.challenge missing or too long');
  }
  return { kind: 'respond', response: textResponse(200, challenge) };
};

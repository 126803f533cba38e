import { createHash } from 'node:crypto';
import type { SecretsWith } from '#shared/config/secrets/sections.ts';
import type { WebhookOutcome, WebhookRequest } from '../../inbound.ts';
import { handleMetaWebhook } from '../../meta/webhook.ts';
import { normalizeMessengerPayload } from './normalize.ts';

export interface MessengerWebhookDeps {
  readonly secrets: SecretsWith<'meta'>;
}

/**
 * The Messenger Platform webhook (Facebook pages and Instagram accounts): Meta's handshake and
 * request checks (shared/channels/meta/webhook.ts), then every entry's items as events.
 */
export const handleMessengerWebhook = (
  request: WebhookRequest,
  deps: MessengerWebhookDeps,
): WebhookOutcome => {
  const hubAppIds = new Set(deps.secrets.meta.hubAppIds);
  return handleMetaWebhook('messenger', request, deps.secrets, ({ envelope, body, bytes, receivedAt }) =>
    normalizeMessengerPayload(envelope, body, {
      receivedAt,
      hubAppIds,
      bodyDigest: () => createHash('sha256').update(bytes).digest('hex'),
    }),
  );
};

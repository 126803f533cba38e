import { createHash } from 'node:crypto';
import type { SecretsWith } from '#shared/config/secrets/sections.ts';
import type { WebhookOutcome, WebhookRequest } from '../../inbound.ts';
import { handleMetaWebhook } from '../../meta/webhook.ts';
import { normalizeWebhookBody } from './normalize-changes.ts';

export interface WhatsAppWebhookDeps {
  readonly secrets: SecretsWith<'meta'>;
}

/**
 * The WhatsApp Cloud API webhook: Meta's handshake and request checks
 * (shared/channels/meta/webhook.ts), then every entry × change × item as events.
 */
export const handleWhatsAppWebhook = (request: WebhookRequest, deps: WhatsAppWebhookDeps): WebhookOutcome =>
  handleMetaWebhook('whatsapp', request, deps.secrets, ({ envelope, bytes, receivedAt }) => {
    let digest: string | undefined;
    return normalizeWebhookBody(envelope, {
      receivedAt,
      bodyDigest: () => {
        digest ??= createHash('sha256').update(bytes).digest('hex');
        return digest;
      },
    });
  });

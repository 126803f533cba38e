import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { META_SECRET } from '#shared/config/secrets/meta.ts';
import { createWebhookHandler } from '#shared/intake/webhook-lambda.ts';

/** GET + POST /webhooks/whatsapp */
export const handler = createWebhookHandler('whatsapp', { meta: META_SECRET }, (request, secrets) =>
  handleWhatsAppWebhook(request, { secrets }),
);

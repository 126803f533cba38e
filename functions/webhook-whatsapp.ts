import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { createWebhookHandler } from '#shared/intake/webhook-lambda.ts';

/** GET + POST /webhooks/whatsapp */
export const handler = createWebhookHandler('whatsapp', (request, secrets) =>
  handleWhatsAppWebhook(request, { secrets }),
);

import { handleWhatsAppWebhook } from '#shared/adapters/whatsapp/index.ts';
import { createWebhookHandler } from '#shared/webhook/lambda.ts';

/** GET + POST /webhooks/whatsapp */
export const handler = createWebhookHandler('whatsapp', (request, secrets) =>
  handleWhatsAppWebhook(request, { secrets }),
);

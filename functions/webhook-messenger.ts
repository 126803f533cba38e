import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { createWebhookHandler } from '#shared/intake/webhook-lambda.ts';

/** GET + POST /webhooks/messenger */
export const handler = createWebhookHandler('messenger', (request, secrets) =>
  handleMessengerWebhook(request, { secrets }),
);

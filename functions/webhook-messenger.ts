import { handleMessengerWebhook } from '#shared/adapters/messenger/index.ts';
import { createWebhookHandler } from '#shared/webhook/lambda.ts';

/** GET + POST /webhooks/messenger */
export const handler = createWebhookHandler('messenger', (request, secrets) =>
  handleMessengerWebhook(request, { secrets }),
);

import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { META_SECRET } from '#shared/config/secrets/meta.ts';
import { createWebhookHandler } from '#shared/intake/webhook-lambda.ts';

/** GET + POST /webhooks/messenger */
export const handler = createWebhookHandler('messenger', { meta: META_SECRET }, (request, secrets) =>
  handleMessengerWebhook(request, { secrets }),
);

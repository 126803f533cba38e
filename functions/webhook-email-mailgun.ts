import { handleMailgunWebhook } from '#shared/channels/email/inbound/mailgun-webhook.ts';
import { createWebhookHandler } from '#shared/intake/webhook-lambda.ts';
import { hubReplayGuard } from '#shared/intake/wiring.ts';
// S3 serves every Mailgun post (raw MIME, attachments): loaded with the function, not on the first request.
import '#shared/aws/clients/s3-client.ts';

/** POST /webhooks/email/mailgun. Used tokens are remembered in the hub table. */
export const handler = createWebhookHandler('email-mailgun', (request, secrets) =>
  handleMailgunWebhook(request, { secrets, replayGuard: hubReplayGuard() }),
);

import { handleMailgunEventsWebhook } from '#shared/channels/email/inbound/mailgun-events.ts';
import { handleMailgunWebhook } from '#shared/channels/email/inbound/mailgun-webhook.ts';
import { EMAIL_SECRET } from '#shared/config/secrets/email.ts';
import { MAILGUN_SECRET } from '#shared/config/secrets/mailgun.ts';
import { createWebhookHandler } from '#shared/intake/webhook-lambda.ts';
import { hubReplayGuard } from '#shared/intake/wiring.ts';

/**
 * POST /webhooks/email/mailgun (inbound mail) and /webhooks/email/mailgun/events (delivery events
 * of the hub's replies). Used tokens are remembered in the hub table.
 */
export const handler = createWebhookHandler(
  'email-mailgun',
  { mailgun: MAILGUN_SECRET, email: EMAIL_SECRET },
  (request, secrets) =>
    request.path.endsWith('/events')
      ? handleMailgunEventsWebhook(request, { secrets, replayGuard: hubReplayGuard() })
      : handleMailgunWebhook(request, { secrets, replayGuard: hubReplayGuard() }),
);

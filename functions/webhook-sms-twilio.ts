import { handleTwilioWebhook, twilioPublicUrl } from '#shared/channels/sms/inbound/webhook.ts';
import { runtimeConfig } from '#shared/config/runtime.ts';
import { createWebhookHandler } from '#shared/intake/webhook-lambda.ts';

/** POST /webhooks/sms/twilio. Twilio signs the public URL it called, which only config knows behind API Gateway. */
export const handler = createWebhookHandler('sms', (request, secrets) =>
  handleTwilioWebhook(request, {
    secrets,
    publicUrl: twilioPublicUrl(request, runtimeConfig().SWITCHBOARD_PUBLIC_BASE_URL),
  }),
);

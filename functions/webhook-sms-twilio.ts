import { handleTwilioWebhook, twilioPublicUrl } from '#shared/channels/sms/inbound/webhook.ts';
import { runtimeConfig } from '#shared/config/runtime.ts';
import { TWILIO_SECRET } from '#shared/config/secrets/twilio.ts';
import { createWebhookHandler } from '#shared/intake/webhook-lambda.ts';

/** POST /webhooks/sms/twilio. Twilio signs the public URL it called, which only config knows behind API Gateway. */
export const handler = createWebhookHandler('sms', { twilio: TWILIO_SECRET }, (request, secrets) =>
  handleTwilioWebhook(request, {
    secrets,
    publicUrl: twilioPublicUrl(request, runtimeConfig().SWITCHBOARD_PUBLIC_BASE_URL),
  }),
);

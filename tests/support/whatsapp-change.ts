import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { webhookRequest } from './requests.ts';

/** The business number the tests' WhatsApp changes are addressed to. */
export const TEST_WHATSAPP_BUSINESS = {
  accountId: '104937284615523',
  displayPhoneNumber: '4930609859530',
  phoneNumberId: '109384756201938',
} as const;

/** The body of a WhatsApp webhook carrying one change of `field` to the test business number. */
export const whatsappChangeBody = (field: string, value: Record<string, unknown>): string =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: TEST_WHATSAPP_BUSINESS.accountId,
        changes: [
          {
            field,
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: TEST_WHATSAPP_BUSINESS.displayPhoneNumber,
                phone_number_id: TEST_WHATSAPP_BUSINESS.phoneNumberId,
              },
              ...value,
            },
          },
        ],
      },
    ],
  });

/**
 * That change posted to the WhatsApp adapter, signed with the local app secret, received at
 * `receivedAt` (now by default): the events it accepted; any other answer throws.
 */
export const whatsappChangeEvents = (
  field: string,
  value: Record<string, unknown>,
  receivedAt?: Date,
): HubEvent[] => {
  const body = Buffer.from(whatsappChangeBody(field, value), 'utf8');
  const outcome = handleWhatsAppWebhook(
    webhookRequest({
      path: '/webhooks/whatsapp',
      headers: { 'X-Hub-Signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, body) },
      body,
      ...(receivedAt ? { receivedAt } : {}),
    }),
    { secrets: LOCAL_DEV_SECRETS },
  );
  if (outcome.kind !== 'accept') throw new Error(`the webhook answered ${outcome.kind}`);
  return [...outcome.events];
};

import { SESv2Client } from '@aws-sdk/client-sesv2';
import { announceAwsClient, onAwsClientsReset } from '../clients.ts';

let ses: SESv2Client | undefined;

onAwsClientsReset(() => {
  ses?.destroy();
  ses = undefined;
});

/**
 * The SES v2 client of the e-mail senders. One attempt only: the SDK would otherwise send SendEmail
 * again itself after a timeout or a 5xx, when the first may have gone out (SendEmail has no
 * idempotency key); the sender reconciles such a send instead. Endpoint: AWS_ENDPOINT_URL_SESV2.
 */
export const sesV2Client = (): SESv2Client => {
  if (!ses) {
    ses = new SESv2Client({ maxAttempts: 1 });
    announceAwsClient(ses);
  }
  return ses;
};

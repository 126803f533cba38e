import { join } from 'node:path';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample, signedRequestFor } from '#shared/local/samples.ts';

/*
 * Samples of events/ rewritten as a given customer's message written now (the reply window is
 * open), for end-to-end tests that need several customers or messages.
 */

const sampleOf = (relativePath: string): Sample => {
  const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, relativePath)]).samples;
  if (!sample) throw new Error(`no sample ${relativePath}`);
  return sample;
};

const rewritten = (sample: Sample, rewrite: (text: string) => string): Sample => ({
  ...sample,
  payload: Buffer.from(rewrite(sample.payload.toString('utf8')), 'utf8'),
});

/** WhatsApp Cloud API text (`whatsapp/text.json`) from wa_id `customer`, message id `wamid.<messageId>`. */
export const whatsappTextFrom = (customer: string, messageId: string): Sample =>
  rewritten(sampleOf('whatsapp/text.json'), (text) =>
    text
      .replace(/"timestamp":\s*"\d{10}"/g, `"timestamp":"${Math.floor(Date.now() / 1000)}"`)
      .replace(/"wa_id":\s*"\d+"/g, `"wa_id":"${customer}"`)
      .replace(/"from":\s*"\d+"/g, `"from":"${customer}"`)
      .replace(/"id":\s*"wamid\.[^"]+"/g, `"id":"wamid.${messageId}"`),
  );

/** The same text from a customer whose webhook names them by wa_id and business-scoped user id (BSUID) both. */
export const whatsappTextWithBsuidFrom = (customer: string, bsuid: string, messageId: string): Sample =>
  rewritten(whatsappTextFrom(customer, messageId), (text) =>
    text
      .replace(/"wa_id":\s*"(\d+)"/, `"wa_id":"$1","user_id":"${bsuid}"`)
      .replace(/"from":\s*"(\d+)"/, `"from":"$1","from_user_id":"${bsuid}"`),
  );

/** WhatsApp text (`whatsapp/bsuid-only-contact.json`) from a customer known by BSUID alone. */
export const whatsappTextFromBsuid = (bsuid: string, messageId: string): Sample =>
  rewritten(sampleOf('whatsapp/bsuid-only-contact.json'), (text) =>
    text
      .replace(/"timestamp":\s*"\d{10}"/g, `"timestamp":"${Math.floor(Date.now() / 1000)}"`)
      .replace(/"user_id":\s*"[^"]+"/g, `"user_id":"${bsuid}"`)
      .replace(/"from_user_id":\s*"[^"]+"/g, `"from_user_id":"${bsuid}"`)
      .replace(/"id":\s*"wamid\.[^"]+"/g, `"id":"wamid.${messageId}"`),
  );

/** A Mailgun e-mail (`email/plain-text.eml`) from `address`, with its own Message-ID. */
export const emailFrom = (address: string, messageId: string): Sample => {
  const sample = rewritten(sampleOf('email/plain-text.eml'), (text) =>
    text
      .replaceAll('maria.keller@customer.example', address)
      .replace(/^Message-ID: <[^>]+>/m, `Message-ID: <${messageId}@mail.customer.example>`),
  );
  return {
    ...sample,
    envelope: sample.envelope.map(([name, value]) =>
      value === 'maria.keller@customer.example' ? [name, address] : [name, value],
    ),
  };
};

/** A Twilio SMS (`sms/sms-inbound.json`) from `phone` (E.164), message SID from `sid`. */
export const smsFrom = (phone: string, sid: string): Sample =>
  rewritten(sampleOf('sms/sms-inbound.json'), (text) =>
    text
      .replace(/"From":\s*"[^"]+"/, `"From":"${phone}"`)
      .replace(/"SM[0-9a-f]{32}"/g, `"SM${sid.padStart(32, '0').slice(-32)}"`),
  );

/** Posts a sample to a local hub's webhook, signed with the development secrets; the HTTP status. */
export const postSample = async (baseUrl: string, sample: Sample): Promise<number> => {
  const request = signedRequestFor(sample, { targetBaseUrl: baseUrl, secrets: LOCAL_DEV_SECRETS });
  const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
  await response.arrayBuffer();
  return response.status;
};

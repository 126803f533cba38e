import { join } from 'node:path';
import { z } from 'zod';
import { jsonOrUndefined } from '#shared/channels/provider-answer.ts';
import { localSecretsFromEnv } from '#shared/config/secrets.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import {
  collectSamples,
  DEFAULT_EVENTS_DIR,
  type Sample,
  signedRequestFor,
  signsTheUrl,
} from '#shared/local/samples.ts';
import {
  announcedSha256,
  inboundMedia,
  messengerAttachmentUrl,
} from '#shared/local/simulators/inbound-media.ts';

/*
 * Samples of events/ rewritten as a given customer's message written now (the reply window is
 * open), for the demo and for end-to-end tests that need several customers or messages.
 */

export const sampleOf = (relativePath: string): Sample => {
  const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, relativePath)]).samples;
  if (!sample) throw new Error(`no sample ${relativePath}`);
  return sample;
};

const rewritten = (sample: Sample, rewrite: (text: string) => string): Sample => ({
  ...sample,
  payload: Buffer.from(rewrite(sample.payload.toString('utf8')), 'utf8'),
});

/** WhatsApp Cloud API text (`whatsapp/text.json`) from wa_id `customer`, message id `wamid.<messageId>`. */
export const whatsappTextFrom = (
  customer: string,
  messageId: string,
  /** The business number written to, as its phone-number id; the sample's own when absent. */
  phoneNumberId?: string,
): Sample =>
  rewritten(sampleOf('whatsapp/text.json'), (text) => {
    const fromCustomer = text
      .replace(/"timestamp":\s*"\d{10}"/g, `"timestamp":"${Math.floor(Date.now() / 1000)}"`)
      .replace(/"wa_id":\s*"\d+"/g, `"wa_id":"${customer}"`)
      .replace(/"from":\s*"\d+"/g, `"from":"${customer}"`)
      .replace(/"id":\s*"wamid\.[^"]+"/g, `"id":"wamid.${messageId}"`);
    return phoneNumberId === undefined
      ? fromCustomer
      : fromCustomer.replace(/"phone_number_id":\s*"\d+"/, `"phone_number_id":"${phoneNumberId}"`);
  });

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

/**
 * The 32 hexadecimal digits of a Message SID made from `tag`: the tag itself when it is hexadecimal
 * (`'66'` → `…0066`), else its UTF-8 bytes in hexadecimal, zero-padded on the left, their last 32
 * digits when longer. The hub files a Twilio request under no id in another form (a test's
 * `'journey-3'` would otherwise make no message).
 */
const sidDigits = (tag: string): string =>
  (/^[0-9a-f]*$/i.test(tag) ? tag : Buffer.from(tag, 'utf8').toString('hex')).padStart(32, '0').slice(-32);

/** A Twilio SMS (`sms/sms-inbound.json`) from `phone` (E.164), message SID from `sid`. */
export const smsFrom = (phone: string, sid: string): Sample =>
  rewritten(sampleOf('sms/sms-inbound.json'), (text) =>
    text
      .replace(/"From":\s*"[^"]+"/, `"From":"${phone}"`)
      .replace(/"SM[0-9a-f]{32}"/g, `"SM${sidDigits(sid)}"`),
  );

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited as plain JSON.
type Json = any;

const edited = (sample: Sample, edit: (json: Json) => void): Sample => {
  const json: Json = JSON.parse(sample.payload.toString('utf8'));
  edit(json);
  return { ...sample, payload: Buffer.from(JSON.stringify(json), 'utf8') };
};

/**
 * WhatsApp Cloud API image (`whatsapp/image.json`) from wa_id `customer`, message `wamid.<messageId>`,
 * of media `mediaId` as the simulators serve it (./inbound-media.ts): its type, and the sha256 Meta
 * announces (base64, as webhooks carry it; the wrong one for a `checksum` id).
 */
export const whatsappImageFrom = (customer: string, messageId: string, mediaId: string): Sample =>
  edited(sampleOf('whatsapp/image.json'), (json) => {
    const value = json.entry[0].changes[0].value;
    value.contacts[0].wa_id = customer;
    const [message] = value.messages;
    Object.assign(message, {
      from: customer,
      id: `wamid.${messageId}`,
      timestamp: String(Math.floor(Date.now() / 1000)),
    });
    Object.assign(message.image, {
      id: mediaId,
      mime_type: inboundMedia(mediaId).mimeType,
      sha256: Buffer.from(announcedSha256(mediaId), 'hex').toString('base64'),
    });
  });

/**
 * A Twilio MMS (`sms/mms-two-images.json`) from `phone`, message SID from `sid`, with one
 * `MediaUrl{N}`/`MediaContentType{N}` per media SID, on the Twilio simulator at `twilioApiUrl` (the
 * local hub's `providers.urls.twilio`) under the account the local hub runs with (whose credentials fetch them).
 */
export const twilioMmsFrom = (
  phone: string,
  sid: string,
  mediaSids: readonly string[],
  twilioApiUrl: string,
): Sample =>
  edited(sampleOf('sms/mms-two-images.json'), (json) => {
    const messageSid = `MM${sidDigits(sid)}`;
    // The account the local hub runs with (an override included), read once for the sample.
    const { accountSid } = localSecretsFromEnv().twilio;
    for (const key of Object.keys(json)) if (/^Media(Url|ContentType)\d+$/.test(key)) delete json[key];
    Object.assign(json, {
      From: phone,
      AccountSid: accountSid,
      MessageSid: messageSid,
      SmsMessageSid: messageSid,
      SmsSid: messageSid,
      NumMedia: String(mediaSids.length),
    });
    mediaSids.forEach((mediaSid, index) => {
      json[`MediaUrl${index}`] =
        `${twilioApiUrl}/2010-04-01/Accounts/${accountSid}/Messages/${messageSid}/Media/${mediaSid}`;
      json[`MediaContentType${index}`] = inboundMedia(mediaSid).mimeType;
    });
  });

/** A Messenger text (`messenger/text.json`) from PSID `customer`, message `m_<messageId>`, written now. */
export const messengerTextFrom = (customer: string, messageId: string): Sample =>
  edited(sampleOf('messenger/text.json'), (json) => {
    const [event] = json.entry[0].messaging;
    event.sender.id = customer;
    event.timestamp = Date.now();
    event.message.mid = `m_${messageId}`;
  });

/**
 * A Messenger file (`messenger/file.json`) from PSID `customer`, message `m_<messageId>`, whose
 * attachment URL is the simulators' CDN (at `simulatorsUrl`, the local hub's `urls.providers`).
 */
export const messengerFileFrom = (
  customer: string,
  messageId: string,
  attachmentId: string,
  simulatorsUrl: string,
): Sample =>
  edited(sampleOf('messenger/file.json'), (json) => {
    const [event] = json.entry[0].messaging;
    event.sender.id = customer;
    event.timestamp = Date.now();
    event.message.mid = `m_${messageId}`;
    event.message.attachments[0].payload.url = messengerAttachmentUrl(
      simulatorsUrl,
      attachmentId,
      'claim.pdf',
    );
  });

/** A kept-alive connection the server closed just as the request went out: nothing reached the hub. */
const isStaleConnection = (error: unknown): boolean => {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET';
};

/**
 * Posts a sample to a local hub's webhook, signed with the secrets the local hub checks (the
 * development ones unless SWITCHBOARD_* overrides are set); the HTTP status. A Twilio sample is
 * signed over the URL the hub checks, its public one behind a tunnel (asked of the hub: the hub's
 * settings, not this process's environment, say whether it has one).
 * Like a provider, it posts again when the connection was reset under it (a reused keep-alive
 * socket the server had just closed): the hub takes a webhook any number of times as once.
 */
export const postSample = async (baseUrl: string, sample: Sample): Promise<number> =>
  (await postSampleAnswer(baseUrl, sample)).status;

/** What a webhook refusing a request says of it (`{"error": "…"}`, shared/intake/process-webhook.ts). */
const WebhookRefusalSchema = z.object({ error: z.string().min(1).max(200) });

/**
 * postSample's HTTP status, and the reason the webhook gave when it refused the sample (a 4xx's
 * `error`), for the console to show.
 */
export const postSampleAnswer = async (
  baseUrl: string,
  sample: Sample,
): Promise<{ readonly status: number; readonly error?: string }> => {
  const hub = signsTheUrl(sample) ? await fetchHubInfo(baseUrl) : undefined;
  const request = signedRequestFor(sample, {
    targetBaseUrl: baseUrl,
    hubPublicBaseUrl: hub?.publicBaseUrl,
    secrets: localSecretsFromEnv(),
  });
  const post = () => fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
  const response = await post().catch((error: unknown) => {
    if (isStaleConnection(error)) return post();
    throw error;
  });
  const body = await response.text();
  if (response.status < 400 || response.status >= 500) return { status: response.status };
  const refusal = WebhookRefusalSchema.safeParse(jsonOrUndefined(body));
  return refusal.success
    ? { status: response.status, error: refusal.data.error }
    : { status: response.status };
};

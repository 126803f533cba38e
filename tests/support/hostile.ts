import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { handleMailgunWebhook } from '#shared/channels/email/inbound/mailgun-webhook.ts';
import { InMemoryReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import type { HttpResponse, WebhookRequest } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { signTwilioRequest } from '#shared/channels/sms/inbound/signature.ts';
import { handleTwilioWebhook } from '#shared/channels/sms/inbound/webhook.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { processWebhook, type WebhookAdapter } from '#shared/intake/process-webhook.ts';
import { multipartBody } from '#shared/local/samples.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { type Pipeline, startPipeline } from '#tests/pipeline/harness.ts';
import { webhookRequest } from './requests.ts';

/** Signed requests of every provider, built from their documented formats, with hostile contents. */

const TWILIO_URL = 'https://hooks.example.com/webhooks/sms/twilio';
const secrets = LOCAL_DEV_SECRETS;

export const metaRequest = (path: string, body: unknown): WebhookRequest => {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  return webhookRequest({
    path,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signMetaBody(secrets.meta.appSecret, bytes),
    },
    body: bytes,
  });
};

export const twilioRequest = (params: Record<string, string>): WebhookRequest => {
  const entries = Object.entries(params);
  return webhookRequest({
    path: '/webhooks/sms/twilio',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(secrets.twilio.authToken, TWILIO_URL, entries),
    },
    body: Buffer.from(new URLSearchParams(entries).toString(), 'utf8'),
  });
};

export const mailgunRequest = (
  mime: string | Buffer,
  recipient = 'support@switchboard.example',
): WebhookRequest => {
  const timestamp = String(Math.floor(Date.parse('2026-11-22T12:00:00.000Z') / 1000));
  const token = randomBytes(25).toString('hex');
  const { contentType, body } = multipartBody([
    ['recipient', recipient],
    ['timestamp', timestamp],
    ['token', token],
    ['signature', signMailgun(secrets.mailgun.signingKey, timestamp, token)],
    ['body-mime', typeof mime === 'string' ? Buffer.from(mime, 'utf8') : mime],
  ]);
  return webhookRequest({
    path: '/webhooks/email/mailgun/mime',
    headers: { 'content-type': contentType },
    body,
  });
};

/** The adapter each route's Lambda binds, with the local development secrets. */
const adapterFor = (path: string): WebhookAdapter => {
  if (path.includes('messenger')) return (request) => handleMessengerWebhook(request, { secrets });
  if (path.includes('whatsapp')) return (request) => handleWhatsAppWebhook(request, { secrets });
  if (path.includes('twilio'))
    return (request) => handleTwilioWebhook(request, { secrets, publicUrl: TWILIO_URL });
  const replayGuard = new InMemoryReplayGuard(() => Date.parse('2026-11-22T12:00:00.000Z'));
  return (request) => handleMailgunWebhook(request, { secrets, replayGuard });
};

/** What a webhook Lambda does with a request, publishing into the pipeline's real ingest queue. */
export const deliver = async (pipeline: Pipeline, request: WebhookRequest): Promise<HttpResponse> => {
  const { clients, resources } = pipeline.emulators;
  const blobStore = new S3BlobStore(clients.s3, resources.bucketName);
  return processWebhook(request, adapterFor(request.path), {
    blobStore,
    publisher: new SqsEventPublisher({
      client: clients.sqs,
      queueUrl: resources.ingestQueueUrl,
      overflow: { store: blobStore, bucket: resources.bucketName },
    }),
    logger: createLogger({ level: 'error', write: () => {} }),
  });
};

/** What became of requests delivered one after another: each answer's status, the drain, the helpdesk's events. */
export interface DeliveredAll {
  readonly statuses: number[];
  readonly drained: { received: number; failed: number };
  readonly delivered: HubEvent[];
}

/** Delivers each request in turn, then records everything queued and takes what reached the helpdesk. */
export const deliverAll = async (
  pipeline: Pipeline,
  requests: readonly WebhookRequest[],
): Promise<DeliveredAll> => {
  const statuses: number[] = [];
  for (const request of requests) statuses.push((await deliver(pipeline, request)).statusCode);
  const drained = await pipeline.drain();
  return { statuses, drained, delivered: await pipeline.takeHelpdesk() };
};

/**
 * For a describe block: a pipeline started before its tests and stopped after them, `requests`
 * (built then) delivered to it, everything queued recorded and what reached the helpdesk taken.
 * Read its `pipeline` and what came of the requests in the tests.
 */
export const deliveredToPipeline = (requests: () => readonly WebhookRequest[]) => {
  let pipeline: Pipeline | undefined;
  let result: DeliveredAll | undefined;
  beforeAll(async () => {
    pipeline = await startPipeline();
    result = await deliverAll(pipeline, requests());
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
  });
  const delivery = (): DeliveredAll => {
    if (!result) throw new Error('the requests are read before their beforeAll delivered them');
    return result;
  };
  return {
    get pipeline(): Pipeline {
      if (!pipeline) throw new Error('the pipeline is used before its beforeAll started it');
      return pipeline;
    },
    get statuses() {
      return delivery().statuses;
    },
    get drained() {
      return delivery().drained;
    },
    get delivered() {
      return delivery().delivered;
    },
  };
};

/** A WhatsApp `messages` change with one contact and one text message, fields overridable. */
export const whatsappText = (
  overrides: { phoneNumberId?: string; waId?: string; name?: string; text?: string; id?: string } = {},
) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: {
              display_phone_number: '302105550142',
              phone_number_id: overrides.phoneNumberId ?? '106540352242922',
            },
            contacts: [
              { profile: { name: overrides.name ?? 'Eleni' }, wa_id: overrides.waId ?? '306912345678' },
            ],
            messages: [
              {
                from: overrides.waId ?? '306912345678',
                id: overrides.id ?? 'wamid.HOSTILE1',
                timestamp: '1795166043',
                type: 'text',
                text: { body: overrides.text ?? 'hello' },
              },
            ],
          },
        },
      ],
    },
  ],
});

/** A Messenger page entry with one customer text message. */
export const messengerText = (
  overrides: { psid?: string; pageId?: string; mid?: string; extra?: unknown } = {},
) => ({
  object: 'page',
  entry: [
    {
      id: overrides.pageId ?? '104331798255117',
      time: 1795166043723,
      messaging: [
        {
          sender: { id: overrides.psid ?? '6783425123045219' },
          recipient: { id: overrides.pageId ?? '104331798255117' },
          timestamp: 1795166043000,
          message: { mid: overrides.mid ?? 'm_hostile_1', text: 'hi' },
        },
        ...(overrides.extra === undefined ? [] : [overrides.extra]),
      ],
    },
  ],
});

export const email = (headers: Record<string, string>, body = 'Hello'): string =>
  [
    `From: ${headers.From ?? 'Maria <maria@customer.example>'}`,
    `To: ${headers.To ?? 'support@switchboard.example'}`,
    `Subject: ${headers.Subject ?? 'Hi'}`,
    `Message-ID: ${headers['Message-ID'] ?? `<${randomBytes(6).toString('hex')}@customer.example>`}`,
    ...(headers.References ? [`References: ${headers.References}`] : []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
  ].join('\r\n');

/**
 * Import + first request, for the cold-start bench: a fresh Node process imports a bundle and
 * hands its handler one real invocation, answered only after its AWS calls reached the local
 * servers (fauxqs for SQS and S3, dynalite for DynamoDB) and, for the sender and the media
 * fetcher, the simulated provider (shared/local/simulators). The process's whole life is paired
 * against bare Node like the import figures. The invocations:
 * - webhooks: one signed provider request from `events/`, queued (and for Mailgun, its replay
 *   guard's PutItem and the MIME's PutObject);
 * - limit and floor: their own body, one SendMessageBatch;
 * - recorder: one SQS record of a received WhatsApp message (its writes, its helpdesk publish);
 * - sender: one text reply on the outbox to a WhatsApp conversation recorded at set-up (the
 *   exactly-once bookkeeping, the Graph API call, the `message.sent` publish);
 * - media fetcher: the job of a WhatsApp image recorded just before (the Graph API's media
 *   lookup and download, the S3 put, the record's update, the helpdesk publish);
 * - SES receipts: one e-mail put where SES's S3 action puts it, then its receipt event;
 * - helpdesk-api: `GET /v1/conversations?status=open`; attention-sweeper: one scheduled run;
 * - email-ses-events: one SES delivery notification through SNS, queued.
 * Set-up (the sender's conversation, the media fetcher's messages) runs in this process, through
 * the real WhatsApp adapter and recorder, before each measured process starts.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { API_ROUTES } from '#shared/api/operations.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { localSecretsFromEnv } from '#shared/config/secrets.ts';
import { COMMAND_TYPES, type HubEvent } from '#shared/contract/index.ts';
import { toApiGatewayEvent } from '#shared/local/apigw-event.ts';
import {
  LOCAL_REGION,
  LOCAL_SIGNING_ENV,
  type RunningEmulators,
  startEmulators,
} from '#shared/local/emulators.ts';
import { toSqsRecord } from '#shared/local/event-source.ts';
import { whatsappImageFrom, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample, signedRequestFor } from '#shared/local/samples.ts';
import { startProviderSimulators } from '#shared/local/simulators/index.ts';
import { mediaJobId, mediaJobsFor } from '#shared/media/job.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorder } from '#shared/recorder/wiring.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { sesReceiptEvent } from '#tests/support/ses-receipt.ts';
import { EMAIL_LIMIT_BUNDLE } from './bundle-functions.ts';
import { BENCH_BASE_URL, BENCH_SECRETS, signSample } from './webhook-path.ts';

/** One sample per webhook bundle: each channel's plain inbound text. */
const FIRST_REQUEST_SAMPLES: Readonly<Record<string, string>> = {
  'webhook-whatsapp': 'whatsapp/text.json',
  'webhook-messenger': 'messenger/text.json',
  'webhook-sms-twilio': 'sms/sms-inbound.json',
  'webhook-email-mailgun': 'email/plain-text.eml',
};

const PUBLIC_HOST = 'hub.example.com';

/** How a child tells a handled invocation from a failed one (a failed one fails the run). */
export type Success = 'status 200' | 'no batch failures' | 'returned';

export interface FirstInvocation {
  readonly event: unknown;
  readonly success: Success;
}

export interface FirstRequestBench {
  /** The environment of a process that calls the local servers, as a deployed function calls AWS. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * One run's invocation of `bundle` (fresh each run: Mailgun tokens are single-use, a send needs a
   * new idempotency key, an attachment a new message); undefined: not measured.
   */
  readonly invocationFor: (bundle: string) => Promise<FirstInvocation | undefined>;
  /**
   * After a run of `bundle`'s invocation: fails unless its provider calls happened (a failed send or
   * fetch is an event, not a batch failure), and waits until the simulated provider's status
   * webhooks have been posted, so none lands in the next measured process's time.
   */
  readonly afterRun: (bundle: string) => Promise<void>;
  readonly stop: () => Promise<void>;
}

const API_TOKEN = 'bench-first-request';

/** One SQS event of one message, as Lambda's event source hands it over. */
const sqsEvent = (body: string, queueUrl: string, group: string): unknown => ({
  Records: [
    toSqsRecord(
      { MessageId: randomUUID(), ReceiptHandle: 'bench', Body: body, Attributes: { MessageGroupId: group } },
      `arn:aws:sqs:${LOCAL_REGION}:000000000000:${queueUrl.split('/').at(-1) ?? ''}`,
      LOCAL_REGION,
    ),
  ],
});

/** A received WhatsApp message as the ingest queue holds it, under a fresh id (no duplicate path). */
const recorderEvent = (ingestQueueUrl: string): unknown => {
  const [received] = JSON.parse(
    readFileSync(join(DEFAULT_EVENTS_DIR, 'whatsapp/text.expected.json'), 'utf8'),
  ) as Array<Record<string, unknown> & { data: Record<string, unknown> }>;
  if (!received) throw new Error('no expected event for whatsapp/text');
  const fresh = randomBytes(16).toString('hex');
  const body = JSON.stringify({
    ...received,
    id: `evt_${fresh}`,
    sequence: `${String(Date.now()).padStart(13, '0')}-000000`,
    data: { ...received.data, hubMessageId: `msg_${fresh}` },
  });
  return sqsEvent(body, ingestQueueUrl, String(received.subject));
};

const LIST_CONVERSATIONS = (() => {
  const route = API_ROUTES.find(({ handler }) => handler === 'listConversations');
  if (route === undefined) throw new Error('no conversation list route');
  return route;
})();

const apiEvent = (): unknown =>
  toApiGatewayEvent(
    {
      method: 'GET',
      url: '/v1/conversations?status=open',
      headers: { host: PUBLIC_HOST, authorization: `Bearer ${API_TOKEN}` },
      body: Buffer.alloc(0),
      sourceIp: '203.0.113.7',
    },
    // The route API Gateway matches it to: the function runs only that route's handler (a catch-all's is a 404).
    { routeKey: `${LIST_CONVERSATIONS.method} ${LIST_CONVERSATIONS.path}`, receivedAt: new Date() },
  );

const scheduledEvent = (): unknown => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date().toISOString(),
  region: LOCAL_REGION,
  resources: ['arn:aws:events:local:000000000000:rule/attention-sweeper'],
  detail: {},
});

/** One SES delivery notification of a hub e-mail (tests/channels/fixtures/ses-events/delivery.json) through SNS. */
const sesEventsEvent = (): unknown => ({
  Records: [
    {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:local:000000000000:ses-events:bench',
      Sns: {
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: 'arn:aws:sns:local:000000000000:ses-events',
        Subject: null,
        Message: readFileSync(
          resolve(import.meta.dirname, '../tests/channels/fixtures/ses-events/delivery.json'),
          'utf8',
        ),
        Timestamp: new Date().toISOString(),
        SignatureVersion: '1',
        Signature: 'bench',
        SigningCertUrl: 'https://sns.local/cert.pem',
        UnsubscribeUrl: 'https://sns.local/unsubscribe',
        MessageAttributes: {},
      },
    },
  ],
});

/** The body the limit and floor bundles queue (bench/limit-function.ts, bench/floor-function.ts). */
const limitEvent = (): unknown => {
  const body = JSON.stringify({
    object: 'bench',
    entry: [{ id: `bench-${randomUUID()}`, time: Date.now() }],
  });
  return { body, signature: createHmac('sha256', 'limit').update(body).digest('hex') };
};

const webhookEvent = (sampleFile: string): APIGatewayProxyEventV2 => {
  const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, sampleFile)]).samples;
  if (!sample) throw new Error(`no sample at ${sampleFile}`);
  const outgoing = signedRequestFor(sample, {
    targetBaseUrl: `https://${PUBLIC_HOST}`,
    secrets: BENCH_SECRETS,
  });
  const url = new URL(outgoing.url);
  return toApiGatewayEvent(
    {
      method: 'POST',
      url: `${url.pathname}${url.search}`,
      headers: { ...outgoing.headers, host: PUBLIC_HOST, 'x-forwarded-proto': 'https' },
      body: outgoing.body,
      sourceIp: '203.0.113.7',
    },
    { routeKey: `POST ${url.pathname}`, receivedAt: new Date() },
  );
};

/**
 * The events a WhatsApp sample becomes, through the real adapter: what the ingest queue would hold.
 * Received now: a provider time later than the receive time is taken as the receive time, so a
 * fixed receive time in the past would date the customer's message then and close the reply window.
 */
const whatsappEvents = async (sample: Sample): Promise<readonly HubEvent[]> => {
  const { request } = signSample(sample, BENCH_BASE_URL, new Date());
  const outcome = await handleWhatsAppWebhook(request, { secrets: BENCH_SECRETS });
  if (outcome.kind !== 'accept') throw new Error(`the WhatsApp adapter answered ${outcome.kind}`);
  return outcome.events;
};

/** The simulated providers post status webhooks back to a hub: here, to a sink that answers 200. */
const startStatusSink = async (): Promise<{
  readonly url: string;
  readonly received: () => number;
  readonly close: () => Promise<void>;
}> => {
  let received = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    close: () => {
      server.closeAllConnections();
      return new Promise((closed) => server.close(() => closed()));
    },
  };
};

/** The customer whose WhatsApp conversation the sender answers and whose images the media fetcher fetches. */
const BENCH_CUSTOMER = '306912340777';

export const startFirstRequestBench = async (
  bundles: readonly string[],
  limitBundles: readonly string[],
): Promise<FirstRequestBench> => {
  const emulators: RunningEmulators = await startEmulators();
  const { clients, resources } = emulators;
  const sink = await startStatusSink();
  // Statuses at once: the bench waits for them after the sender's run (afterRun), not during the next one.
  const providers = await startProviderSimulators({
    hubBaseUrl: sink.url,
    secrets: localSecretsFromEnv(),
    statusDelaysMs: { sent: 0, delivered: 0, read: 0 },
  });
  const env = {
    ...LOCAL_SIGNING_ENV,
    AWS_ENDPOINT_URL_SQS: emulators.endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: emulators.endpoints.s3,
    SWITCHBOARD_S3_FORCE_PATH_STYLE: 'true',
    SWITCHBOARD_INGEST_QUEUE_URL: resources.ingestQueueUrl,
    SWITCHBOARD_TABLE_NAME: resources.tableName,
    SWITCHBOARD_PAYLOAD_BUCKET: resources.bucketName,
    SWITCHBOARD_SECRET_ARN: 'local',
    SWITCHBOARD_PSEUDONYM_KEY_ARN: 'local',
  };
  // The recorder's own code, in this process, records what the sender and the media fetcher need.
  const recorder = createRecorder({
    dynamodb: clients.dynamodb,
    sqs: clients.sqs,
    payloads: { s3: clients.s3, bucket: resources.bucketName },
    tableName: resources.tableName,
    helpdeskQueueUrl: resources.helpdeskQueueUrl,
    ingestDlqUrl: resources.ingestDlqUrl,
    retentionSeconds: 30 * 86_400,
    pseudonymKey: localPseudonymKey,
    logger: createLogger({ write: () => undefined }),
  });
  const recordNow = async (sample: Sample): Promise<readonly HubEvent[]> => {
    const events = await whatsappEvents(sample);
    for (const event of events) {
      const response = await recorder.handleSqsEvent(
        sqsEvent(JSON.stringify(event), resources.ingestQueueUrl, event.subject) as Parameters<
          typeof recorder.handleSqsEvent
        >[0],
      );
      if (response.batchItemFailures.length > 0) throw new Error('set-up: the recorder refused a message');
    }
    return events;
  };
  // The sender's conversation: a customer message of now, so the reply window is open.
  const [opening] = await recordNow(whatsappTextFrom(BENCH_CUSTOMER, `bench-${randomUUID()}`));
  if (!opening) throw new Error('set-up: no event for the opening message');
  const conversationId = opening.subject;
  const emlBytes = readFileSync(join(DEFAULT_EVENTS_DIR, 'email/plain-text.eml'));
  const others: Readonly<Record<string, () => Promise<FirstInvocation>>> = {
    recorder: async () => ({ event: recorderEvent(resources.ingestQueueUrl), success: 'no batch failures' }),
    'helpdesk-api': async () => ({ event: apiEvent(), success: 'status 200' }),
    'attention-sweeper': async () => ({ event: scheduledEvent(), success: 'returned' }),
    'email-ses-events': async () => ({ event: sesEventsEvent(), success: 'returned' }),
    sender: async () => {
      const key = `bench-${randomUUID()}`;
      const command = {
        specversion: '1.0',
        id: `cmd-${key}`,
        source: 'bench:first-request',
        type: COMMAND_TYPES.sendMessage,
        data: {
          idempotencyKey: key,
          conversationId,
          parts: [{ type: 'text', text: 'Your parcel left the depot this morning.' }],
          sender: { kind: 'agent', id: 'agent-1' },
        },
      };
      return {
        event: sqsEvent(JSON.stringify(command), resources.outboxQueueUrl, conversationId),
        success: 'no batch failures',
      };
    },
    'media-fetcher': async () => {
      const mediaId = `bench${randomBytes(6).toString('hex')}jpeg`;
      const [image] = await recordNow(whatsappImageFrom(BENCH_CUSTOMER, `bench-${randomUUID()}`, mediaId));
      const [job] = image?.type === 'switchboard.message.received' ? mediaJobsFor(image) : [];
      if (!job) throw new Error('set-up: the image message has no media job');
      return {
        event: sqsEvent(JSON.stringify(job), resources.mediaQueueUrl, mediaJobId(job)),
        success: 'no batch failures',
      };
    },
    'email-ses': async () => {
      const messageId = randomBytes(20).toString('hex');
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: resources.bucketName,
          Key: `${PAYLOAD_BUCKET.prefixes.sesInbound}${messageId}`,
          Body: emlBytes,
        }),
      );
      return { event: sesReceiptEvent(messageId, new Date().toISOString()), success: 'returned' };
    },
  };
  const known = new Set(bundles);
  // Where the provider's log and the sink stood when the last invocation was made.
  let before = { requests: 0, statuses: 0 };
  const newRequests = () => providers.requests().slice(before.requests);
  const succeeded = (request: { readonly response: { readonly status: number } }) =>
    request.response.status >= 200 && request.response.status < 300;
  const checks: Readonly<Record<string, () => Promise<void>>> = {
    sender: async () => {
      const sent = newRequests().some(
        (request) => request.method === 'POST' && request.path.endsWith('/messages') && succeeded(request),
      );
      if (!sent) throw new Error('the sender made no accepted Graph API send');
      // Sent, delivered and read come back for an accepted WhatsApp send.
      const deadline = Date.now() + 10_000;
      while (sink.received() < before.statuses + 3) {
        if (Date.now() > deadline) throw new Error('the simulated statuses of the send never came');
        await new Promise((resolveWait) => setTimeout(resolveWait, 10));
      }
    },
    'media-fetcher': async () => {
      const fetched = newRequests();
      if (fetched.length < 2 || !fetched.every(succeeded))
        throw new Error('the media fetcher did not look up and download the media');
    },
  };
  return {
    env: {
      ...env,
      SWITCHBOARD_HELPDESK_QUEUE_URL: resources.helpdeskQueueUrl,
      SWITCHBOARD_MEDIA_QUEUE_URL: resources.mediaQueueUrl,
      SWITCHBOARD_OUTBOX_QUEUE_URL: resources.outboxQueueUrl,
      SWITCHBOARD_INGEST_DLQ_URL: resources.ingestDlqUrl,
      SWITCHBOARD_OUTBOX_DLQ_URL: resources.outboxDlqUrl,
      SWITCHBOARD_API_DEV_TOKEN: API_TOKEN,
      SWITCHBOARD_GRAPH_API_URL: providers.urls.graph,
      SWITCHBOARD_TWILIO_API_URL: providers.urls.twilio,
      SWITCHBOARD_MAILGUN_API_URL: providers.urls.mailgun,
      AWS_ENDPOINT_URL_SESV2: providers.urls.sesV2,
      POWERTOOLS_METRICS_DISABLED: 'true',
      LIMIT_MAILGUN_SIGNING_KEY: BENCH_SECRETS.mailgun.signingKey,
    },
    invocationFor: async (bundle) => {
      if (!known.has(bundle)) return undefined;
      before = { requests: providers.requests().length, statuses: sink.received() };
      // The e-mail limit reads the Mailgun webhook's own request.
      if (bundle === EMAIL_LIMIT_BUNDLE)
        return {
          event: webhookEvent(FIRST_REQUEST_SAMPLES['webhook-email-mailgun'] ?? ''),
          success: 'status 200',
        };
      if (limitBundles.includes(bundle)) return { event: limitEvent(), success: 'status 200' };
      const sampleFile = FIRST_REQUEST_SAMPLES[bundle];
      if (sampleFile) return { event: webhookEvent(sampleFile), success: 'status 200' };
      return others[bundle]?.();
    },
    afterRun: async (bundle) => {
      await checks[bundle]?.();
    },
    stop: async () => {
      await providers.stop();
      await sink.close();
      await emulators.stop();
    },
  };
};

/** A Lambda context as far as the handlers read it; 30 s left, the sender's timeout (it needs time for a provider call). */
const CONTEXT =
  '{ awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", functionName: "bench", getRemainingTimeInMillis: () => 30000 }';

const SUCCESS_CHECKS: Readonly<Record<Success, string>> = {
  'status 200': 'result?.statusCode === 200',
  'no batch failures': 'Array.isArray(result?.batchItemFailures) && result.batchItemFailures.length === 0',
  returned: 'true',
};

/**
 * The child's script: import, one invocation, then `print` (its RSS and CPU time); a handler that
 * throws or answers a failure fails the run, so a measured first request is one that was handled.
 */
export const firstRequestScript = (bundleUrl: string, invocation: FirstInvocation, print: string): string =>
  [
    `const { handler } = await import(${JSON.stringify(bundleUrl)});`,
    `const result = await handler(${JSON.stringify(invocation.event)}, ${CONTEXT});`,
    `if (!(${SUCCESS_CHECKS[invocation.success]})) { console.error("answered " + JSON.stringify(result)); process.exit(3); }`,
    // Kept-alive sockets would hold the process open: its life ends with the answer, as a measure.
    `${print}; process.exit(0);`,
  ].join('\n');

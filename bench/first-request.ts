/**
 * Import + first request, for the cold-start bench: a fresh Node process imports a bundle and
 * hands its handler one real invocation, answered only after its AWS calls reached the local
 * servers (fauxqs for SQS and S3, dynalite for DynamoDB). The process's whole life is paired
 * against bare Node like the import figures. The invocations:
 * - webhooks: one signed provider request from `events/`, queued (and for Mailgun, its replay
 *   guard's PutItem and the MIME's PutObject);
 * - limit and floor: their own body, one SendMessageBatch;
 * - recorder: one SQS record of a received WhatsApp message (its writes, its helpdesk publish);
 * - helpdesk-api: `GET /v1/conversations?status=open`; attention-sweeper: one scheduled run;
 * - email-ses-events: one SES delivery notification through SNS, queued.
 * Not measured: the sender, the media fetcher and SES receipts, whose first request needs a
 * provider simulator or a stored e-mail; their import is measured like every function's.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toApiGatewayEvent } from '#shared/local/apigw-event.ts';
import {
  LOCAL_REGION,
  LOCAL_SIGNING_ENV,
  type RunningEmulators,
  startEmulators,
} from '#shared/local/emulators.ts';
import { toSqsRecord } from '#shared/local/event-source.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, signedRequestFor } from '#shared/local/samples.ts';
import { BENCH_SECRETS } from './webhook-path.ts';

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
  /** One run's invocation of `bundle` (fresh each run: Mailgun tokens are single-use); undefined: not measured. */
  readonly invocationFor: (bundle: string) => FirstInvocation | undefined;
  readonly stop: () => Promise<void>;
}

const API_TOKEN = 'bench-first-request';

/** A received WhatsApp message as the ingest queue holds it, under a fresh id (no duplicate path). */
const recorderEvent = (queueArn: string): unknown => {
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
  const record = toSqsRecord(
    {
      MessageId: randomUUID(),
      ReceiptHandle: 'bench',
      Body: body,
      Attributes: { MessageGroupId: String(received.subject) },
    },
    queueArn,
    LOCAL_REGION,
  );
  return { Records: [record] };
};

const apiEvent = (): unknown =>
  toApiGatewayEvent(
    {
      method: 'GET',
      url: '/v1/conversations?status=open',
      headers: { host: PUBLIC_HOST, authorization: `Bearer ${API_TOKEN}` },
      body: Buffer.alloc(0),
      sourceIp: '203.0.113.7',
    },
    { routeKey: 'ANY /v1/{proxy+}', receivedAt: new Date() },
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

export const startFirstRequestBench = async (
  bundles: readonly string[],
  limitBundles: readonly string[],
): Promise<FirstRequestBench> => {
  const emulators: RunningEmulators = await startEmulators();
  const env = {
    ...LOCAL_SIGNING_ENV,
    AWS_ENDPOINT_URL_SQS: emulators.endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: emulators.endpoints.s3,
    SWITCHBOARD_S3_FORCE_PATH_STYLE: 'true',
    SWITCHBOARD_INGEST_QUEUE_URL: emulators.resources.ingestQueueUrl,
    SWITCHBOARD_TABLE_NAME: emulators.resources.tableName,
    SWITCHBOARD_PAYLOAD_BUCKET: emulators.resources.bucketName,
    SWITCHBOARD_SECRET_ARN: 'local',
  };
  const ingestArn = `arn:aws:sqs:${LOCAL_REGION}:000000000000:${emulators.resources.ingestQueueUrl.split('/').at(-1) ?? ''}`;
  const others: Readonly<Record<string, () => FirstInvocation>> = {
    recorder: () => ({ event: recorderEvent(ingestArn), success: 'no batch failures' }),
    'helpdesk-api': () => ({ event: apiEvent(), success: 'status 200' }),
    'attention-sweeper': () => ({ event: scheduledEvent(), success: 'returned' }),
    'email-ses-events': () => ({ event: sesEventsEvent(), success: 'returned' }),
  };
  const known = new Set(bundles);
  return {
    env: {
      ...env,
      SWITCHBOARD_HELPDESK_QUEUE_URL: emulators.resources.helpdeskQueueUrl,
      SWITCHBOARD_MEDIA_QUEUE_URL: emulators.resources.mediaQueueUrl,
      SWITCHBOARD_OUTBOX_QUEUE_URL: emulators.resources.outboxQueueUrl,
      SWITCHBOARD_OUTBOX_DLQ_URL: emulators.resources.outboxDlqUrl,
      SWITCHBOARD_API_DEV_TOKEN: API_TOKEN,
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    invocationFor: (bundle) => {
      if (!known.has(bundle)) return undefined;
      if (limitBundles.includes(bundle)) return { event: limitEvent(), success: 'status 200' };
      const sampleFile = FIRST_REQUEST_SAMPLES[bundle];
      if (sampleFile) return { event: webhookEvent(sampleFile), success: 'status 200' };
      return others[bundle]?.();
    },
    stop: () => emulators.stop(),
  };
};

/** A Lambda context as far as the handlers read it. */
const CONTEXT =
  '{ awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", functionName: "bench", getRemainingTimeInMillis: () => 3000 }';

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

/**
 * Import + first request, for the cold-start bench: a fresh Node process imports a bundle and
 * hands its handler one real, signed provider request (the webhooks) or the limit and floor
 * bundles' own body, which each answers after its first SendMessageBatch reached a real local SQS
 * server (fauxqs). The process's whole life is paired against bare Node like the import figures.
 * What it measures beyond the import: the first validation, the first signing (credentials,
 * SigV4), the first node:http request, and a Mailgun webhook's replay-guard PutItem and S3 puts.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toApiGatewayEvent } from '#shared/local/apigw-event.ts';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type RunningEmulators,
  startEmulators,
} from '#shared/local/emulators.ts';
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

export interface FirstRequestBench {
  /** The environment of a process that calls the local servers, as a deployed function calls AWS. */
  readonly env: Readonly<Record<string, string>>;
  /** The event for one run of `bundle` (fresh each run: Mailgun tokens are single-use); undefined: not measured. */
  readonly eventFor: (bundle: string) => unknown;
  readonly stop: () => Promise<void>;
}

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
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: emulators.endpoints.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: emulators.endpoints.s3,
    SWITCHBOARD_S3_FORCE_PATH_STYLE: 'true',
    SWITCHBOARD_INGEST_QUEUE_URL: emulators.resources.ingestQueueUrl,
    SWITCHBOARD_TABLE_NAME: emulators.resources.tableName,
    SWITCHBOARD_PAYLOAD_BUCKET: emulators.resources.bucketName,
    SWITCHBOARD_SECRET_ARN: 'local',
  };
  const measured = new Set(bundles.filter((bundle) => FIRST_REQUEST_SAMPLES[bundle] !== undefined));
  return {
    env,
    eventFor: (bundle) => {
      if (limitBundles.includes(bundle)) return limitEvent();
      const sampleFile = FIRST_REQUEST_SAMPLES[bundle];
      return measured.has(bundle) && sampleFile ? webhookEvent(sampleFile) : undefined;
    },
    stop: () => emulators.stop(),
  };
};

/** A Lambda context as far as the handlers read it. */
const CONTEXT =
  '{ awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", functionName: "bench", getRemainingTimeInMillis: () => 3000 }';

/**
 * The child's script: import, one invocation, then `print` (its RSS and CPU time); a handler that
 * answers anything but 200 fails the run, so a measured first request is one that was queued.
 */
export const firstRequestScript = (bundleUrl: string, event: unknown, print: string): string =>
  [
    `const { handler } = await import(${JSON.stringify(bundleUrl)});`,
    `const result = await handler(${JSON.stringify(event)}, ${CONTEXT});`,
    'if (result?.statusCode !== 200) { console.error("answered " + JSON.stringify(result)); process.exit(3); }',
    // Kept-alive sockets would hold the process open: its life ends with the answer, as a measure.
    `${print}; process.exit(0);`,
  ].join('\n');

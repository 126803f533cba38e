import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { resetAwsClients } from '#shared/aws/clients.ts';
import { resetChannelSecrets } from '#shared/aws/secrets.ts';
import { resetRuntimeConfig } from '#shared/config/runtime.ts';
import { buildEvent, eventIdFor, type HubEvent } from '#shared/contract/index.ts';
import { resetWebhookDeps } from '#shared/intake/wiring.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type RunningEmulators } from '#shared/local/emulators.ts';
import { FIXTURE_RECEIVED_AT } from './requests.ts';

export interface ApiGatewayEventInput {
  readonly method?: string;
  readonly path?: string;
  readonly rawQueryString?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
  /** What API Gateway does with form posts and other bodies it treats as binary. */
  readonly base64?: boolean;
}

/** An HTTP API (payload format 2.0) event as API Gateway delivers it on the `$default` stage. */
export const apiGatewayEvent = (input: ApiGatewayEventInput = {}): APIGatewayProxyEventV2 => {
  const method = input.method ?? 'POST';
  const path = input.path ?? '/webhooks/test';
  const bytes = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: input.rawQueryString ?? '',
    headers: input.headers ?? {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1234567',
      domainName: 'api1234567.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api1234567',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'test' },
      requestId: 'request-id',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '22/Nov/2026:12:00:00 +0000',
      timeEpoch: FIXTURE_RECEIVED_AT.getTime(),
    },
    isBase64Encoded: input.base64 ?? false,
    ...(bytes === undefined
      ? {}
      : { body: input.base64 ? bytes.toString('base64') : bytes.toString('utf8') }),
  };
};

/** A Lambda context with a fixed request id. */
export const lambdaContext = (overrides: Partial<Context> = {}): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'switchboard-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:switchboard-test',
  memoryLimitInMB: '512',
  awsRequestId: 'aws-request-id-1',
  logGroupName: '/aws/lambda/switchboard-test',
  logStreamName: '2026/11/22/[$LATEST]0',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
  ...overrides,
});

/** A valid provider-unsupported event, cheap to make in bulk; `subject` picks the FIFO group. */
export const unsupportedEvent = (
  index: number,
  conversationId = 'conv_test',
  raw: unknown = { index },
): HubEvent =>
  buildEvent('switchboard.provider.unsupported', eventIdFor('messenger', 'test', String(index)), {
    channel: 'messenger',
    provider: 'meta',
    endpoint: { type: 'facebook_page', id: '100000000000001' },
    conversationId,
    providerTimestamp: null,
    receivedAt: FIXTURE_RECEIVED_AT.toISOString(),
    providerType: 'test_item',
    raw,
  });

/** The environment a deployed webhook Lambda gets, pointed at running local emulators. */
export const hubEnvironmentFor = (emulators: RunningEmulators): Record<string, string> => ({
  AWS_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_ENDPOINT_URL_SQS: emulators.endpoints.sqs,
  AWS_ENDPOINT_URL_S3: emulators.endpoints.s3,
  AWS_ENDPOINT_URL_DYNAMODB: emulators.endpoints.dynamodb,
  SWITCHBOARD_TABLE_NAME: emulators.resources.tableName,
  SWITCHBOARD_INGEST_QUEUE_URL: emulators.resources.ingestQueueUrl,
  SWITCHBOARD_HELPDESK_QUEUE_URL: emulators.resources.helpdeskQueueUrl,
  SWITCHBOARD_MEDIA_QUEUE_URL: emulators.resources.mediaQueueUrl,
  SWITCHBOARD_PAYLOAD_BUCKET: emulators.resources.bucketName,
  SWITCHBOARD_SECRET_ARN: 'local',
  SWITCHBOARD_S3_FORCE_PATH_STYLE: 'true',
});

/**
 * Applies `environment` to this process and drops every per-process cache that read the old one.
 * Returns the function that restores the previous environment.
 */
export const useHubEnvironment = (environment: Record<string, string>): (() => void) => {
  const saved = { ...process.env };
  Object.assign(process.env, environment);
  for (const reset of [resetRuntimeConfig, resetAwsClients, resetWebhookDeps, resetChannelSecrets]) reset();
  return () => {
    resetAwsClients();
    process.env = saved;
    for (const reset of [resetRuntimeConfig, resetWebhookDeps, resetChannelSecrets]) reset();
  };
};

/** Receives until the queue answers empty, so tests see every message they caused. */
export const drainQueue = async (sqs: SQSClient, queueUrl: string): Promise<Message[]> => {
  const messages: Message[] = [];
  for (let poll = 0; poll < 10; poll++) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    const batch = received.Messages ?? [];
    messages.push(...batch);
    if (batch.length === 0) break;
  }
  return messages;
};

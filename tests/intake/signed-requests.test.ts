import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AwsJsonClient,
  type AwsJsonService,
  type HttpRequest,
  type HttpResponse,
  isRetryable,
} from '#shared/aws/signed/aws-json.ts';
import { SECRETS_MANAGER_SERVICE, SignedSecretsManagerClient } from '#shared/aws/signed/secrets-manager.ts';
import { SignedSqsClient, SQS_SERVICE } from '#shared/aws/signed/sqs.ts';
import {
  type CannedAnswer,
  ORACLE_CREDENTIALS,
  ORACLE_ENV,
  ORACLE_NOW,
  ORACLE_REGION,
  recordingHandler,
  resignedBySigner,
  signedHeaderNames,
} from '#tests/support/signed-oracle.ts';

/*
 * The webhooks' signed requests (shared/aws/signed/) checked against the AWS SDK as an oracle: the
 * SDK client sends the same input through a request handler that records the signed request and
 * answers with a canned response. Same clock and credentials → the signer reproduces the SDK's
 * Authorization header; the requests carry the same operation and JSON; the same answers parse to
 * the same output, the same error names, and the same number of attempts.
 */

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/switchboard-ingest.fifo';
const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard-channels-AbCdEf';

const BATCH = {
  QueueUrl: QUEUE_URL,
  Entries: [
    {
      Id: '0',
      MessageBody: '{"text":"Grüße aus Köln \\ufffe 🙂","quote":"\\"a b\\"  c"}',
      MessageGroupId: 'conv_abc',
      MessageDeduplicationId: 'evt_1',
    },
    { Id: '1', MessageBody: '{}', MessageGroupId: 'g_0123', MessageDeduplicationId: 'evt_2' },
  ],
};

/** The signed client on a transport that records and answers the same way. */
const recordingTransport = (answers: readonly CannedAnswer[]) => {
  const requests: HttpRequest[] = [];
  return {
    requests,
    transport: async (request: HttpRequest): Promise<HttpResponse> => {
      requests.push(request);
      const answer = answers[Math.min(requests.length, answers.length) - 1] as CannedAnswer;
      return { statusCode: answer.statusCode, headers: answer.headers ?? {}, body: answer.body ?? '' };
    },
  };
};

const sdkSqs = (handler: ReturnType<typeof recordingHandler>['handler'], maxAttempts = 1) =>
  new SQSClient({
    region: ORACLE_REGION,
    credentials: ORACLE_CREDENTIALS,
    requestHandler: handler,
    maxAttempts,
  });
const sdkSecrets = (handler: ReturnType<typeof recordingHandler>['handler'], maxAttempts = 1) =>
  new SecretsManagerClient({
    region: ORACLE_REGION,
    credentials: ORACLE_CREDENTIALS,
    requestHandler: handler,
    maxAttempts,
  });

const clientOptions = (transport: ReturnType<typeof recordingTransport>['transport'], maxAttempts = 1) => ({
  env: ORACLE_ENV,
  transport,
  maxAttempts,
  now: () => new Date(),
  sleep: async () => undefined,
});

type ServiceFailure = Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };

/** The error a call rejects with; a call that succeeds fails the test. */
const failureOf = async (call: Promise<unknown>): Promise<ServiceFailure> => {
  try {
    await call;
  } catch (error) {
    return error as ServiceFailure;
  }
  throw new Error('expected the call to fail');
};

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

const OK_BATCH: CannedAnswer = {
  statusCode: 200,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'req-1' },
  body: JSON.stringify({
    Successful: [
      {
        Id: '0',
        MessageId: 'm-0',
        MD5OfMessageBody: md5(BATCH.Entries[0]?.MessageBody ?? ''),
        SequenceNumber: '1',
      },
    ],
    Failed: [{ Id: '1', SenderFault: true, Code: 'InvalidParameterValue', Message: 'no' }],
  }),
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(ORACLE_NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('signed requests against the AWS SDK as oracle', () => {
  it('signs exactly as the SDK: same Authorization for the request the SDK signed', async () => {
    // Prepare
    const sqs = recordingHandler([OK_BATCH]);
    const secrets = recordingHandler([{ statusCode: 200, body: '{"SecretString":"{}"}' }]);
    await sdkSqs(sqs.handler).send(new SendMessageBatchCommand(BATCH));
    await sdkSecrets(secrets.handler).send(new GetSecretValueCommand({ SecretId: SECRET_ID }));
    const [sqsRequest, secretsRequest] = [sqs.requests[0], secrets.requests[0]];
    if (!sqsRequest || !secretsRequest) throw new Error('the SDK sent nothing');
    // Act
    const ours = [resignedBySigner(sqsRequest, 'sqs'), resignedBySigner(secretsRequest, 'secretsmanager')];
    // Assess
    expect(ours[0]?.authorization).toBe(sqsRequest.headers.authorization);
    expect(ours[1]?.authorization).toBe(secretsRequest.headers.authorization);
    expect(ours[0]?.['x-amz-security-token']).toBe(ORACLE_CREDENTIALS.sessionToken);
    expect(ours[0]?.['x-amz-date']).toBe('20261201T065249Z');
  });

  it.each([
    {
      name: 'SendMessageBatch',
      sdk: async (handler: ReturnType<typeof recordingHandler>['handler']) =>
        sdkSqs(handler).send(new SendMessageBatchCommand(BATCH)),
      ours: async (transport: ReturnType<typeof recordingTransport>['transport']) =>
        new SignedSqsClient(clientOptions(transport)).sendMessageBatch(BATCH),
      service: 'sqs',
    },
    {
      name: 'GetSecretValue',
      sdk: async (handler: ReturnType<typeof recordingHandler>['handler']) =>
        sdkSecrets(handler).send(new GetSecretValueCommand({ SecretId: SECRET_ID })),
      ours: async (transport: ReturnType<typeof recordingTransport>['transport']) =>
        new SignedSecretsManagerClient(clientOptions(transport)).getSecretValue({ SecretId: SECRET_ID }),
      service: 'secretsmanager',
    },
  ])('sends $name as the SDK does: endpoint, operation, protocol, JSON, token', async (operation) => {
    // Prepare
    const answer = { statusCode: 200, body: '{}' };
    const sdk = recordingHandler([answer]);
    const ours = recordingTransport([answer]);
    // Act
    await operation.sdk(sdk.handler);
    await operation.ours(ours.transport);
    // Assess
    const [expected, actual] = [sdk.requests[0], ours.requests[0]];
    expect(actual?.method).toBe(expected?.method);
    expect(actual?.url.href).toBe(expected?.url.href);
    for (const name of [
      'content-type',
      'x-amz-target',
      'x-amzn-query-mode',
      'x-amz-security-token',
      'x-amz-date',
    ]) {
      expect(actual?.headers[name], name).toBe(expected?.headers[name]);
    }
    expect(JSON.parse(String(actual?.body ?? ''))).toEqual(JSON.parse(expected?.body ?? ''));
    expect(actual?.headers['content-length']).toBe(String(Buffer.byteLength(actual?.body ?? '')));
    // …and its own signature is the SDK's signer's over the same headers (checked above).
    expect(signedHeaderNames(actual?.headers.authorization)).toEqual(
      Object.keys(actual?.headers ?? {})
        .filter((name) => name !== 'authorization')
        .sort(),
    );
    expect(actual?.headers.authorization).toContain(
      `/20261201/${ORACLE_REGION}/${operation.service}/aws4_request`,
    );
  });

  it('parses a partly failed batch and a secret exactly as the SDK', async () => {
    // Prepare
    const secretAnswer: CannedAnswer = {
      statusCode: 200,
      body: JSON.stringify({
        ARN: SECRET_ID,
        Name: 'switchboard-channels',
        SecretString: '{"twilio":{"authToken":"t"}}',
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1.795e9,
      }),
    };
    // Act
    const sdkBatch = await sdkSqs(recordingHandler([OK_BATCH]).handler).send(
      new SendMessageBatchCommand(BATCH),
    );
    const ourBatch = await new SignedSqsClient(
      clientOptions(recordingTransport([OK_BATCH]).transport),
    ).sendMessageBatch(BATCH);
    const sdkSecret = await sdkSecrets(recordingHandler([secretAnswer]).handler).send(
      new GetSecretValueCommand({ SecretId: SECRET_ID }),
    );
    const ourSecret = await new SignedSecretsManagerClient(
      clientOptions(recordingTransport([secretAnswer]).transport),
    ).getSecretValue({ SecretId: SECRET_ID });
    // Assess
    expect(ourBatch).toEqual({ Successful: sdkBatch.Successful, Failed: sdkBatch.Failed });
    expect(ourSecret.SecretString).toBe(sdkSecret.SecretString);
  });

  it('fails a batch whose answer has a wrong body digest, as the SDK does', async () => {
    // Prepare: SQS (or something between) reports a body other than the one sent
    const answer: CannedAnswer = {
      statusCode: 200,
      body: JSON.stringify({
        Successful: [{ Id: '1', MessageId: 'm-1', MD5OfMessageBody: md5('other') }],
        Failed: [],
      }),
    };
    // Act
    const sdkError = await failureOf(
      sdkSqs(recordingHandler([answer]).handler).send(new SendMessageBatchCommand(BATCH)),
    );
    const ourError = await failureOf(
      new SignedSqsClient(clientOptions(recordingTransport([answer]).transport)).sendMessageBatch(BATCH),
    );
    // Assess
    expect([ourError.name, ourError.message]).toEqual([sdkError.name, sdkError.message]);
  });

  it('fails on a garbled success answer, as the SDK does, instead of reading it as all queued', async () => {
    // Prepare
    const answer: CannedAnswer = { statusCode: 200, body: '{"Successful":[' };
    // Act
    const sdkError = await failureOf(
      sdkSqs(recordingHandler([answer]).handler).send(new SendMessageBatchCommand(BATCH)),
    );
    const ourError = await failureOf(
      new SignedSqsClient(clientOptions(recordingTransport([answer]).transport)).sendMessageBatch(BATCH),
    );
    // Assess
    expect(ourError.name).toBe(sdkError.name);
    expect(isRetryable(ourError)).toBe(false);
  });

  const queryError = (status: number, type: string, queryCode: string, fault = 'Sender'): CannedAnswer => ({
    statusCode: status,
    headers: { 'x-amzn-query-error': `${queryCode};${fault}`, 'x-amzn-requestid': 'req-e' },
    body: JSON.stringify({ __type: type, message: 'refused' }),
  });

  it.each([
    [
      'a missing queue',
      queryError(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'),
    ],
    ['throttling', queryError(403, 'com.amazonaws.sqs#RequestThrottled', 'RequestThrottled')],
    ['a KMS throttle', queryError(400, 'com.amazonaws.sqs#KmsThrottled', 'KMS.ThrottlingException')],
    ['access denied', queryError(400, 'com.amazon.coral.service#AccessDeniedException', 'AccessDenied')],
    [
      'an unmodeled throttle',
      queryError(400, 'com.amazon.coral.availability#ThrottlingException', 'ThrottlingException'),
    ],
    [
      'an internal error',
      queryError(500, 'com.amazon.coral.service#InternalFailure', 'InternalFailure', 'Receiver'),
    ],
    ['a bare 503', { statusCode: 503, body: '' }],
    [
      'a too large batch',
      queryError(400, 'com.amazonaws.sqs#BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong'),
    ],
  ])(
    'fails SendMessageBatch on %s with the SDK’s error and attempts',
    async (_case, answer) => {
      // Prepare
      const sdk = recordingHandler([answer]);
      const ours = recordingTransport([answer]);
      // Act: three attempts each, the SDK's default; the SDK waits its real backoff
      const sdkError = await failureOf(sdkSqs(sdk.handler, 3).send(new SendMessageBatchCommand(BATCH)));
      const ourError = await failureOf(
        new SignedSqsClient(clientOptions(ours.transport, 3)).sendMessageBatch(BATCH),
      );
      // Assess
      expect(ourError.name).toBe(sdkError.name);
      expect(ourError.$fault).toBe(sdkError.$fault);
      expect(ourError.$metadata?.httpStatusCode).toBe(sdkError.$metadata?.httpStatusCode);
      expect(ours.requests).toHaveLength(sdk.requests.length);
    },
    20_000,
  );

  it.each([
    ['a missing secret', 400, 'ResourceNotFoundException'],
    ['an undecryptable secret', 400, 'DecryptionFailure'],
    ['throttling', 400, 'ThrottlingException'],
    ['an internal error', 500, 'InternalServiceError'],
  ])(
    'fails GetSecretValue on %s with the SDK’s error and attempts',
    async (_case, statusCode, type) => {
      // Prepare
      const answer: CannedAnswer = { statusCode, body: JSON.stringify({ __type: type, Message: 'refused' }) };
      const sdk = recordingHandler([answer]);
      const ours = recordingTransport([answer]);
      // Act
      const sdkError = await failureOf(
        sdkSecrets(sdk.handler, 3).send(new GetSecretValueCommand({ SecretId: SECRET_ID })),
      );
      const ourError = await failureOf(
        new SignedSecretsManagerClient(clientOptions(ours.transport, 3)).getSecretValue({
          SecretId: SECRET_ID,
        }),
      );
      // Assess
      expect([ourError.name, ourError.$fault]).toEqual([sdkError.name, sdkError.$fault]);
      expect(ours.requests).toHaveLength(sdk.requests.length);
    },
    20_000,
  );
});

describe('the signed client on its own', () => {
  const service: AwsJsonService = SQS_SERVICE;

  it('retries a dropped connection and a timeout with growing full-jitter waits, then answers', async () => {
    // Prepare
    const delays: number[] = [];
    let attempts = 0;
    const client = new AwsJsonClient({
      service,
      env: ORACLE_ENV,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
      transport: async () => {
        attempts += 1;
        if (attempts === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        if (attempts === 2) throw Object.assign(new Error('slow'), { name: 'TimeoutError' });
        return { statusCode: 200, headers: {}, body: '{"Successful":[],"Failed":[]}' };
      },
    });
    // Act
    const output = await client.call('SendMessageBatch', BATCH);
    // Assess
    expect(output).toEqual({ Successful: [], Failed: [] });
    expect(delays).toEqual([100, 200]);
  });

  it('starts no attempt or wait that would run past the invocation’s deadline, keeping a second to answer', async () => {
    // Prepare: a silent server (each attempt lasts its whole timeout) and 4.5 s left in the invocation
    const clock = { ms: Date.parse('2026-12-02T12:00:00Z') };
    const deadline = clock.ms + 4_500;
    const timeouts: number[] = [];
    const client = new AwsJsonClient({
      service,
      env: ORACLE_ENV,
      random: () => 1,
      now: () => new Date(clock.ms),
      deadline: () => deadline,
      sleep: async (ms) => {
        clock.ms += ms;
      },
      transport: async (_request, timeoutMs) => {
        timeouts.push(timeoutMs);
        clock.ms += timeoutMs;
        throw Object.assign(new Error('no response'), { name: 'TimeoutError' });
      },
    });
    // Act
    const calling = client.call('SendMessageBatch', BATCH);
    // Assess: the second attempt gets what is left, there is no third, and a second remains to answer
    await expect(calling).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(timeouts).toEqual([3_000, 300]);
    expect(deadline - clock.ms).toBeGreaterThanOrEqual(1_000);
  });

  it('makes no attempt at all when the invocation has less than its answer margin left', async () => {
    // Prepare
    let attempts = 0;
    const now = Date.parse('2026-12-02T12:00:00Z');
    const client = new AwsJsonClient({
      service,
      env: ORACLE_ENV,
      now: () => new Date(now),
      deadline: () => now + 1_100,
      transport: async () => {
        attempts += 1;
        return { statusCode: 200, headers: {}, body: '{"Successful":[],"Failed":[]}' };
      },
    });
    // Act
    const calling = client.call('SendMessageBatch', BATCH);
    // Assess
    await expect(calling).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(attempts).toBe(0);
  });

  it('gives up on a silent server after the timeout of each attempt, over real HTTP', async () => {
    // Prepare: a server that reads requests and never answers
    let received = 0;
    const server = createServer(() => {
      received += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new AwsJsonClient({
      service,
      env: ORACLE_ENV,
      endpoint: `http://127.0.0.1:${port}`,
      timeoutMs: 50,
      maxAttempts: 2,
      sleep: async () => undefined,
    });
    try {
      // Act
      const error = await failureOf(client.call('SendMessageBatch', BATCH));
      // Assess
      expect(error.name).toBe('TimeoutError');
      expect(isRetryable(error)).toBe(true);
      expect(received).toBe(2);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('signs every attempt afresh (a retry after a long wait is not refused as expired)', async () => {
    // Prepare
    const dates: string[] = [];
    const client = new AwsJsonClient({
      service,
      env: ORACLE_ENV,
      sleep: async () => {
        vi.setSystemTime(new Date(Date.now() + 60_000));
      },
      transport: async (request) => {
        dates.push(request.headers['x-amz-date'] ?? '');
        return dates.length === 1
          ? { statusCode: 503, headers: {}, body: '' }
          : { statusCode: 200, headers: {}, body: '{}' };
      },
    });
    // Act
    await client.call('SendMessageBatch', BATCH);
    // Assess
    expect(dates).toEqual(['20261201T065249Z', '20261201T065349Z']);
  });

  it('takes credentials and region from the environment, and fails without them before any request', async () => {
    // Prepare
    const { transport, requests } = recordingTransport([{ statusCode: 200, body: '{}' }]);
    const withoutCredentials = new AwsJsonClient({ service, env: { AWS_REGION: ORACLE_REGION }, transport });
    const withoutToken = new AwsJsonClient({
      service,
      env: { ...ORACLE_ENV, AWS_SESSION_TOKEN: '' },
      transport,
    });
    // Act
    const refused = await withoutCredentials.call('SendMessageBatch', BATCH).catch((error: Error) => error);
    await withoutToken.call('SendMessageBatch', BATCH);
    // Assess
    expect(refused).toMatchObject({ name: 'CredentialsProviderError' });
    expect(isRetryable(refused)).toBe(false);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers['x-amz-security-token']).toBeUndefined();
    expect(signedHeaderNames(requests[0]?.headers.authorization)).not.toContain('x-amz-security-token');
  });

  it('uses an explicit endpoint, else AWS_ENDPOINT_URL_<SERVICE>, else the regional one', () => {
    // Prepare
    const at = ({ endpoint, env }: { endpoint?: string; env?: Record<string, string> }, target = service) =>
      new AwsJsonClient({
        service: target,
        env: { ...ORACLE_ENV, ...env },
        ...(endpoint ? { endpoint } : {}),
      }).signedRequest('SendMessageBatch', BATCH);
    // Act
    const urls = [
      at({ endpoint: 'http://127.0.0.1:4566', env: { AWS_ENDPOINT_URL_SQS: 'http://elsewhere:1' } }),
      at({ env: { AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324', AWS_ENDPOINT_URL: 'http://all:1' } }),
      at({ env: { AWS_ENDPOINT_URL: 'http://all:1' } }),
      at({}),
      at({}, SECRETS_MANAGER_SERVICE),
      at({ env: { AWS_REGION: 'cn-north-1' } }),
    ].map((request) => [request.url.href, request.headers.host]);
    // Assess
    expect(urls).toEqual([
      ['http://127.0.0.1:4566/', '127.0.0.1:4566'],
      ['http://127.0.0.1:9324/', '127.0.0.1:9324'],
      ['http://all:1/', 'all:1'],
      ['https://sqs.eu-west-1.amazonaws.com/', 'sqs.eu-west-1.amazonaws.com'],
      ['https://secretsmanager.eu-west-1.amazonaws.com/', 'secretsmanager.eu-west-1.amazonaws.com'],
      ['https://sqs.cn-north-1.amazonaws.com.cn/', 'sqs.cn-north-1.amazonaws.com.cn'],
    ]);
  });
});

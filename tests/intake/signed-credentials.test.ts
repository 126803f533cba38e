import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsJsonClient, type HttpRequest } from '#shared/aws/signed/aws-json.ts';
import { credentialsSource } from '#shared/aws/signed/credentials.ts';
import { SQS_SERVICE } from '#shared/aws/signed/sqs.ts';

/*
 * Without AWS_ACCESS_KEY_ID in the environment (Lambda SnapStart, containers), the signed requests
 * take their credentials from the container credentials endpoint: here a real local HTTP server
 * that answers as ECS/Lambda do and records what it was asked.
 */

interface Asked {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

const asked: Asked[] = [];
/** Status codes to answer before answering credentials (a 5xx is retried). */
const failures: number[] = [];
/** Bodies to answer, with 200, before answering credentials (a broken one is retried). */
const brokenBodies: string[] = [];
let expiresInMs = 3_600_000;

const server = createServer((request, response) => {
  asked.push({ path: request.url ?? '', headers: request.headers });
  const failure = failures.shift();
  if (failure) {
    response.statusCode = failure;
    response.end('{}');
    return;
  }
  response.setHeader('content-type', 'application/json');
  const broken = brokenBodies.shift();
  if (broken !== undefined) {
    response.end(broken);
    return;
  }
  response.end(
    JSON.stringify({
      AccessKeyId: `AKIDCONTAINER${asked.length}`,
      SecretAccessKey: 'container-secret',
      Token: 'container-session-token',
      Expiration: new Date(Date.now() + expiresInMs).toISOString(),
    }),
  );
});
let endpoint = '';
const directory = mkdtempSync(path.join(tmpdir(), 'switchboard-credentials-'));

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/2021-04-23/credentials`;
});
afterAll(() => {
  server.close();
  rmSync(directory, { recursive: true, force: true });
});

const reset = (): void => {
  asked.length = 0;
  failures.length = 0;
  brokenBodies.length = 0;
  expiresInMs = 3_600_000;
};

/** A client whose requests are recorded, never sent: only the credentials endpoint is real. */
const recordingClient = (env: NodeJS.ProcessEnv) => {
  const sent: HttpRequest[] = [];
  const client = new AwsJsonClient({
    service: SQS_SERVICE,
    env: { AWS_REGION: 'eu-west-1', ...env },
    transport: async (request) => {
      sent.push(request);
      return { statusCode: 200, headers: {}, body: '{}' };
    },
  });
  return { client, sent };
};

describe('signed requests: credentials from the container endpoint', () => {
  it("signs with the endpoint's credentials and session token, asking with the authorization token", async () => {
    // Prepare
    reset();
    const { client, sent } = recordingClient({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'snapstart-token',
    });
    // Act
    await client.call('SendMessageBatch', { QueueUrl: 'q', Entries: [] });
    await client.call('SendMessageBatch', { QueueUrl: 'q', Entries: [] });
    // Assess: one fetch for two calls, its keys in both signatures
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      path: '/2021-04-23/credentials',
      headers: { authorization: 'snapstart-token' },
    });
    expect(sent.map((request) => request.headers.authorization)).toEqual([
      expect.stringContaining('Credential=AKIDCONTAINER1/'),
      expect.stringContaining('Credential=AKIDCONTAINER1/'),
    ]);
    expect(sent[0]?.headers['x-amz-security-token']).toBe('container-session-token');
  });

  it('prefers the keys in the environment and never asks the endpoint then', async () => {
    // Prepare
    reset();
    const { client, sent } = recordingClient({
      AWS_ACCESS_KEY_ID: 'AKIDENVIRONMENT',
      AWS_SECRET_ACCESS_KEY: 'environment-secret',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint,
    });
    // Act
    await client.call('SendMessageBatch', { QueueUrl: 'q', Entries: [] });
    // Assess
    expect(asked).toHaveLength(0);
    expect(sent[0]?.headers.authorization).toContain('Credential=AKIDENVIRONMENT/');
  });

  it('reads the token file on every fetch, over the token variable', async () => {
    // Prepare
    reset();
    const tokenFile = path.join(directory, 'token');
    writeFileSync(tokenFile, 'token-from-file\n');
    let clock = Date.now();
    const source = credentialsSource(
      {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'token-from-variable',
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      },
      { now: () => clock },
    );
    // Act: a first fetch, then (the file rotated) a second once the credentials are near expiry
    const first = await source();
    writeFileSync(tokenFile, 'rotated-token');
    clock += 3_600_000 - 240_000;
    const second = await source();
    // Assess
    expect(asked.map((request) => request.headers.authorization)).toEqual([
      'token-from-file',
      'rotated-token',
    ]);
    expect([first.accessKeyId, second.accessKeyId]).toEqual(['AKIDCONTAINER1', 'AKIDCONTAINER2']);
  });

  it('keeps the credentials until five minutes before they expire', async () => {
    // Prepare
    reset();
    let clock = Date.now();
    const source = credentialsSource({ AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint }, { now: () => clock });
    // Act
    await source();
    clock += 3_600_000 - 360_000;
    await source();
    const fetchesWhileFresh = asked.length;
    clock += 120_000;
    await source();
    // Assess
    expect(fetchesWhileFresh).toBe(1);
    expect(asked).toHaveLength(2);
  });

  it('retries an endpoint that answers 5xx, and concurrent callers share one fetch', async () => {
    // Prepare
    reset();
    failures.push(503);
    const source = credentialsSource({ AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint });
    // Act
    const both = await Promise.all([source(), source()]);
    // Assess
    expect(asked).toHaveLength(2);
    expect(both.map((credentials) => credentials.accessKeyId)).toEqual(['AKIDCONTAINER2', 'AKIDCONTAINER2']);
  });

  it('refuses plain http to a host that is neither loopback nor a container agent, before any request', async () => {
    // Prepare
    reset();
    const { client, sent } = recordingClient({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://credentials.example.com/creds',
    });
    // Act
    const refused = await client
      .call('SendMessageBatch', { QueueUrl: 'q', Entries: [] })
      .catch((e: Error) => e);
    // Assess
    expect(refused).toMatchObject({ name: 'CredentialsProviderError' });
    expect(sent).toHaveLength(0);
  });

  it('never quotes the answer in its error when the endpoint keeps answering broken JSON', async () => {
    // Prepare: JSON.parse's own message would quote the text around the broken token, the keys.
    reset();
    const broken = '{"AccessKeyId":"AKIDBROKEN","SecretAccessKey":quoted-secret-key}';
    brokenBodies.push(broken, broken, broken);
    const source = credentialsSource({ AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint });
    // Act
    const refused = await source().catch((e: Error) => e);
    // Assess
    expect(refused).toMatchObject({ name: 'CredentialsProviderError' });
    expect(String((refused as Error).message)).toBe('credentials endpoint unreachable: SyntaxError');
    expect(String((refused as Error).message)).not.toContain('quoted-secret');
  });

  it('fails with a credentials error, unretried, when the endpoint refuses the token', async () => {
    // Prepare
    reset();
    failures.push(403);
    const { client, sent } = recordingClient({ AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint });
    // Act
    const refused = await client
      .call('SendMessageBatch', { QueueUrl: 'q', Entries: [] })
      .catch((e: Error) => e);
    // Assess
    expect(refused).toMatchObject({ name: 'CredentialsProviderError' });
    expect(asked).toHaveLength(1);
    expect(sent).toHaveLength(0);
  });
});

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetAccountCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsJsonClient } from '#shared/aws/signed/aws-json.ts';
import { DYNAMODB_SERVICE } from '#shared/aws/signed/dynamodb.ts';
import { SignedDynamoDbCommands } from '#shared/aws/signed/dynamodb-commands.ts';
import { SECRETS_MANAGER_SERVICE } from '#shared/aws/signed/secrets-manager.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localClients, startEmulators } from '#shared/local/emulators.ts';
import { startLocalHub } from '#shared/local/hub.ts';
import { usePlaceholderSignedRequests, usePlaceholderSigning } from '#shared/local/placeholder-signing.ts';
import { localQueueCalls } from '#shared/local/queue-client.ts';
import { WEBHOOK_ROUTES } from '#shared/local/routes.ts';
import { HUB_TABLE, INGEST_QUEUE } from '#shared/resources/definitions.ts';

/** A server that answers every request with an empty JSON object and keeps the headers it got. */
const recordingServer = async () => {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
};

const SIGV4_HEADER =
  /^AWS4-HMAC-SHA256 Credential=local\/(\d{8})\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=[a-z;-]+, Signature=([0-9a-f]{64})$/;

describe('placeholder signing for the local emulators', () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('sends a header of SigV4 form with no signature in place of the SDK signing the request', async () => {
    // Prepare
    const server = await recordingServer();
    stops.push(server.close);
    const client = (): DynamoDBClient =>
      new DynamoDBClient({ endpoint: server.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    const signed = client();
    const placeholder = client();
    stops.push(
      async () => signed.destroy(),
      async () => placeholder.destroy(),
    );
    const get = new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } });

    // Act
    const replaced = usePlaceholderSigning(placeholder);
    await signed.send(get);
    await placeholder.send(get);

    // Assess
    expect(replaced).toBe(true);
    const [real, fake] = server.seen.map((headers) => SIGV4_HEADER.exec(headers.authorization ?? ''));
    expect(real?.[2]).not.toBe('0'.repeat(64));
    expect(fake?.[2]).toBe('0'.repeat(64));
    expect(fake?.[1]).toBe(server.seen[1]?.['x-amz-date']?.slice(0, 8));
  });

  it('leaves the clients of services whose local stand-ins may check signatures as they are', async () => {
    // Prepare
    const server = await recordingServer();
    stops.push(server.close);
    const ses = new SESv2Client({
      endpoint: server.url,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    stops.push(async () => ses.destroy());

    // Act
    const replaced = usePlaceholderSigning(ses);
    await ses.send(new GetAccountCommand({})).catch(() => undefined);

    // Assess
    expect(replaced).toBe(false);
    expect(server.seen[0]?.authorization).toMatch(/Signature=(?!0{64})[0-9a-f]{64}$/);
  });

  it('is accepted by both emulators, which read the region from it', async () => {
    // Prepare
    const emulators = await startEmulators({ placeholderSigning: true });
    stops.push(() => emulators.stop());
    const { dynamodb, sqs } = localClients(emulators.endpoints, { placeholderSigning: true });
    stops.push(
      async () => dynamodb.destroy(),
      async () => sqs.destroy(),
    );
    const key = { pk: { S: 'TEST#placeholder' }, sk: { S: 'A' } };

    // Act
    await dynamodb.send(new PutItemCommand({ TableName: HUB_TABLE.name, Item: { ...key, n: { N: '7' } } }));
    const read = await dynamodb.send(new GetItemCommand({ TableName: HUB_TABLE.name, Key: key }));
    const queue = await sqs.send(new GetQueueUrlCommand({ QueueName: INGEST_QUEUE.name }));
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.QueueUrl,
        MessageBody: '{}',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd',
      }),
    );

    // Assess
    expect(read.Item?.n).toEqual({ N: '7' });
    expect(queue.QueueUrl).toContain(LOCAL_REGION);
    expect(sent.MessageId).toEqual(expect.any(String));
  });

  it("is how the hub's functions reach SQS through the SDK by default, and signing is still one option away", async () => {
    // Prepare
    const probe = {
      method: 'POST',
      path: '/test/signing',
      functionFile: join(import.meta.dirname, 'fixtures/signing-probe.ts'),
    } as const;
    const probeIn = async (placeholderSigning: boolean | undefined) => {
      const hub = await startLocalHub({
        port: 0,
        inMemory: true,
        routes: [...WEBHOOK_ROUTES, probe],
        helpdeskApi: false,
        attentionSweepIntervalMs: false,
        ...(placeholderSigning === undefined ? {} : { placeholderSigning }),
      });
      stops.push(() => hub.stop());
      const response = await fetch(`${hub.urls.base}${probe.path}`, { method: 'POST' });
      return (await response.json()) as {
        steps: string[];
        sqsAuthorization: string;
        dynamodbAuthorization: string;
      };
    };

    // Act
    const byDefault = await probeIn(undefined);
    const signing = await probeIn(false);

    // Assess
    expect(byDefault.steps.join()).toContain('switchboardPlaceholderSigning');
    expect(byDefault.steps.join()).not.toContain('httpSigningMiddleware');
    expect(signing.steps.join()).toContain('httpSigningMiddleware');
    expect(signing.steps.join()).not.toContain('switchboardPlaceholderSigning');
    // The functions' own signed requests (shared/aws/signed/) to SQS and DynamoDB, likewise.
    for (const authorization of [byDefault.sqsAuthorization, byDefault.dynamodbAuthorization])
      expect(authorization).toMatch(/Signature=0{64}$/);
    for (const authorization of [signing.sqsAuthorization, signing.dynamodbAuthorization])
      expect(authorization).toMatch(/Signature=(?!0{64})[0-9a-f]{64}$/);
  });

  it("replaces SigV4 in a thread's signed requests to DynamoDB and SQS only, until undone", async () => {
    // Prepare
    const server = await recordingServer();
    stops.push(server.close);
    const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'secret' };
    const dynamodb = new AwsJsonClient({ service: DYNAMODB_SERVICE, endpoint: server.url, env });
    const secrets = new AwsJsonClient({ service: SECRETS_MANAGER_SERVICE, endpoint: server.url, env });

    // Act
    const undo = usePlaceholderSignedRequests();
    try {
      await dynamodb.call('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } });
      await secrets.call('GetSecretValue', { SecretId: 's' });
    } finally {
      undo();
    }
    await dynamodb.call('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } });

    // Assess
    const [placeholder, secret, signedAgain] = server.seen;
    expect(placeholder?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=host;x-amz-date, Signature=0{64}$/,
    );
    expect(placeholder?.['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(placeholder?.['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(secret?.authorization).toMatch(/Signature=(?!0{64})[0-9a-f]{64}$/);
    expect(signedAgain?.authorization).toMatch(/Signature=(?!0{64})[0-9a-f]{64}$/);
  });

  it('is accepted in signed requests by both emulators: the item calls and the local event sources', async () => {
    // Prepare
    const emulators = await startEmulators({ placeholderSigning: true });
    stops.push(() => emulators.stop());
    const env = { AWS_REGION: LOCAL_REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
    const table = new SignedDynamoDbCommands({ endpoint: emulators.endpoints.dynamodb, env });
    const queues = localQueueCalls(emulators.endpoints.sqs, { placeholderSigning: true });
    const key = { pk: { S: 'TEST#placeholder-signed' }, sk: { S: 'A' } };
    const undo = usePlaceholderSignedRequests();
    stops.push(async () => undo());

    // Act
    await table.send(new PutItemCommand({ TableName: HUB_TABLE.name, Item: { ...key, n: { N: '8' } } }));
    const read = await table.send(new GetItemCommand({ TableName: HUB_TABLE.name, Key: key }));
    const attributes = await queues.getQueueAttributes(emulators.resources.ingestQueueUrl, ['QueueArn']);

    // Assess
    expect(read.Item?.n).toEqual({ N: '8' });
    expect(attributes.QueueArn).toContain(LOCAL_REGION);
  });
});

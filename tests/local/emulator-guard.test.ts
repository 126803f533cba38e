import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { corsHeadersOf, rawRequest } from '#tests/support/raw-http.ts';

/*
 * A web page the developer visits can send requests to the emulators' loopback ports; neither checks
 * a signature. Both refuse what only a page sends (an Origin header, a rebound Host), and fauxqs serves
 * the payload bucket's objects as downloads that cannot run script on its origin.
 */

const ATTACKER = 'https://attacker.example';
/** SigV4's form with a signature nobody computed: the emulators never check it. */
const FAKE_SIGV4 =
  'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00';

const scanRequest = (tableName: string, headers: Record<string, string>) => ({
  method: 'POST',
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.Scan',
    authorization: FAKE_SIGV4,
    'x-amz-date': '20260101T000000Z',
    ...headers,
  },
  body: JSON.stringify({ TableName: tableName }),
});

describe.each([
  ['in its own thread', true],
  ['on the calling thread (the benchmark baseline)', false],
])('the DynamoDB emulator %s', (_placement, dynamoInThread) => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startEmulators({ dynamoInThread });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('refuses a Scan from a web page, without a CORS header to read the refusal by', async () => {
    // Prepare
    const { dynamodb } = emulators.endpoints;
    const port = new URL(dynamodb).port;
    // Act
    const answer = await rawRequest(
      `${dynamodb}/`,
      scanRequest(emulators.resources.tableName, { host: `127.0.0.1:${port}`, origin: ATTACKER }),
    );
    // Assess
    expect(answer.status).toBe(403);
    expect(corsHeadersOf(answer)).toEqual([]);
    expect(answer.body).not.toContain('Items');
  });

  it('refuses a rebound Host, and answers the same Scan at localhost on its port', async () => {
    // Prepare
    const { dynamodb } = emulators.endpoints;
    const port = new URL(dynamodb).port;
    const tableName = emulators.resources.tableName;
    // Act
    const rebound = await rawRequest(
      `${dynamodb}/`,
      scanRequest(tableName, { host: `attacker.example:${port}` }),
    );
    const local = await rawRequest(`${dynamodb}/`, scanRequest(tableName, { host: `localhost:${port}` }));
    // Assess
    expect(rebound.status).toBe(403);
    expect(local.status).toBe(200);
    expect(JSON.parse(local.body)).toHaveProperty('Items');
  });

  it('refuses a Scan a proxy relayed (until 2026-12-06 the thread served it; found by a review)', async () => {
    // Prepare: a loopback Host, as a tunnel pointed at the port rewrites it, and the header it adds
    const { dynamodb } = emulators.endpoints;
    const port = new URL(dynamodb).port;
    // Act
    const answer = await rawRequest(
      `${dynamodb}/`,
      scanRequest(emulators.resources.tableName, {
        host: `127.0.0.1:${port}`,
        'x-forwarded-for': '203.0.113.7',
      }),
    );
    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain('Items');
  });
});

describe('the SQS/S3 emulator', () => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const putObject = (key: string, contentType: string, body: string) =>
    emulators.clients.s3.send(
      new PutObjectCommand({
        Bucket: emulators.resources.bucketName,
        Key: key,
        ContentType: contentType,
        Body: body,
      }),
    );

  it('refuses a page’s send to the outbox, and the outbox stays empty', async () => {
    // Prepare
    const { sqs } = emulators.endpoints;
    const QueueUrl = emulators.resources.outboxQueueUrl;
    // Act
    const answer = await rawRequest(`${sqs}/`, {
      method: 'POST',
      headers: {
        host: new URL(sqs).host,
        origin: ATTACKER,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.SendMessage',
      },
      body: JSON.stringify({
        QueueUrl,
        MessageBody: '{"forged":true}',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'forged-1',
      }),
    });
    const outbox = await emulators.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    // Assess
    expect(answer.status).toBe(403);
    expect(corsHeadersOf(answer)).toEqual([]);
    expect(outbox.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('refuses a rebound Host, and answers the queue URLs’ own sqs.<region>.localhost name', async () => {
    // Prepare
    const { sqs } = emulators.endpoints;
    const port = new URL(sqs).port;
    const QueueUrl = emulators.resources.outboxQueueUrl;
    const queueHost = new URL(QueueUrl).host;
    const describeQueue = (host: string) =>
      rawRequest(`${sqs}/`, {
        method: 'POST',
        headers: {
          host,
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'AmazonSQS.GetQueueAttributes',
        },
        body: JSON.stringify({ QueueUrl, AttributeNames: ['QueueArn'] }),
      });
    // Act
    const rebound = await describeQueue(`attacker.example:${port}`);
    const named = await describeQueue(queueHost);
    // Assess
    expect(queueHost).toMatch(/\.localhost:\d+$/);
    expect(rebound.status).toBe(403);
    expect(named.status).toBe(200);
    expect(named.body).toContain('QueueArn');
  });

  it('serves a presigned download as the URL asks: an attachment, not sniffed, sandboxed', async () => {
    // Prepare
    const key = 'attachments/test/invoice.html';
    const html = '<script>fetch("/_fauxqs/queues")</script>';
    await putObject(key, 'text/html', html);
    const media = s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3);
    // A name the hub makes up, as every download's is (shared/api/media.ts).
    const url = await media.presignGet(key, 300, 'attachment-0.html');
    // Act: a top-level navigation (the console's Download link) sends no Origin.
    const answer = await rawRequest(url);
    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(html);
    expect(answer.headers['content-disposition']).toBe('attachment; filename="attachment-0.html"');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['content-security-policy']).toBe('sandbox');
  });

  it('serves an object as an attachment when the URL asks nothing, or asks with a line break', async () => {
    // Prepare
    const key = 'attachments/test/drawing.svg';
    await putObject(key, 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    const objectUrl = `${emulators.endpoints.s3}/${emulators.resources.bucketName}/${key}`;
    // Act
    const plain = await rawRequest(objectUrl);
    const injected = await rawRequest(
      `${objectUrl}?response-content-disposition=${encodeURIComponent('inline\r\nx-injected: 1')}`,
    );
    const head = await rawRequest(objectUrl, { method: 'HEAD' });
    // Assess
    expect(plain.status).toBe(200);
    expect(plain.headers['content-disposition']).toBe('attachment');
    expect(plain.headers['content-security-policy']).toBe('sandbox');
    expect(injected.status).toBe(200);
    expect(injected.headers['content-disposition']).toBe('attachment');
    expect(injected.headers['x-injected']).toBeUndefined();
    expect(head.headers['content-disposition']).toBe('attachment');
    expect(head.headers['x-content-type-options']).toBe('nosniff');
  });
});

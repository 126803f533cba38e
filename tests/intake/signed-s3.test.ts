import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HttpRequest, HttpResponse } from '#shared/aws/signed/http.ts';
import { SignedS3BlobStore } from '#shared/aws/signed/s3.ts';
import { LOCAL_SIGNING_ENV, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { attachmentBlob } from '#shared/media/stored-type.ts';
import {
  ORACLE_CREDENTIALS,
  ORACLE_ENV,
  ORACLE_NOW,
  ORACLE_REGION,
  type RecordedRequest,
  recordingHandler,
  resignedBySigner,
  signedHeaderNames,
} from '#tests/support/signed-oracle.ts';

/*
 * The webhooks' signed S3 PutObject (shared/aws/signed/s3.ts) against the AWS SDK as oracle: the
 * SDK's S3 client signs the same object and our signer reproduces its Authorization header; the
 * request carries the same URL, payload hash, type, length and encryption. Then against the local
 * S3 server: what the signed put stores is what the SDK reads back, and a refusal is named as the
 * SDK names it.
 */

const BUCKET = 'switchboard-payloads-123456789012-eu-west-1';
const BLOB = {
  // Characters S3 keys may hold that URL encoders disagree on.
  key: "payloads/email/2026-12-01/a b+c(1)*'!~.eml",
  contentType: 'message/rfc822',
  bytes: new TextEncoder().encode('Subject: Grüße\r\n\r\n🙂 body\r\n'),
};

describe('signed PutObject against the AWS SDK as oracle', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(ORACLE_NOW);
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  const sdkRequest = async (): Promise<RecordedRequest> => {
    const recording = recordingHandler();
    const sdk = new S3Client({
      region: ORACLE_REGION,
      credentials: ORACLE_CREDENTIALS,
      requestHandler: recording.handler,
      // The signed put proves its bytes by their SHA-256 (x-amz-content-sha256), not a CRC header.
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    await sdk.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: BLOB.key,
        Body: BLOB.bytes,
        ContentType: BLOB.contentType,
        ContentLength: BLOB.bytes.byteLength,
        ServerSideEncryption: 'AES256',
      }),
    );
    const request = recording.requests[0];
    if (!request) throw new Error('the SDK sent nothing');
    return request;
  };

  it('signs exactly as the SDK: same Authorization over the headers the SDK signed', async () => {
    // Prepare
    const expected = await sdkRequest();
    // Act
    const ours = resignedBySigner(expected, 's3', { body: BLOB.bytes, uriEscapePath: false });
    // Assess
    expect(ours.authorization).toBe(expected.headers.authorization);
  });

  it('sends the request the SDK sends: URL, payload hash, type, length, encryption, token', async () => {
    // Prepare
    const expected = await sdkRequest();
    const store = new SignedS3BlobStore({ bucket: BUCKET, env: ORACLE_ENV });
    // Act
    const actual = store.signedPut(BLOB);
    // Assess
    expect(actual.method).toBe(expected.method);
    expect(actual.url.href).toBe(expected.url.href);
    for (const name of [
      'content-type',
      'content-length',
      'x-amz-content-sha256',
      'x-amz-server-side-encryption',
      'x-amz-security-token',
      'x-amz-date',
    ]) {
      expect(actual.headers[name], name).toBe(expected.headers[name]);
    }
    expect(actual.headers['x-amz-content-sha256']).toBe(
      createHash('sha256').update(BLOB.bytes).digest('hex'),
    );
    expect(Buffer.from(actual.body).equals(Buffer.from(BLOB.bytes))).toBe(true);
    expect(signedHeaderNames(actual.headers.authorization)).toEqual(
      Object.keys(actual.headers)
        .filter((name) => name !== 'authorization')
        .sort(),
    );
  });

  it('retries S3 throttling and a 5xx, and gives up at once on a refusal', async () => {
    // Prepare
    const answers: HttpResponse[] = [
      { statusCode: 503, headers: {}, body: '<Error><Code>SlowDown</Code><Message>x</Message></Error>' },
      { statusCode: 500, headers: {}, body: '<Error><Code>InternalError</Code></Error>' },
      { statusCode: 200, headers: {}, body: '' },
      { statusCode: 403, headers: {}, body: '<Error><Code>AccessDenied</Code></Error>' },
    ];
    const sent: HttpRequest[] = [];
    const store = new SignedS3BlobStore({
      bucket: BUCKET,
      env: ORACLE_ENV,
      sleep: async () => undefined,
      transport: async (request) => {
        sent.push(request);
        return answers[sent.length - 1] as HttpResponse;
      },
    });
    // Act
    await store.put(BLOB);
    const refusal = await store.put(BLOB).then(
      () => undefined,
      (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } },
    );
    // Assess
    expect(sent).toHaveLength(4);
    expect(refusal?.name).toBe('AccessDenied');
    expect(refusal?.$metadata?.httpStatusCode).toBe(403);
  });
});

describe('signed PutObject against the local S3 server', () => {
  let emulators: RunningEmulators;
  const env = LOCAL_SIGNING_ENV;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const localStore = (bucket = emulators.resources.bucketName) =>
    new SignedS3BlobStore({ bucket, endpoint: emulators.endpoints.s3, forcePathStyle: true, env });
  const readBack = (key: string) =>
    emulators.clients.s3.send(new GetObjectCommand({ Bucket: emulators.resources.bucketName, Key: key }));

  it('stores the bytes and type the SDK then reads back', async () => {
    // Act
    await localStore().put(BLOB);
    const read = await readBack(BLOB.key);
    // Assess
    expect(read.ContentType).toBe(BLOB.contentType);
    expect(Buffer.from((await read.Body?.transformToByteArray()) ?? []).equals(Buffer.from(BLOB.bytes))).toBe(
      true,
    );
  });

  it.each([
    ['a type with characters outside ASCII', 'application/日本', 'application/octet-stream'],
    ['a Latin-1 type (sent as other bytes than signed)', 'application/pdfé', 'application/octet-stream'],
    ['a type with a line break', 'text/plain\r\nx-amz-acl: public-read', 'application/octet-stream'],
    [
      'a plain type with its parameters, as e-mail bodies are stored',
      'text/plain; charset=utf-8',
      'text/plain; charset=utf-8',
    ],
  ])('stores an object whose declared type is %s (%s) as %s', async (_, declared, stored) => {
    // Prepare: an e-mail attachment's Content-Type is the sender's text
    const blob = {
      ...BLOB,
      key: `attachments/declared-type/${Buffer.from(declared).toString('hex')}`,
      contentType: declared,
    };
    // Act
    await localStore().put(blob);
    const read = await readBack(blob.key);
    // Assess
    expect(read.ContentType).toBe(stored);
  });

  it("stores an e-mail's SVG attachment as an application/octet-stream download (active content; found by a security review)", async () => {
    // Prepare
    const blob = attachmentBlob('attachments/declared-type/svg', 'image/svg+xml', BLOB.bytes);
    // Act
    await localStore().put(blob);
    const read = await readBack(blob.key);
    // Assess
    expect(read.ContentType).toBe('application/octet-stream');
    expect(blob.contentDisposition).toBe('attachment');
  });

  it('fails on a bucket that does not exist with the SDK client’s error name', async () => {
    // Prepare
    const store = localStore('no-such-bucket');
    const sdkError = await emulators.clients.s3
      .send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' }))
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    // Act
    const ours = await store.put({ key: 'k', contentType: 'text/plain', bytes: new Uint8Array([120]) }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    // Assess
    expect(sdkError?.name).toBeDefined();
    expect(ours?.name).toBe(sdkError?.name);
  });
});

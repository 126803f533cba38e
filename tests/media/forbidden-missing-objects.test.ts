import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError } from '#shared/aws/blob-store.ts';
import { MediaObjectChangedError, s3MediaObjects } from '#shared/aws/media-objects.ts';
import { readClaimCheck } from '#shared/recorder/wiring.ts';

/*
 * Every reader of the payload bucket (the helpdesk API's attachment URLs and the sender's files
 * sent by key through s3MediaObjects, the recorder's claim checks) against a local S3 stand-in that
 * answers a read of a missing key 403 AccessDenied, as S3 does for a reader whose s3:ListBucket
 * does not cover the key. One rule (shared/aws/missing-object.ts): the key is listed, and a key the
 * listing does not find is missing; one it finds, or whose listing is refused too, is a refusal.
 */

const BUCKET = 'payloads';

interface StandIn {
  /** Objects the bucket holds. */
  readonly objects: Map<string, { readonly bytes: Uint8Array; readonly contentType: string }>;
  /** Reads of existing keys refused too (a reader without s3:GetObject). */
  refuseReads: boolean;
  /** ListObjectsV2 refused. */
  refuseListing: boolean;
  /** What was asked: `HEAD key`, `GET key`, `LIST prefix`. */
  readonly requests: string[];
}

const standIn: StandIn = { objects: new Map(), refuseReads: false, refuseListing: false, requests: [] };

const ACCESS_DENIED =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const server: Server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const [, bucket, ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const deny = () => {
    response.writeHead(403, { 'content-type': 'application/xml' });
    response.end(request.method === 'HEAD' ? undefined : ACCESS_DENIED);
  };
  if (bucket !== BUCKET) return deny();
  if (key === '' && url.searchParams.get('list-type') === '2') {
    const prefix = url.searchParams.get('prefix') ?? '';
    standIn.requests.push(`LIST ${prefix}`);
    if (standIn.refuseListing) return deny();
    const keys = [...standIn.objects.keys()]
      .filter((each) => each.startsWith(prefix))
      .sort()
      .slice(0, 1);
    response.writeHead(200, { 'content-type': 'application/xml' });
    return response.end(
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${BUCKET}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1</MaxKeys>` +
        `<IsTruncated>false</IsTruncated>${keys.map((each) => `<Contents><Key>${escapeXml(each)}</Key><Size>1</Size></Contents>`).join('')}</ListBucketResult>`,
    );
  }
  standIn.requests.push(`${request.method} ${key}`);
  const object = standIn.objects.get(key);
  // What S3 does for a reader that may not list the key: missing or not, 403.
  if (!object || standIn.refuseReads) return deny();
  response.writeHead(200, { 'content-type': object.contentType, 'content-length': object.bytes.byteLength });
  response.end(request.method === 'HEAD' ? undefined : Buffer.from(object.bytes));
});

let client: S3Client;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new S3Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  standIn.objects.clear();
  standIn.refuseReads = false;
  standIn.refuseListing = false;
  standIn.requests.length = 0;
});

const media = () => s3MediaObjects(BUCKET, async () => client);
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('a missing object S3 answers 403', () => {
  it('is gone for the helpdesk API and the sender: HEAD is undefined, a read is MediaObjectChangedError', async () => {
    // Prepare
    const key = 'media/outbound/0a1b2c3d/file.pdf';
    standIn.objects.set('media/outbound/0a1b2c3d/other.pdf', {
      bytes: new Uint8Array(3),
      contentType: 'application/pdf',
    });
    // Act
    const head = await media().head(key);
    const read = await failureOf(media().read(key, 10));
    const open = await failureOf(media().open(key, 3));
    // Assess
    expect(head).toBeUndefined();
    expect(read).toBeInstanceOf(MediaObjectChangedError);
    expect(open).toBeInstanceOf(MediaObjectChangedError);
    expect(standIn.requests).toEqual([
      `HEAD ${key}`,
      `LIST ${key}`,
      `GET ${key}`,
      `LIST ${key}`,
      `GET ${key}`,
      `LIST ${key}`,
    ]);
  });

  it('is a lost claim check for the recorder', async () => {
    // Act
    const failure = await failureOf(readClaimCheck(client, BUCKET, 'bodies/events/conv_1/abc.json'));
    // Assess
    expect(failure).toBeInstanceOf(BlobNotFoundError);
    expect(standIn.requests).toEqual([
      'GET bodies/events/conv_1/abc.json',
      'LIST bodies/events/conv_1/abc.json',
    ]);
  });

  it('reads an object that is there as before', async () => {
    // Prepare
    const key = 'attachments/conv_1/msg_1/0';
    standIn.objects.set(key, { bytes: new Uint8Array([1, 2, 3]), contentType: 'image/png' });
    // Act
    const head = await media().head(key);
    const bytes = await media().read(key, 10);
    // Assess
    expect(head).toMatchObject({ bytes: 3, contentType: 'image/png' });
    expect([...bytes]).toEqual([1, 2, 3]);
    expect(standIn.requests).toEqual([`HEAD ${key}`, `GET ${key}`]);
  });

  it.each([
    [
      'the object is there (the read itself is refused)',
      { refuseReads: true, refuseListing: false, present: true },
    ],
    ['the listing is refused too', { refuseReads: false, refuseListing: true, present: false }],
  ])('stands as a refusal when %s', async (_case, setup) => {
    // Prepare
    const key = 'media/outbound/0a1b2c3d/file.pdf';
    const claimCheck = 'bodies/events/conv_1/abc.json';
    standIn.refuseReads = setup.refuseReads;
    standIn.refuseListing = setup.refuseListing;
    if (setup.present)
      for (const each of [key, claimCheck])
        standIn.objects.set(each, { bytes: new Uint8Array(3), contentType: 'application/pdf' });
    // Act
    const failures = [
      await failureOf(media().head(key)),
      await failureOf(media().read(key, 10)),
      await failureOf(readClaimCheck(client, BUCKET, claimCheck)),
    ];
    // Assess
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(MediaObjectChangedError);
      expect(failure).not.toBeInstanceOf(BlobNotFoundError);
      expect((failure as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    }
  });
});

import { type GetObjectCommandOutput, S3Client, type ServiceOutputTypes } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isSendableMediaKey,
  MediaObjectTooLargeError,
  s3MediaObjects,
  uploadDisposition,
} from '#shared/aws/media-objects.ts';

/*
 * The presigned URLs of the payload bucket's media, as S3 will check them: signed offline with
 * made-up session credentials (nothing is sent). A PUT URL binds the type and the size and carries
 * no checksum of the empty body it was signed without (S3 would refuse every upload through it).
 */

const client = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session-token' },
});
const media = s3MediaObjects('payloads', async () => client);

/** A client whose every call answers `answer` (an output, or an error thrown) without leaving the process. */
const answering = (answer: (command: string) => ServiceOutputTypes) => {
  const fake = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  fake.middlewareStack.add(
    (_next, context) => async () => ({ response: {}, output: answer(String(context.commandName)) }),
    { step: 'initialize', name: 'answerInProcess' },
  );
  return fake;
};
/** A GetObject answer of `bytes` sevens (only the body's byte-array reader, which `read` uses). */
const bodyOf = (bytes: number) =>
  ({
    $metadata: {},
    ContentLength: bytes,
    Body: { transformToByteArray: async () => new Uint8Array(bytes).fill(7) },
  }) as unknown as GetObjectCommandOutput;

/**
 * A presigned URL as text without its signing parameters: their hex and dates could hold a short
 * run of digits (`151` at 15:1x), which is no piece of a file name.
 */
const unsignedText = (url: string): string => {
  const parsed = new URL(url);
  for (const name of ['X-Amz-Signature', 'X-Amz-Date', 'X-Amz-Credential', 'X-Amz-Security-Token'])
    parsed.searchParams.delete(name);
  return decodeURIComponent(parsed.href);
};

describe('presigned media URLs', () => {
  afterAll(() => client.destroy());

  it('signs a PUT for exactly the type and size, with no body checksum in the URL', async () => {
    // Act
    const url = new URL(await media.presignPut('media/outbound/abc/photo.jpg', 'image/jpeg', 1234, 900));
    // Assess
    const query = url.searchParams;
    expect(url.pathname).toBe('/media/outbound/abc/photo.jpg');
    expect(query.get('X-Amz-Expires')).toBe('900');
    expect(query.get('X-Amz-Security-Token')).toBe('session-token');
    expect(query.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['content-length', 'content-type', 'host', 'x-amz-server-side-encryption']),
    );
    expect([...query.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
  });

  it("signs a PUT's file name as a Content-Disposition header, never into the URL", async () => {
    // Act
    const filename = 'Invoice jane.doe@example.com +49 151 12345678.pdf';
    const url = new URL(
      await media.presignPut('media/outbound/abc/file.pdf', 'application/pdf', 10, 900, filename),
    );
    // Assess
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-disposition');
    expect(unsignedText(url.href)).not.toMatch(/Invoice|jane|example\.com|151|12345678/);
    expect(uploadDisposition(filename)).toBe(
      "attachment; filename*=UTF-8''Invoice%20jane.doe%40example.com%20%2B49%20151%2012345678.pdf",
    );
  });

  it('reads back the name an upload stored, and nothing from any other Content-Disposition', async () => {
    // Prepare
    const names = ['Zdjęcie (1)*.JPG', `${'😀'.repeat(100)}'a.pdf`, 'half \ud83d.pdf'];
    const dispositions = [
      ...names.map(uploadDisposition),
      'attachment; filename="x.pdf"',
      'inline',
      "attachment; filename*=UTF-8''%E0%A4%A",
      `attachment; filename*=UTF-8''${'a'.repeat(256)}`,
    ];
    // Act
    const read = [];
    for (const disposition of dispositions) {
      const fake = answering(() => ({ $metadata: {}, ContentLength: 3, ContentDisposition: disposition }));
      read.push((await s3MediaObjects('payloads', async () => fake).head('media/outbound/a/file'))?.filename);
      fake.destroy();
    }
    // Assess
    expect(read).toEqual([
      'Zdjęcie (1)*.JPG',
      `${'😀'.repeat(100)}'a.pdf`,
      'half \ufffd.pdf',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('signs a GET that answers as a download under a name the hub made up, and refuses any other name', async () => {
    // Act
    const url = new URL(await media.presignGet('attachments/conv_1/msg_1/0', 300, 'attachment-0.pdf'));
    const refused = await Promise.all(
      [
        'Faktura 11.pdf',
        'jane.doe@example.com.pdf',
        '+14155550123.pdf',
        'Zdjęcie.jpg',
        '../x',
        'a'.repeat(65),
      ].map((name) =>
        media.presignGet('attachments/conv_1/msg_1/0', 300, name).then(String, (error: unknown) => error),
      ),
    );
    // Assess
    expect(url.pathname).toBe('/attachments/conv_1/msg_1/0');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('response-content-disposition')).toBe(
      'attachment; filename="attachment-0.pdf"',
    );
    for (const answer of refused) expect(answer).toBeInstanceOf(Error);
  });

  it('reads an object within its bound and refuses one past it; HEAD of a missing object is undefined', async () => {
    // Prepare
    const small = answering(() => bodyOf(4));
    const large = answering(() => bodyOf(11));
    const missing = answering(() => {
      throw Object.assign(new Error('not found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    });
    // Act
    const read = await s3MediaObjects('payloads', async () => small).read('media/outbound/a/f', 10);
    const refused = await s3MediaObjects('payloads', async () => large)
      .read('media/outbound/a/f', 10)
      .catch((error: unknown) => error);
    const head = await s3MediaObjects('payloads', async () => missing).head('media/outbound/a/f');
    // Assess
    expect([...read]).toEqual([7, 7, 7, 7]);
    expect(refused).toBeInstanceOf(MediaObjectTooLargeError);
    expect(head).toBeUndefined();
    for (const fake of [small, large, missing]) fake.destroy();
  });

  it('lets a send name only uploads and stored attachments, by safe keys', () => {
    // Act
    const verdicts = [
      'media/outbound/0f1e/photo.jpg',
      'attachments/conv_1/msg_1/0',
      'media/outbound/',
      'raw/email/abc',
      'media/outbound/../raw/email/abc',
      'media/outbound/a//b',
      // S3 counts a key's bytes: 1,000 letters of two UTF-8 bytes each are no key of the bucket
      `media/outbound/${'ä'.repeat(1000)}`,
      `media/outbound/${'a'.repeat(1000)}`,
    ].map(isSendableMediaKey);
    // Assess
    expect(verdicts).toEqual([true, true, false, false, false, false, false, true]);
  });
});

import { describe, expect, it } from 'vitest';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { SignedS3BlobStore } from '#shared/aws/signed/s3.ts';
import type { BlobToStore } from '#shared/channels/inbound.ts';
import { attachmentBlob, storedAttachmentType } from '#shared/media/stored-type.ts';
import { streamToS3 } from '#shared/media/upload.ts';
import { ORACLE_ENV } from '#tests/support/signed-oracle.ts';

/*
 * A customer's file is stored as a download, never as active content: every object under
 * `attachments/` carries `Content-Disposition: attachment`, and HTML, XML (SVG, XHTML, any `+xml`),
 * scripts and a type whose signature the bytes lack are stored as `application/octet-stream`
 * (shared/media/stored-type.ts). The media fetcher's PutObject and CreateMultipartUpload, and the
 * webhooks' e-mail attachments (SDK and signed puts) alike. Found by a security review: a WhatsApp
 * document declared text/html, or an e-mail attachment image/svg+xml, was served inline on the
 * bucket's origin by any URL other than the helpdesk API's.
 */

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const HTML = ascii('<!doctype html><script>fetch("/")</script>');
const SVG = ascii('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const PDF = ascii('%PDF-1.7\n%âãÏÓ\n');
const ZIP = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]);
const MP3_MPEG2 = new Uint8Array([0xff, 0xf3, 0x44, 0xc4, 0, 0, 0, 0]);
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

describe('the type an attachment object is stored as', () => {
  it.each([
    ['text/html', HTML],
    ['Text/HTML; charset=utf-8', HTML],
    ['image/svg+xml', SVG],
    ['application/xhtml+xml', HTML],
    ['application/rss+xml', HTML],
    ['text/xml', SVG],
    ['application/xml', SVG],
    ['text/javascript', HTML],
    ['application/javascript', HTML],
    ['image/png', HTML],
    ['application/pdf', HTML],
    ['image/jpeg', PNG],
  ])('%s (active, or bytes without its signature) is stored as application/octet-stream', (type, head) => {
    // Act
    const stored = storedAttachmentType(type, head);
    // Assess
    expect(stored).toBe('application/octet-stream');
  });

  it.each([
    ['image/png', PNG],
    ['application/pdf', PDF],
    ['text/plain; charset=utf-8', ascii('hello')],
    ['text/csv', ascii('a,b\n1,2\n')],
    [DOCX, ZIP],
    ['audio/mpeg', MP3_MPEG2],
    ['application/octet-stream', HTML],
  ])('%s is stored as it is', (type, head) => {
    // Act
    const stored = storedAttachmentType(type, head);
    // Assess
    expect(stored).toBe(type);
  });
});

/** An S3 client that records each command's name and input, and answers what the uploader needs. */
const recordingS3 = () => {
  const sent: { readonly name: string; readonly input: Record<string, unknown> }[] = [];
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    sent.push({ name: command.constructor.name, input: command.input });
    return command.constructor.name === 'CreateMultipartUploadCommand' ? { UploadId: 'u1' } : { ETag: '"e"' };
  };
  return { sent, s3: { send } as never };
};

async function* chunksOf(bytes: Uint8Array, size = 700) {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

/** What the uploader wrote the object with: its type and disposition, on each creating call. */
const writesOf = (sent: ReturnType<typeof recordingS3>['sent']) =>
  sent
    .filter(({ name }) => name === 'PutObjectCommand' || name === 'CreateMultipartUploadCommand')
    .map(({ name, input }) => ({
      name,
      ContentType: input.ContentType,
      ContentDisposition: input.ContentDisposition,
    }));

describe("the media fetcher's writes", () => {
  it('stores a WhatsApp document declared text/html as an application/octet-stream download, and says what it is', async () => {
    // Prepare
    const recording = recordingS3();
    // Act
    const stored = await streamToS3(recording.s3, chunksOf(HTML), {
      bucket: 'payloads',
      key: 'attachments/conv_1/msg_1/0',
      declaredType: 'text/html',
    });
    // Assess
    expect(writesOf(recording.sent)).toEqual([
      { name: 'PutObjectCommand', ContentType: 'application/octet-stream', ContentDisposition: 'attachment' },
    ]);
    expect(stored).toMatchObject({ contentType: 'application/octet-stream', mimeType: 'text/html' });
  });

  it('stores a large SVG through a multipart upload the same way', async () => {
    // Prepare
    const recording = recordingS3();
    const big = new Uint8Array(2_500).fill(0x20);
    big.set(SVG);
    // Act
    const stored = await streamToS3(recording.s3, chunksOf(big), {
      bucket: 'payloads',
      key: 'attachments/conv_1/msg_1/1',
      declaredType: 'image/svg+xml',
      partBytes: 1_000,
    });
    // Assess
    expect(writesOf(recording.sent)).toEqual([
      {
        name: 'CreateMultipartUploadCommand',
        ContentType: 'application/octet-stream',
        ContentDisposition: 'attachment',
      },
    ]);
    expect(stored).toMatchObject({ contentType: 'application/octet-stream', mimeType: 'image/svg+xml' });
  });

  it('stores a photo as the image it is, as a download too', async () => {
    // Prepare
    const recording = recordingS3();
    // Act
    const stored = await streamToS3(recording.s3, chunksOf(PNG), {
      bucket: 'payloads',
      key: 'attachments/conv_1/msg_1/2',
      declaredType: 'image/png',
    });
    // Assess
    expect(writesOf(recording.sent)).toEqual([
      { name: 'PutObjectCommand', ContentType: 'image/png', ContentDisposition: 'attachment' },
    ]);
    expect(stored).toMatchObject({ contentType: 'image/png', mimeType: 'image/png' });
  });
});

describe("the webhooks' e-mail attachments", () => {
  const attachment = attachmentBlob(
    'attachments/conv_0123456789abcdef0123456789abcdef/msg_1/ab12',
    'image/svg+xml',
    SVG,
  );
  // A blob naming no disposition (no webhook stores one since 2026-12-06, e-mail bodies included:
  // tests/channels/email.normalize.test.ts): the stores add nothing of their own.
  const bare: BlobToStore = {
    key: 'bodies/conv_0123456789abcdef0123456789abcdef/msg_1/html',
    contentType: 'text/html',
    bytes: HTML,
  };

  it('stores an attachment declared image/svg+xml as an application/octet-stream download, and a blob naming no disposition as it is', () => {
    // Act
    const headers = [attachment, bare].map(({ contentType, contentDisposition }) => ({
      contentType,
      contentDisposition,
    }));
    // Assess
    expect(headers).toEqual([
      { contentType: 'application/octet-stream', contentDisposition: 'attachment' },
      { contentType: 'text/html', contentDisposition: undefined },
    ]);
  });

  it('sends those headers, signed, from the SDK put and from the signed put', async () => {
    // Prepare
    const recording = recordingS3();
    const sdkStore = new S3BlobStore(recording.s3, 'payloads');
    const signedStore = new SignedS3BlobStore({ bucket: 'payloads', env: ORACLE_ENV });
    // Act
    await sdkStore.put(attachment);
    await sdkStore.put(bare);
    const signed = [attachment, bare].map((blob) => signedStore.signedPut(blob).headers);
    // Assess
    expect(writesOf(recording.sent)).toEqual([
      { name: 'PutObjectCommand', ContentType: 'application/octet-stream', ContentDisposition: 'attachment' },
      { name: 'PutObjectCommand', ContentType: 'text/html', ContentDisposition: undefined },
    ]);
    expect(signed.map((headers) => [headers['content-type'], headers['content-disposition']])).toEqual([
      ['application/octet-stream', 'attachment'],
      ['text/html', undefined],
    ]);
    expect(signed[0]?.authorization).toContain('content-disposition;content-length;content-type;');
  });
});

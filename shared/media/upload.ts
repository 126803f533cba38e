import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { matchesAnnounced } from './checksum.ts';
import { MAX_MEDIA_BYTES, MediaFailure } from './failures.ts';
import { checkedContentType } from './sniff.ts';
import { ATTACHMENT_DISPOSITION, storedAttachmentType } from './stored-type.ts';

/*
 * Streams bytes into the payload bucket with memory bounded by one part, whatever the size: a file
 * that fits one part is one PutObject; a larger one a multipart upload, each part sent before the
 * next is read (the source is pulled, so a fast provider waits on S3 rather than filling memory).
 * The hash, the size and the type are measured on the way; an object whose bytes do not match the
 * announced sha256 is never completed. Every object is stored as an attachment, active content as
 * `application/octet-stream` (./stored-type.ts). `@aws-sdk/lib-storage`'s Upload would do the multipart part,
 * but it is not among the hub's dependencies and buffers up to 4 parts at once by default.
 */

/** 8 MiB: above S3's 5 MiB minimum part; 100 MB is 13 parts (S3 allows 10,000). */
const PART_BYTES = 8 * 1024 * 1024;

export interface StreamedObject {
  readonly sha256: string;
  readonly size: number;
  /** What the object is stored (and served) as: `mimeType`, or `application/octet-stream` (./stored-type.ts). */
  readonly contentType: string;
  /** The file's type: the bytes' when their signature says, else the provider's (./sniff.ts). */
  readonly mimeType: string;
}

export interface StreamOptions {
  readonly bucket: string;
  readonly key: string;
  /** The provider's content type, checked against the first bytes. */
  readonly declaredType?: string;
  /** The provider's sha256 (hex or base64): a mismatch aborts the upload. */
  readonly announcedSha256?: string;
  /** @default MAX_MEDIA_BYTES */
  readonly maxBytes?: number;
  /** @default PART_BYTES */
  readonly partBytes?: number;
}

type S3Sender = Pick<S3Client, 'send'>;

const ENCRYPTION = { ServerSideEncryption: 'AES256' } as const;

export const streamToS3 = async (
  s3: S3Sender,
  source: AsyncIterable<Uint8Array>,
  options: StreamOptions,
): Promise<StreamedObject> => {
  const maxBytes = options.maxBytes ?? MAX_MEDIA_BYTES;
  const partBytes = options.partBytes ?? PART_BYTES;
  const hash = createHash('sha256');
  let size = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let types: { readonly mimeType: string; readonly contentType: string } | undefined;
  let uploadId: string | undefined;
  const parts: { ETag: string; PartNumber: number }[] = [];

  const checkedDigest = (): string => {
    const digest = hash.digest();
    if (options.announcedSha256 && matchesAnnounced(digest, options.announcedSha256) === false)
      throw new MediaFailure(
        'checksum_mismatch',
        `the ${size} bytes received do not hash to the announced sha256`,
      );
    return digest.toString('hex');
  };

  const sendPart = async (bytes: Buffer): Promise<void> => {
    if (uploadId === undefined) {
      const created = await s3.send(
        new CreateMultipartUploadCommand({
          Bucket: options.bucket,
          Key: options.key,
          ContentType: types?.contentType,
          ContentDisposition: ATTACHMENT_DISPOSITION,
          ...ENCRYPTION,
        }),
      );
      uploadId = created.UploadId;
      if (!uploadId) throw new Error('S3 gave no upload id');
    }
    const PartNumber = parts.length + 1;
    const output = await s3.send(
      new UploadPartCommand({
        Bucket: options.bucket,
        Key: options.key,
        UploadId: uploadId,
        PartNumber,
        Body: bytes,
        ContentLength: bytes.length,
      }),
    );
    parts.push({ ETag: output.ETag ?? '', PartNumber });
  };

  /** The types, from the first bytes. */
  const typesOf = (head: Uint8Array) => {
    const mimeType = checkedContentType(head, options.declaredType);
    return { mimeType, contentType: storedAttachmentType(mimeType, head) };
  };

  const takePending = (): Buffer => {
    const bytes = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return bytes;
  };

  try {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new MediaFailure('too_large', `larger than ${maxBytes} bytes`);
      hash.update(chunk);
      pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= partBytes) {
        const bytes = takePending();
        types ??= typesOf(bytes.subarray(0, 64));
        await sendPart(bytes);
      }
    }
    const rest = takePending();
    types ??= typesOf(rest.subarray(0, 64));
    const sha256 = checkedDigest();
    if (uploadId === undefined) {
      await s3.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: options.key,
          Body: rest,
          ContentLength: rest.length,
          ContentType: types.contentType,
          ContentDisposition: ATTACHMENT_DISPOSITION,
          ...ENCRYPTION,
        }),
      );
    } else {
      if (rest.length > 0) await sendPart(rest);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: options.bucket,
          Key: options.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    }
    return { sha256, size, ...types };
  } catch (error) {
    if (uploadId !== undefined) {
      // The bucket's lifecycle rule aborts what this cannot (abort-incomplete-uploads, 1 day), and
      // erasure what a killed fetcher left of an erased conversation (abortPayloadUploadsUnder).
      await s3
        .send(
          new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId }),
        )
        .catch(() => undefined);
    }
    throw error;
  }
};

import type { S3Client } from '@aws-sdk/client-s3';
import { downloadDisposition } from '#shared/media/stored-type.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { loadS3Client } from './clients/s3.ts';
import { isMissingObject } from './missing-object.ts';
import { isKeyableConversationId } from './payload-keys.ts';

/*
 * Media objects in the payload bucket as the sender and the helpdesk API see them: what an object
 * is (size, type), its bytes, and short-lived presigned URLs, so neither the helpdesk nor a provider
 * needs AWS credentials to read or write one file. Presigned URLs are signed with the function's
 * own credentials (its role must allow the action) and stop working when those expire, whatever
 * their `expiresIn`. The S3 SDK and the presigner load on first use.
 */

/** What S3 says of an object. */
export interface MediaObjectHead {
  readonly bytes: number;
  /** As stored (the `Content-Type` it was uploaded with); `application/octet-stream` when none. */
  readonly contentType: string;
  readonly etag?: string;
  /**
   * The name the file was uploaded under: its own `Content-Disposition`, which a `POST /v1/media`
   * that named the file signs into the upload (`uploadDisposition`). Never read from the key.
   */
  readonly filename?: string;
}

export interface MediaObjects {
  /** The object's size and type; undefined when there is no such object. */
  head(key: string): Promise<MediaObjectHead | undefined>;
  /** The object's bytes; refuses (throws) past `maxBytes`, which the caller checked with `head`. */
  read(key: string, maxBytes: number): Promise<Uint8Array>;
  /**
   * The object's bytes as they arrive, for an upload that must not hold them all. Throws
   * `MediaObjectChangedError` unless the object still has exactly `bytes` bytes.
   */
  open(key: string, bytes: number): Promise<ReadableStream<Uint8Array>>;
  /**
   * A GET URL valid for `expiresInSeconds`, optionally answering as a download named `downloadName`:
   * a name the hub makes up, never a customer's (it becomes part of the URL, which S3's access logs
   * keep); one with other characters than ASCII letters, digits, `.`, `_` and `-` throws.
   */
  presignGet(key: string, expiresInSeconds: number, downloadName?: string): Promise<string>;
  /**
   * A PUT URL for exactly this type and size (and PRESIGNED_PUT_HEADERS), valid for `expiresInSeconds`;
   * with a `filename`, also for exactly its `uploadDisposition`, which the object keeps. A header, so
   * the name is in neither the URL nor the key (both reach S3's access logs).
   */
  presignPut(
    key: string,
    contentType: string,
    bytes: number,
    expiresInSeconds: number,
    filename?: string,
  ): Promise<string>;
}

/**
 * What a presigned PUT signs besides the type and the length: whoever uploads must send these
 * headers as they are (S3-managed encryption, as every other write of the bucket asks).
 */
/**
 * How long a presigned link handed to a provider works: Twilio and Meta fetch a message's media
 * when they send it, which is at once or, for a Twilio message queued behind its sender's rate,
 * within the hour, which the hub tells Twilio (`ValidityPeriod`, shared/channels/sms/outbound/request.ts).
 * (Links signed with a Lambda's role stop with its session, which lasts longer.)
 */
export const PROVIDER_LINK_SECONDS = 3600;

export const PRESIGNED_PUT_HEADERS = { 'x-amz-server-side-encryption': 'AES256' } as const;

/**
 * Request headers a browser sends with a presigned PUT (Content-Length is the browser's own): the
 * payload bucket's CORS rule allows exactly these for the origins a deployment names
 * (`mediaBrowserOrigins`, infra/config.ts).
 */
export const BROWSER_UPLOAD_HEADERS = [
  'content-type',
  'content-disposition',
  ...Object.keys(PRESIGNED_PUT_HEADERS),
] as const;

export class MediaObjectTooLargeError extends Error {
  override readonly name = 'MediaObjectTooLargeError';
}

/** The object is gone, or is not the size it was when it was looked up. */
export class MediaObjectChangedError extends Error {
  override readonly name = 'MediaObjectChangedError';
}

/**
 * Keys a send command may name: files uploaded for sending (`POST /v1/media`) and attachments the
 * hub stored from customers. Nothing else of the bucket (raw e-mail, bodies, claim checks) can leave
 * it by a send. The characters the hub's own keys use (letters and digits of any script, as in a
 * customer's e-mail attachment name, `.`, `_`, `-`, `/`), no `..` segment, no empty segment.
 */
const SENDABLE_PREFIXES = [PAYLOAD_BUCKET.prefixes.outboundMedia, PAYLOAD_BUCKET.prefixes.attachments];
const SAFE_KEY = /^[\p{L}\p{M}\p{N}._\-/]{1,1024}$/u;
/** S3's limit on a key: 1,024 bytes of UTF-8 (not characters: a longer key is no object of the bucket). */
const MAX_KEY_BYTES = 1024;

export const isSendableMediaKey = (key: string): boolean =>
  SAFE_KEY.test(key) &&
  Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES &&
  SENDABLE_PREFIXES.some((prefix) => key.startsWith(prefix) && key.length > prefix.length) &&
  key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');

/**
 * Whether a sendable key may go out in `conversationId`: a file uploaded for sending anywhere, a
 * stored attachment only in the conversation it came in (`attachments/<conversationId>/…`), so a
 * send never hands one customer's file to another. An attachment filed by its message alone (an
 * e-mail that answered a reply tag, `attachments/email/…`) names no conversation and goes nowhere.
 */
export const isMediaKeyOf = (key: string, conversationId: string): boolean =>
  key.startsWith(PAYLOAD_BUCKET.prefixes.outboundMedia) ||
  (isKeyableConversationId(conversationId) &&
    key.startsWith(`${PAYLOAD_BUCKET.prefixes.attachments}${conversationId}/`));

/** RFC 8187 `filename*` of a stored upload's `Content-Disposition`, and nothing else. */
const UPLOAD_DISPOSITION = /^attachment; filename\*=UTF-8''([A-Za-z0-9%!#$&+.^_`|~-]{1,4096})$/;

/** The longest file name a `Content-Disposition` is read back as (what `POST /v1/media` takes). */
const MAX_UPLOAD_FILENAME = 255;

/**
 * The `Content-Disposition` an upload stores with its file, so the name travels as a header (the
 * PUT's, then the object's) and never as part of a URL or key: `attachment` with the name as an RFC
 * 8187 `filename*` (UTF-8, percent-encoded, so plain ASCII). A lone surrogate (half an emoji, which
 * has no UTF-8 form and makes `encodeURIComponent` throw) becomes U+FFFD, as `toWellFormed` would,
 * and `'`, `(`, `)` and `*`, which `encodeURIComponent` leaves, are encoded too (RFC 8187 allows
 * none of them bare).
 */
export const uploadDisposition = (filename: string): string => {
  const wellFormed = filename.replace(/\p{Cs}/gu, '\uFFFD');
  const encoded = encodeURIComponent(wellFormed).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename*=UTF-8''${encoded}`;
};

/** The name an `uploadDisposition` holds; undefined for any other disposition. */
const filenameOfDisposition = (disposition: string | undefined): string | undefined => {
  const encoded = disposition === undefined ? undefined : UPLOAD_DISPOSITION.exec(disposition)?.[1];
  if (encoded === undefined) return undefined;
  try {
    const filename = decodeURIComponent(encoded);
    return filename.length <= MAX_UPLOAD_FILENAME ? filename : undefined;
  } catch {
    return undefined;
  }
};

type S3Sender = Pick<S3Client, 'send' | 'config' | 'middlewareStack'>;

/**
 * The SDK adds a CRC32 to every PutObject (`requestChecksumCalculation: WHEN_SUPPORTED`, the
 * default since 3.729). A presigned PUT has no body when it is signed, so the checksum would be the
 * empty body's (`x-amz-checksum-crc32=AAAAAA==`), hoisted into the URL, and S3 refuses every real
 * upload through it (aws-sdk-js-v3#6994; the local S3 does not check it). Removed after the checksum
 * middleware (same step, lower priority) and before signing; the signed Content-Length still binds
 * the upload to the announced size.
 */
const dropBodyChecksum = (request: unknown): void => {
  const headers = (request as { headers?: Record<string, string> } | undefined)?.headers;
  for (const name of Object.keys(headers ?? {})) {
    const lower = name.toLowerCase();
    if (headers && (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm'))
      delete headers[name];
  }
};

/** The payload bucket's media, through the process-wide S3 client unless one is given. */
export const s3MediaObjects = (
  bucket: string,
  client: () => Promise<S3Sender> = loadS3Client,
): MediaObjects => {
  const modules = async () => {
    const [s3, presigner, sender] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('@aws-sdk/s3-request-presigner'),
      client(),
    ]);
    return { s3, presigner, sender };
  };
  /**
   * GetObject; a missing object (shared/aws/missing-object.ts) is `MediaObjectChangedError` (it was
   * there when the caller looked).
   */
  const getExisting = async (key: string) => {
    const { s3, sender } = await modules();
    return sender
      .send(new s3.GetObjectCommand({ Bucket: bucket, Key: key }))
      .catch(async (error: unknown) => {
        if (await isMissingObject(error, client, bucket, key))
          throw new MediaObjectChangedError('the object is gone');
        throw error;
      });
  };
  return {
    async head(key) {
      const { s3, sender } = await modules();
      try {
        const output = await sender.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key }));
        const filename = filenameOfDisposition(output.ContentDisposition);
        return {
          bytes: output.ContentLength ?? 0,
          contentType: output.ContentType ?? 'application/octet-stream',
          ...(output.ETag ? { etag: output.ETag } : {}),
          ...(filename !== undefined ? { filename } : {}),
        };
      } catch (error) {
        // A 404, or a 403 for a key that listing does not find (shared/aws/missing-object.ts).
        if (await isMissingObject(error, client, bucket, key)) return undefined;
        throw error;
      }
    },
    async open(key, bytes) {
      const output = await getExisting(key);
      if (!output.Body || output.ContentLength !== bytes) {
        await output.Body?.transformToWebStream().cancel();
        throw new MediaObjectChangedError(`the object no longer has ${bytes} bytes`);
      }
      return output.Body.transformToWebStream() as ReadableStream<Uint8Array>;
    },
    async read(key, maxBytes) {
      const output = await getExisting(key);
      if ((output.ContentLength ?? 0) > maxBytes) {
        await output.Body?.transformToByteArray().catch(() => undefined);
        throw new MediaObjectTooLargeError(`the object is larger than ${maxBytes} bytes`);
      }
      const bytes = (await output.Body?.transformToByteArray()) ?? new Uint8Array();
      if (bytes.byteLength > maxBytes)
        throw new MediaObjectTooLargeError(`the object is larger than ${maxBytes} bytes`);
      return bytes;
    },
    async presignGet(key, expiresInSeconds, downloadName) {
      const { s3, presigner, sender } = await modules();
      const command = new s3.GetObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(downloadName ? { ResponseContentDisposition: downloadDisposition(downloadName) } : {}),
      });
      return presigner.getSignedUrl(sender as S3Client, command, { expiresIn: expiresInSeconds });
    },
    async presignPut(key, contentType, bytes, expiresInSeconds, filename) {
      const { s3, presigner, sender } = await modules();
      const command = new s3.PutObjectCommand({
        Bucket: bucket,
        Key: key,
        ContentType: contentType,
        ContentLength: bytes,
        ServerSideEncryption: PRESIGNED_PUT_HEADERS['x-amz-server-side-encryption'],
        ...(filename !== undefined ? { ContentDisposition: uploadDisposition(filename) } : {}),
      });
      command.middlewareStack.add(
        (next) => async (args) => {
          dropBodyChecksum(args.request);
          return next(args);
        },
        { step: 'build', priority: 'low', name: 'presignWithoutBodyChecksum' },
      );
      return presigner.getSignedUrl(sender as S3Client, command, {
        expiresIn: expiresInSeconds,
        // Signed, so the upload must carry exactly these (Content-Disposition is no `x-amz-` header:
        // the presigner never hoists it into the URL's query string).
        signableHeaders: new Set(['content-type', 'content-length', 'content-disposition']),
      });
    },
  };
};

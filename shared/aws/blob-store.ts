import type { S3Client } from '@aws-sdk/client-s3';
import { type BlobToStore, storableContentType } from '#shared/channels/inbound.ts';
import { loadS3Client, loadS3Commands } from './clients/s3.ts';

/** Where payload bytes go before the events that reference them are queued. */
export interface BlobStore {
  put(blob: BlobToStore): Promise<void>;
}

export interface BlobReader {
  get(key: string): Promise<Uint8Array>;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
}

type S3Sender = Pick<S3Client, 'send'>;

/** A client, or how to get one when first needed (`loadS3Client`, which defers the S3 SDK's load). */
export type S3ClientSource = S3Sender | (() => Promise<S3Sender>);

/**
 * The payload bucket. Keys are content-addressed by the adapters, so a provider retry rewrites the
 * same object with the same bytes: a put is idempotent.
 * The S3 commands are imported on the first put or get (./clients/s3.ts): a bundle that rarely
 * stores anything does not evaluate the S3 SDK at import.
 */
export class S3BlobStore implements BlobStore, BlobReader {
  constructor(
    private readonly client: S3ClientSource,
    private readonly bucket: string,
  ) {}

  private sender(): S3Sender | Promise<S3Sender> {
    return typeof this.client === 'function' ? this.client() : this.client;
  }

  /** An attachment as a download, never as active content (shared/media/stored-type.ts). */
  async put(blob: BlobToStore): Promise<void> {
    const [{ PutObjectCommand }, client] = await Promise.all([loadS3Commands(), this.sender()]);
    await client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: blob.key,
        Body: blob.bytes,
        ContentType: storableContentType(blob.contentType),
        ...(blob.contentDisposition ? { ContentDisposition: blob.contentDisposition } : {}),
        ContentLength: blob.bytes.byteLength,
        ServerSideEncryption: 'AES256',
      }),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    const [{ GetObjectCommand }, client] = await Promise.all([loadS3Commands(), this.sender()]);
    const output = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!output.Body) throw new BlobNotFoundError('object has no body');
    return output.Body.transformToByteArray();
  }
}

/** Deletes payload objects (S3 DeleteObjects, 1,000 keys a request; a missing key is no error). */
export const deletePayloadObjects = async (
  client: S3ClientSource,
  bucket: string,
  keys: readonly string[],
): Promise<void> => {
  if (keys.length === 0) return;
  const [{ DeleteObjectsCommand }, sender] = await Promise.all([
    loadS3Commands(),
    typeof client === 'function' ? client() : client,
  ]);
  for (let start = 0; start < keys.length; start += 1000) {
    const output = await sender.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(start, start + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
    if (output.Errors && output.Errors.length > 0)
      throw new Error(
        `S3 refused to delete ${output.Errors.length} objects (${output.Errors[0]?.Code ?? 'error'})`,
      );
  }
};

/** A payload object as ListObjectsV2 names it: its key and when it was written. */
export interface DatedObject {
  readonly key: string;
  readonly lastModified: Date;
}

/**
 * Each page (up to 1,000 objects, one ListObjectsV2) of the payload objects under a prefix, as
 * listed, until `maxObjects` were listed (every one by default).
 */
const forEachPageUnder = async (
  client: S3ClientSource,
  bucket: string,
  prefix: string,
  onPage: (sender: S3Sender, objects: DatedObject[]) => Promise<void>,
  maxObjects = Number.POSITIVE_INFINITY,
): Promise<void> => {
  const [{ ListObjectsV2Command }, sender] = await Promise.all([
    loadS3Commands(),
    typeof client === 'function' ? client() : client,
  ]);
  let listed = 0;
  let token: string | undefined;
  do {
    const page = await sender.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: Math.min(1000, maxObjects - listed),
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    // S3 dates every object it lists; one undated (an emulator's) is taken as just written.
    const objects = (page.Contents ?? []).flatMap((object) =>
      object.Key ? [{ key: object.Key, lastModified: object.LastModified ?? new Date() }] : [],
    );
    listed += objects.length;
    await onPage(sender, objects);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token && listed < maxObjects);
};

/**
 * Deletes every payload object under a prefix (erasure of a conversation's claim checks): one
 * ListObjectsV2 per 1,000 keys, each page deleted as listed (DeleteObjects). Returns how many.
 */
export const deletePayloadObjectsUnder = async (
  client: S3ClientSource,
  bucket: string,
  prefix: string,
): Promise<number> => {
  let deleted = 0;
  await forEachPageUnder(client, bucket, prefix, async (sender, objects) => {
    await deletePayloadObjects(
      sender,
      bucket,
      objects.map((object) => object.key),
    );
    deleted += objects.length;
  });
  return deleted;
};

/** An upload completed or aborted since it was listed: nothing is left to abort. */
const isNoSuchUpload = (error: unknown): boolean => error instanceof Error && error.name === 'NoSuchUpload';

/**
 * Aborts every multipart upload under a prefix (erasure of a conversation's attachments): an upload
 * whose fetcher died (a Lambda timeout, a crash) before it completed or aborted it keeps its parts,
 * which ListObjectsV2 never shows, until the bucket's abort-incomplete-uploads rule (1 day). One
 * ListMultipartUploads per 1,000 uploads, one AbortMultipartUpload each; an upload completed or
 * aborted meanwhile (NoSuchUpload) is no error. Returns how many it aborted. The local S3 (fauxqs
 * 2.4.1) answers ListMultipartUploads with its object listing, read as no upload: locally this
 * aborts nothing and fails nothing.
 */
export const abortPayloadUploadsUnder = async (
  client: S3ClientSource,
  bucket: string,
  prefix: string,
): Promise<number> => {
  const [{ AbortMultipartUploadCommand, ListMultipartUploadsCommand }, sender] = await Promise.all([
    loadS3Commands(),
    typeof client === 'function' ? client() : client,
  ]);
  let aborted = 0;
  let marker: { readonly key: string; readonly uploadId: string | undefined } | undefined;
  do {
    const page = await sender.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: prefix,
        MaxUploads: 1000,
        ...(marker ? { KeyMarker: marker.key } : {}),
        ...(marker?.uploadId ? { UploadIdMarker: marker.uploadId } : {}),
      }),
    );
    for (const { Key, UploadId } of page.Uploads ?? []) {
      if (!Key?.startsWith(prefix) || !UploadId) continue;
      try {
        await sender.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
        aborted++;
      } catch (error) {
        if (!isNoSuchUpload(error)) throw error;
      }
    }
    const next =
      page.IsTruncated && page.NextKeyMarker
        ? { key: page.NextKeyMarker, uploadId: page.NextUploadIdMarker }
        : undefined;
    // A page that names no further position (or the same one again) ends the listing.
    marker = next && (next.key !== marker?.key || next.uploadId !== marker?.uploadId) ? next : undefined;
  } while (marker);
  return aborted;
};

/** The keys of the payload objects under a prefix (export of a conversation's claim checks): one ListObjectsV2 per 1,000. */
export const listPayloadObjectsUnder = async (
  client: S3ClientSource,
  bucket: string,
  prefix: string,
): Promise<string[]> => {
  const listed: string[] = [];
  await forEachPageUnder(client, bucket, prefix, async (_sender, objects) => {
    listed.push(...objects.map((object) => object.key));
  });
  return listed;
};

/**
 * The payload objects under a prefix with their write times (the spill drain's listing), at most
 * `maxObjects` of them: one ListObjectsV2 per 1,000, in key order.
 */
export const listDatedPayloadObjectsUnder = async (
  client: S3ClientSource,
  bucket: string,
  prefix: string,
  maxObjects: number,
): Promise<DatedObject[]> => {
  const listed: DatedObject[] = [];
  await forEachPageUnder(
    client,
    bucket,
    prefix,
    async (_sender, objects) => {
      listed.push(...objects);
    },
    maxObjects,
  );
  return listed;
};

/** The payload bucket through the process-wide client, which is loaded on the first put or get. */
export const lazyS3BlobStore = (bucket: string): S3BlobStore => new S3BlobStore(loadS3Client, bucket);

/** In-memory store for tests and the replay kit; keeps the order of puts. */
export class InMemoryBlobStore implements BlobStore, BlobReader {
  readonly objects = new Map<string, BlobToStore>();

  async put(blob: BlobToStore): Promise<void> {
    this.objects.set(blob.key, blob);
  }

  async get(key: string): Promise<Uint8Array> {
    const blob = this.objects.get(key);
    if (!blob) throw new BlobNotFoundError('no such key');
    return blob.bytes;
  }
}

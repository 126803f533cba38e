import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BlobToStore } from '#shared/adapters/types.ts';

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

/**
 * The payload bucket. Keys are content-addressed by the adapters, so a provider retry rewrites the
 * same object with the same bytes: a put is idempotent.
 */
export class S3BlobStore implements BlobStore, BlobReader {
  constructor(
    private readonly client: Pick<S3Client, 'send'>,
    private readonly bucket: string,
  ) {}

  async put(blob: BlobToStore): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: blob.key,
        Body: blob.bytes,
        ContentType: blob.contentType,
        ContentLength: blob.bytes.byteLength,
        ServerSideEncryption: 'AES256',
      }),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!output.Body) throw new BlobNotFoundError('object has no body');
    return output.Body.transformToByteArray();
  }
}

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

import { type BlobToStore, storableContentType } from '#shared/channels/inbound.ts';
import type { BlobStore } from '../blob-store.ts';
import { onAwsClientsReset } from '../clients.ts';
import type { HttpRequest, HttpResponse } from './http.ts';
import { AwsServiceError, awsDomainFor, SignedCaller, type SignedCallerOptions } from './signed-caller.ts';
import { escapeUri, type SigningCredentials, sha256Hex, signRequest } from './sigv4.ts';

/*
 * S3 PutObject as one signed request: what the webhooks store (a claim check for an event over a
 * queue message's size, an e-mail's raw MIME and attachments) without the S3 SDK, whose schemas,
 * endpoint rules, checksums and XML are most of a webhook bundle. Only the put: whatever reads or
 * deletes payload objects (the recorder, SES receipts, erasure) keeps the SDK (../blob-store.ts).
 * The payload is signed by its SHA-256 (x-amz-content-sha256), so S3 refuses bytes that changed on
 * the way, as the SDK's checksum would have it do.
 */

export interface SignedS3Options extends SignedCallerOptions {
  readonly bucket: string;
  /** Wins over AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL (the local hub's emulator). */
  readonly endpoint?: string;
  /** The bucket in the path rather than the host name (emulators). @default false */
  readonly forcePathStyle?: boolean;
}

/** Per attempt: Lambda's 6 MB request limit bounds what a webhook stores. */
const PUT_TIMEOUT_MS = 10_000;

/** Error codes of S3's XML error document; bounded, and no backtracking (`[^<]` cannot reach `<`). */
const XML_CODE = /<Code>([^<]{1,128})<\/Code>/;
const XML_MESSAGE = /<Message>([^<]{0,1024})<\/Message>/;

/** S3's answer to a failed request, named by its code as the SDK names the error. */
const toS3Error = (response: HttpResponse): AwsServiceError => {
  const body = response.body.slice(0, 4096);
  const code = XML_CODE.exec(body)?.[1] ?? (response.statusCode === 404 ? 'NotFound' : 'Unknown');
  const message = XML_MESSAGE.exec(body)?.[1] ?? code;
  return new AwsServiceError(code, message, response.statusCode, response.headers['x-amz-request-id']);
};

/** Each segment of the key encoded once, `/` kept: the path S3 signs and serves. */
const keyPath = (key: string): string => key.split('/').map(escapeUri).join('/');

export class SignedS3BlobStore implements BlobStore {
  private readonly caller: SignedCaller;

  constructor(private readonly options: SignedS3Options) {
    // An object may be megabytes (a raw e-mail): more time per attempt than a JSON call's 3 s.
    this.caller = new SignedCaller({ timeoutMs: PUT_TIMEOUT_MS, ...options });
  }

  /** The object's URL: virtual-hosted on AWS, path-style on an emulator or for a dotted bucket name. */
  objectUrl(key: string, region: string): URL {
    const { bucket } = this.options;
    const configured =
      this.options.endpoint ?? this.caller.env.AWS_ENDPOINT_URL_S3 ?? this.caller.env.AWS_ENDPOINT_URL;
    const base = configured ? new URL(configured) : new URL(`https://s3.${region}.${awsDomainFor(region)}/`);
    const pathStyle = this.options.forcePathStyle === true || bucket.includes('.');
    if (!pathStyle) base.hostname = `${bucket}.${base.hostname}`;
    const prefix = base.pathname.replace(/\/$/, '');
    base.pathname = pathStyle ? `${prefix}/${bucket}/${keyPath(key)}` : `${prefix}/${keyPath(key)}`;
    // As the SDK names the operation (S3 ignores it; request logs and proxies see it).
    base.search = '?x-id=PutObject';
    return base;
  }

  /** One attempt's PutObject request, signed now (tests compare it with the SDK's). */
  signedPut(blob: BlobToStore, credentials?: SigningCredentials): HttpRequest {
    return this.caller.build(this.putRequest(blob), credentials);
  }

  /** Idempotent: keys are content-addressed, so a provider's retry rewrites the same bytes. */
  async put(blob: BlobToStore): Promise<void> {
    await this.caller.call('PutObject', this.putRequest(blob), (response) => {
      if (response.statusCode < 200 || response.statusCode >= 300) throw toS3Error(response);
    });
  }

  private putRequest(blob: BlobToStore) {
    const payloadHash = sha256Hex(blob.bytes);
    return (credentials: SigningCredentials, date: Date, region: string): HttpRequest => {
      const url = this.objectUrl(blob.key, region);
      const headers = {
        'content-type': storableContentType(blob.contentType),
        // An attachment as a download, never as active content (shared/media/stored-type.ts).
        ...(blob.contentDisposition ? { 'content-disposition': blob.contentDisposition } : {}),
        'content-length': String(blob.bytes.byteLength),
        'x-amz-content-sha256': payloadHash,
        'x-amz-server-side-encryption': 'AES256',
      };
      const signed = signRequest(
        { method: 'PUT', url, headers, body: blob.bytes },
        { credentials, region, service: 's3', date, uriEscapePath: false },
      );
      return { method: 'PUT', url, headers: signed, body: blob.bytes };
    };
  }
}

const stores = new Map<string, SignedS3BlobStore>();

onAwsClientsReset(() => {
  stores.clear();
});

/** The process's signed store for one bucket (endpoint, region and credentials from the environment). */
export const signedS3BlobStore = (bucket: string, forcePathStyle: boolean): SignedS3BlobStore => {
  let store = stores.get(bucket);
  if (!store) {
    store = new SignedS3BlobStore({ bucket, forcePathStyle });
    stores.set(bucket, store);
  }
  return store;
};

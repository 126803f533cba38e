import type { HubEvent } from '#shared/contract/types.ts';

/**
 * A webhook request as the adapters see it, independent of API Gateway or the local server.
 * `body` holds the exact bytes the provider sent (already base64-decoded when API Gateway
 * encoded them): signatures are computed over these bytes and nothing else.
 */
export interface WebhookRequest {
  readonly method: string;
  /** Path as received, e.g. `/webhooks/whatsapp` (no stage prefix on the `$default` stage). */
  readonly path: string;
  /** Query string exactly as received, without the leading `?`. */
  readonly rawQueryString: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  /** When the hub received the request; becomes `receivedAt` of every event. */
  readonly receivedAt: Date;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Bytes the handler must store in the payload bucket before queueing the events that reference them. */
export interface BlobToStore {
  readonly key: string;
  readonly contentType: string;
  /**
   * A customer's file or e-mail body: saved by a browser, never rendered, under a name the hub made
   * up when one is given (shared/media/stored-type.ts).
   */
  readonly contentDisposition?: 'attachment' | `attachment; filename="${string}"`;
  readonly bytes: Uint8Array;
}

/**
 * A media type as an HTTP header carries it: `type/subtype` in RFC 6838's restricted names, then
 * parameters (`; charset=utf-8`) in printable ASCII, no line breaks.
 */
const MEDIA_TYPE =
  /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(?: *;[\x20-\x7e]{0,256})?$/i;

/**
 * The Content-Type a stored object gets: the declared one when it is a plain media type, else
 * `application/octet-stream`. A declared type is the sender's text (an e-mail attachment's header):
 * characters outside ASCII make Node refuse the header or S3 refuse its signature, on every retry,
 * and the provider would retry a 5xx until it gives the message up. The event keeps the declared type.
 */
export const storableContentType = (declared: string): string =>
  MEDIA_TYPE.test(declared) ? declared : 'application/octet-stream';

/** Client errors an adapter may answer with; never 5xx for anything the provider sent. */
export type RejectionStatus = 400 | 401 | 403 | 404 | 405 | 406 | 413 | 415;

export type WebhookOutcome =
  /** Answer directly, queue nothing (the GET subscription handshake). */
  | { readonly kind: 'respond'; readonly response: HttpResponse }
  /** Refuse: bad signature, malformed or oversize input. `reason` is safe to log: no customer data. */
  | { readonly kind: 'reject'; readonly status: RejectionStatus; readonly reason: string }
  /** Verified: store `blobs`, queue `events` (possibly none), then answer `response`. */
  | {
      readonly kind: 'accept';
      readonly events: readonly HubEvent[];
      readonly blobs: readonly BlobToStore[];
      readonly response: HttpResponse;
    };

export const reject = (status: RejectionStatus, reason: string): WebhookOutcome => ({
  kind: 'reject',
  status,
  reason,
});

export const textResponse = (statusCode: number, body: string, contentType = 'text/plain'): HttpResponse => ({
  statusCode,
  headers: { 'content-type': contentType },
  body,
});

/** What Meta expects: a plain 200. */
export const OK_RESPONSE: HttpResponse = textResponse(200, 'EVENT_RECEIVED');

/** Largest request body accepted per channel; bigger ones get 413 before any parsing. */
export const MAX_BODY_BYTES = {
  /** A Meta batch of 1000 updates stays far below this. */
  meta: 8 * 1024 * 1024,
  twilio: 256 * 1024,
  /** API Gateway's own payload limit is 10 MB. */
  email: 10 * 1024 * 1024,
} as const;

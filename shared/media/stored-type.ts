import { type BlobToStore, storableContentType } from '#shared/channels/inbound.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { contradictsSignature } from './signatures.ts';

/*
 * How a customer's file is stored in the payload bucket: the one rule for the media fetcher's
 * writes (./upload.ts) and the webhooks' e-mail attachments and large e-mail bodies (`attachmentBlob`,
 * which the blob stores put with its headers: shared/aws/blob-store.ts, shared/aws/signed/s3.ts). The bucket serves an object with the headers it was stored with, to any
 * URL that reaches it (the sender's one-hour links for Twilio and Messenger, a console, a helpdesk
 * that keeps a URL): a customer's HTML or SVG stored as such would run its script on the bucket's
 * origin. So every attachment is stored `Content-Disposition: attachment` (a presigned GET's
 * `response-content-disposition` still wins: the helpdesk API's made-up download name), and active
 * content as `application/octet-stream`. The part's `mimeType` keeps the file's type as the
 * customer declared it (or the bytes say); only the object is neutralized.
 */

/** What an attachment whose own type must not be served is stored as. */
const NEUTRAL_CONTENT_TYPE = 'application/octet-stream';

/** Every attachment object's `Content-Disposition`: a browser saves it, never renders it. */
export const ATTACHMENT_DISPOSITION = 'attachment' as const;

/**
 * A download name the hub makes up (`attachment-1.pdf`, `body.html`): ASCII letters, digits, `.`,
 * `_`, `-`. A presigned GET's `response-content-disposition` is part of its URL's query string, and
 * S3's server access logs record every request's URI (kept 90 days, out of erasure's reach): a
 * customer's file name never goes there. The pattern cannot tell a made-up name from a customer's; it
 * keeps out what a customer's name usually has (spaces, `@`, `+`, any non-ASCII letter) and needs no
 * quoting.
 */
const HUB_DOWNLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * `attachment; filename="<name>"` for a name the hub makes up (a presigned GET's
 * `response-content-disposition`, an e-mail body's stored disposition); throws for any other name.
 */
export const downloadDisposition = (name: string): `attachment; filename="${string}"` => {
  if (!HUB_DOWNLOAD_NAME.test(name))
    throw new Error('a download name must be one the hub makes up: ASCII letters, digits, ., _ and -');
  return `attachment; filename="${name}"`;
};

/**
 * Types a browser runs script in, or runs as script: HTML, XML of any kind (XHTML, SVG and any
 * `+xml`, which may hold XHTML's `<script>`), XSLT, and the JavaScript types of the HTML standard.
 */
const ACTIVE_TYPES = new Set([
  'text/html',
  'text/xml',
  'application/xml',
  'text/xsl',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
  'application/x-ecmascript',
  'text/javascript',
  'text/ecmascript',
  'text/x-javascript',
  'text/x-ecmascript',
  'text/jscript',
  'text/livescript',
]);

const isActiveType = (base: string): boolean => ACTIVE_TYPES.has(base) || base.endsWith('+xml');

/**
 * The `Content-Type` an attachment object is stored with, given the file's type (checked or
 * declared, parameters kept) and its first bytes: `application/octet-stream` for active content
 * (`text/html`, `image/svg+xml`, `application/xhtml+xml`, any `+xml`, `text/xml`, scripts) and for a
 * type with a known signature that the bytes lack (an "image/png" that is HTML); else the type.
 */
export const storedAttachmentType = (type: string, head: Uint8Array): string => {
  const base = mediaTypeOf(type);
  if (isActiveType(base)) return NEUTRAL_CONTENT_TYPE;
  // Bytes without the signature of their type (./signatures.ts) are something else under its name.
  if (contradictsSignature(base, head)) return NEUTRAL_CONTENT_TYPE;
  return type;
};

/** How many first bytes the signatures need (./sniff.ts reads no further). */
const HEAD_BYTES = 64;

/**
 * A customer's file as the webhooks store it: an e-mail's attachments under `attachments/`, and its
 * bodies too large for the event under `bodies/` (HTML the customer wrote, scripts included): the
 * rule above for its type (a type S3 and Node take first, `storableContentType`) and
 * `Content-Disposition: attachment`, with `filename="<madeUpName>"` when one is given (`body.html`:
 * a name the hub makes up, never the customer's). Built where the attachment is made, so the chat
 * webhooks, which store claim checks only, carry none of it.
 */
export const attachmentBlob = (
  key: string,
  declaredType: string,
  bytes: Uint8Array,
  madeUpName?: string,
): BlobToStore => ({
  key,
  contentType: storedAttachmentType(storableContentType(declaredType), bytes.subarray(0, HEAD_BYTES)),
  contentDisposition: madeUpName === undefined ? ATTACHMENT_DISPOSITION : downloadDisposition(madeUpName),
  bytes,
});

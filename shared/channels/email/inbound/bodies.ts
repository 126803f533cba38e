import { emailBodyKey, type MessageScope } from '#shared/aws/payload-keys.ts';
import type { BlobToStore } from '#shared/channels/inbound.ts';
import { cutText } from '#shared/channels/provider-text.ts';
import { attachmentBlob } from '#shared/media/stored-type.ts';
import { sha256Hex } from './attachments.ts';

/** A body larger than this (as JSON in the event) is stored in the payload bucket instead. */
const INLINE_BODY_LIMIT_BYTES = 256 * 1024;

/**
 * What the bodies may take together in one event. The queues take 1 MiB per message; the rest
 * is left for headers, addresses, attachment references and the envelope.
 */
const INLINE_BODIES_BUDGET_BYTES = 640 * 1024;

const jsonSize = (value: string | undefined): number =>
  value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * Each body's type, and the name a browser saves it under (one the hub makes up, no customer's): the
 * stored object's and the helpdesk API's download URL's (shared/api/media.ts).
 */
export const EMAIL_BODY_FILES = {
  text: { type: 'text/plain; charset=utf-8', name: 'body.txt' },
  html: { type: 'text/html; charset=utf-8', name: 'body.html' },
} as const;

/**
 * A body as the bucket keeps it: under the rule of a customer's file (shared/media/stored-type.ts), a
 * download, never a page. The HTML is the customer's, scripts included, and the bucket serves an
 * object with its stored headers to any URL that reaches it (a helpdesk's own presigned GET of
 * `htmlBodyKey`): so `Content-Disposition: attachment; filename="body.html"` and the HTML as
 * `application/octet-stream` (until 2026-12-06 it was stored as inline `text/html`, found by a
 * review). The text stays `text/plain; charset=utf-8`.
 */
const bodyBlob = (body: string, kind: 'text' | 'html', scope: MessageScope): BlobToStore => {
  const bytes = Buffer.from(body, 'utf8');
  const file = EMAIL_BODY_FILES[kind];
  return attachmentBlob(emailBodyKey(scope, sha256Hex(bytes), kind), file.type, bytes, file.name);
};

/** Cuts a string to at most `limitBytes` of JSON, on a code point boundary. */
export const truncateToJsonBytes = (text: string, limitBytes: number): string => {
  if (jsonSize(text) <= limitBytes) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (jsonSize(text.slice(0, middle)) <= limitBytes) low = middle;
    else high = middle - 1;
  }
  return cutText(text, low);
};

export interface PlacedBodies {
  readonly textBody?: string;
  readonly htmlBody?: string;
  readonly textBodyKey?: string;
  readonly htmlBodyKey?: string;
  readonly replyText?: string;
  /** What the message's text part says: the reply text, else the (possibly cut) full text. */
  readonly partText?: string;
  readonly blobs: BlobToStore[];
}

/**
 * Keeps bodies in the event when they fit, else moves them to the bucket: each above the
 * per-body limit, then HTML and then text while the bodies together (the reply text counted
 * and the text part counted too) exceed the budget. The reply text itself is cut to
 * the per-body limit; the whole text is then at `textBodyKey`.
 */
export const placeBodies = (
  textBody: string | undefined,
  htmlBody: string | undefined,
  replyText: string | undefined,
  /** The message the bodies belong to: their keys go under it. */
  scope: MessageScope,
): PlacedBodies => {
  const reply = replyText === undefined ? undefined : truncateToJsonBytes(replyText, INLINE_BODY_LIMIT_BYTES);
  const partText =
    reply ?? (textBody === undefined ? undefined : truncateToJsonBytes(textBody, INLINE_BODY_LIMIT_BYTES));
  let inlineText = textBody !== undefined && jsonSize(textBody) <= INLINE_BODY_LIMIT_BYTES;
  let inlineHtml = htmlBody !== undefined && jsonSize(htmlBody) <= INLINE_BODY_LIMIT_BYTES;
  const total = () =>
    (inlineText ? jsonSize(textBody) : 0) +
    (inlineHtml ? jsonSize(htmlBody) : 0) +
    jsonSize(reply) +
    jsonSize(partText);
  if (inlineHtml && total() > INLINE_BODIES_BUDGET_BYTES) inlineHtml = false;
  if (inlineText && total() > INLINE_BODIES_BUDGET_BYTES) inlineText = false;

  const blobs: BlobToStore[] = [];
  const placed: { -readonly [K in keyof PlacedBodies]: PlacedBodies[K] } = { blobs };
  if (textBody !== undefined) {
    if (inlineText) placed.textBody = textBody;
    else {
      const blob = bodyBlob(textBody, 'text', scope);
      blobs.push(blob);
      placed.textBodyKey = blob.key;
    }
  }
  if (htmlBody !== undefined) {
    if (inlineHtml) placed.htmlBody = htmlBody;
    else {
      const blob = bodyBlob(htmlBody, 'html', scope);
      blobs.push(blob);
      placed.htmlBodyKey = blob.key;
    }
  }
  if (reply !== undefined) placed.replyText = reply;
  if (partText !== undefined) placed.partText = partText;
  return placed;
};

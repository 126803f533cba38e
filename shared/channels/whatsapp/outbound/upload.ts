import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { GraphOptions } from '#shared/channels/meta/outbound/graph-call.ts';
import { readGraphFailure } from '#shared/channels/meta/outbound/graph-error.ts';
import { toOutcome } from '#shared/channels/meta/outbound/verdict.ts';
import { WhatsAppMediaIdSchema } from '#shared/channels/whatsapp/media-id.ts';
import type { MediaUpload, SendOutcome } from '#shared/outbound/channel-sender.ts';
import { callProvider } from '#shared/outbound/provider-http.ts';
import { SENDER } from '#shared/resources/definitions.ts';
import { classifyWhatsAppFailure } from './classify.ts';

/*
 * `POST /{phone-number-id}/media` (outbound.md 1.1: multipart `file`, `type`, `messaging_product`;
 * uploads live 30 days) → `{id}`. The file is streamed from the payload bucket into the form, so a
 * 100 MB document never sits in memory. An upload reaches no customer: whatever goes wrong, nothing
 * was sent, and a later try may upload again (an unused upload expires at Meta).
 * The id is read as the hub stores it (`WhatsAppMediaIdSchema`: the sender remembers every upload
 * for erasure before the message names it): an id it could not store ends the command at once, as
 * a refusal no later try mends, instead of failing the delivery after the upload (until
 * 2026-12-06: the command came back and uploaded the file again on every receive, up to 50 times).
 */

const UploadedSchema = z.looseObject({ id: z.string().min(1) });

const encoder = new TextEncoder();

/** A file name safe inside a quoted header parameter: printable ASCII without quotes or backslashes. */
const headerSafe = (name: string): string => name.replace(/[^\x20-\x7e]|["\\]/g, '_').slice(0, 200) || 'file';

/** The form around the file: its fields and the file's header before, the closing boundary after. */
const formParts = (file: MediaUpload): { head: Uint8Array; tail: Uint8Array; contentType: string } => {
  const boundary = `switchboard-${randomBytes(12).toString('hex')}`;
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head =
    field('messaging_product', 'whatsapp') +
    field('type', file.contentType) +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${headerSafe(file.filename)}"\r\n` +
    `Content-Type: ${file.contentType}\r\n\r\n`;
  return {
    head: encoder.encode(head),
    tail: encoder.encode(`\r\n--${boundary}--\r\n`),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
};

/** head, the file's bytes as they arrive, tail. */
const concatenated = (head: Uint8Array, file: ReadableStream<Uint8Array>, tail: Uint8Array) => {
  const reader = file.getReader();
  let stage: 'head' | 'file' | 'done' = 'head';
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (stage === 'head') {
        stage = 'file';
        controller.enqueue(head);
        return;
      }
      if (stage === 'file') {
        const { done, value } = await reader.read();
        if (!done) {
          controller.enqueue(value);
          return;
        }
        stage = 'done';
        controller.enqueue(tail);
        return;
      }
      controller.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
};

/** Nothing uploaded that the send could name: retried by the hub's backoff unless `retryable` is false. */
const notUploaded = (code: string, title: string | undefined, retryable = true): SendOutcome => ({
  kind: 'refused',
  reason: 'provider_error',
  retryable,
  error: { code, ...(title !== undefined ? { title } : {}) },
});

export const uploadWhatsAppMedia = async (
  options: GraphOptions,
  phoneNumberId: string,
  token: string,
  file: MediaUpload,
): Promise<{ mediaId: string } | SendOutcome> => {
  const form = formParts(file);
  const url = `${options.graphBaseUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.apiVersion)}/${encodeURIComponent(phoneNumberId)}/media`;
  const call = await callProvider(
    {
      method: 'POST',
      url,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': form.contentType,
        'content-length': String(form.head.byteLength + file.bytes + form.tail.byteLength),
      },
      body: concatenated(form.head, await file.body(), form.tail),
    },
    // The upload's own time (a large file takes longer than a message), never `options.timeoutMs`,
    // which is the message calls' (SENDER.providerTimeoutMs: 8 s for a 100 MB document).
    { timeoutMs: file.timeoutMs ?? SENDER.maxUploadMs, ...(options.fetch ? { fetch: options.fetch } : {}) },
  );
  if (call.kind !== 'response') return notUploaded(call.error.code, call.error.title);
  const { response } = call;
  if (response.status < 200 || response.status > 299) {
    const failure = readGraphFailure(response, { node: phoneNumberId });
    const outcome = toOutcome(classifyWhatsAppFailure(failure), failure);
    // A 5xx on an upload sent nothing to anyone: a later try is safe.
    return outcome.kind === 'ambiguous' ? notUploaded(outcome.error.code, outcome.error.title) : outcome;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    return notUploaded('upload_unreadable', 'the upload answer was not JSON');
  }
  const uploaded = UploadedSchema.safeParse(parsed);
  if (!uploaded.success) return notUploaded('upload_unnamed', 'the upload answer named no media id');
  const mediaId = WhatsAppMediaIdSchema.safeParse(uploaded.data.id);
  // Meta names its uploads alike each time: another upload would be answered so again.
  return mediaId.success
    ? { mediaId: mediaId.data }
    : notUploaded(
        'upload_id_unstorable',
        'the upload answer named a media id the hub cannot keep (at most 128 of A-Z, a-z, 0-9, _ . -)',
        false,
      );
};

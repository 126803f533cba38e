import type { z } from 'zod';
import { PRESIGNED_PUT_HEADERS, uploadDisposition } from '#shared/aws/media-objects.ts';
import { EMAIL_BODY_PREFIXES } from '#shared/aws/payload-keys.ts';
import { EMAIL_BODY_FILES } from '#shared/channels/email/inbound/bodies.ts';
import { recordedEmailPartAt } from '#shared/channels/email/inbound/parts.ts';
import { displayFileName } from '#shared/channels/file-name.ts';
import type { Message } from '#shared/contract/types.ts';
import { isHubSend, keepsMediaOf, MAX_MEDIA_JOBS_PER_MESSAGE, queuedPartOf } from '#shared/media/job.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { type RecordedPart, readRecordedPart } from '#shared/store/media-fetches.ts';
import { getMessage } from '#shared/store/messages.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { ownValue } from '#shared/validation/own-value.ts';
import type { HelpdeskApiDeps, RouteInput } from './handlers.ts';
import { type ApiResponse, fail, json, parseOr400 } from './http.ts';
import type { EmailBodyDownloadSchema, MediaDownloadSchema, MediaUploadSchema } from './responses.ts';
import {
  EmailBodyKindSchema,
  HubMessageIdSchema,
  MediaUploadRequestSchema,
  PartIndexSchema,
  type UPLOAD_CONTENT_TYPES,
} from './schemas.ts';

/*
 * Attachments in and out of the payload bucket through presigned URLs, so a helpdesk needs no AWS
 * credentials for them: a download URL of a message part's stored copy or of an e-mail body stored
 * apart (the key always from the hub's records, never from the request) and an upload URL for a file
 * to send. All are signed with the API function's own credentials; the IAM grants
 * (infra/constructs/helpdesk-api.ts) are exactly these prefixes and these two actions.
 */

export const HELPDESK_API_MEDIA = {
  /** Where the objects the download URLs name live: stored attachments and files uploaded to send. */
  readPrefixes: [PAYLOAD_BUCKET.prefixes.attachments, PAYLOAD_BUCKET.prefixes.outboundMedia],
  /**
   * Where the e-mail bodies too large for their message live (`email.htmlBodyKey`, `textBodyKey`):
   * `bodies/conv_…` and `bodies/email/…`, not the whole of `bodies/`, which holds the claim checks
   * too (`bodies/events/`, never handed out nor readable by the API's role). A body keyed as before
   * 2026-12-02 (`bodies/<sha256>.<ext>`) is under neither: 404.
   */
  bodyPrefixes: EMAIL_BODY_PREFIXES,
  uploadPrefix: PAYLOAD_BUCKET.prefixes.outboundMedia,
  /** Long enough to load an attachment the helpdesk shows; ask again for a later look. */
  downloadSeconds: 5 * 60,
  /** The PUT must start within this; S3 does not cut an upload under way. */
  uploadSeconds: 15 * 60,
  /** Seconds a helpdesk waits before asking again for a part not stored yet (`Retry-After`). */
  retryAfterSeconds: 5,
} as const;

/**
 * The extension of each type an upload may have (a closed list, as the types are): what an upload's
 * key and a download's made-up name end in. Never the extension of a customer's file name.
 */
const EXTENSIONS: Readonly<Record<(typeof UPLOAD_CONTENT_TYPES)[number], string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'audio/mp4': 'm4a',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};

/** `.pdf` for `application/pdf` (parameters and case aside), nothing for a type outside the list. */
const extensionOf = (contentType: string): string => {
  const extension = ownValue(EXTENSIONS, mediaTypeOf(contentType));
  return extension === undefined ? '' : `.${extension}`;
};

/**
 * The name a download URL answers with: made up from the part's index and its stored type
 * (`attachment-1.pdf`), never the customer's file name, which would sit in the URL's query string
 * and so in S3's access logs. The helpdesk has the real name in the answer's `filename`.
 */
const downloadNameOf = (partIndex: number, contentType: string): string =>
  `attachment-${partIndex}${extensionOf(contentType)}`;

/** A key under one of `prefixes`, without empty, `.` or `..` segments. */
const isKeyUnder = (key: string, prefixes: readonly string[]): boolean =>
  key.length <= 1024 &&
  prefixes.some((prefix) => key.startsWith(prefix) && key.length > prefix.length) &&
  key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');

/** Only objects the API may sign for a part. */
const isReadableKey = (key: string): boolean => isKeyUnder(key, HELPDESK_API_MEDIA.readPrefixes);

/**
 * Only e-mail bodies: under their prefixes, and (should those ever reach it) never a claim check
 * (`bodies/events/`, whole events). The IAM grant is the same prefixes: each holds the other back.
 */
const isReadableBodyKey = (key: string): boolean =>
  isKeyUnder(key, HELPDESK_API_MEDIA.bodyPrefixes) && !key.startsWith(PAYLOAD_BUCKET.claimCheckPrefix);

interface StoredObject {
  readonly key: string;
  readonly sha256?: string | undefined;
  readonly filename?: string | undefined;
}

/**
 * The stored copy of a part of a message whose record left its parts out for size and whose part has
 * no claim item: an e-mail's attachment, found in the `email.attachments` the record keeps (e-mail
 * attachments never go to the fetcher). Any other part is the fetcher's to take.
 */
const partOfPartless = (message: Message, partIndex: number): StoredObject => {
  const left = 'the stored message left its parts out for size';
  if (message.channel !== 'email')
    return fail('notFound', `${left}, and the media fetcher has not taken this part`);
  const recorded = recordedEmailPartAt(message, partIndex);
  if (recorded.kind === 'text') return fail('notFound', `part ${partIndex} is text, not media`);
  if (recorded.kind === 'none') return fail('notFound', `the message has no attachment at part ${partIndex}`);
  const unknown = () =>
    fail('notFound', `${left}, and its record cannot say which attachment part ${partIndex} is`);
  if (recorded.kind === 'unknown') return unknown();
  const { part } = recorded;
  // Intake stores every attachment it lists (an `s3` ref); no other ref names a file of the hub's.
  if (part.ref.store !== 's3') return unknown();
  // The key is checked against the readable prefixes as every other key is (getMessageMedia).
  return { key: part.ref.key, sha256: part.sha256, filename: displayFileName(part.filename) };
};

/**
 * The stored copy of a part, from the hub's records only: the fetcher's claim item (its object and
 * outcome), else the part's own `{store: 's3'}` reference (e-mail attachments, files sent by key).
 * Raises the problem that says why there is none (yet).
 */
const storedObjectOf = ({ message, fetch }: RecordedPart, partIndex: number): StoredObject => {
  if (!message) return fail('notFound', 'no such message');
  const part = message.message.parts[partIndex];
  if (part && part.type !== 'media') return fail('notFound', `part ${partIndex} is ${part.type}, not media`);
  // Cleaned again: a record stored before 2026-12-05 holds the name as the customer sent it.
  const filename = displayFileName(part?.filename);
  const notStored = (detail: string) =>
    fail('mediaNotStored', detail, {
      headers: { 'retry-after': String(HELPDESK_API_MEDIA.retryAfterSeconds) },
    });
  // The claim item says where the copy stands, also of a message stored without its parts.
  if (fetch?.state === 'stored') return { key: fetch.key, sha256: fetch.outcome.sha256, filename };
  if (fetch?.state === 'failed')
    return fail('mediaFailed', fetch.outcome.detail ?? `the copy ended ${fetch.outcome.reason}`, {
      reason: fetch.outcome.reason,
    });
  if (fetch) return notStored('the media fetcher is copying it from the provider');
  if (!part)
    return message.omitted?.includes('parts')
      ? partOfPartless(message.message, partIndex)
      : fail('notFound', `the message has no part ${partIndex}`);
  if (part.ref.store === 's3') return { key: part.ref.key, sha256: part.sha256, filename };
  if (!keepsMediaOf(message.message.endpoint))
    return fail(
      'mediaNotKept',
      "Instagram media stays at Meta (its terms forbid keeping a copy): the part's ref is the provider's URL",
    );
  if (queuedPartOf(message.message, partIndex) === undefined)
    return fail(
      'mediaNotKept',
      isHubSend(message.message)
        ? "not copied: the hub sent it from the URL it was given; the part's ref is that URL"
        : `not copied: its reference is too large to queue, or it comes after the message's first ${MAX_MEDIA_JOBS_PER_MESSAGE} attachments; the part's ref is the provider's`,
    );
  return notStored('its copy is queued for the media fetcher');
};

type Body<S extends z.ZodType> = z.input<S>;

export const createMediaHandlers = (deps: HelpdeskApiDeps) => {
  const expiresAt = (seconds: number) => new Date(deps.clock().getTime() + seconds * 1000).toISOString();

  /** One HeadObject, then a download URL under a made-up name (by the object's type); 404 when gone. */
  const downloadOf = async (key: string, what: string, nameOf: (contentType: string) => string) => {
    const head = await deps.media.head(key);
    if (!head) return fail('notFound', `${what} is gone (expired or erased)`);
    const url = await deps.media.presignGet(
      key,
      HELPDESK_API_MEDIA.downloadSeconds,
      nameOf(head.contentType),
    );
    return {
      url,
      expiresAt: expiresAt(HELPDESK_API_MEDIA.downloadSeconds),
      contentType: head.contentType,
      size: head.bytes,
    };
  };

  return {
    /** One BatchGetItem (the message and the part's claim), then its download (downloadOf). */
    getMessageMedia: async ({ params }: RouteInput): Promise<ApiResponse> => {
      const hubMessageId = parseOr400(HubMessageIdSchema, params.hubMessageId, 'path.hubMessageId');
      const partIndex = parseOr400(PartIndexSchema, params.partIndex, 'path.partIndex');
      const stored = storedObjectOf(await readRecordedPart(deps.table, hubMessageId, partIndex), partIndex);
      if (!isReadableKey(stored.key)) return fail('notFound', 'the stored copy is not one the API hands out');
      const download = await downloadOf(stored.key, 'the stored copy', (contentType) =>
        downloadNameOf(partIndex, contentType),
      );
      return json(200, {
        ...download,
        ...(stored.sha256 ? { sha256: stored.sha256 } : {}),
        ...(stored.filename ? { filename: stored.filename } : {}),
      } satisfies Body<typeof MediaDownloadSchema>);
    },

    /**
     * One GetItem (the message's record, which keeps the body keys whatever it leaves out for size),
     * then its download (downloadOf) under a made-up name, as a part's.
     */
    getMessageBody: async ({ params }: RouteInput): Promise<ApiResponse> => {
      const hubMessageId = parseOr400(HubMessageIdSchema, params.hubMessageId, 'path.hubMessageId');
      const kind = parseOr400(EmailBodyKindSchema, params.kind, 'path.kind');
      const message = await getMessage(deps.table, hubMessageId);
      if (!message) return fail('notFound', 'no such message');
      const key = kind === 'html' ? message.email?.htmlBodyKey : message.email?.textBodyKey;
      if (key === undefined)
        return fail(
          'notFound',
          message.channel === 'email'
            ? `the message has no ${kind} body stored apart (one that fits is in its email.${kind}Body)`
            : 'the message is no e-mail',
        );
      if (!isReadableBodyKey(key)) return fail('notFound', 'the stored body is not one the API hands out');
      const download = await downloadOf(key, 'the stored body', () => EMAIL_BODY_FILES[kind].name);
      return json(200, download satisfies Body<typeof EmailBodyDownloadSchema>);
    },

    /**
     * No table call: a fresh key under the upload prefix, and a PUT URL bound to its type and size.
     * The key is `<id>/file.<extension of the type>`, never the file's name: keys reach S3's access
     * logs (on this PUT and on every GET of the file). The name goes as the object's
     * `Content-Disposition`, a header the URL signs, which the sender reads back as the name the
     * file goes out under when a send gives none.
     */
    createMediaUpload: async ({ body }: RouteInput): Promise<ApiResponse> => {
      const request = parseOr400(MediaUploadRequestSchema, body, 'body');
      const s3Key = `${HELPDESK_API_MEDIA.uploadPrefix}${deps.newId()}/file${extensionOf(request.contentType)}`;
      const url = await deps.media.presignPut(
        s3Key,
        request.contentType,
        request.bytes,
        HELPDESK_API_MEDIA.uploadSeconds,
        request.filename,
      );
      return json(201, {
        s3Key,
        upload: {
          method: 'PUT',
          url,
          headers: {
            'content-type': request.contentType,
            ...PRESIGNED_PUT_HEADERS,
            ...(request.filename !== undefined
              ? { 'content-disposition': uploadDisposition(request.filename) }
              : {}),
          },
          expiresAt: expiresAt(HELPDESK_API_MEDIA.uploadSeconds),
        },
      } satisfies Body<typeof MediaUploadSchema>);
    },
  };
};

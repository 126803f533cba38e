import {
  isMediaKeyOf,
  isSendableMediaKey,
  MediaObjectChangedError,
  type MediaObjects,
  MediaObjectTooLargeError,
  PROVIDER_LINK_SECONDS,
} from '#shared/aws/media-objects.ts';
import type { OutboundMediaPart, OutboundPart, OutboundTemplatePart } from '#shared/contract/commands.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import type {
  AttachedFile,
  ChannelSender,
  Prepared,
  PreparedMessage,
  SendOutcome,
  SendTarget,
  StoredMedia,
  StoredMediaFacts,
} from './channel-sender.ts';

/*
 * Media parts that name a file in the hub's payload bucket (`source: {s3Key}`): what the core checks
 * before any provider call, and the rule each channel applies to the file's size and type. Where
 * the bytes go (an upload, a presigned link, an attachment) is decided when the message is sent.
 */

type Refusal = Extract<Prepared, { ok: false }>;

const refuse = (field: string, detail: string): Refusal => ({
  ok: false,
  reason: 'content_invalid',
  field,
  detail,
});

/** The file of the hub's bucket a part names: a media part's `source.s3Key`, a template header's `s3Key`. */
export interface StoredFileRef {
  readonly key: string;
  /** Where the key is in the command, e.g. `parts.0.source.s3Key`. */
  readonly field: string;
  /** The type the command gives the file (media parts only); the stored object's own otherwise. */
  readonly mimeType?: string;
  /** The name the command gives the file (`filename`), if any: see `outgoingNameOf`. */
  readonly filename?: string;
}

/**
 * The last segment of a key, unless that is only an id (an inbound attachment is stored under its
 * hash or its part index, shared/aws/payload-keys.ts), which says nothing to the customer. An upload's
 * key ends `file.<extension>` (`POST /v1/media`); one named before 2026-12-02 ends in its file name.
 */
const lastSegment = (key: string): string => {
  const segment = key.split('/').pop() ?? '';
  return segment === '' || /^(?:[0-9a-f]{64}|\d{1,4})$/.test(segment) ? 'file' : segment;
};

/**
 * The name a file sent by key goes out under (an e-mail attachment's, a WhatsApp upload's and document's): the
 * command's own, else the name it was uploaded under (recorded with the plan from the object's
 * `Content-Disposition`), else its key's last segment. Upload keys no longer carry the name (keys
 * reach S3's access logs), so the second is what keeps an uploaded file's name.
 */
export const outgoingNameOf = (file: StoredFileRef, facts: StoredMediaFacts | undefined): string =>
  file.filename ?? facts?.filename ?? lastSegment(file.key);

export const storedFileOf = (part: OutboundPart | undefined, index: number): StoredFileRef | undefined => {
  if (part?.type === 'media' && 's3Key' in part.source) {
    return {
      key: part.source.s3Key,
      field: `parts.${index}.source.s3Key`,
      ...(part.mimeType !== undefined ? { mimeType: part.mimeType } : {}),
      ...(part.filename !== undefined ? { filename: part.filename } : {}),
    };
  }
  const header = part?.type === 'template' ? part.header : undefined;
  if (header !== undefined && 's3Key' in header && header.s3Key !== undefined) {
    return {
      key: header.s3Key,
      field: `parts.${index}.header.s3Key`,
      ...('filename' in header && header.filename !== undefined ? { filename: header.filename } : {}),
    };
  }
  return undefined;
};

/**
 * The stored files a command names, each looked up once; or the first part that names none it may
 * send in `conversationId` (the conversation the command replies in).
 */
export const inspectStoredMedia = async (
  parts: readonly OutboundPart[],
  objects: MediaObjects | undefined,
  conversationId: string,
): Promise<{ ok: true; stored: StoredMedia } | Refusal> => {
  const stored: Record<string, StoredMediaFacts> = {};
  for (const [index, part] of parts.entries()) {
    const file = storedFileOf(part, index);
    if (file === undefined) continue;
    const { field } = file;
    if (!isSendableMediaKey(file.key)) {
      return refuse(
        field,
        'the key is not a file the hub may send: upload through POST /v1/media (media/outbound/…) or name a stored attachment (attachments/…)',
      );
    }
    if (!isMediaKeyOf(file.key, conversationId)) {
      return refuse(
        field,
        "the attachment is not one of this conversation's: a stored attachment (attachments/<conversationId>/…) goes out only in the conversation it came in; upload a file for another through POST /v1/media",
      );
    }
    if (objects === undefined) return refuse(field, 'this hub sends no files from its bucket');
    const head = await objects.head(file.key);
    if (head === undefined) return refuse(field, "there is no such file in the hub's bucket");
    if (head.bytes === 0) return refuse(field, 'the file is empty');
    stored[String(index)] = {
      s3Key: file.key,
      bytes: head.bytes,
      contentType: mediaTypeOf(file.mimeType ?? head.contentType),
      ...(file.filename === undefined && head.filename !== undefined ? { filename: head.filename } : {}),
    };
  }
  return { ok: true, stored };
};

/** What a channel takes of one file. */
export interface StoredMediaRule {
  /** Types it takes; any when absent. */
  readonly mimeTypes?: readonly string[];
  readonly maxBytes: number;
  /** How the limits read in a refusal, e.g. `WhatsApp images`. */
  readonly label: string;
}

const megabytes = (bytes: number): string => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/**
 * A channel's check of a stored file: undefined when it may go. A part by URL is not checked here
 * (the provider fetches it and judges it); a stored part the core did not describe is refused.
 */
export const checkStoredMedia = (
  part: OutboundMediaPart | OutboundTemplatePart,
  index: number,
  stored: StoredMedia | undefined,
  rule: StoredMediaRule,
): Refusal | undefined => {
  const file = storedFileOf(part, index);
  if (file === undefined) return undefined;
  const facts = stored?.[String(index)];
  if (facts === undefined) return refuse(file.field, 'the stored file was not looked up');
  if (rule.mimeTypes !== undefined && !rule.mimeTypes.includes(facts.contentType)) {
    return refuse(
      part.type === 'media' ? `parts.${index}.mimeType` : file.field,
      `${rule.label} take ${rule.mimeTypes.join(', ')} only, not ${facts.contentType}`,
    );
  }
  if (facts.bytes > rule.maxBytes) {
    return refuse(
      file.field,
      `${rule.label} take at most ${megabytes(rule.maxBytes)}; the file has ${megabytes(facts.bytes)}`,
    );
  }
  return undefined;
};

/** The part with its stored file replaced by a presigned link. */
const linked = (part: OutboundPart, url: string): OutboundPart => {
  if (part.type === 'media') return { ...part, source: { url } };
  if (part.type === 'template' && part.header !== undefined && 's3Key' in part.header) {
    const { s3Key: _stored, ...header } = part.header;
    return { ...part, header: { ...header, url } };
  }
  return part;
};

/** The file a staged message names by an upload: the one made now, or an earlier try's named again. */
export interface StagedUpload {
  readonly partIndex: number;
  readonly s3Key: string;
  readonly bytes: number;
  /** An earlier try's upload, named again: nothing was uploaded now. */
  readonly reused: boolean;
}

export type Staged =
  | { readonly message: PreparedMessage; readonly upload?: StagedUpload }
  | { readonly outcome: SendOutcome };

const gone = (index: number): SendOutcome => ({
  kind: 'refused',
  reason: 'content_invalid',
  retryable: false,
  error: {
    code: 'switchboard.media_changed',
    title: `the file of part ${index} is gone from the hub's bucket or changed since the command was accepted`,
  },
});

/**
 * A prepared message as its provider call needs it, settled just before the call (never stored):
 * files an e-mail attaches are read; a file for a provider that takes uploads (WhatsApp) is
 * uploaded and named by its media id; any other stored file goes as a presigned link. Messages
 * without stored files pass unchanged. An outcome means nothing was sent.
 */
export const stageStoredMedia = async (input: {
  readonly message: PreparedMessage;
  /** The command's parts (the prepared message may hold only a piece of its part). */
  readonly parts: readonly OutboundPart[];
  readonly stored: StoredMedia | undefined;
  readonly sender: ChannelSender;
  readonly target: SendTarget;
  readonly objects: MediaObjects | undefined;
  /** How long an upload may take (the invocation's time to spare, see send-command.ts). */
  readonly uploadTimeoutMs?: number;
  /**
   * The media id an earlier try of this message uploaded this very file as, when it may be named
   * again (shared/store/whatsapp-uploads.ts, reusableUpload); undefined to upload.
   */
  readonly reusable?: (file: { partIndex: number; s3Key: string; bytes: number }) => string | undefined;
}): Promise<Staged> => {
  const { message, parts, stored, objects } = input;
  const facts = (index: number) => stored?.[String(index)];
  try {
    if (message.attachParts !== undefined && message.attachParts.length > 0) {
      const attachments: AttachedFile[] = [];
      for (const index of message.attachParts) {
        const file = storedFileOf(parts[index], index);
        const known = facts(index);
        if (file === undefined || known === undefined || objects === undefined)
          return { outcome: gone(index) };
        const content = await objects.read(file.key, known.bytes);
        // `read` refuses only a larger file: a smaller one is as much another file.
        if (content.byteLength !== known.bytes) return { outcome: gone(index) };
        attachments.push({ filename: outgoingNameOf(file, known), contentType: known.contentType, content });
      }
      return { message: { ...message, attachments } };
    }
    const { part } = message;
    const file = storedFileOf(part, message.partIndex);
    if (file === undefined) return { message };
    const known = facts(message.partIndex);
    if (known === undefined || objects === undefined) return { outcome: gone(message.partIndex) };
    if (input.sender.uploadMedia !== undefined) {
      const filename = outgoingNameOf(file, known);
      const which = { partIndex: message.partIndex, s3Key: file.key, bytes: known.bytes };
      const earlier = input.reusable?.(which);
      if (earlier !== undefined) {
        // Named again, not uploaded: the file is looked up (HeadObject) as a link's is, so one gone
        // or changed since the command was accepted is refused as an upload would find it.
        const current = await objects.head(file.key);
        if (current === undefined || current.bytes !== known.bytes)
          return { outcome: gone(message.partIndex) };
        return {
          message: { ...message, uploadedMediaId: earlier, uploadedFilename: filename },
          upload: { ...which, reused: true },
        };
      }
      const uploaded = await input.sender.uploadMedia(input.target, {
        contentType: known.contentType,
        bytes: known.bytes,
        filename,
        body: () => objects.open(file.key, known.bytes),
        ...(input.uploadTimeoutMs !== undefined ? { timeoutMs: input.uploadTimeoutMs } : {}),
      });
      // The name goes with the id: a provider may show the message's name only (a WhatsApp document).
      return 'mediaId' in uploaded
        ? {
            message: { ...message, uploadedMediaId: uploaded.mediaId, uploadedFilename: filename },
            upload: { ...which, reused: false },
          }
        : { outcome: uploaded };
    }
    // A link is signed whether or not its file is there: the file is looked up again, as an upload
    // or an attachment reads it, so one gone or changed since the command was accepted is refused
    // here rather than handed to the provider as a dead link (its message accepted, then failed).
    const current = await objects.head(file.key);
    if (current === undefined || current.bytes !== known.bytes) return { outcome: gone(message.partIndex) };
    const url = await objects.presignGet(file.key, PROVIDER_LINK_SECONDS);
    return { message: { ...message, part: linked(part, url) } };
  } catch (error) {
    if (error instanceof MediaObjectChangedError || error instanceof MediaObjectTooLargeError) {
      return { outcome: gone(message.partIndex) };
    }
    throw error;
  }
};

import { createHash } from 'node:crypto';
import type { Attachment } from 'postal-mime';
import { emailAttachmentKey, type MessageScope } from '#shared/aws/payload-keys.ts';
import { displayFileName } from '#shared/channels/file-name.ts';
import type { BlobToStore } from '#shared/channels/inbound.ts';
import type { MediaKind, MediaPart } from '#shared/contract/types.ts';
import { attachmentBlob } from '#shared/media/stored-type.ts';

export const sha256Hex = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');

/** An attachment's bytes, whichever `attachmentEncoding` postal-mime was asked for. */
export const attachmentBytes = (attachment: Pick<Attachment, 'content' | 'encoding'>): Uint8Array => {
  const content = attachment.content;
  if (typeof content === 'string') {
    return Buffer.from(content, attachment.encoding === 'base64' ? 'base64' : 'utf8');
  }
  return content instanceof Uint8Array ? content : new Uint8Array(content);
};

const mediaKindFor = (mimeType: string): MediaKind => {
  const family = mimeType.split('/')[0]?.toLowerCase();
  return family === 'image' || family === 'audio' || family === 'video' ? family : 'file';
};

export interface AttachmentInput {
  readonly bytes: Uint8Array;
  readonly mimeType: string;
  readonly filename?: string | null | undefined;
  readonly contentId?: string | undefined;
  readonly inline: boolean;
}

/**
 * The bytes go to the payload bucket under their message and their own hash: a resent mail stores
 * them once, and no two people's messages share an object (erasing one never takes the other's).
 */
export const storeAttachment = (
  attachment: AttachmentInput,
  scope: MessageScope,
): { part: MediaPart; blob: BlobToStore } => {
  const sha256 = sha256Hex(attachment.bytes);
  const key = emailAttachmentKey(scope, sha256);
  // Senders sometimes put a path, a line break or a bidi override in the name (../file-name.ts).
  const displayName = displayFileName(attachment.filename);
  const contentId = attachment.contentId?.trim().replace(/^<|>$/g, '');
  const part: MediaPart = {
    type: 'media',
    kind: mediaKindFor(attachment.mimeType),
    mimeType: attachment.mimeType,
    size: attachment.bytes.byteLength,
    ...(displayName ? { filename: displayName } : {}),
    sha256,
    ...(contentId ? { contentId } : {}),
    inline: attachment.inline,
    ref: { store: 's3', key },
  };
  return { part, blob: attachmentBlob(key, attachment.mimeType, attachment.bytes) };
};

import * as v from 'valibot';
import type { MediaKind, MessagePart } from '#shared/contract/types.ts';
import { ownValue } from '#shared/validation/own-value.ts';
import { httpUri } from '#shared/validation/uri.ts';
import { type Attachment, AttachmentSchema } from './schema.ts';

const MEDIA_KINDS: Readonly<Record<string, MediaKind>> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'file',
  sticker: 'sticker',
};

const unsupportedPart = (providerType: string, raw: unknown): MessagePart => ({
  type: 'unsupported',
  providerType,
  raw,
});

/** A sticker is an `image` with a `sticker_id` (until Aug 2026) or, newer, a `sticker` attachment. */
const stickerIdOf = (attachment: Attachment): string | undefined =>
  attachment.type === 'image' || attachment.type === 'sticker' ? attachment.payload?.sticker_id : undefined;

const mediaPart = (attachment: Attachment, kind: MediaKind, raw: unknown): MessagePart => {
  const given = attachment.payload?.url;
  const url = given === undefined ? undefined : httpUri(given);
  // Without a fetchable (http or https) URL the attachment cannot be a media part; keep it whole instead.
  if (url === undefined) return unsupportedPart(attachment.type, raw);
  return { type: 'media', kind, ref: { store: 'provider_url', url, requiresAuth: false } };
};

const linkPart = (attachment: Attachment, raw: unknown): MessagePart => {
  const given = attachment.payload?.url ?? attachment.url ?? undefined;
  const title = attachment.payload?.title ?? attachment.title ?? undefined;
  // Meta sends a fallback without payload for shares it cannot describe: nothing to link to. A link
  // is a web address (http or https, as an RFC 3986 URI) or the attachment is kept whole: a helpdesk
  // shows it as a link (before 2026-12-04 any scheme was passed on, `javascript:` too; found by a review).
  const url = given === undefined || given.length === 0 ? undefined : httpUri(given);
  if (url === undefined) return unsupportedPart(attachment.type, raw);
  return { type: 'link', url, ...(title ? { title } : {}) };
};

const locationPart = (attachment: Attachment, raw: unknown): MessagePart => {
  const coordinates = attachment.payload?.coordinates;
  const inRange =
    coordinates !== undefined && Math.abs(coordinates.lat) <= 90 && Math.abs(coordinates.long) <= 180;
  if (!inRange) return unsupportedPart(attachment.type, raw);
  const mapUrl = attachment.url ? httpUri(attachment.url) : undefined;
  return {
    type: 'location',
    latitude: coordinates.lat,
    longitude: coordinates.long,
    ...(attachment.title ? { name: attachment.title } : {}),
    ...(mapUrl ? { url: mapUrl } : {}),
  };
};

const attachmentPart = (attachment: Attachment, raw: unknown): MessagePart => {
  if (stickerIdOf(attachment) !== undefined) return mediaPart(attachment, 'sticker', raw);
  const kind = ownValue(MEDIA_KINDS, attachment.type);
  if (kind !== undefined) return mediaPart(attachment, kind, raw);
  if (attachment.type === 'fallback') return linkPart(attachment, raw);
  // Legacy location shares; Meta no longer sends them but old retries and replays may.
  if (attachment.type === 'location') return locationPart(attachment, raw);
  // template, reel, ig_reel, share, story_mention, post, ig_post, appointment_booking, …
  return unsupportedPart(attachment.type, raw);
};

/**
 * Messenger attachments as message parts, in order. During Meta's sticker transition the same
 * sticker arrives twice (an `image` and a `sticker` attachment with one `sticker_id`): it is one
 * sticker, so only its first attachment becomes a part.
 */
export const attachmentParts = (attachments: readonly unknown[]): MessagePart[] => {
  const seenStickers = new Set<string>();
  const parts: MessagePart[] = [];
  for (const raw of attachments) {
    const parsed = v.safeParse(AttachmentSchema, raw);
    if (!parsed.success) {
      parts.push(unsupportedPart('attachment', raw));
      continue;
    }
    const stickerId = stickerIdOf(parsed.output);
    if (stickerId !== undefined) {
      if (seenStickers.has(stickerId)) continue;
      seenStickers.add(stickerId);
    }
    parts.push(attachmentPart(parsed.output, raw));
  }
  return parts;
};

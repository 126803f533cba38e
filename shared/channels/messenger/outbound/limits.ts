import type { TextLimit } from '#shared/channels/meta/outbound/split-text.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';

/*
 * Messenger Platform Send API limits (Facebook pages and Instagram accounts) the sender enforces
 * before calling. Lengths are UTF-16 code units (JavaScript's length), never less than Meta's count.
 */

/** Facebook page text: "UTF-8 and has a 2000 character limit" (Send API reference). */
const PAGE_TEXT: TextLimit = { maxLength: 2000 };
/**
 * Instagram text: "must be UTF-8 and be 1000 bytes or less" (Instagram messaging, "Send a
 * Message"). A text never has more UTF-16 code units than UTF-8 bytes, so the length adds nothing.
 * Before 2026-12-05 the hub also held Instagram to 999 characters, a limit Meta's page does not
 * state: 1,000 ASCII characters went as two messages (found by a review).
 */
const INSTAGRAM_TEXT: TextLimit = { maxLength: 1000, maxUtf8Bytes: 1000 };

/** The text limit of an endpoint; without one, the strictest (Instagram's). */
export const textLimitFor = (endpointType: BusinessEndpoint['type'] | undefined): TextLimit =>
  endpointType === 'facebook_page' ? PAGE_TEXT : INSTAGRAM_TEXT;

/** ❤️, bare or with the emoji variation selector (U+FE0F) helpdesks and keyboards add. */
const HEARTS: ReadonlySet<string> = new Set(['\u2764', '\u2764\uFE0F']);

/**
 * The `reaction` a Send API react takes for an emoji (not empty: that is an unreact) from this
 * endpoint, or undefined when it takes none. A page: the emoji itself. An Instagram account: "love"
 * for ❤️, and nothing else (Instagram messaging, "React to a message", documents `sender_action:
 * "react"` with `reaction: "love"` only). Without an endpoint, Instagram's (the strictest). Before
 * 2026-12-06 an Instagram reaction went to Meta as its emoji, which Meta does not document (found by
 * a review).
 */
export const reactionFor = (
  emoji: string,
  endpointType: BusinessEndpoint['type'] | undefined,
): string | undefined => {
  if (endpointType === 'facebook_page') return emoji;
  return HEARTS.has(emoji) ? 'love' : undefined;
};

/** Quick replies: at most 13, titles of at most 20 characters, payloads of at most 1,000 (Send API quick replies). */
export const MAX_QUICK_REPLIES = 13;
export const MAX_QUICK_REPLY_TITLE = 20;
export const MAX_QUICK_REPLY_PAYLOAD = 1000;

/** `message.metadata`: "must be less than 1000 characters" (Send API reference). */
export const MAX_METADATA = 999;

const MB = 1024 * 1024;

/**
 * The largest attachment a Send API message takes: 25 MB (Send API, attachment upload), but an
 * image 8 MB, on a page as on Instagram: the hub sends every attachment by URL, and Meta's "saving
 * assets" page gives "image — 8 MB max for URL uploads" (Instagram messaging's formats say 8 MB
 * too). Until 2026-12-06 a page's image was let through to 25 MB, and Meta refused it after the
 * command's earlier parts went (found by a review).
 */
export const maxAttachmentBytes = (kind: 'image' | 'audio' | 'video' | 'file'): number =>
  kind === 'image' ? 8 * MB : 25 * MB;

/**
 * The MIME types an Instagram attachment of a kind may have (Instagram messaging, "Send a Message":
 * audio aac, m4a, wav or mp4; images png or jpeg; video mp4, ogg, avi, mov or webm; the attachment
 * upload guide also lists GIF images, taken here); files PDF (the attachment upload guide's "File |
 * pdf | 25MB", 2026-04-01). A page's attachments: any type of the kind's family, files of any type.
 * Without an endpoint, Instagram's (the strictest). Before 2026-12-05 an Instagram attachment of any
 * type of its family went to Meta, a WebP image say, and before 2026-12-06 a file of any type, a ZIP
 * or a .docx Instagram refuses (both found by reviews).
 */
const INSTAGRAM_TYPES = {
  image: { names: 'PNG, JPEG or GIF', types: ['image/png', 'image/jpeg', 'image/jpg', 'image/gif'] },
  audio: {
    names: 'AAC, M4A, WAV or MP4',
    types: [
      'audio/aac',
      'audio/x-aac',
      'audio/mp4',
      'audio/m4a',
      'audio/x-m4a',
      'audio/wav',
      'audio/x-wav',
      'audio/wave',
      'audio/vnd.wave',
    ],
  },
  video: {
    names: 'MP4, OGG, AVI, MOV or WebM',
    types: [
      'video/mp4',
      'video/ogg',
      'video/x-msvideo',
      'video/avi',
      'video/msvideo',
      'video/quicktime',
      'video/webm',
    ],
  },
  file: { names: 'PDF', types: ['application/pdf'] },
} as const satisfies Record<string, { names: string; types: readonly string[] }>;

/**
 * Why an attachment's type (its base type, lower case) does not go on this endpoint, or undefined.
 * Only Instagram (or an unknown endpoint) narrows the types within a kind, a file's to PDF.
 */
export const attachmentTypeProblem = (
  kind: 'image' | 'audio' | 'video' | 'file',
  baseType: string,
  endpointType: BusinessEndpoint['type'] | undefined,
): string | undefined => {
  if (endpointType === 'facebook_page') return undefined;
  const allowed: { names: string; types: readonly string[] } = INSTAGRAM_TYPES[kind];
  return allowed.types.includes(baseType) ? undefined : `an Instagram ${kind} is ${allowed.names}`;
};

/** Attachment types by command media kind; Messenger has no sticker message a page can send by URL. */
export const ATTACHMENT_TYPES = { image: 'image', video: 'video', audio: 'audio', file: 'file' } as const;

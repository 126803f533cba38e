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

/** Quick replies: at most 13, titles of at most 20 characters, payloads of at most 1,000 (Send API quick replies). */
export const MAX_QUICK_REPLIES = 13;
export const MAX_QUICK_REPLY_TITLE = 20;
export const MAX_QUICK_REPLY_PAYLOAD = 1000;

/** `message.metadata`: "must be less than 1000 characters" (Send API reference). */
export const MAX_METADATA = 999;

const MB = 1024 * 1024;

/**
 * The largest attachment a Send API message takes: 25 MB (Send API, attachment upload); Instagram
 * images 8 MB (Instagram messaging, supported formats). Without an endpoint, the strictest.
 */
export const maxAttachmentBytes = (
  kind: 'image' | 'audio' | 'video' | 'file',
  endpointType: BusinessEndpoint['type'] | undefined,
): number => (kind === 'image' && endpointType !== 'facebook_page' ? 8 * MB : 25 * MB);

/** Attachment types by command media kind; Messenger has no sticker message a page can send by URL. */
export const ATTACHMENT_TYPES = { image: 'image', video: 'video', audio: 'audio', file: 'file' } as const;

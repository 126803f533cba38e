import type { TextLimit } from '#shared/channels/meta/outbound/split-text.ts';
import type { OutboundMediaPart } from '#shared/contract/commands.ts';

/*
 * WhatsApp Cloud API limits the sender enforces before calling. Lengths are counted in UTF-16
 * code units (JavaScript's length), which is never less than Meta's character count however Meta
 * counts (code points or units): a text within these limits is within Meta's.
 */

/** Text message body (Cloud API messages reference; outbound.md 1.1). */
export const TEXT: TextLimit = { maxLength: 4096 };
/** Interactive message body text (interactive messages reference). */
export const INTERACTIVE_BODY: TextLimit = { maxLength: 1024 };
/** Media caption (messages reference, media object). */
export const MAX_CAPTION = 1024;

/** Reply buttons (outbound.md 1.1: at most 3, titles at most 20; ids at most 256). */
export const MAX_BUTTONS = 3;
export const MAX_BUTTON_TITLE = 20;
export const MAX_BUTTON_ID = 256;

/** List messages (interactive list reference): 10 rows across at most 10 sections. */
export const MAX_LIST_BUTTON = 20;
export const MAX_LIST_ROWS = 10;
export const MAX_SECTION_TITLE = 24;
export const MAX_ROW_TITLE = 24;
export const MAX_ROW_DESCRIPTION = 72;
export const MAX_ROW_ID = 200;

/** `biz_opaque_callback_data` (outbound.md 1.1: at most 512 bytes). */
export const MAX_CALLBACK_DATA_BYTES = 512;

export type WhatsAppMediaType = 'image' | 'audio' | 'video' | 'document' | 'sticker';

export interface MediaRule {
  readonly type: WhatsAppMediaType;
  /** MIME types the Cloud API takes for this kind (supported media types table). */
  readonly mimeTypes: readonly string[];
  /** Largest file, bytes (supported media types; outbound.md 1.1, 1.2 MB = 1024² bytes). */
  readonly maxBytes: number;
  /**
   * Whether the message takes a `caption` (images, videos and documents; not audio or stickers:
   * messages reference, media object). Where it takes none, or a caption is longer than
   * MAX_CAPTION, the caption follows the file as text (caption.ts).
   */
  readonly caption: boolean;
}

const MB = 1024 * 1024;

/**
 * Per command media kind. Sizes are not in the command (media comes by URL): the core, which
 * resolves payload-bucket keys to URLs and knows their sizes, can check them with `maxBytes`.
 * Sticker: 100 KB static, 500 KB animated; the larger is given. WhatsApp through Twilio narrows
 * these to what Twilio documents (shared/channels/sms/outbound/whatsapp-media.ts).
 */
export const MEDIA_RULES: Readonly<Record<OutboundMediaPart['kind'], MediaRule>> = {
  image: { type: 'image', mimeTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MB, caption: true },
  audio: {
    type: 'audio',
    mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
    maxBytes: 16 * MB,
    caption: false,
  },
  video: { type: 'video', mimeTypes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB, caption: true },
  file: {
    type: 'document',
    mimeTypes: [
      'text/plain',
      'application/pdf',
      'application/msword',
      'application/vnd.ms-excel',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MB,
    caption: true,
  },
  sticker: { type: 'sticker', mimeTypes: ['image/webp'], maxBytes: 500 * 1024, caption: false },
};

/** Template names: lower-case letters, digits and underscores (template management reference). */
export const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
/** Named body parameters: the same alphabet. */
export const PARAMETER_NAME = /^[a-z0-9_]{1,64}$/;
/**
 * A body parameter may not hold new lines, tabs or more than 4 consecutive spaces (Meta's error
 * 132018 says so; Twilio's 21656 and 92007 say the same of a Content variable of a WhatsApp template).
 */
const PARAMETER_FORBIDDEN = /[\n\t]| {5,}/;

/**
 * Why a WhatsApp template's parameter value (a body parameter, a text header's, a URL button's
 * suffix) cannot go, or undefined: empty or blank
 * (frappe_whatsapp#169: empty parameters → 400; Twilio answers 21656: no variable may be empty), or
 * holding new lines, tabs or more than 4 consecutive spaces (PARAMETER_FORBIDDEN). The one rule of
 * both WhatsApp paths, the Cloud API's (prepare-parts.ts) and Twilio's Content variables
 * (shared/channels/sms/outbound/prepare.ts), refused before any call.
 */
export const templateParameterProblem = (value: string): string | undefined => {
  if (value.trim() === '') return 'a template parameter may not be empty';
  if (PARAMETER_FORBIDDEN.test(value)) {
    return 'a template parameter may not hold new lines, tabs or more than 4 consecutive spaces';
  }
  return undefined;
};

/**
 * Template header and button values (Cloud API template messages; template components reference).
 * A text header holds at most 60 characters with its fixed part, so its parameter no more.
 */
export const MAX_TEMPLATE_HEADER_TEXT = 60;
/** A template has at most 10 buttons: values name them by position 0–9. */
export const MAX_TEMPLATE_BUTTONS = 10;
/** A URL button's URL holds at most 2,000 characters, the dynamic suffix included. */
export const MAX_URL_BUTTON_SUFFIX = 2000;
/** Coupon codes hold at most 15 characters; a template has one copy-code button at most. */
export const MAX_COUPON_CODE = 15;
/** Meta documents no limit for a quick reply's payload: the hub keeps it to an interactive reply id's 256. */
export const MAX_QUICK_REPLY_PAYLOAD = 256;

import { MEDIA_RULES } from '#shared/channels/whatsapp/outbound/limits.ts';
import type { OutboundMediaPart } from '#shared/contract/commands.ts';

/*
 * WhatsApp media sent through Twilio (`MediaUrl`): WhatsApp's own rules per kind (MEDIA_RULES, the
 * Cloud API sender's), narrowed by what Twilio documents for WhatsApp ("Guidance on WhatsApp Media
 * Messages", twilio.com/docs/whatsapp/guidance-whatsapp-media-messages).
 */

/** A WhatsApp message through Twilio holds at most 16 MB; its images at most 5 MB (Twilio's guide). */
const TWILIO_WHATSAPP_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The types Twilio's guide lists for WhatsApp: images JPG/PNG (WebP for stickers only), audio OGG
 * (Opus), AMR, 3GP, AAC, MPEG, documents PDF, DOC, DOCX, PPTX, XLSX, video MP4. Only those WhatsApp
 * also takes for the kind go: a type one side does not list is refused rather than left to fail
 * after the hub said `sent` (Twilio fetches the file when the message leaves its queue).
 */
const TWILIO_WHATSAPP_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'audio/ogg',
  'audio/amr',
  'audio/3gpp',
  'audio/aac',
  'audio/mpeg',
  'application/pdf',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'video/mp4',
]);

export interface TwilioWhatsAppMediaRule {
  readonly mimeTypes: readonly string[];
  readonly maxBytes: number;
  /**
   * Whether WhatsApp shows the message's `Body` as the file's caption: for images and videos. Not
   * for audio and stickers (WhatsApp takes no caption on them), nor for documents, whose caption
   * and file name Twilio does not set ("Filenames and Captions" in Twilio's guide).
   */
  readonly caption: boolean;
}

const ruleOf = (kind: OutboundMediaPart['kind']): TwilioWhatsAppMediaRule => {
  const whatsApp = MEDIA_RULES[kind];
  return {
    mimeTypes: whatsApp.mimeTypes.filter((type) => TWILIO_WHATSAPP_TYPES.has(type)),
    maxBytes: Math.min(whatsApp.maxBytes, TWILIO_WHATSAPP_MAX_BYTES),
    caption: whatsApp.caption && kind !== 'file',
  };
};

/** Per command media kind: image JPEG/PNG 5 MB, audio 16 MB, video MP4 16 MB, documents 16 MB, WebP stickers 500 KB. */
export const TWILIO_WHATSAPP_MEDIA: Readonly<Record<OutboundMediaPart['kind'], TwilioWhatsAppMediaRule>> = {
  image: ruleOf('image'),
  audio: ruleOf('audio'),
  video: ruleOf('video'),
  file: ruleOf('file'),
  sticker: ruleOf('sticker'),
};

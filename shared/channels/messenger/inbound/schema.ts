import { z } from 'zod';

/**
 * Zod schemas of the Messenger Platform webhook (Facebook pages and Instagram accounts). Every
 * object is loose so fields Meta adds later never break parsing; arrays of provider items are
 * `unknown[]` here and parsed item by item, so one odd item never costs the rest of the batch.
 */

/** Meta ids are strings, but a few (app_id, sticker_id, ad_id) arrive as JSON numbers. */
const idString = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);

/** Free-form values Meta documents as strings but sometimes sends as numbers (ref, num_edit). */
const looseString = z.union([z.string(), z.number()]).transform(String);

/** Milliseconds since the epoch; the docs show numbers, some examples show numeric strings. */
const epochMillis = z.union([z.number(), z.string()]);

/**
 * Entry fields whose arrays hold one provider item each: `messaging`, `standby` (handover protocol:
 * what secondary receivers see while another app owns the thread) and Instagram's `changes`
 * (comments and mentions, not messaging: kept as unsupported).
 */
export const ENTRY_ITEM_FIELDS = ['messaging', 'standby', 'changes'] as const;
export type EntryItemField = (typeof ENTRY_ITEM_FIELDS)[number];

/**
 * Only the entry's own fields: its item arrays (`messaging`, `standby`, `changes`) are read raw,
 * so a malformed one never costs the others, and items are passed on even without a page id.
 */
export const EntrySchema = z.looseObject({
  /** The page id (object `page`) or Instagram professional account id (object `instagram`). */
  id: idString,
  time: epochMillis.optional(),
});

const ParticipantSchema = z.looseObject({ id: idString });

/** What every messaging item carries besides its one event. */
export const MessagingItemBaseSchema = z.looseObject({
  sender: ParticipantSchema,
  recipient: ParticipantSchema,
  timestamp: epochMillis.optional(),
});
export type MessagingItemBase = z.infer<typeof MessagingItemBaseSchema>;

export const ReferralSchema = z.looseObject({
  ref: looseString.optional(),
  source: z.string().optional(),
  type: z.string().optional(),
  ad_id: idString.optional(),
  referer_uri: z.string().optional(),
  ads_context_data: z
    .looseObject({
      ad_title: z.string().optional(),
      photo_url: z.string().optional(),
      video_url: z.string().optional(),
      post_id: idString.optional(),
      product_id: idString.optional(),
    })
    .optional(),
});
export type MetaReferral = z.infer<typeof ReferralSchema>;

export const AttachmentSchema = z.looseObject({
  type: z.string(),
  /** Absent or null on `fallback` attachments of unsupported shares. */
  payload: z
    .looseObject({
      url: z.string().optional(),
      title: z.string().optional(),
      sticker_id: idString.optional(),
      coordinates: z.looseObject({ lat: z.number(), long: z.number() }).optional(),
    })
    .nullish(),
  /** Older `fallback` attachments put title and url beside the payload. */
  title: z.string().nullish(),
  url: z.string().nullish(),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

export const MessageSchema = z.looseObject({
  mid: z.string().min(1),
  text: z.string().optional(),
  is_echo: z.boolean().optional(),
  app_id: idString.optional(),
  metadata: z.string().optional(),
  quick_reply: z.looseObject({ payload: looseString }).optional(),
  reply_to: z.looseObject({ mid: z.string().min(1).optional(), story: z.unknown().optional() }).optional(),
  attachments: z.array(z.unknown()).optional(),
  referral: ReferralSchema.optional(),
  /** Instagram: the customer unsent the message. */
  is_deleted: z.boolean().optional(),
  /** Instagram: the customer sent something the API cannot represent. */
  is_unsupported: z.boolean().optional(),
});
export type MetaMessage = z.infer<typeof MessageSchema>;

export const PostbackSchema = z.looseObject({
  mid: z.string().min(1).optional(),
  title: z.string().optional(),
  payload: looseString.optional(),
  referral: ReferralSchema.optional(),
});
export type MetaPostback = z.infer<typeof PostbackSchema>;

export const ReactionSchema = z.looseObject({
  mid: z.string().min(1),
  action: z.enum(['react', 'unreact']),
  emoji: z.string().optional(),
  /** Meta's word for it: smile, angry, sad, wow, love, like, dislike, other. */
  reaction: z.string().optional(),
});

export const ReadSchema = z.looseObject({ watermark: epochMillis });

export const DeliverySchema = z.looseObject({
  mids: z.array(z.string().min(1)).optional(),
  watermark: epochMillis,
});

export const MessageEditSchema = z.looseObject({
  mid: z.string().min(1),
  text: z.string().optional(),
  num_edit: looseString.optional(),
});

export const OptinSchema = z.looseObject({
  type: z.string().optional(),
  ref: looseString.optional(),
  payload: looseString.optional(),
  notification_messages_status: z.string().optional(),
});

/** Keys every messaging item has; whatever else it holds names its event. */
export const ITEM_FRAME_KEYS: ReadonlySet<string> = new Set(['sender', 'recipient', 'timestamp']);

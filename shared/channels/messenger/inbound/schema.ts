import * as z from 'zod/mini';

/**
 * Zod schemas of the Messenger Platform webhook (Facebook pages and Instagram accounts). Every
 * object is loose so fields Meta adds later never break parsing; arrays of provider items are
 * `unknown[]` here and parsed item by item, so one odd item never costs the rest of the batch.
 * Written with `zod/mini` (functions instead of methods, tree-shaken), as the webhook bundle builds
 * these at import (see shared/channels/whatsapp/inbound/schema.ts).
 */

/** Meta ids are strings, but a few (app_id, sticker_id, ad_id) arrive as JSON numbers. */
const idString = z.pipe(
  z.union([z.string().check(z.minLength(1)), z.number().check(z.int(), z.nonnegative())]),
  z.transform(String),
);

/** Free-form values Meta documents as strings but sometimes sends as numbers (ref, num_edit). */
const looseString = z.pipe(z.union([z.string(), z.number()]), z.transform(String));

/** Milliseconds since the epoch; the docs show numbers, some examples show numeric strings. */
const epochMillis = z.lazy(() => z.union([z.number(), z.string()]));

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
export const EntrySchema = z.lazy(() =>
  z.looseObject({
    /** The page id (object `page`) or Instagram professional account id (object `instagram`). */
    id: idString,
    time: z.optional(epochMillis),
  }),
);

const ParticipantSchema = z.lazy(() => z.looseObject({ id: idString }));

/** What every messaging item carries besides its one event. */
export const MessagingItemBaseSchema = z.lazy(() =>
  z.looseObject({
    sender: ParticipantSchema,
    recipient: ParticipantSchema,
    timestamp: z.optional(epochMillis),
  }),
);
export type MessagingItemBase = z.infer<typeof MessagingItemBaseSchema>;

export const ReferralSchema = z.lazy(() =>
  z.looseObject({
    ref: z.optional(looseString),
    source: z.optional(z.string()),
    type: z.optional(z.string()),
    ad_id: z.optional(idString),
    referer_uri: z.optional(z.string()),
    ads_context_data: z.optional(
      z.looseObject({
        ad_title: z.optional(z.string()),
        photo_url: z.optional(z.string()),
        video_url: z.optional(z.string()),
        post_id: z.optional(idString),
        product_id: z.optional(idString),
      }),
    ),
  }),
);
export type MetaReferral = z.infer<typeof ReferralSchema>;

export const AttachmentSchema = z.lazy(() =>
  z.looseObject({
    type: z.string(),
    /** Absent or null on `fallback` attachments of unsupported shares. */
    payload: z.nullish(
      z.looseObject({
        url: z.optional(z.string()),
        title: z.optional(z.string()),
        sticker_id: z.optional(idString),
        coordinates: z.optional(z.looseObject({ lat: z.number(), long: z.number() })),
      }),
    ),
    /** Older `fallback` attachments put title and url beside the payload. */
    title: z.nullish(z.string()),
    url: z.nullish(z.string()),
  }),
);
export type Attachment = z.infer<typeof AttachmentSchema>;

export const MessageSchema = z.lazy(() =>
  z.looseObject({
    mid: z.string().check(z.minLength(1)),
    text: z.optional(z.string()),
    is_echo: z.optional(z.boolean()),
    app_id: z.optional(idString),
    metadata: z.optional(z.string()),
    quick_reply: z.optional(z.looseObject({ payload: looseString })),
    reply_to: z.optional(
      z.looseObject({ mid: z.optional(z.string().check(z.minLength(1))), story: z.optional(z.unknown()) }),
    ),
    attachments: z.optional(z.array(z.unknown())),
    referral: z.optional(ReferralSchema),
    /** Instagram: the customer unsent the message. */
    is_deleted: z.optional(z.boolean()),
    /** Instagram: the customer sent something the API cannot represent. */
    is_unsupported: z.optional(z.boolean()),
  }),
);
export type MetaMessage = z.infer<typeof MessageSchema>;

export const PostbackSchema = z.lazy(() =>
  z.looseObject({
    mid: z.optional(z.string().check(z.minLength(1))),
    title: z.optional(z.string()),
    payload: z.optional(looseString),
    referral: z.optional(ReferralSchema),
  }),
);
export type MetaPostback = z.infer<typeof PostbackSchema>;

export const ReactionSchema = z.lazy(() =>
  z.looseObject({
    mid: z.string().check(z.minLength(1)),
    action: z.enum(['react', 'unreact']),
    emoji: z.optional(z.string()),
    /** Meta's word for it: smile, angry, sad, wow, love, like, dislike, other. */
    reaction: z.optional(z.string()),
  }),
);

export const ReadSchema = z.lazy(() => z.looseObject({ watermark: epochMillis }));

export const DeliverySchema = z.lazy(() =>
  z.looseObject({
    mids: z.optional(z.array(z.string().check(z.minLength(1)))),
    watermark: epochMillis,
  }),
);

export const MessageEditSchema = z.lazy(() =>
  z.looseObject({
    mid: z.string().check(z.minLength(1)),
    text: z.optional(z.string()),
    num_edit: z.optional(looseString),
  }),
);

export const OptinSchema = z.lazy(() =>
  z.looseObject({
    type: z.optional(z.string()),
    ref: z.optional(looseString),
    payload: z.optional(looseString),
    notification_messages_status: z.optional(z.string()),
  }),
);

/** Keys every messaging item has; whatever else it holds names its event. */
export const ITEM_FRAME_KEYS: ReadonlySet<string> = new Set(['sender', 'recipient', 'timestamp']);

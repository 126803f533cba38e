import * as v from 'valibot';
import { int, jsonNumber, lazily, looseObject, nonEmptyString } from '#shared/validation/schema.ts';

/**
 * valibot schemas of the Messenger Platform webhook (Facebook pages and Instagram accounts). Every
 * object is loose so fields Meta adds later never break parsing; arrays of provider items are
 * `unknown[]` here and parsed item by item, so one odd item never costs the rest of the batch.
 * Each is built by `lazily` on its first parse (see shared/validation/schema.ts), so a cold start
 * builds only what its first request reads.
 */

/** Meta ids are strings, but a few (app_id, sticker_id, ad_id) arrive as JSON numbers. */
const idString = v.pipe(v.union([nonEmptyString(), v.pipe(int(), v.minValue(0))]), v.transform(String));

/** Free-form values Meta documents as strings but sometimes sends as numbers (ref, num_edit). */
const looseString = v.pipe(v.union([v.string(), jsonNumber()]), v.transform(String));

/**
 * An optional descriptive value (a text, a title, an emoji, an ad's data…) that Meta may also send
 * as JSON null: null reads as absent, so the output is the value or undefined, never null, and one
 * null never makes the item unrecognised. Ids that name the item (`mid`, `sender.id`,
 * `recipient.id`) stay strict.
 */
const orAbsent = <TSchema extends v.GenericSchema>(schema: TSchema) =>
  v.pipe(
    v.nullish(schema),
    v.transform((value) => value ?? undefined),
  );

/**
 * A descriptive value that is never a reason to lose its item: absent when it is null or not what
 * the schema expects (an empty id, another shape). For fields read after their item's schema had long
 * let them through unread (a referral's product and flow), and an opt-in's free-form terms.
 */
const orOmitted = <TSchema extends v.GenericSchema>(schema: TSchema) =>
  v.fallback(orAbsent(schema), undefined);

/** Milliseconds since the epoch; the docs show numbers, some examples show numeric strings. */
const epochMillis = lazily(() => v.union([jsonNumber(), v.string()]));

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
export const EntrySchema = lazily(() =>
  looseObject({
    /** The page id (object `page`) or Instagram professional account id (object `instagram`). */
    id: idString,
    time: orAbsent(epochMillis),
  }),
);

const ParticipantSchema = lazily(() => looseObject({ id: idString }));

/** What every messaging item carries besides its one event. */
export const MessagingItemBaseSchema = lazily(() =>
  looseObject({
    sender: ParticipantSchema,
    recipient: ParticipantSchema,
    /** Null reads as absent, as a missing one: the hub dates the item by its arrival. */
    timestamp: orAbsent(epochMillis),
  }),
);
export type MessagingItemBase = v.InferOutput<typeof MessagingItemBaseSchema>;

export const ReferralSchema = lazily(() =>
  looseObject({
    ref: orAbsent(looseString),
    source: orAbsent(v.string()),
    type: orAbsent(v.string()),
    ad_id: orAbsent(idString),
    referer_uri: orAbsent(v.string()),
    ads_context_data: orAbsent(
      looseObject({
        ad_title: orAbsent(v.string()),
        photo_url: orAbsent(v.string()),
        video_url: orAbsent(v.string()),
        post_id: orAbsent(idString),
        product_id: orAbsent(idString),
        /** The welcome message flow a click-to-Messenger ad starts (not an id: left out, see `product`). */
        flow_id: orOmitted(idString),
      }),
    ),
    /**
     * A message sent from a Shops product's page: the product the customer wrote about. Read since
     * 2026-12-07; one that is no object with an id is left out rather than make the message
     * unrecognised, as it was recognised before (found by a review).
     */
    product: orOmitted(looseObject({ id: orAbsent(idString) })),
  }),
);
export type MetaReferral = v.InferOutput<typeof ReferralSchema>;

export const AttachmentSchema = lazily(() =>
  looseObject({
    type: v.string(),
    /** Absent or null on `fallback` attachments of unsupported shares. */
    payload: v.nullish(
      looseObject({
        url: orAbsent(v.string()),
        title: orAbsent(v.string()),
        sticker_id: orAbsent(idString),
        coordinates: orAbsent(looseObject({ lat: jsonNumber(), long: jsonNumber() })),
      }),
    ),
    /** Older `fallback` attachments put title and url beside the payload. */
    title: v.nullish(v.string()),
    url: v.nullish(v.string()),
  }),
);
export type Attachment = v.InferOutput<typeof AttachmentSchema>;

export const MessageSchema = lazily(() =>
  looseObject({
    mid: nonEmptyString(),
    text: orAbsent(v.string()),
    is_echo: orAbsent(v.boolean()),
    app_id: orAbsent(idString),
    metadata: orAbsent(v.string()),
    /** A tapped quick reply; one whose payload is null is still the tap, without a payload. */
    quick_reply: orAbsent(looseObject({ payload: orAbsent(looseString) })),
    reply_to: orAbsent(looseObject({ mid: orAbsent(nonEmptyString()), story: orAbsent(v.unknown()) })),
    attachments: orAbsent(v.array(v.unknown())),
    referral: orAbsent(ReferralSchema),
    /** Instagram: the customer unsent the message. */
    is_deleted: orAbsent(v.boolean()),
    /** Instagram: the customer sent something the API cannot represent. */
    is_unsupported: orAbsent(v.boolean()),
  }),
);
export type MetaMessage = v.InferOutput<typeof MessageSchema>;

export const PostbackSchema = lazily(() =>
  looseObject({
    mid: v.optional(nonEmptyString()),
    title: orAbsent(v.string()),
    payload: orAbsent(looseString),
    referral: orAbsent(ReferralSchema),
  }),
);
export type MetaPostback = v.InferOutput<typeof PostbackSchema>;

export const ReactionSchema = lazily(() =>
  looseObject({
    mid: nonEmptyString(),
    action: v.picklist(['react', 'unreact']),
    emoji: orAbsent(v.string()),
    /** Meta's word for it: smile, angry, sad, wow, love, like, dislike, other. */
    reaction: orAbsent(v.string()),
  }),
);

/**
 * Messenger's `message_reads` item is `read: {watermark}` (everything up to it was read); Instagram's
 * `messaging_seen` item is `read: {mid}` (that one message). One of the two is required; the other
 * may be null, read as absent like a descriptive field (before 2026-12-08 a null made the receipt
 * unsupported).
 */
export const ReadSchema = lazily(() =>
  v.pipe(
    looseObject({ watermark: orAbsent(epochMillis), mid: orAbsent(nonEmptyString()) }),
    v.check((read) => read.watermark !== undefined || read.mid !== undefined),
  ),
);

/**
 * `delivery: {mids, watermark}`: the listed messages, and every one before the watermark. Either may
 * be null or absent, but not both: a receipt naming no message is no status.
 */
export const DeliverySchema = lazily(() =>
  v.pipe(
    looseObject({ mids: orAbsent(v.array(nonEmptyString())), watermark: orAbsent(epochMillis) }),
    v.check((delivery) => delivery.watermark !== undefined || (delivery.mids ?? []).length > 0),
  ),
);

export const MessageEditSchema = lazily(() =>
  looseObject({
    mid: nonEmptyString(),
    text: orAbsent(v.string()),
    num_edit: orAbsent(looseString),
  }),
);

/**
 * A Marketing Messages opt-in's terms are free-form: one that is no string is left out (orOmitted),
 * never a reason to lose the consent it comes with.
 */
export const OptinSchema = lazily(() =>
  looseObject({
    type: orAbsent(v.string()),
    ref: orAbsent(looseString),
    payload: orAbsent(looseString),
    notification_messages_status: orAbsent(v.string()),
    title: orOmitted(looseString),
    notification_messages_token: orOmitted(looseString),
    notification_messages_frequency: orOmitted(looseString),
    notification_messages_timezone: orOmitted(looseString),
    token_expiry_timestamp: orOmitted(epochMillis),
    user_token_status: orOmitted(looseString),
  }),
);

/** Keys every messaging item has; whatever else it holds names its event. */
export const ITEM_FRAME_KEYS: ReadonlySet<string> = new Set(['sender', 'recipient', 'timestamp']);

import * as v from 'valibot';
import { finiteNumber, jsonNumber, lazily, looseObject, nonEmptyString } from '#shared/validation/schema.ts';

/**
 * valibot schemas of the WhatsApp Cloud API webhook, from Meta's webhook reference. Every object is
 * loose so fields Meta adds later never break parsing, and arrays are kept as `unknown[]` at the
 * level above so one malformed item is kept as unsupported without failing its neighbours.
 * Each object is wrapped in `lazily`: building the ~150 schemas at import would cost every cold
 * start, so each is built on its first parse instead, and a cold start builds only what its first
 * request reads (the other webhooks' schemas and the config's are written the same way).
 */

/** Meta sends ids and times as strings but older payloads and samples use numbers (finite ones). */
const stringish = v.pipe(v.union([v.string(), jsonNumber()]), v.transform(String));
const nonEmptyId = v.pipe(stringish, v.minLength(1));
const optionalString = () => v.optional(v.string());
const optionalStringish = () => v.optional(stringish);
const optionalBoolean = () => v.optional(v.boolean());
/**
 * A descriptive field added after its object was first read (a card's birthday, an ad's media): one
 * that is not what Meta documents is left out, never a reason to lose the message it came with.
 */
const tolerated = <const TSchema extends v.GenericSchema>(schema: TSchema) =>
  v.fallback(v.optional(schema), undefined);
const toleratedString = () => tolerated(v.string());

export const EntrySchema = lazily(() =>
  looseObject({
    id: nonEmptyId,
    changes: v.array(v.unknown()),
  }),
);

export const ChangeSchema = lazily(() =>
  looseObject({
    field: nonEmptyString(),
    value: v.unknown(),
  }),
);

const MetadataSchema = lazily(() =>
  looseObject({
    display_phone_number: optionalStringish(),
    phone_number_id: nonEmptyId,
  }),
);

/** The `value` of the fields that concern one business phone number. */
export const PhoneNumberValueSchema = lazily(() =>
  looseObject({
    metadata: MetadataSchema,
    contacts: v.optional(v.array(v.unknown())),
  }),
);

export const ContactEntrySchema = lazily(() =>
  looseObject({
    profile: v.optional(looseObject({ name: optionalString(), username: optionalString() })),
    wa_id: optionalStringish(),
    /** Business-scoped user id (BSUID). */
    user_id: optionalString(),
  }),
);
export type ContactEntry = v.InferOutput<typeof ContactEntrySchema>;

export const ProviderErrorItemSchema = lazily(() =>
  looseObject({
    code: stringish,
    title: optionalString(),
    message: optionalString(),
    error_data: v.optional(looseObject({ details: optionalString() })),
  }),
);
export type ProviderErrorItem = v.InferOutput<typeof ProviderErrorItemSchema>;

const ContextSchema = lazily(() =>
  looseObject({
    id: optionalString(),
    from: optionalStringish(),
    forwarded: optionalBoolean(),
    frequently_forwarded: optionalBoolean(),
    /** The catalog product a product enquiry ("Message business" on a product) asks about. */
    referred_product: v.optional(looseObject({ catalog_id: stringish, product_retailer_id: stringish })),
  }),
);

const ReferralItemSchema = lazily(() =>
  looseObject({
    source_url: optionalString(),
    source_id: optionalStringish(),
    source_type: optionalString(),
    headline: optionalString(),
    body: optionalString(),
    media_type: optionalString(),
    image_url: toleratedString(),
    video_url: toleratedString(),
    thumbnail_url: toleratedString(),
    ctwa_clid: optionalString(),
    welcome_message: tolerated(looseObject({ text: toleratedString() })),
  }),
);

/** What every message (inbound or echoed) has; the content sits under the key named by `type`. */
export const MessageItemSchema = lazily(() =>
  looseObject({
    id: nonEmptyString(),
    type: nonEmptyString(),
    timestamp: optionalStringish(),
    from: optionalStringish(),
    from_user_id: optionalString(),
    to: optionalStringish(),
    to_user_id: optionalString(),
    /** Set on a message sent in a group (Groups API): `from` is then a participant (./groups.ts). */
    group_id: optionalString(),
    /** `group` would name a group as recipient, as on statuses (./groups.ts). */
    recipient_type: optionalString(),
    context: v.optional(ContextSchema),
    referral: v.optional(ReferralItemSchema),
    errors: v.optional(v.array(ProviderErrorItemSchema)),
  }),
);
export type MessageItem = v.InferOutput<typeof MessageItemSchema>;

export const TextContentSchema = lazily(() => looseObject({ body: v.string() }));

export const MediaContentSchema = lazily(() =>
  looseObject({
    id: nonEmptyId,
    mime_type: optionalString(),
    sha256: optionalString(),
    caption: optionalString(),
    filename: optionalString(),
    voice: optionalBoolean(),
    animated: optionalBoolean(),
  }),
);

export const LocationContentSchema = lazily(() =>
  looseObject({
    latitude: v.pipe(v.number(), v.minValue(-90), v.maxValue(90)),
    longitude: v.pipe(v.number(), v.minValue(-180), v.maxValue(180)),
    name: optionalString(),
    address: optionalString(),
    url: optionalString(),
  }),
);

const SharedContactItemSchema = lazily(() =>
  looseObject({
    name: v.optional(
      looseObject({
        formatted_name: optionalString(),
        first_name: optionalString(),
        middle_name: toleratedString(),
        last_name: optionalString(),
        prefix: toleratedString(),
        suffix: toleratedString(),
      }),
    ),
    birthday: toleratedString(),
    addresses: tolerated(
      v.array(
        looseObject({
          street: toleratedString(),
          city: toleratedString(),
          state: toleratedString(),
          zip: tolerated(stringish),
          country: toleratedString(),
          country_code: toleratedString(),
          type: toleratedString(),
        }),
      ),
    ),
    phones: v.optional(
      v.array(
        looseObject({
          phone: optionalStringish(),
          type: optionalString(),
          wa_id: optionalStringish(),
        }),
      ),
    ),
    emails: v.optional(v.array(looseObject({ email: optionalString(), type: optionalString() }))),
    org: v.optional(
      looseObject({ company: optionalString(), department: toleratedString(), title: toleratedString() }),
    ),
    urls: v.optional(v.array(looseObject({ url: optionalString(), type: toleratedString() }))),
  }),
);
export const ContactsContentSchema = lazily(() => v.pipe(v.array(SharedContactItemSchema), v.minLength(1)));

export const InteractiveContentSchema = lazily(() =>
  looseObject({
    type: v.string(),
    button_reply: v.optional(looseObject({ id: v.string(), title: optionalString() })),
    list_reply: v.optional(
      looseObject({ id: v.string(), title: optionalString(), description: optionalString() }),
    ),
    nfm_reply: v.optional(
      looseObject({ response_json: v.string(), name: optionalString(), body: optionalString() }),
    ),
  }),
);

export const ButtonContentSchema = lazily(() =>
  looseObject({
    payload: optionalString(),
    text: optionalString(),
  }),
);

export const ReactionContentSchema = lazily(() =>
  looseObject({
    message_id: nonEmptyString(),
    emoji: optionalString(),
  }),
);

export const OrderContentSchema = lazily(() =>
  looseObject({
    catalog_id: stringish,
    text: optionalString(),
    product_items: v.array(
      looseObject({
        product_retailer_id: stringish,
        quantity: finiteNumber(),
        item_price: v.optional(finiteNumber()),
        currency: optionalString(),
      }),
    ),
  }),
);

export const SystemContentSchema = lazily(() =>
  looseObject({
    type: optionalString(),
    body: optionalString(),
    /** The new wa_id on `user_changed_number` (`new_wa_id` in older webhook versions). */
    wa_id: optionalStringish(),
    new_wa_id: optionalStringish(),
    /** The new BSUID on `user_changed_user_id`. */
    user_id: optionalString(),
  }),
);

export const UnsupportedContentSchema = lazily(() => looseObject({ type: optionalString() }));

/** The edited message, whose unsupported part carries it whole: `type` first, then every other key as sent. */
const EditedMessageSchema = () => looseObject({ type: nonEmptyString() });

export const EditContentSchema = lazily(() =>
  looseObject({
    original_message_id: nonEmptyString(),
    message: EditedMessageSchema(),
  }),
);

export const RevokeContentSchema = lazily(() => looseObject({ original_message_id: nonEmptyString() }));

export const StatusItemSchema = lazily(() =>
  looseObject({
    id: nonEmptyString(),
    status: nonEmptyString(),
    timestamp: optionalStringish(),
    recipient_id: optionalStringish(),
    recipient_user_id: optionalString(),
    recipient_type: optionalString(),
    /** Set on a status of a message in a group (./groups.ts). */
    group_id: optionalString(),
    /** What the business sent with the message (`biz_opaque_callback_data`), echoed in its statuses. */
    biz_opaque_callback_data: optionalString(),
    errors: v.optional(v.array(ProviderErrorItemSchema)),
    pricing: v.optional(
      looseObject({
        billable: optionalBoolean(),
        pricing_model: optionalString(),
        category: optionalString(),
        type: optionalString(),
      }),
    ),
  }),
);

export const UserPreferenceItemSchema = lazily(() =>
  looseObject({
    wa_id: optionalStringish(),
    user_id: optionalString(),
    category: v.string(),
    value: v.string(),
    detail: optionalString(),
    timestamp: optionalStringish(),
  }),
);

/**
 * The media session a call's `connect` carries: only its `sdp_type` is read (`offer` on a call the
 * customer placed, `answer` on one the business placed); the SDP itself is the business's calling
 * stack's, never read or kept by the hub.
 */
const CallSessionSchema = lazily(() => looseObject({ sdp_type: optionalString() }));

/**
 * One `calls[]` item of the `calls` field (the Calling API): a call's `connect` (it rings) or
 * `terminate` (it ended: `status`, `COMPLETED` or `FAILED` with its `errors`, and when it was
 * picked up `start_time`, `end_time`, `duration`).
 * `direction` is `USER_INITIATED` (the customer called: `from` is theirs) or `BUSINESS_INITIATED`;
 * a `connect` may come without it. A `session` this hub cannot read counts as none: it only ever
 * stands in for a missing `direction`, and must not cost the rest of the item.
 */
export const CallItemSchema = lazily(() =>
  looseObject({
    id: nonEmptyString(),
    event: nonEmptyString(),
    timestamp: optionalStringish(),
    direction: optionalString(),
    from: optionalStringish(),
    from_user_id: optionalString(),
    to: optionalStringish(),
    to_user_id: optionalString(),
    status: optionalString(),
    start_time: optionalStringish(),
    end_time: optionalStringish(),
    duration: optionalStringish(),
    /** Why a call failed (`status: FAILED`), as on messages: 138021 when the customer's app sent no media… */
    errors: v.optional(v.array(ProviderErrorItemSchema)),
    session: v.fallback(v.optional(CallSessionSchema), undefined),
  }),
);
export type CallItem = v.InferOutput<typeof CallItemSchema>;

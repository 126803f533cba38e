import * as z from 'zod/mini';

/**
 * Zod schemas of the WhatsApp Cloud API webhook, from Meta's webhook reference. Every object is
 * loose so fields Meta adds later never break parsing, and arrays are kept as `unknown[]` at the
 * level above so one malformed item is kept as unsupported without failing its neighbours.
 * Written with `zod/mini` (functions instead of methods, tree-shaken), and each object wrapped in
 * `z.lazy`: building a zod schema costs tens of microseconds, these ~150 about 10 ms, so each is
 * built on its first parse instead of at import, and a cold start builds only what its first
 * request reads (the other webhooks' schemas and the config's are written the same way).
 */

/** Meta sends ids and times as strings but older payloads and samples use numbers. */
const stringish = z.pipe(z.union([z.string(), z.number()]), z.transform(String));
const nonEmpty = () => z.string().check(z.minLength(1));
const nonEmptyId = z.pipe(stringish, nonEmpty());
const optionalString = () => z.optional(z.string());
const optionalStringish = () => z.optional(stringish);
const optionalBoolean = () => z.optional(z.boolean());

export const EntrySchema = z.lazy(() =>
  z.looseObject({
    id: nonEmptyId,
    changes: z.array(z.unknown()),
  }),
);

export const ChangeSchema = z.lazy(() =>
  z.looseObject({
    field: nonEmpty(),
    value: z.unknown(),
  }),
);

const MetadataSchema = z.lazy(() =>
  z.looseObject({
    display_phone_number: optionalStringish(),
    phone_number_id: nonEmptyId,
  }),
);

/** The `value` of the fields that concern one business phone number. */
export const PhoneNumberValueSchema = z.lazy(() =>
  z.looseObject({
    metadata: MetadataSchema,
    contacts: z.optional(z.array(z.unknown())),
  }),
);

export const ContactEntrySchema = z.lazy(() =>
  z.looseObject({
    profile: z.optional(z.looseObject({ name: optionalString(), username: optionalString() })),
    wa_id: optionalStringish(),
    /** Business-scoped user id (BSUID). */
    user_id: optionalString(),
  }),
);
export type ContactEntry = z.infer<typeof ContactEntrySchema>;

export const ProviderErrorItemSchema = z.lazy(() =>
  z.looseObject({
    code: stringish,
    title: optionalString(),
    message: optionalString(),
    error_data: z.optional(z.looseObject({ details: optionalString() })),
  }),
);
export type ProviderErrorItem = z.infer<typeof ProviderErrorItemSchema>;

const ContextSchema = z.lazy(() =>
  z.looseObject({
    id: optionalString(),
    from: optionalStringish(),
    forwarded: optionalBoolean(),
    frequently_forwarded: optionalBoolean(),
  }),
);

const ReferralItemSchema = z.lazy(() =>
  z.looseObject({
    source_url: optionalString(),
    source_id: optionalStringish(),
    source_type: optionalString(),
    headline: optionalString(),
    body: optionalString(),
    media_type: optionalString(),
    ctwa_clid: optionalString(),
  }),
);

/** What every message (inbound or echoed) has; the content sits under the key named by `type`. */
export const MessageItemSchema = z.lazy(() =>
  z.looseObject({
    id: nonEmpty(),
    type: nonEmpty(),
    timestamp: optionalStringish(),
    from: optionalStringish(),
    from_user_id: optionalString(),
    to: optionalStringish(),
    to_user_id: optionalString(),
    context: z.optional(ContextSchema),
    referral: z.optional(ReferralItemSchema),
    errors: z.optional(z.array(ProviderErrorItemSchema)),
  }),
);
export type MessageItem = z.infer<typeof MessageItemSchema>;

export const TextContentSchema = z.lazy(() => z.looseObject({ body: z.string() }));

export const MediaContentSchema = z.lazy(() =>
  z.looseObject({
    id: nonEmptyId,
    mime_type: optionalString(),
    sha256: optionalString(),
    caption: optionalString(),
    filename: optionalString(),
    voice: optionalBoolean(),
    animated: optionalBoolean(),
  }),
);

export const LocationContentSchema = z.lazy(() =>
  z.looseObject({
    latitude: z.number().check(z.gte(-90), z.lte(90)),
    longitude: z.number().check(z.gte(-180), z.lte(180)),
    name: optionalString(),
    address: optionalString(),
    url: optionalString(),
  }),
);

const SharedContactItemSchema = z.lazy(() =>
  z.looseObject({
    name: z.optional(
      z.looseObject({
        formatted_name: optionalString(),
        first_name: optionalString(),
        last_name: optionalString(),
      }),
    ),
    phones: z.optional(
      z.array(
        z.looseObject({
          phone: optionalStringish(),
          type: optionalString(),
          wa_id: optionalStringish(),
        }),
      ),
    ),
    emails: z.optional(z.array(z.looseObject({ email: optionalString(), type: optionalString() }))),
    org: z.optional(z.looseObject({ company: optionalString() })),
    urls: z.optional(z.array(z.looseObject({ url: optionalString() }))),
  }),
);
export const ContactsContentSchema = z.lazy(() => z.array(SharedContactItemSchema).check(z.minLength(1)));

export const InteractiveContentSchema = z.lazy(() =>
  z.looseObject({
    type: z.string(),
    button_reply: z.optional(z.looseObject({ id: z.string(), title: optionalString() })),
    list_reply: z.optional(
      z.looseObject({ id: z.string(), title: optionalString(), description: optionalString() }),
    ),
    nfm_reply: z.optional(
      z.looseObject({ response_json: z.string(), name: optionalString(), body: optionalString() }),
    ),
  }),
);

export const ButtonContentSchema = z.lazy(() =>
  z.looseObject({
    payload: optionalString(),
    text: optionalString(),
  }),
);

export const ReactionContentSchema = z.lazy(() =>
  z.looseObject({
    message_id: nonEmpty(),
    emoji: optionalString(),
  }),
);

/** A number sent as a number or a numeric string (zod 4's `z.number()` refuses NaN and ±Infinity). */
const finiteNumber = () => z.pipe(z.coerce.number(), z.number());

export const OrderContentSchema = z.lazy(() =>
  z.looseObject({
    catalog_id: stringish,
    text: optionalString(),
    product_items: z.array(
      z.looseObject({
        product_retailer_id: stringish,
        quantity: finiteNumber(),
        item_price: z.optional(finiteNumber()),
        currency: optionalString(),
      }),
    ),
  }),
);

export const SystemContentSchema = z.lazy(() =>
  z.looseObject({
    type: optionalString(),
    body: optionalString(),
    /** The new wa_id on `user_changed_number`. */
    wa_id: optionalStringish(),
    /** The new BSUID on `user_changed_user_id`. */
    user_id: optionalString(),
  }),
);

export const UnsupportedContentSchema = z.lazy(() => z.looseObject({ type: optionalString() }));

export const EditContentSchema = z.lazy(() =>
  z.looseObject({
    original_message_id: nonEmpty(),
    message: z.looseObject({ type: nonEmpty() }),
  }),
);

export const RevokeContentSchema = z.lazy(() => z.looseObject({ original_message_id: nonEmpty() }));

export const StatusItemSchema = z.lazy(() =>
  z.looseObject({
    id: nonEmpty(),
    status: nonEmpty(),
    timestamp: optionalStringish(),
    recipient_id: optionalStringish(),
    recipient_user_id: optionalString(),
    recipient_type: optionalString(),
    /** What the business sent with the message (`biz_opaque_callback_data`), echoed in its statuses. */
    biz_opaque_callback_data: optionalString(),
    errors: z.optional(z.array(ProviderErrorItemSchema)),
    pricing: z.optional(
      z.looseObject({
        billable: optionalBoolean(),
        pricing_model: optionalString(),
        category: optionalString(),
        type: optionalString(),
      }),
    ),
  }),
);

export const UserPreferenceItemSchema = z.lazy(() =>
  z.looseObject({
    wa_id: optionalStringish(),
    user_id: optionalString(),
    category: z.string(),
    value: z.string(),
    detail: optionalString(),
    timestamp: optionalStringish(),
  }),
);

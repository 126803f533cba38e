import { z } from 'zod';

/**
 * Zod schemas of the WhatsApp Cloud API webhook, from Meta's webhook reference. Every object is
 * loose so fields Meta adds later never break parsing, and arrays are kept as `unknown[]` at the
 * level above so one malformed item is kept as unsupported without failing its neighbours.
 */

/** Meta sends ids and times as strings but older payloads and samples use numbers. */
const stringish = z.union([z.string(), z.number()]).transform(String);

export const EntrySchema = z.looseObject({
  id: stringish.pipe(z.string().min(1)),
  changes: z.array(z.unknown()),
});

export const ChangeSchema = z.looseObject({
  field: z.string().min(1),
  value: z.unknown(),
});

const MetadataSchema = z.looseObject({
  display_phone_number: stringish.optional(),
  phone_number_id: stringish.pipe(z.string().min(1)),
});

/** The `value` of the fields that concern one business phone number. */
export const PhoneNumberValueSchema = z.looseObject({
  metadata: MetadataSchema,
  contacts: z.array(z.unknown()).optional(),
});

export const ContactEntrySchema = z.looseObject({
  profile: z.looseObject({ name: z.string().optional(), username: z.string().optional() }).optional(),
  wa_id: stringish.optional(),
  /** Business-scoped user id (BSUID). */
  user_id: z.string().optional(),
});
export type ContactEntry = z.infer<typeof ContactEntrySchema>;

export const ProviderErrorItemSchema = z.looseObject({
  code: stringish,
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});
export type ProviderErrorItem = z.infer<typeof ProviderErrorItemSchema>;

const ContextSchema = z.looseObject({
  id: z.string().optional(),
  from: stringish.optional(),
  forwarded: z.boolean().optional(),
  frequently_forwarded: z.boolean().optional(),
});

const ReferralItemSchema = z.looseObject({
  source_url: z.string().optional(),
  source_id: stringish.optional(),
  source_type: z.string().optional(),
  headline: z.string().optional(),
  body: z.string().optional(),
  media_type: z.string().optional(),
  ctwa_clid: z.string().optional(),
});

/** What every message (inbound or echoed) has; the content sits under the key named by `type`. */
export const MessageItemSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  timestamp: stringish.optional(),
  from: stringish.optional(),
  from_user_id: z.string().optional(),
  to: stringish.optional(),
  to_user_id: z.string().optional(),
  context: ContextSchema.optional(),
  referral: ReferralItemSchema.optional(),
  errors: z.array(ProviderErrorItemSchema).optional(),
});
export type MessageItem = z.infer<typeof MessageItemSchema>;

export const TextContentSchema = z.looseObject({ body: z.string() });

export const MediaContentSchema = z.looseObject({
  id: stringish.pipe(z.string().min(1)),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  caption: z.string().optional(),
  filename: z.string().optional(),
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});

export const LocationContentSchema = z.looseObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});

const SharedContactItemSchema = z.looseObject({
  name: z
    .looseObject({
      formatted_name: z.string().optional(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
    })
    .optional(),
  phones: z
    .array(
      z.looseObject({
        phone: stringish.optional(),
        type: z.string().optional(),
        wa_id: stringish.optional(),
      }),
    )
    .optional(),
  emails: z.array(z.looseObject({ email: z.string().optional(), type: z.string().optional() })).optional(),
  org: z.looseObject({ company: z.string().optional() }).optional(),
  urls: z.array(z.looseObject({ url: z.string().optional() })).optional(),
});
export const ContactsContentSchema = z.array(SharedContactItemSchema).min(1);

export const InteractiveContentSchema = z.looseObject({
  type: z.string(),
  button_reply: z.looseObject({ id: z.string(), title: z.string().optional() }).optional(),
  list_reply: z
    .looseObject({ id: z.string(), title: z.string().optional(), description: z.string().optional() })
    .optional(),
  nfm_reply: z
    .looseObject({ response_json: z.string(), name: z.string().optional(), body: z.string().optional() })
    .optional(),
});

export const ButtonContentSchema = z.looseObject({
  payload: z.string().optional(),
  text: z.string().optional(),
});

export const ReactionContentSchema = z.looseObject({
  message_id: z.string().min(1),
  emoji: z.string().optional(),
});

export const OrderContentSchema = z.looseObject({
  catalog_id: stringish,
  text: z.string().optional(),
  product_items: z.array(
    z.looseObject({
      product_retailer_id: stringish,
      quantity: z.coerce.number().pipe(z.number().finite()),
      item_price: z.coerce.number().pipe(z.number().finite()).optional(),
      currency: z.string().optional(),
    }),
  ),
});

export const SystemContentSchema = z.looseObject({
  type: z.string().optional(),
  body: z.string().optional(),
  /** The new wa_id on `user_changed_number`. */
  wa_id: stringish.optional(),
  /** The new BSUID on `user_changed_user_id`. */
  user_id: z.string().optional(),
});

export const UnsupportedContentSchema = z.looseObject({ type: z.string().optional() });

export const EditContentSchema = z.looseObject({
  original_message_id: z.string().min(1),
  message: z.looseObject({ type: z.string().min(1) }),
});

export const RevokeContentSchema = z.looseObject({ original_message_id: z.string().min(1) });

export const StatusItemSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: stringish.optional(),
  recipient_id: stringish.optional(),
  recipient_user_id: z.string().optional(),
  recipient_type: z.string().optional(),
  /** What the business sent with the message (`biz_opaque_callback_data`), echoed in its statuses. */
  biz_opaque_callback_data: z.string().optional(),
  errors: z.array(ProviderErrorItemSchema).optional(),
  pricing: z
    .looseObject({
      billable: z.boolean().optional(),
      pricing_model: z.string().optional(),
      category: z.string().optional(),
      type: z.string().optional(),
    })
    .optional(),
});

export const UserPreferenceItemSchema = z.looseObject({
  wa_id: stringish.optional(),
  user_id: z.string().optional(),
  category: z.string(),
  value: z.string(),
  detail: z.string().optional(),
  timestamp: stringish.optional(),
});

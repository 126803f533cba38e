import { z } from 'zod';
import { ProviderErrorSchema, TimestampSchema } from './common.ts';

/**
 * Where the bytes of a media item are. Bytes never travel in events: either the provider still
 * holds them (a URL, possibly needing the provider's credentials, or a media id to resolve through
 * the provider's API), or the hub stored them in its own bucket.
 */
export const MediaRefSchema = z
  .discriminatedUnion('store', [
    z.object({
      store: z.literal('provider_url'),
      url: z.url().meta({
        description:
          "An RFC 3986 URI: the provider's http(s) URL as the WHATWG parser serializes it, with what that leaves outside RFC 3986 percent-encoded.",
      }),
      /** True when fetching needs the provider's credentials (Twilio media, for instance). */
      requiresAuth: z.boolean(),
    }),
    z.object({
      store: z.literal('provider_media_id'),
      /** Provider media id, e.g. a WhatsApp media id resolved with GET /{media-id}. */
      mediaId: z.string().min(1),
    }),
    z.object({
      store: z.literal('s3'),
      /** Object key in the hub's payload bucket (the bucket name is a deployment output). */
      key: z.string().min(1),
    }),
  ])
  .meta({ id: 'MediaRef' });
export type MediaRef = z.infer<typeof MediaRefSchema>;

export const TextPartSchema = z
  .object({ type: z.literal('text'), text: z.string() })
  .meta({ id: 'TextPart' });

export const MediaKindSchema = z.enum(['image', 'audio', 'voice', 'video', 'file', 'sticker']);
export type MediaKind = z.infer<typeof MediaKindSchema>;

export const MediaPartSchema = z
  .object({
    type: z.literal('media'),
    kind: MediaKindSchema,
    mimeType: z.string().optional(),
    size: z.number().int().nonnegative().optional(),
    filename: z.string().optional(),
    caption: z.string().optional(),
    sha256: z.string().optional(),
    animated: z.boolean().optional(),
    /** E-mail: the Content-ID an HTML body refers to (`cid:`), for inline images. */
    contentId: z.string().optional(),
    inline: z.boolean().optional(),
    ref: MediaRefSchema,
  })
  .meta({ id: 'MediaPart' });

export const LinkPartSchema = z
  .object({
    type: z.literal('link'),
    url: z.string(),
    title: z.string().optional(),
  })
  .meta({ id: 'LinkPart', description: 'A shared link (Messenger `fallback` attachment).' });

export const LocationPartSchema = z
  .object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().optional(),
    address: z.string().optional(),
    url: z.string().optional(),
  })
  .meta({ id: 'LocationPart' });

/** A postal address on a shared contact card, as the provider gives its parts (WhatsApp `addresses`). */
const SharedContactAddressSchema = z.object({
  street: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  zip: z.string().optional(),
  country: z.string().optional(),
  /** ISO 3166-1 alpha-2, as the provider gives it. */
  countryCode: z.string().optional(),
  /** HOME, WORK… as the provider names it. */
  type: z.string().optional(),
});

export const SharedContactSchema = z.object({
  formattedName: z.string(),
  firstName: z.string().optional(),
  middleName: z.string().optional(),
  lastName: z.string().optional(),
  /** Dr., Mrs.… */
  namePrefix: z.string().optional(),
  /** Jr., PhD… */
  nameSuffix: z.string().optional(),
  /** As the provider gives it (WhatsApp: YYYY-MM-DD). */
  birthday: z.string().optional(),
  phones: z.array(z.object({ phone: z.string(), type: z.string().optional(), waId: z.string().optional() })),
  emails: z.array(z.object({ email: z.string(), type: z.string().optional() })),
  addresses: z.array(SharedContactAddressSchema).optional(),
  /** The company. */
  organization: z.string().optional(),
  department: z.string().optional(),
  /** The person's title at the organization. */
  jobTitle: z.string().optional(),
  /** The card's URLs, as data: the hub fetches none of them. */
  urls: z.array(z.string()),
  /** The same URLs with the type the provider gives each (HOME, WORK), when any has one. */
  urlTypes: z.array(z.object({ url: z.string(), type: z.string().optional() })).optional(),
});
export type SharedContact = z.infer<typeof SharedContactSchema>;

export const ContactsPartSchema = z
  .object({ type: z.literal('contacts'), contacts: z.array(SharedContactSchema).min(1) })
  .meta({ id: 'ContactsPart' });

export const InteractiveReplyPartSchema = z
  .object({
    type: z.literal('interactive_reply'),
    /** button: reply button or template quick-reply; list: list row; quick_reply: Messenger; postback: Messenger button; flow: WhatsApp Flow. */
    kind: z.enum(['button', 'list', 'quick_reply', 'postback', 'flow']),
    payload: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    /** WhatsApp Flows: the submitted `response_json`, still a string as the provider sent it. */
    responseJson: z.string().optional(),
  })
  .meta({ id: 'InteractiveReplyPart' });

export const ReactionPartSchema = z
  .object({
    type: z.literal('reaction'),
    /** Absent when a reaction was removed. */
    emoji: z.string().optional(),
    targetProviderMessageId: z.string(),
  })
  .meta({ id: 'ReactionPart' });

export const OrderPartSchema = z
  .object({
    type: z.literal('order'),
    catalogId: z.string(),
    text: z.string().optional(),
    items: z.array(
      z.object({
        productRetailerId: z.string(),
        quantity: z.number(),
        itemPrice: z.number().optional(),
        currency: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'OrderPart' });

export const SystemPartSchema = z
  .object({
    type: z.literal('system'),
    /** e.g. `user_changed_number`, `request_welcome`, `optin`. */
    kind: z.string(),
    body: z.string().optional(),
    /** On a number change: the contact's new wa_id. */
    newIdentity: z.string().optional(),
  })
  .meta({ id: 'SystemPart' });

/** A template the business sent through the hub (WhatsApp approved template, Twilio Content SID). */
export const TemplatePartSchema = z
  .object({
    type: z.literal('template'),
    name: z.string(),
    language: z.string(),
    category: z.enum(['marketing', 'utility', 'authentication']).optional(),
    parameters: z.union([z.array(z.string()), z.record(z.string(), z.string())]).optional(),
  })
  .meta({ id: 'TemplatePart' });

/** Buttons or a list the business sent through the hub (the customer's choice comes back as `interactive_reply`). */
export const InteractivePartSchema = z
  .object({
    type: z.literal('interactive'),
    body: z.string(),
    buttons: z.array(z.object({ id: z.string(), title: z.string() })).optional(),
    list: z
      .object({
        button: z.string(),
        sections: z.array(
          z.object({
            title: z.string().optional(),
            rows: z.array(
              z.object({ id: z.string(), title: z.string(), description: z.string().optional() }),
            ),
          }),
        ),
      })
      .optional(),
  })
  .meta({ id: 'InteractivePart' });

/**
 * A voice call (the WhatsApp Calling API). A customer's call is their message (`message.received`):
 * Meta opens and refreshes the 24-hour customer service window when the customer calls as when they
 * write. It ends as a `message.edited` of that message whose call part says how it went.
 */
export const CallPartSchema = z
  .object({
    type: z.literal('call'),
    /** The provider's id of the call (WhatsApp `wacid.…`), also the message's `providerMessageId`. */
    callId: z.string().min(1),
    /** Who placed the call, in the provider's words (WhatsApp `USER_INITIATED`, lower-cased). */
    direction: z.enum(['user_initiated', 'business_initiated']),
    outcome: z
      .enum(['answered', 'missed', 'failed'])
      .meta({
        description:
          'Once the call ended: `missed` when nobody picked it up (the provider names no start), whatever its status; once picked up, `failed` when the provider says it failed (WhatsApp `FAILED`), else `answered`.',
      })
      .optional(),
    /** Once the call ended: the provider's word for how (WhatsApp `COMPLETED`, `FAILED`). */
    providerStatus: z.string().optional(),
    errors: z
      .array(ProviderErrorSchema)
      .max(8)
      .meta({
        description:
          "Once the call ended: the provider's errors, as it gives them (WhatsApp 138021 when the customer's app sent no media…); at most 8, each text cut to 256 characters.",
      })
      .optional(),
    /** When the call was picked up, and when it ended, as the provider says. */
    startedAt: TimestampSchema.optional(),
    endedAt: TimestampSchema.optional(),
    /** How long it lasted, in seconds, as the provider says. */
    durationSeconds: z.number().int().nonnegative().optional(),
  })
  .meta({
    id: 'CallPart',
    description:
      "A voice call (WhatsApp Calling API). A customer's call is their `message.received`; its end is a `message.edited` of that message, the call part with `outcome` (`answered`, `missed`, or `failed` when the provider says so, with its `errors`: at most 8, each text cut to 256 characters).",
  });

export const UnsupportedPartSchema = z
  .object({
    type: z.literal('unsupported'),
    /** The provider's own type name, kept so nothing is silently lost. */
    providerType: z.string(),
    /** The provider's item as received (JSON), for consumers that understand it. */
    raw: z.unknown().optional(),
  })
  .meta({ id: 'UnsupportedPart' });

export const MessagePartSchema = z
  .discriminatedUnion('type', [
    TextPartSchema,
    MediaPartSchema,
    LinkPartSchema,
    LocationPartSchema,
    ContactsPartSchema,
    InteractiveReplyPartSchema,
    ReactionPartSchema,
    OrderPartSchema,
    SystemPartSchema,
    TemplatePartSchema,
    InteractivePartSchema,
    CallPartSchema,
    UnsupportedPartSchema,
  ])
  .meta({ id: 'MessagePart' });
export type MessagePart = z.infer<typeof MessagePartSchema>;
export type TextPart = z.infer<typeof TextPartSchema>;
export type MediaPart = z.infer<typeof MediaPartSchema>;
export type CallPart = z.infer<typeof CallPartSchema>;

/**
 * A message's call part: a customer's call is recorded as their message, with one (WhatsApp). The
 * one rule for "this message is a call" where the message is at hand; where only a provider id is,
 * shared/channels/whatsapp/outbound/call-references.ts tells a call's id.
 */
export const callPartOf = (parts: readonly MessagePart[]): CallPart | undefined =>
  parts.find((part): part is CallPart => part.type === 'call');

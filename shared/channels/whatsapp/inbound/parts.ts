import * as v from 'valibot';
import { displayFileName } from '#shared/channels/file-name.ts';
import type { MediaKind, MessagePart, SharedContact } from '#shared/contract/types.ts';
import { sha256Hex } from '#shared/media/checksum.ts';
import {
  ButtonContentSchema,
  ContactsContentSchema,
  InteractiveContentSchema,
  LocationContentSchema,
  MediaContentSchema,
  OrderContentSchema,
  SystemContentSchema,
  TextContentSchema,
  UnsupportedContentSchema,
} from './schema.ts';
import { withoutUndefined } from './without-undefined.ts';

/** A message object as Meta sends it: `type` names the key that holds the content. */
export type RawMessage = { readonly type: string } & Readonly<Record<string, unknown>>;

const MEDIA_TYPES = ['image', 'video', 'document', 'audio', 'sticker'] as const;
type MediaType = (typeof MEDIA_TYPES)[number];
const isMediaType = (type: string): type is MediaType => (MEDIA_TYPES as readonly string[]).includes(type);

/** Kept with the provider's type name and the whole message, so a consumer that knows it loses nothing. */
export const unsupportedPart = (providerType: string, raw: unknown): MessagePart => ({
  type: 'unsupported',
  providerType,
  raw,
});

/**
 * The parts of one message. A type this adapter does not know, or content that fails its schema,
 * becomes an `unsupported` part rather than an error: the message itself is never dropped.
 */
export const partsForMessage = (message: RawMessage): MessagePart[] => {
  const { type } = message;
  const content = message[type];
  const parts = knownParts(type, content, message);
  return parts ?? [unsupportedPart(type, message)];
};

const knownParts = (type: string, content: unknown, message: RawMessage): MessagePart[] | undefined => {
  if (isMediaType(type)) return mediaParts(type, content);
  switch (type) {
    case 'text': {
      const text = v.safeParse(TextContentSchema, content);
      return text.success ? [{ type: 'text', text: text.output.body }] : undefined;
    }
    case 'location': {
      const location = v.safeParse(LocationContentSchema, content);
      if (!location.success) return undefined;
      const { latitude, longitude, name, address, url } = location.output;
      return [withoutUndefined({ type: 'location' as const, latitude, longitude, name, address, url })];
    }
    case 'contacts':
      return contactsParts(content);
    case 'interactive':
      return interactiveParts(content);
    case 'button': {
      // A tap on a template's quick-reply button.
      const button = v.safeParse(ButtonContentSchema, content);
      if (!button.success) return undefined;
      return [
        withoutUndefined({
          type: 'interactive_reply' as const,
          kind: 'button' as const,
          payload: button.output.payload,
          title: button.output.text,
        }),
      ];
    }
    case 'order':
      return orderParts(content);
    case 'system': {
      const system = v.safeParse(SystemContentSchema, content);
      if (!system.success) return undefined;
      return [
        withoutUndefined({
          type: 'system' as const,
          kind: system.output.type ?? 'system',
          body: system.output.body,
          newIdentity: system.output.wa_id ?? system.output.new_wa_id ?? system.output.user_id,
        }),
      ];
    }
    case 'request_welcome':
      // The user opened the chat for the first time; there is no content.
      return [{ type: 'system', kind: 'request_welcome' }];
    case 'unsupported': {
      const unsupported = v.safeParse(UnsupportedContentSchema, content);
      const providerType = unsupported.success ? unsupported.output.type : undefined;
      return [unsupportedPart(providerType ?? 'unsupported', message)];
    }
    default:
      return undefined;
  }
};

const MEDIA_KIND: Readonly<Record<MediaType, MediaKind>> = {
  image: 'image',
  video: 'video',
  document: 'file',
  audio: 'audio',
  sticker: 'sticker',
};

const mediaParts = (type: MediaType, content: unknown): MessagePart[] | undefined => {
  const media = v.safeParse(MediaContentSchema, content);
  if (!media.success) return undefined;
  const { id, mime_type, sha256, caption, filename, voice, animated } = media.output;
  const kind: MediaKind = type === 'audio' && voice === true ? 'voice' : MEDIA_KIND[type];
  return [
    withoutUndefined({
      type: 'media' as const,
      kind,
      mimeType: mime_type,
      filename: displayFileName(filename),
      caption,
      // Lower-case hex, as every other part's and media_stored's (Meta's webhook gives base64).
      sha256: sha256 === undefined ? undefined : sha256Hex(sha256),
      animated: type === 'sticker' ? animated : undefined,
      ref: { store: 'provider_media_id' as const, mediaId: id },
    }),
  ];
};

type SharedContactItem = v.InferOutput<typeof ContactsContentSchema>[number];
type SharedContactAddress = NonNullable<SharedContact['addresses']>[number];

/** The card's addresses that hold anything; undefined when none does. */
const addressesOf = (card: SharedContactItem): SharedContactAddress[] | undefined => {
  const addresses = (card.addresses ?? []).flatMap((address) => {
    const mapped: SharedContactAddress = withoutUndefined({
      street: address.street,
      city: address.city,
      state: address.state,
      zip: address.zip,
      country: address.country,
      countryCode: address.country_code,
      type: address.type,
    });
    return Object.keys(mapped).length === 0 ? [] : [mapped];
  });
  return addresses.length === 0 ? undefined : addresses;
};

/** The card's URLs with their types, when any has one (`urls` keeps the bare list). */
const urlTypesOf = (card: SharedContactItem): SharedContact['urlTypes'] => {
  const urls = (card.urls ?? []).flatMap((url) =>
    url.url === undefined ? [] : [withoutUndefined({ url: url.url, type: url.type })],
  );
  return urls.some((url) => url.type !== undefined) ? urls : undefined;
};

const sharedContactOf = (card: SharedContactItem): SharedContact =>
  withoutUndefined({
    formattedName:
      card.name?.formatted_name ?? [card.name?.first_name, card.name?.last_name].filter(Boolean).join(' '),
    firstName: card.name?.first_name,
    middleName: card.name?.middle_name,
    lastName: card.name?.last_name,
    namePrefix: card.name?.prefix,
    nameSuffix: card.name?.suffix,
    birthday: card.birthday,
    phones: (card.phones ?? []).flatMap((phone) =>
      phone.phone === undefined
        ? []
        : [withoutUndefined({ phone: phone.phone, type: phone.type, waId: phone.wa_id })],
    ),
    emails: (card.emails ?? []).flatMap((email) =>
      email.email === undefined ? [] : [withoutUndefined({ email: email.email, type: email.type })],
    ),
    addresses: addressesOf(card),
    organization: card.org?.company,
    department: card.org?.department,
    jobTitle: card.org?.title,
    urls: (card.urls ?? []).flatMap((url) => (url.url === undefined ? [] : [url.url])),
    urlTypes: urlTypesOf(card),
  });

const contactsParts = (content: unknown): MessagePart[] | undefined => {
  const contacts = v.safeParse(ContactsContentSchema, content);
  if (!contacts.success) return undefined;
  return [{ type: 'contacts', contacts: contacts.output.map(sharedContactOf) }];
};

const interactiveParts = (content: unknown): MessagePart[] | undefined => {
  const interactive = v.safeParse(InteractiveContentSchema, content);
  if (!interactive.success) return undefined;
  const { type, button_reply, list_reply, nfm_reply } = interactive.output;
  if (type === 'button_reply' && button_reply) {
    return [
      withoutUndefined({
        type: 'interactive_reply' as const,
        kind: 'button' as const,
        payload: button_reply.id,
        title: button_reply.title,
      }),
    ];
  }
  if (type === 'list_reply' && list_reply) {
    return [
      withoutUndefined({
        type: 'interactive_reply' as const,
        kind: 'list' as const,
        payload: list_reply.id,
        title: list_reply.title,
        description: list_reply.description,
      }),
    ];
  }
  if (type === 'nfm_reply' && nfm_reply) {
    // A submitted WhatsApp Flow: `name` says which native flow (flow, address_message…), `body` is the
    // line the user saw; the answers themselves stay in response_json, untouched.
    return [
      withoutUndefined({
        type: 'interactive_reply' as const,
        kind: 'flow' as const,
        payload: nfm_reply.name,
        title: nfm_reply.body,
        responseJson: nfm_reply.response_json,
      }),
    ];
  }
  // Other interactive replies (call permission, product enquiries…) are kept under their own name.
  return [unsupportedPart(`interactive.${type}`, content)];
};

const orderParts = (content: unknown): MessagePart[] | undefined => {
  const order = v.safeParse(OrderContentSchema, content);
  if (!order.success) return undefined;
  return [
    withoutUndefined({
      type: 'order' as const,
      catalogId: order.output.catalog_id,
      text: order.output.text,
      items: order.output.product_items.map((item) =>
        withoutUndefined({
          productRetailerId: item.product_retailer_id,
          quantity: item.quantity,
          itemPrice: item.item_price,
          currency: item.currency,
        }),
      ),
    }),
  ];
};

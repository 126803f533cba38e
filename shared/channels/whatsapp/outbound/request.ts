import type { OutboundPart } from '#shared/contract/commands.ts';
import type { ChannelIdentity } from '#shared/contract/types.ts';
import { MEDIA_RULES } from './limits.ts';

/*
 * Cloud API message bodies (`POST /{phone-number-id}/messages`; outbound.md 1.1): the common
 * envelope plus one `<type>` object per part type.
 */

type Json = Record<string, unknown>;

/** `to` a wa_id (or phone number), `recipient` a business-scoped user id; other identities are not WhatsApp's. */
export const addressing = (recipient: ChannelIdentity): Json | undefined => {
  if (recipient.type === 'bsuid') return { recipient: recipient.value };
  if (recipient.type === 'wa_id' || recipient.type === 'phone') return { to: recipient.value };
  return undefined;
};

const defined = (object: Json): Json =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined && value !== ''));

type TemplatePart = Extract<OutboundPart, { type: 'template' }>;

/** A stored file as uploaded: its media id, and the name it goes out under. */
interface UploadedMedia {
  readonly id: string;
  readonly filename?: string;
}

/**
 * A document's `filename`: the part's own, else the name an uploaded file goes out under. WhatsApp
 * shows the message's `filename` only (a name given at upload is not shown): without one a document
 * from the hub's bucket reaches the customer as "Untitled".
 */
const documentName = (filename: string | undefined, media: UploadedMedia | undefined): string | undefined =>
  filename ?? media?.filename;

/** The header's one parameter: its text, its media (by the id a stored file was uploaded as, or by link), or its location. */
const headerParameter = (
  header: NonNullable<TemplatePart['header']>,
  media: UploadedMedia | undefined,
): Json => {
  switch (header.type) {
    case 'text':
      return defined({ type: 'text', parameter_name: header.parameterName, text: header.text });
    case 'image':
    case 'video':
      return {
        type: header.type,
        [header.type]: media === undefined ? { link: header.url } : { id: media.id },
      };
    case 'document':
      return {
        type: 'document',
        document: defined({
          id: media?.id,
          link: media === undefined ? header.url : undefined,
          filename: documentName(header.filename, media),
        }),
      };
    case 'location':
      return {
        type: 'location',
        location: defined({
          latitude: header.latitude,
          longitude: header.longitude,
          name: header.name,
          address: header.address,
        }),
      };
  }
};

const buttonParameter = (button: NonNullable<TemplatePart['buttons']>[number]): Json => {
  switch (button.type) {
    case 'quick_reply':
      return { type: 'payload', payload: button.payload };
    case 'url':
      return { type: 'text', text: button.text };
    case 'copy_code':
      return { type: 'coupon_code', coupon_code: button.couponCode };
  }
};

/** `components`: the header, the body, then the buttons in their template order (by index). */
const templateComponents = (part: TemplatePart, media: UploadedMedia | undefined): Json[] => {
  const parameters = part.parameters;
  const body = Array.isArray(parameters)
    ? parameters.map((text) => ({ type: 'text', text }))
    : Object.entries(parameters ?? {}).map(([name, text]) => ({ type: 'text', parameter_name: name, text }));
  return [
    ...(part.header ? [{ type: 'header', parameters: [headerParameter(part.header, media)] }] : []),
    ...(body.length > 0 ? [{ type: 'body', parameters: body }] : []),
    ...[...(part.buttons ?? [])]
      .sort((a, b) => a.index - b.index)
      .map((button) => ({
        type: 'button',
        sub_type: button.type,
        index: String(button.index),
        parameters: [buttonParameter(button)],
      })),
  ];
};

const templateBody = (part: TemplatePart, media: UploadedMedia | undefined): Json => {
  const components = templateComponents(part, media);
  return {
    name: part.name,
    language: { code: part.language, policy: 'deterministic' },
    ...(components.length > 0 ? { components } : {}),
  };
};

const interactiveBody = (part: Extract<OutboundPart, { type: 'interactive' }>): Json => {
  const body = { text: part.body };
  if (part.buttons) {
    return {
      type: 'button',
      body,
      action: {
        buttons: part.buttons.map((button) => ({
          type: 'reply',
          reply: { id: button.id, title: button.title },
        })),
      },
    };
  }
  const list = part.list ?? { button: '', sections: [] };
  return {
    type: 'list',
    body,
    action: {
      button: list.button,
      sections: list.sections.map((section) =>
        defined({
          title: section.title,
          rows: section.rows.map((row) =>
            defined({ id: row.id, title: row.title, description: row.description }),
          ),
        }),
      ),
    },
  };
};

/**
 * `type` and its object for one prepared part. Media (and a template header's media) goes by the id
 * it was uploaded as (a file from the hub's bucket) or by its HTTPS link.
 */
const contentOf = (part: OutboundPart, media: UploadedMedia | undefined): Json => {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: { body: part.text } };
    case 'media': {
      const type = MEDIA_RULES[part.kind].type;
      const link = media === undefined && 'url' in part.source ? part.source.url : undefined;
      return {
        type,
        [type]: defined({
          id: media?.id,
          link,
          caption: MEDIA_RULES[part.kind].caption ? part.caption : undefined,
          filename: type === 'document' ? documentName(part.filename, media) : undefined,
        }),
      };
    }
    case 'template':
      return { type: 'template', template: templateBody(part, media) };
    case 'interactive':
      return { type: 'interactive', interactive: interactiveBody(part) };
    case 'reaction':
      return { type: 'reaction', reaction: { message_id: part.targetProviderMessageId, emoji: part.emoji } };
    case 'location':
      return {
        type: 'location',
        location: defined({
          latitude: part.latitude,
          longitude: part.longitude,
          name: part.name,
          address: part.address,
        }),
      };
  }
};

export interface WhatsAppMessageInput {
  readonly part: OutboundPart;
  readonly to: Json;
  readonly replyTo?: string;
  readonly correlationId?: string;
  /** The id a stored file was uploaded as (`POST /{phone-number-id}/media`). */
  readonly mediaId?: string;
  /** The name that file goes out under: a document names it as its `filename`. */
  readonly mediaFilename?: string;
}

/** The whole request body of one message. A reaction names its own target and takes no reply context. */
export const whatsAppMessageBody = (input: WhatsAppMessageInput): Json => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  ...input.to,
  ...contentOf(
    input.part,
    input.mediaId === undefined
      ? undefined
      : {
          id: input.mediaId,
          ...(input.mediaFilename !== undefined ? { filename: input.mediaFilename } : {}),
        },
  ),
  ...(input.replyTo !== undefined && input.part.type !== 'reaction'
    ? { context: { message_id: input.replyTo } }
    : {}),
  ...(input.correlationId !== undefined ? { biz_opaque_callback_data: input.correlationId } : {}),
});

import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor, hubMessageIdFor, stableHash } from '#shared/contract/ids.ts';
import type { HubEvent, MessagePart } from '#shared/contract/types.ts';
import { parseCorrelationId } from '#shared/outbound/channel-sender.ts';
import { POSTBACK_ID_PREFIX } from '../postback-id.ts';
import { type EntryContext, type ItemContext, itemContext } from './context.ts';
import { attachmentParts } from './parts.ts';
import { toReferral } from './referral.ts';
import type { MessagingItemBase, MetaMessage, MetaPostback } from './schema.ts';

const textOrQuickReply = (message: MetaMessage): MessagePart[] => {
  if (message.quick_reply !== undefined) {
    // The tapped quick reply's title arrives as the text: one part says both.
    return [
      {
        type: 'interactive_reply',
        kind: 'quick_reply',
        ...(message.quick_reply.payload !== undefined ? { payload: message.quick_reply.payload } : {}),
        ...(message.text !== undefined ? { title: message.text } : {}),
      },
    ];
  }
  return message.text ? [{ type: 'text', text: message.text }] : [];
};

const messageParts = (message: MetaMessage): MessagePart[] => {
  const parts = [...textOrQuickReply(message), ...attachmentParts(message.attachments ?? [])];
  // Instagram story replies quote a story, not a message: keep what Meta said about it.
  if (message.reply_to?.story !== undefined) {
    parts.push({ type: 'unsupported', providerType: 'story_reply', raw: message.reply_to });
  }
  if (message.is_unsupported === true) {
    parts.push({ type: 'unsupported', providerType: 'is_unsupported', raw: message });
  }
  // A message Meta sent with nothing we recognise still reaches the helpdesk, whole.
  if (parts.length === 0) parts.push({ type: 'unsupported', providerType: 'message', raw: message });
  return parts;
};

const deletedEvent = (message: MetaMessage, context: ItemContext): HubEvent =>
  buildEvent('switchboard.message.deleted', eventIdFor('messenger', 'message.deleted', message.mid), {
    ...context.fields,
    targetProviderMessageId: message.mid,
    actor: context.fromBusiness ? 'business' : 'customer',
  });

/** `message` items: customer messages, echoes of the business's own sends, Instagram unsends. */
export const messageEvent = (
  message: MetaMessage,
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => {
  const context = itemContext(entry, item, message.is_echo === true);
  if (message.is_deleted === true) return deletedEvent(message, context);
  const outbound = context.fromBusiness;
  const senderAppId = message.app_id;
  const data = {
    hubMessageId: hubMessageIdFor('messenger', message.mid),
    ...context.fields,
    direction: outbound ? ('outbound' as const) : ('inbound' as const),
    providerMessageId: message.mid,
    ...(message.reply_to?.mid !== undefined ? { replyTo: { providerMessageId: message.reply_to.mid } } : {}),
    ...(message.referral !== undefined ? { referral: toReferral(message.referral) } : {}),
    ...(outbound
      ? {
          sentBy:
            senderAppId !== undefined && entry.hubAppIds.has(senderAppId)
              ? ('hub' as const)
              : ('external' as const),
          ...(senderAppId !== undefined ? { senderAppId } : {}),
          // The hub sends its correlation id as `metadata`; the echo brings it back.
          ...(parseCorrelationId(message.metadata) ? { correlationId: message.metadata } : {}),
        }
      : {}),
    parts: messageParts(message),
  };
  return outbound
    ? buildEvent('switchboard.message.sent', eventIdFor('messenger', 'message.sent', message.mid), data)
    : buildEvent(
        'switchboard.message.received',
        eventIdFor('messenger', 'message.received', message.mid),
        data,
      );
};

/**
 * Meta documents `postback.mid`, but Get Started and persistent-menu postbacks have long come
 * without one; the same tap retried must still map to the same message.
 */
const postbackMessageId = (postback: MetaPostback, item: MessagingItemBase): string =>
  postback.mid ??
  `${POSTBACK_ID_PREFIX}${stableHash('postback', item.sender.id, String(item.timestamp ?? ''), postback.payload ?? '')}`;

/** `postback` items: a tap on a postback button, Get Started or a persistent-menu item. */
export const postbackEvent = (
  postback: MetaPostback,
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => {
  const context = itemContext(entry, item, false);
  const providerMessageId = postbackMessageId(postback, item);
  return buildEvent(
    'switchboard.message.received',
    eventIdFor('messenger', 'message.received', providerMessageId),
    {
      hubMessageId: hubMessageIdFor('messenger', providerMessageId),
      ...context.fields,
      direction: 'inbound',
      providerMessageId,
      ...(postback.referral !== undefined ? { referral: toReferral(postback.referral) } : {}),
      parts: [
        {
          type: 'interactive_reply',
          kind: 'postback',
          ...(postback.payload !== undefined ? { payload: postback.payload } : {}),
          ...(postback.title !== undefined ? { title: postback.title } : {}),
        },
      ],
    },
  );
};

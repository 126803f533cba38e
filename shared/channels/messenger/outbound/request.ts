import type { OutboundPart } from '#shared/contract/commands.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import type { SendPolicy } from '#shared/outbound/channel-sender.ts';
import { ATTACHMENT_TYPES, reactionFor } from './limits.ts';

/*
 * Send API bodies (`POST /{page-id}/messages` or `/me/messages`, see messagesNodeOf; outbound.md
 * 1.2, Send API reference, sender actions guide): a message with `messaging_type` (and the
 * HUMAN_AGENT tag outside the window), or a sender action (react/unreact, mark_seen, typing_on)
 * with the recipient only: no tag covers it, so the send policy refuses a reaction after the window.
 */

type Json = Record<string, unknown>;

/**
 * The node whose `messages` edge every send and sender action of an endpoint posts to. A Facebook
 * page: its id. An Instagram account: `me`, which Meta resolves from the token to the Facebook page
 * linked to the account (Instagram messaging on the Messenger Platform, "Send a Message": a Page
 * access token, `POST /{page-id}/messages`, every example `/me/messages`, the recipient an IGSID).
 * The hub knows the Instagram account's id only (its webhooks name it as `entry.id`), never the
 * page's, so the account's token must be that page's Page access token. Before 2026-12-05 the hub
 * posted to `/{Instagram account id}/messages`, which Meta does not document (found by a review).
 */
export const messagesNodeOf = (endpoint: Pick<BusinessEndpoint, 'type' | 'id'>): string =>
  endpoint.type === 'instagram_account' ? 'me' : endpoint.id;

/**
 * RESPONSE inside the standard messaging window (24 hours, or 7 days after a click-to-Messenger
 * ad's message); outside it, a human agent's reply with the HUMAN_AGENT tag.
 */
const messagingOf = (policy: SendPolicy): Json =>
  policy.withinWindow
    ? { messaging_type: 'RESPONSE' }
    : { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' };

/** The `message` object of a prepared part (not a reaction, template or location: prepare refused those). */
const messageOf = (part: OutboundPart): Json | undefined => {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'media':
      return part.kind === 'sticker' || !('url' in part.source)
        ? undefined
        : {
            attachment: {
              type: ATTACHMENT_TYPES[part.kind],
              payload: { url: part.source.url, is_reusable: false },
            },
          };
    case 'interactive':
      return part.buttons
        ? {
            text: part.body,
            quick_replies: part.buttons.map((button) => ({
              content_type: 'text',
              title: button.title,
              payload: button.id,
            })),
          }
        : undefined;
    default:
      return undefined;
  }
};

/** The text a message shows, for the per-endpoint length check at send time. */
export const messageText = (part: OutboundPart): string | undefined =>
  part.type === 'text' ? part.text : part.type === 'interactive' ? part.body : undefined;

export interface MessengerMessageInput {
  readonly part: OutboundPart;
  /** The sending endpoint's type: an Instagram account takes a reaction as Meta's `love` (`reactionFor`). */
  readonly endpointType: BusinessEndpoint['type'];
  readonly recipientId: string;
  readonly policy: SendPolicy;
  readonly metadata: string;
  /** The message answered (`reply_to.mid`), when quoting is on. */
  readonly replyTo?: string;
}

/** The whole request body, or undefined for a part Messenger cannot send. */
export const messengerRequestBody = (input: MessengerMessageInput): Json | undefined => {
  const recipient = { id: input.recipientId };
  const { part } = input;
  if (part.type === 'reaction') {
    const messageId = part.targetProviderMessageId;
    if (part.emoji === '') return { recipient, sender_action: 'unreact', payload: { message_id: messageId } };
    const reaction = reactionFor(part.emoji, input.endpointType);
    // One Meta would not take (a message prepared without its endpoint's check) is not sent.
    if (reaction === undefined) return undefined;
    return { recipient, sender_action: 'react', payload: { message_id: messageId, reaction } };
  }
  const message = messageOf(part);
  if (message === undefined) return undefined;
  return {
    recipient,
    ...messagingOf(input.policy),
    message: { ...message, metadata: input.metadata },
    ...(input.replyTo !== undefined ? { reply_to: { mid: input.replyTo } } : {}),
  };
};

/** A sender action alone: `mark_seen`, `typing_on`. */
export const senderActionBody = (recipientId: string, action: 'mark_seen' | 'typing_on'): Json => ({
  recipient: { id: recipientId },
  sender_action: action,
});

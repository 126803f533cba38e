import * as v from 'valibot';
import { isoFromEpochSeconds } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor, hubMessageIdFor } from '#shared/contract/ids.ts';
import type { HubEvent, Message, Referral } from '#shared/contract/types.ts';
import { type ResolvedContact, resolveContact } from './contacts.ts';
import { CHANNEL, type ChangeContext, PROVIDER } from './context.ts';
import { providerErrors } from './errors.ts';
import { isGroupItem } from './groups.ts';
import { partsForMessage, type RawMessage, unsupportedPart } from './parts.ts';
import {
  EditContentSchema,
  type MessageItem,
  MessageItemSchema,
  ReactionContentSchema,
  RevokeContentSchema,
} from './schema.ts';
import { unsupportedEvent } from './unsupported.ts';
import { withoutUndefined } from './without-undefined.ts';

/** inbound: `messages[]` from a customer; outbound: `message_echoes[]` sent from the Business app. */
export type Direction = 'inbound' | 'outbound';

interface MessageScope {
  readonly context: ChangeContext & { readonly endpoint: NonNullable<ChangeContext['endpoint']> };
  readonly direction: Direction;
  readonly message: MessageItem;
  readonly raw: RawMessage;
  readonly resolved: ResolvedContact;
  readonly providerTimestamp: string | null;
}

/** One message item → its events (a reaction, an edit, a deletion, or a message plus its ad referral). */
export const normalizeMessageItem = (
  item: unknown,
  context: ChangeContext,
  direction: Direction,
): HubEvent[] => {
  const providerType = direction === 'inbound' ? 'message' : 'message_echo';
  const parsed = v.safeParse(MessageItemSchema, item);
  const endpoint = context.endpoint;
  if (!parsed.success || !endpoint) {
    return [unsupportedEvent({ providerType, raw: item, receivedAt: context.receivedAt, context })];
  }
  const message = parsed.output;
  const providerTimestamp = isoFromEpochSeconds(message.timestamp);
  if (isGroupItem(message)) {
    // A group's message, whose `from` is a participant: kept whole, filed under no customer.
    return [
      unsupportedEvent({
        providerType: `${providerType}.group.${message.type}`,
        raw: item,
        receivedAt: context.receivedAt,
        context,
        providerTimestamp,
      }),
    ];
  }
  const customer =
    direction === 'inbound'
      ? { waId: message.from, userId: message.from_user_id }
      : { waId: message.to, userId: message.to_user_id };
  const resolved = resolveContact(context.contacts, endpoint, customer);
  if (!resolved) {
    // Nobody to file it under: keep it whole rather than guess a conversation.
    return [
      unsupportedEvent({
        providerType: `${providerType}.${message.type}`,
        raw: item,
        receivedAt: context.receivedAt,
        context,
        providerTimestamp,
      }),
    ];
  }
  const scope: MessageScope = {
    context: { ...context, endpoint },
    direction,
    message,
    // The item as Meta sent it (before any coercion), for content lookups and unsupported parts.
    raw: item as RawMessage,
    resolved,
    providerTimestamp,
  };
  switch (message.type) {
    case 'reaction':
      return reactionEvents(scope);
    case 'edit':
      return editEvents(scope);
    case 'revoke':
      return revokeEvents(scope);
    default:
      return messageEvents(scope, partsForMessage(scope.raw));
  }
};

const conversationData = (scope: MessageScope) => ({
  channel: CHANNEL,
  provider: PROVIDER,
  endpoint: scope.context.endpoint,
  contact: scope.resolved.contact,
  conversationId: scope.resolved.conversationId,
  providerTimestamp: scope.providerTimestamp,
  receivedAt: scope.context.receivedAt,
});

const actorOf = (direction: Direction): 'customer' | 'business' =>
  direction === 'inbound' ? 'customer' : 'business';

const messageEvents = (scope: MessageScope, parts: Message['parts']): HubEvent[] => {
  const { message, direction } = scope;
  const referral = direction === 'inbound' ? referralOf(message) : undefined;
  const data: Message = withoutUndefined({
    hubMessageId: hubMessageIdFor(CHANNEL, message.id),
    ...conversationData(scope),
    direction,
    providerMessageId: message.id,
    replyTo: replyToOf(message),
    forwarded: message.context?.forwarded,
    frequentlyForwarded: message.context?.frequently_forwarded,
    referredProduct: referredProductOf(message),
    referral,
    sentBy: direction === 'outbound' ? ('external' as const) : undefined,
    parts,
    errors: providerErrors(message.errors),
  });
  const type = direction === 'inbound' ? 'switchboard.message.received' : 'switchboard.message.sent';
  const events: HubEvent[] = [buildEvent(type, eventIdFor(CHANNEL, 'message', message.id), data)];
  if (referral) {
    events.push(
      buildEvent('switchboard.contact.referred', eventIdFor(CHANNEL, 'referral', message.id), {
        ...conversationData(scope),
        referral,
      }),
    );
  }
  return events;
};

const replyToOf = (message: MessageItem): Message['replyTo'] =>
  message.context?.id
    ? withoutUndefined({ providerMessageId: message.context.id, from: message.context.from })
    : undefined;

const referredProductOf = (message: MessageItem): Message['referredProduct'] => {
  const product = message.context?.referred_product;
  return product
    ? { catalogId: product.catalog_id, productRetailerId: product.product_retailer_id }
    : undefined;
};

/** A click-to-WhatsApp ad (or post) the customer came from. */
const referralOf = (message: MessageItem): Referral | undefined => {
  const referral = message.referral;
  if (!referral) return undefined;
  return withoutUndefined({
    source: referral.source_type,
    adId: referral.source_type === 'ad' ? referral.source_id : undefined,
    sourceUrl: referral.source_url,
    headline: referral.headline,
    body: referral.body,
    clickId: referral.ctwa_clid,
    postId: referral.source_type === 'post' ? referral.source_id : undefined,
    mediaType: referral.media_type,
    // The ad's media, as data: the hub fetches none of these URLs.
    imageUrl: referral.image_url,
    videoUrl: referral.video_url,
    thumbnailUrl: referral.thumbnail_url,
    welcomeMessage: referral.welcome_message?.text,
  });
};

/** A reaction without an emoji (or with an empty one) is the removal of the customer's reaction. */
const reactionEvents = (scope: MessageScope): HubEvent[] => {
  const reaction = v.safeParse(ReactionContentSchema, scope.raw.reaction);
  if (!reaction.success) return messageEvents(scope, [unsupportedPart('reaction', scope.raw)]);
  const emoji = reaction.output.emoji && reaction.output.emoji.length > 0 ? reaction.output.emoji : undefined;
  return [
    buildEvent(
      'switchboard.message.reaction_changed',
      eventIdFor(CHANNEL, 'reaction', scope.message.id),
      withoutUndefined({
        ...conversationData(scope),
        action: emoji ? ('added' as const) : ('removed' as const),
        emoji,
        targetProviderMessageId: reaction.output.message_id,
        actor: actorOf(scope.direction),
      }),
    ),
  ];
};

const editEvents = (scope: MessageScope): HubEvent[] => {
  const edit = v.safeParse(EditContentSchema, scope.raw.edit);
  if (!edit.success) return messageEvents(scope, [unsupportedPart('edit', scope.raw)]);
  return [
    buildEvent('switchboard.message.edited', eventIdFor(CHANNEL, 'edit', scope.message.id), {
      ...conversationData(scope),
      targetProviderMessageId: edit.output.original_message_id,
      editProviderMessageId: scope.message.id,
      parts: partsForMessage(edit.output.message),
      actor: actorOf(scope.direction),
    }),
  ];
};

const revokeEvents = (scope: MessageScope): HubEvent[] => {
  const revoke = v.safeParse(RevokeContentSchema, scope.raw.revoke);
  if (!revoke.success) return messageEvents(scope, [unsupportedPart('revoke', scope.raw)]);
  return [
    buildEvent('switchboard.message.deleted', eventIdFor(CHANNEL, 'revoke', scope.message.id), {
      ...conversationData(scope),
      targetProviderMessageId: revoke.output.original_message_id,
      actor: actorOf(scope.direction),
    }),
  ];
};

import type * as v from 'valibot';
import { isoFromEpochMillis } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import type { EventType } from '#shared/contract/event-types.ts';
import { canonicalJson, eventIdFor } from '#shared/contract/ids.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { type ConversationFields, type EntryContext, type ItemContext, itemContext } from './context.ts';
import { toReferral } from './referral.ts';
import type {
  DeliverySchema,
  MessageEditSchema,
  MessagingItemBase,
  MetaReferral,
  OptinSchema,
  ReactionSchema,
  ReadSchema,
} from './schema.ts';
import { unsupportedItemEvent } from './unsupported.ts';

type NoticeType = Extract<
  EventType,
  | 'switchboard.message.reaction_changed'
  | 'switchboard.message.status_updated'
  | 'switchboard.message.edited'
  | 'switchboard.contact.referred'
  | 'switchboard.contact.consent_changed'
>;

/** A notice's own data, beside the conversation fields every event of the item carries. */
type Notice = {
  [T in NoticeType]: {
    readonly type: T;
    readonly data: Omit<HubEventOf<T>['data'], keyof ConversationFields>;
  };
}[NoticeType];

/**
 * A messaging item that is not a message but news about one or about the customer: its event in
 * the item's conversation, with an id hashed from what makes the occurrence unique (the event
 * type names the kind, as `eventIdFor('messenger', 'message.edited', …)`).
 */
const noticeEvent = (
  item: MessagingItemBase,
  entry: EntryContext,
  occurrence: readonly string[],
  notice: (context: ItemContext) => Notice,
): HubEvent => {
  const context = itemContext(entry, item, false);
  const { type, data } = notice(context);
  // The occurrences name their sender: a customer's PSID or IGSID is scoped to one page or account,
  // so it fixes the conversation; the page's own id does not, and then the customer is added.
  const conversation = context.fromBusiness ? [`customer:${context.customerId}`] : [];
  const id = eventIdFor('messenger', type.slice('switchboard.'.length), ...occurrence, ...conversation);
  // The union of types and data is matched by construction (Notice); buildEvent cannot see it.
  return buildEvent(type as NoticeType, id, { ...context.fields, ...data } as HubEventOf<NoticeType>['data'] &
    ConversationFields);
};

/** What builds one kind of item's event from its parsed form (the item's frame and entry beside it). */
export type ItemEventBuilder<T> = (
  parsed: T,
  item: MessagingItemBase,
  entry: EntryContext,
  raw: unknown,
) => HubEvent;

const timestampKey = (item: MessagingItemBase): string => String(item.timestamp ?? '');

const actorOf = (context: ItemContext): 'business' | 'customer' =>
  context.fromBusiness ? 'business' : 'customer';

const watermarkField = (watermark: number | string | undefined): { watermark?: string } => {
  const iso = watermark === undefined ? null : isoFromEpochMillis(watermark);
  return iso === null ? {} : { watermark: iso };
};

/** `reaction` items: a customer reacted to a message, or took the reaction back. */
export const reactionEvent: ItemEventBuilder<v.InferOutput<typeof ReactionSchema>> = (
  reaction,
  item,
  entry,
) =>
  // A customer may react, unreact and react again with the same emoji: the time tells them apart.
  noticeEvent(
    item,
    entry,
    [item.sender.id, reaction.mid, reaction.action, reaction.emoji ?? '', timestampKey(item)],
    (context) => ({
      type: 'switchboard.message.reaction_changed',
      data: {
        action: reaction.action === 'react' ? 'added' : 'removed',
        ...(reaction.emoji !== undefined && reaction.emoji.length > 0 ? { emoji: reaction.emoji } : {}),
        targetProviderMessageId: reaction.mid,
        actor: actorOf(context),
      },
    }),
  );

/**
 * Read and delivery receipts: every message up to the watermark, and any listed, reached that
 * status (an Instagram read names one message and has no watermark).
 */
const receiptEvent = (
  status: 'read' | 'delivered',
  watermark: number | string | undefined,
  mids: string[],
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent =>
  noticeEvent(item, entry, [status, item.sender.id, String(watermark ?? ''), ...mids], () => ({
    type: 'switchboard.message.status_updated',
    data: { status, providerStatus: status, providerMessageIds: mids, ...watermarkField(watermark) },
  }));

/**
 * A receipt whose sender is the page or account itself (the business read the customer's messages,
 * in Meta's inbox or another app): no news of the business's messages reaching the customer, so no
 * status, which would mark every business message up to its watermark read by the customer. Kept
 * as unsupported, in the customer's conversation. Before 2026-12-04 it was such a status (found by
 * a review).
 */
const businessReceipt = (
  status: 'read' | 'delivered',
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent | undefined =>
  item.sender.id === entry.endpoint.id
    ? unsupportedItemEvent(
        item,
        `${status === 'read' ? 'read' : 'delivery'}_by_business`,
        entry.receivedAt,
        entry,
      )
    : undefined;

/**
 * `read` items: every message the business sent up to the watermark has been read (Messenger), or
 * the one message `mid` names (Instagram's `messaging_seen`).
 */
export const readEvent: ItemEventBuilder<v.InferOutput<typeof ReadSchema>> = (read, item, entry) =>
  businessReceipt('read', item, entry) ??
  receiptEvent('read', read.watermark, read.mid === undefined ? [] : [read.mid], item, entry);

/** `delivery` items: the listed messages (when Meta lists them) and all before the watermark arrived. */
export const deliveryEvent: ItemEventBuilder<v.InferOutput<typeof DeliverySchema>> = (
  delivery,
  item,
  entry,
) =>
  businessReceipt('delivered', item, entry) ??
  receiptEvent('delivered', delivery.watermark, delivery.mids ?? [], item, entry);

/** `message_edit` items: the customer changed the text of a message they sent. */
export const editEvent: ItemEventBuilder<v.InferOutput<typeof MessageEditSchema>> = (edit, item, entry) =>
  // Each edit of one message is its own occurrence; num_edit counts them (Messenger allows five).
  noticeEvent(
    item,
    entry,
    [
      edit.mid,
      ...(edit.num_edit !== undefined
        ? [`edit:${edit.num_edit}`]
        : [`at:${timestampKey(item)}`, edit.text ?? '']),
    ],
    (context) => ({
      type: 'switchboard.message.edited',
      data: {
        targetProviderMessageId: edit.mid,
        parts: edit.text !== undefined ? [{ type: 'text', text: edit.text }] : [],
        actor: actorOf(context),
      },
    }),
  );

/** Standalone `referral` items: a customer already in a thread came back through a link, an ad or a plugin. */
export const referralEvent: ItemEventBuilder<MetaReferral> = (referral, item, entry, rawReferral) =>
  noticeEvent(item, entry, [item.sender.id, timestampKey(item), canonicalJson(rawReferral)], () => ({
    type: 'switchboard.contact.referred',
    data: { referral: toReferral(referral) },
  }));

/**
 * `optin` items. Meta sends two kinds: a notification-messages opt-in (`type:
 * notification_messages`, with a token, or a stop/resume in `notification_messages_status`), which
 * is consent; and the send-to-Messenger plugin's (`ref` only: the person clicked the plugin on a
 * website), which opens the conversation from that entry point: a referral, not a consent.
 */
export const optinEvent: ItemEventBuilder<v.InferOutput<typeof OptinSchema>> = (
  optin,
  item,
  entry,
  rawOptin,
) => {
  const status = optin.notification_messages_status;
  const occurrence = [item.sender.id, timestampKey(item), canonicalJson(rawOptin)];
  if (optin.type !== 'notification_messages' && status === undefined) {
    return noticeEvent(item, entry, occurrence, () => ({
      type: 'switchboard.contact.referred',
      data: {
        referral: {
          source: 'SEND_TO_MESSENGER',
          type: 'OPTIN',
          ...(optin.ref !== undefined ? { ref: optin.ref } : {}),
        },
      },
    }));
  }
  const trigger = status ?? optin.type;
  const notificationMessages = notificationMessagesOf(optin);
  return noticeEvent(item, entry, occurrence, () => ({
    type: 'switchboard.contact.consent_changed',
    data: {
      scope: 'messenger_notifications',
      consent: status === 'STOP_NOTIFICATIONS' ? 'opted_out' : 'opted_in',
      ...(trigger !== undefined ? { trigger } : {}),
      ...(notificationMessages !== undefined ? { notificationMessages } : {}),
    },
  }));
};

type NotificationMessages = NonNullable<
  HubEventOf<'switchboard.contact.consent_changed'>['data']['notificationMessages']
>;

/**
 * The opt-in's topic, token and terms, or undefined when it carries none. The token is what the
 * business sends the topic's messages with, so it travels in the event (never into a log line).
 */
const notificationMessagesOf = (
  optin: v.InferOutput<typeof OptinSchema>,
): NotificationMessages | undefined => {
  const mapped: NotificationMessages = {
    token: optin.notification_messages_token,
    topic: optin.payload,
    title: optin.title,
    frequency: optin.notification_messages_frequency,
    timezone: optin.notification_messages_timezone,
    tokenExpiresAt: isoFromEpochMillis(optin.token_expiry_timestamp) ?? undefined,
    tokenStatus: optin.user_token_status,
  };
  const present = Object.entries(mapped).filter(([, value]) => value !== undefined);
  return present.length === 0 ? undefined : (Object.fromEntries(present) as NotificationMessages);
};

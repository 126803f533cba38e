import type { z } from 'zod';
import { isoFromEpochMillis } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { canonicalJson, eventIdFor } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { type EntryContext, itemContext } from './context.ts';
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

const timestampKey = (item: MessagingItemBase): string => String(item.timestamp ?? '');

const watermarkField = (watermark: number | string): { watermark?: string } => {
  const iso = isoFromEpochMillis(watermark);
  return iso === null ? {} : { watermark: iso };
};

/** `reaction` items: a customer reacted to a message, or took the reaction back. */
export const reactionEvent = (
  reaction: z.infer<typeof ReactionSchema>,
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => {
  const context = itemContext(entry, item, false);
  // A customer may react, unreact and react again with the same emoji: the time tells them apart.
  const id = eventIdFor(
    'messenger',
    'message.reaction_changed',
    item.sender.id,
    reaction.mid,
    reaction.action,
    reaction.emoji ?? '',
    timestampKey(item),
  );
  return buildEvent('switchboard.message.reaction_changed', id, {
    ...context.fields,
    action: reaction.action === 'react' ? 'added' : 'removed',
    ...(reaction.emoji !== undefined && reaction.emoji.length > 0 ? { emoji: reaction.emoji } : {}),
    targetProviderMessageId: reaction.mid,
    actor: context.fromBusiness ? 'business' : 'customer',
  });
};

/** Read and delivery receipts: every message up to the watermark (and any listed) reached that status. */
const watermarkStatusEvent = (
  status: 'read' | 'delivered',
  watermark: number | string,
  mids: string[],
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => {
  const context = itemContext(entry, item, false);
  const id = eventIdFor(
    'messenger',
    'message.status_updated',
    status,
    item.sender.id,
    String(watermark),
    ...mids,
  );
  return buildEvent('switchboard.message.status_updated', id, {
    ...context.fields,
    status,
    providerStatus: status,
    providerMessageIds: mids,
    ...watermarkField(watermark),
  });
};

/** `read` items: every message the business sent up to the watermark has been read. */
export const readEvent = (
  read: z.infer<typeof ReadSchema>,
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => watermarkStatusEvent('read', read.watermark, [], item, entry);

/** `delivery` items: the listed messages (when Meta lists them) and all before the watermark arrived. */
export const deliveryEvent = (
  delivery: z.infer<typeof DeliverySchema>,
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => watermarkStatusEvent('delivered', delivery.watermark, delivery.mids ?? [], item, entry);

/** `message_edit` items: the customer changed the text of a message they sent. */
export const editEvent = (
  edit: z.infer<typeof MessageEditSchema>,
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => {
  const context = itemContext(entry, item, false);
  // Each edit of one message is its own occurrence; num_edit counts them (Messenger allows five).
  const occurrence =
    edit.num_edit !== undefined ? [`edit:${edit.num_edit}`] : [`at:${timestampKey(item)}`, edit.text ?? ''];
  return buildEvent(
    'switchboard.message.edited',
    eventIdFor('messenger', 'message.edited', edit.mid, ...occurrence),
    {
      ...context.fields,
      targetProviderMessageId: edit.mid,
      parts: edit.text !== undefined ? [{ type: 'text', text: edit.text }] : [],
      actor: context.fromBusiness ? 'business' : 'customer',
    },
  );
};

/** Standalone `referral` items: a customer already in a thread came back through a link, an ad or a plugin. */
export const referralEvent = (
  referral: MetaReferral,
  rawReferral: unknown,
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => {
  const context = itemContext(entry, item, false);
  const id = eventIdFor(
    'messenger',
    'contact.referred',
    item.sender.id,
    timestampKey(item),
    canonicalJson(rawReferral),
  );
  return buildEvent('switchboard.contact.referred', id, {
    ...context.fields,
    referral: toReferral(referral),
  });
};

/** `optin` items: the customer opted in to (or stopped, or resumed) Messenger notification messages. */
export const optinEvent = (
  optin: z.infer<typeof OptinSchema>,
  rawOptin: unknown,
  item: MessagingItemBase,
  entry: EntryContext,
): HubEvent => {
  const context = itemContext(entry, item, false);
  const status = optin.notification_messages_status;
  const id = eventIdFor(
    'messenger',
    'contact.consent_changed',
    item.sender.id,
    timestampKey(item),
    canonicalJson(rawOptin),
  );
  const trigger = status ?? optin.type;
  return buildEvent('switchboard.contact.consent_changed', id, {
    ...context.fields,
    scope: 'messenger_notifications',
    consent: status === 'STOP_NOTIFICATIONS' ? 'opted_out' : 'opted_in',
    ...(trigger !== undefined ? { trigger } : {}),
  });
};

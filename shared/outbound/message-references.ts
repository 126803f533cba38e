import { isPostbackWithoutMid } from '#shared/channels/messenger/postback-id.ts';
import { isWhatsAppCallId } from '#shared/channels/whatsapp/outbound/call-references.ts';
import type { SendMessageData } from '#shared/contract/commands.ts';
import type { Channel } from '#shared/contract/index.ts';

/**
 * What a provider message id the hub recorded stands for when its provider has no message under it
 * to quote, react to or mark read: a WhatsApp call (`wacid.…`; Meta documents no quoting of,
 * reaction to or read receipt for a call) or a Messenger postback Meta sent without `mid` (the
 * hub's own `postback.<hash>`). Undefined for a message.
 */
export const nonMessageReferenceOf = (channel: Channel, providerMessageId: string): string | undefined => {
  if (channel === 'whatsapp' && isWhatsAppCallId(providerMessageId)) return 'a call';
  if (channel === 'messenger' && isPostbackWithoutMid(providerMessageId))
    return 'a postback Meta gave no message id';
  return undefined;
};

/**
 * A send that names such an id where its provider takes a message: its `replyTo`, or a reaction's
 * target. Refused before any provider call (`content_invalid`), the field named; undefined when none
 * does. Before 2026-12-06 a Messenger postback's made-up id went to Meta as `reply_to.mid` or a
 * reaction's `message_id` (found by a review); a WhatsApp call's was refused since 2026-12-05.
 */
export const messageReferenceProblem = (
  channel: Channel,
  data: Pick<SendMessageData, 'replyTo' | 'parts'>,
): { readonly field: string; readonly detail: string } | undefined => {
  const replyTo = data.replyTo && nonMessageReferenceOf(channel, data.replyTo.providerMessageId);
  if (replyTo) return { field: 'replyTo', detail: `replyTo names ${replyTo}, not a message to quote` };
  for (const [index, part] of data.parts.entries()) {
    const target = part.type === 'reaction' && nonMessageReferenceOf(channel, part.targetProviderMessageId);
    if (target)
      return {
        field: `parts.${index}.targetProviderMessageId`,
        detail: `the reaction names ${target}, not a message to react to`,
      };
  }
  return undefined;
};

import type { SendMessageData } from '#shared/contract/commands.ts';

/**
 * A WhatsApp call's id (the Calling API's `wacid.…`), which the hub records as the id of the
 * customer's call message (shared/channels/whatsapp/inbound/normalize-calls.ts). It names no message
 * on WhatsApp: Meta documents no quoting of, reaction to or read receipt for a call.
 */
export const isWhatsAppCallId = (providerMessageId: string): boolean =>
  providerMessageId.startsWith('wacid.');

/**
 * A send that names a call where WhatsApp takes a message: its `replyTo`, or a reaction's target.
 * Refused before any provider call (`content_invalid`), the field named; undefined when none does.
 */
export const callReferenceProblem = (
  data: Pick<SendMessageData, 'replyTo' | 'parts'>,
): { readonly field: string; readonly detail: string } | undefined => {
  if (data.replyTo !== undefined && isWhatsAppCallId(data.replyTo.providerMessageId)) {
    return { field: 'replyTo', detail: 'replyTo names a call: WhatsApp quotes messages, not calls' };
  }
  const reaction = data.parts.findIndex(
    (part) => part.type === 'reaction' && isWhatsAppCallId(part.targetProviderMessageId),
  );
  return reaction < 0
    ? undefined
    : {
        field: `parts.${reaction}.targetProviderMessageId`,
        detail: 'the reaction names a call: WhatsApp takes reactions to messages, not calls',
      };
};

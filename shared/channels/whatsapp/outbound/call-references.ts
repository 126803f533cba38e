/**
 * A WhatsApp call's id (the Calling API's `wacid.…`), which the hub records as the id of the
 * customer's call message (shared/channels/whatsapp/inbound/normalize-calls.ts). It names no message
 * on WhatsApp: Meta documents no quoting of, reaction to or read receipt for a call.
 */
export const isWhatsAppCallId = (providerMessageId: string): boolean =>
  providerMessageId.startsWith('wacid.');

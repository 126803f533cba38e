import type { ConversationState, Provider } from '#shared/contract/types.ts';

/** The e-mail providers a deployment sends through (SWITCHBOARD_EMAIL_PROVIDER). */
export type EmailProvider = Extract<Provider, 'ses' | 'mailgun'>;

/**
 * The provider a conversation runs through, which its replies and the events about it name: the one
 * it keeps. Conversations recorded before the hub kept it (2026-11-30) have none, and get it from
 * what they do keep: an e-mail one the deployment's e-mail provider (the one it sends through,
 * `defaultEmailProvider`), an SMS one Twilio; a WhatsApp one Twilio when its business endpoint is a
 * Twilio number (E.164, `+…`; a Cloud API endpoint is Meta's phone-number id, digits only), else
 * Meta, as Messenger. The sender and the helpdesk API both decide it here.
 */
export const conversationProvider = (
  state: Pick<ConversationState, 'provider' | 'channel' | 'endpoint'>,
  defaultEmailProvider: EmailProvider,
): Provider => {
  if (state.provider) return state.provider;
  if (state.channel === 'email') return defaultEmailProvider;
  if (state.channel === 'sms' || state.endpoint.type === 'phone_number') return 'twilio';
  if (state.endpoint.type === 'whatsapp_phone_number' && state.endpoint.id.startsWith('+')) return 'twilio';
  return 'meta';
};

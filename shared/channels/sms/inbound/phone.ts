import type { BusinessEndpoint, ChannelIdentity } from '#shared/contract/types.ts';

/** Separators people and systems put in phone numbers; never part of the number itself. */
const SEPARATORS = /[\s\-()]/g;
const DIGITS_WITH_OPTIONAL_PLUS = /^\+?\d+$/;
const SHORT_CODE = /^\d{3,8}$/;

export type SenderIdentityType = Extract<ChannelIdentity['type'], 'phone' | 'short_code' | 'alphanumeric'>;

/**
 * Classifies and normalizes an SMS address. Numbers lose their separators and keep a leading
 * `+`; 3–8 digit short codes stay short codes; alphanumeric sender ids are kept exactly as sent,
 * because that string is how the carrier addresses them. Idempotent by construction.
 */
export const normalizeSmsAddress = (address: string): ChannelIdentity & { type: SenderIdentityType } => {
  const stripped = address.replace(SEPARATORS, '');
  if (!DIGITS_WITH_OPTIONAL_PLUS.test(stripped)) return { type: 'alphanumeric', value: address };
  if (SHORT_CODE.test(stripped)) return { type: 'short_code', value: stripped };
  return { type: 'phone', value: stripped };
};

export type ParsedAddress =
  | { channel: 'sms'; identity: ChannelIdentity & { type: SenderIdentityType } }
  | { channel: 'whatsapp'; identity: ChannelIdentity & { type: 'wa_id' }; phone: string }
  | { channel: 'unknown'; prefix: string };

const CHANNEL_PREFIX = /^([a-z][a-z0-9-]*):(.*)$/i;

/**
 * Twilio addresses are bare for SMS/MMS and `channel:address` otherwise (`whatsapp:+14155238886`).
 * Only WhatsApp is mapped; other channel prefixes are reported so the caller keeps them raw.
 */
export const parseTwilioAddress = (address: string): ParsedAddress => {
  // An empty address identifies no one; the request is then kept raw rather than half-mapped.
  if (address.trim().length === 0) return { channel: 'unknown', prefix: '' };
  const prefixed = CHANNEL_PREFIX.exec(address);
  if (!prefixed) return { channel: 'sms', identity: normalizeSmsAddress(address) };
  const [, prefix = '', rest = ''] = prefixed;
  if (prefix.toLowerCase() !== 'whatsapp') return { channel: 'unknown', prefix };
  const number = normalizeSmsAddress(rest);
  if (number.type === 'alphanumeric') return { channel: 'unknown', prefix };
  const digits = number.value.replace(/^\+/, '');
  return { channel: 'whatsapp', identity: { type: 'wa_id', value: digits }, phone: `+${digits}` };
};

/** The id of the business endpoint an address names: the number (or short code, or sender id), without `whatsapp:`. */
export const twilioEndpointId = (address: ParsedAddress & { channel: 'sms' | 'whatsapp' }): string =>
  address.channel === 'whatsapp' ? address.phone : address.identity.value;

/**
 * What a business address is listed and looked up under (a further Twilio account's `numbers`,
 * shared/config/secrets/twilio.ts): its channel and the id its endpoint has, `sms:+14155550100`,
 * `sms:12345`, `whatsapp:+14155238886`. Separators and the prefix's case do not count; SMS and
 * WhatsApp on one number are two keys. Undefined for an address no endpoint is made of.
 */
export const twilioBusinessKey = (address: string): string | undefined => {
  const parsed = parseTwilioAddress(address);
  return parsed.channel === 'unknown' ? undefined : `${parsed.channel}:${twilioEndpointId(parsed)}`;
};

/** The same key for an endpoint the hub keeps (a conversation's, a stored message's). */
export const twilioEndpointKey = (endpoint: Pick<BusinessEndpoint, 'type' | 'id'>): string | undefined => {
  if (endpoint.type === 'whatsapp_phone_number') return `whatsapp:${endpoint.id}`;
  return endpoint.type === 'phone_number' ? `sms:${endpoint.id}` : undefined;
};

import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { boundedIdentityKey, MAX_READABLE_IDENTITY_BYTES, stableHash } from '#shared/contract/ids.ts';
import type { Channel, ChannelIdentity, Contact } from '#shared/contract/index.ts';
import { isPlaceholderAddress } from './placeholder-email.ts';

/*
 * One customer across channels. The hub's `contactId` is derived from the contact's strongest
 * identifier, so every part of the hub computes the same id without a lookup:
 *
 * - a phone number, as E.164 (normalized by libphonenumber-js): an SMS sender, a Twilio WhatsApp
 *   sender and a WhatsApp `wa_id` (the number without its `+`) of one person meet here;
 * - else an e-mail address, lower-cased: every e-mail channel meets here;
 * - else the channel's own identity (a PSID, an IGSID, a BSUID alone…): that contact only.
 *
 * Placeholders (empty, all zeros, "unknown", `noreply@…`, reserved domains) and numbers that are
 * not valid phone numbers are never strong: two customers a provider labels alike are not merged.
 */

/** Longest E.164 number, with its `+`: 15 digits. Checked before any parsing. */
const E164_SHAPE = /^\+[1-9]\d{5,14}$/;
/** One digit repeated (`+11111111111`, `000000`): a placeholder, whatever a number plan says. */
const REPEATED_DIGIT = /^\+?(\d)\1*$/;
/** Words providers and forms put where a number or address is unknown. */
const PLACEHOLDER_WORDS = new Set([
  '',
  'unknown',
  'anonymous',
  'restricted',
  'private',
  'blocked',
  'unavailable',
  'none',
  'null',
  'undefined',
  'n/a',
  'na',
]);
/** Caller ids Twilio documents for withheld numbers: ANONYMOUS, RESTRICTED, UNKNOWN, BLOCKED spelled on a keypad. */
const PLACEHOLDER_NUMBERS = new Set(['+266696687', '+7378742833', '+8656696', '+2562533']);

const MAX_EMAIL_LENGTH = 254;

const phoneText = (identity: ChannelIdentity): string | undefined =>
  identity.type === 'phone' ? identity.value : identity.type === 'wa_id' ? `+${identity.value}` : undefined;

/** Whether a provider gave a stand-in rather than someone's number or address. */
export const isPlaceholder = (identity: ChannelIdentity): boolean => {
  const value = identity.value.trim().toLowerCase();
  if (PLACEHOLDER_WORDS.has(value)) return true;
  const phone = phoneText(identity);
  if (phone !== undefined)
    return value.length <= 16 && (REPEATED_DIGIT.test(phone) || PLACEHOLDER_NUMBERS.has(phone));
  return identity.type === 'email' && isPlaceholderAddress(value);
};

/** A phone or WhatsApp identity as E.164, when it is a valid number and not a placeholder. */
export const e164Of = (identity: ChannelIdentity): string | undefined => {
  const raw = phoneText(identity);
  if (raw === undefined || !E164_SHAPE.test(raw) || isPlaceholder(identity)) return undefined;
  const parsed = parsePhoneNumberFromString(raw);
  return parsed?.isValid() ? parsed.number : undefined;
};

/** An e-mail identity, lower-cased, when it looks like a person's mailbox. */
export const emailOf = (identity: ChannelIdentity): string | undefined => {
  if (identity.type !== 'email' || identity.value.length > MAX_EMAIL_LENGTH || isPlaceholder(identity))
    return undefined;
  // One the hub stores under its hash is no strong identifier: the contact read back (its hash) must
  // be the same person as the one recorded (found by a review: an address of 181 characters, 352
  // bytes, was another person once read back, and its erasure answered 404 and left it).
  if (Buffer.byteLength(identity.value, 'utf8') > MAX_READABLE_IDENTITY_BYTES) return undefined;
  const address = identity.value.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  if (at < 1 || !domain.includes('.') || domain.startsWith('.') || domain.endsWith('.')) return undefined;
  return address;
};

/** `phone:+E164` or `email:address`: what links contacts across channels; undefined for anything else. */
export const strongIdentifierOf = (identity: ChannelIdentity): string | undefined => {
  const phone = e164Of(identity);
  if (phone) return `phone:${phone}`;
  const email = emailOf(identity);
  return email ? `email:${email}` : undefined;
};

/**
 * The contact's anchor: its first phone, else its first e-mail address; else its primary identity
 * on the channel; but a placeholder stands for nobody in particular, so it anchors only the one
 * conversation it came in (two customers a provider labels "unknown" stay two people).
 */
const anchorOf = (channel: Channel, contact: Contact, conversationId: string): string => {
  const strong = contact.identities.map(strongIdentifierOf).filter((id) => id !== undefined);
  const phone = strong.find((id) => id.startsWith('phone:'));
  if (phone ?? strong[0]) return (phone ?? strong[0]) as string;
  const [primary] = contact.identities;
  if (!primary || isPlaceholder(primary)) return `anonymous:${conversationId}`;
  // As the contact is stored: a value too long for a key by its hash.
  return `${channel}:${boundedIdentityKey(primary)}`;
};

/** The hub's id of the person behind a conversation's contact: `ct_` and 32 hex digits. */
export const contactIdFor = (channel: Channel, contact: Contact, conversationId: string): string =>
  `ct_${stableHash('contact', anchorOf(channel, contact, conversationId))}`;

// What the page shows of a person while "Reveal contacts" is off: identities masked (enough to tell
// contacts apart on screen, not enough to dial or write to), names hidden. One home for the rule,
// used by the inbox, the contact panel, the timeline's notices and the raw events.

const DOT = '•';
export const HIDDEN = '(hidden: switch on Reveal contacts)';

const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+$/;
const PHONE_NUMBER = /^(whatsapp:)?\+?\d{6,}$/;

/*
 * E-mail addresses and phone numbers inside a text: the patterns of shared/observability/redact.ts,
 * which masks them in every log line (why each part is as it is, and why each runs in time linear in
 * the text, is written there). The page cannot import that module (TypeScript; the page is served
 * as written, without a build), so they are repeated here, and raw-event-masking.test.ts checks that
 * both find the same in the same texts.
 */
const LOCAL = String.raw`[^\s@<>()[\]\\,;:"]`;
const EMAIL_IN_TEXT = new RegExp(
  String.raw`(?:"(?:[^"\\\r\n]|\\.){1,64}"|(?<!${LOCAL})${LOCAL}+)(?:@|%40)[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)+`,
  'gu',
);
const PHONE_IN_TEXT =
  /(?:\+|%2[Bb]|(?<![\p{L}\p{N}_]))\d(?:(?:[\s().-]|%20){0,3}\d){6,14}(?![\p{L}\p{N}_])/gu;
/** What PHONE_IN_TEXT finds but is no number: a date (perhaps with its hour), seven bare digits (a subcode). */
const NOT_A_PHONE = /^(?:\d{7}|\d{4}-\d{2}-\d{2}(?: \d{2})?)$/;

/** Each e-mail address and phone number inside the text, replaced by `replace(match, 'email' | 'phone')`. */
export function replaceContacts(text, replace) {
  return text
    .replace(EMAIL_IN_TEXT, (match) => replace(match, 'email'))
    .replace(PHONE_IN_TEXT, (match) => (NOT_A_PHONE.test(match) ? match : replace(match, 'phone')));
}

/** An identity's value masked: `n•••@c•••.example`, `+49••••••••78`, `abc•••yz`. */
export function mask(identity) {
  const value = identity.value;
  if (identity.type === 'email' || value.includes('@')) {
    const [local = '', domain = ''] = value.split('@');
    const dot = domain.lastIndexOf('.');
    const host = dot > 0 ? domain.slice(0, dot) : domain;
    const tld = dot > 0 ? domain.slice(dot) : '';
    return `${local.slice(0, 1)}${DOT.repeat(3)}@${host.slice(0, 1)}${DOT.repeat(3)}${tld}`;
  }
  const digits = value.replace(/^whatsapp:/, '');
  if (/^\+?\d{6,}$/.test(digits)) {
    const plus = digits.startsWith('+') ? '+' : '';
    const bare = digits.replace(/^\+/, '');
    return `${plus}${bare.slice(0, 2)}${DOT.repeat(bare.length - 4)}${bare.slice(-2)}`;
  }
  return value.length <= 6
    ? DOT.repeat(value.length)
    : `${value.slice(0, 3)}${DOT.repeat(3)}${value.slice(-2)}`;
}

/**
 * A provider's notice about the customer, a `system` part: its text may name them (a WhatsApp number
 * change: "User <name> changed from <number> to <number>"), and a number change carries the new
 * number. While contacts are not revealed its text is hidden and the number masked: the one rule
 * for the timeline's notices and the raw events, whose provider payloads (`raw`) are hidden in the
 * same words (maskedEvent).
 */
export function shownNotice(part, reveal) {
  if (reveal) return part;
  return {
    ...part,
    ...(typeof part.body === 'string' ? { body: HIDDEN } : {}),
    ...(typeof part.newIdentity === 'string'
      ? { newIdentity: mask({ type: '', value: part.newIdentity }) }
      : {}),
  };
}

/** Whether a value of an event is a provider's notice part (see shownNotice). */
function isNotice(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.type === 'system';
}

/** Keys whose whole value is the person: the contact (as events and the state carry it), identities, names. */
const PERSON_KEYS = new Set(['contact', 'identity', 'identities', 'displayName', 'profileName']);

/**
 * A provider's own field naming a WhatsApp user by their business-scoped user id (BSUID) in a raw
 * payload the event keeps (`user_id`, `from_user_id`, `to_user_id`, `recipient_user_id`,
 * `parent_user_id`…): no phone number, yet the person.
 */
const USER_ID_KEY = /(^|_)user_id$/;

/**
 * A provider's payload an event keeps whole (an unsupported part's item, a provider.unsupported
 * event's): any of its fields may name the customer (Twilio's `ProfileName`, a recipient, a
 * sender), under names no list here can know in advance. Hidden whole, as a provider's notice's
 * text is (shownNotice).
 */
const PROVIDER_PAYLOAD_KEY = 'raw';

/**
 * A provider's errors, wherever an event carries them (a status's, a failed send's, a message's, a
 * call's, a provider.error's): the provider's own words, which may quote the customer's address or
 * number inside a sentence (a bounce's `550 5.1.1 <maria@…>: Recipient address rejected`).
 */
const PROVIDER_ERRORS_KEY = 'errors';

/** An address or number found inside a provider's text, masked as a whole value is. */
const maskedMatch = (match) => mask({ type: '', value: match });

/**
 * A published event as the page shows it while contacts are not revealed: the person's objects and
 * names hidden wherever they sit (`data.contact`, `data.state.contact`…), an e-mail mailbox's name
 * hidden and its address masked, a provider's notice about the customer and a provider's payload
 * kept as `raw` hidden as the timeline hides a notice (shownNotice), any other value that is a whole
 * phone number or e-mail address (a status's recipient, an address list) or a provider's user id
 * field masked, and the addresses and numbers inside a provider's error texts masked. What the
 * customer or the business wrote is left as it is, as the timeline shows it.
 */
export function maskedEvent(event) {
  return maskedValue(event, undefined, false);
}

/** `value` under `key`; `providerWords`: within a provider's errors (PROVIDER_ERRORS_KEY). */
function maskedValue(value, key, providerWords) {
  if (key !== undefined && PERSON_KEYS.has(key)) return HIDDEN;
  if (key === PROVIDER_PAYLOAD_KEY) return HIDDEN;
  if (typeof value === 'string') {
    const person = EMAIL_ADDRESS.test(value) || PHONE_NUMBER.test(value) || USER_ID_KEY.test(key ?? '');
    if (person) return mask({ type: '', value });
    return providerWords ? replaceContacts(value, maskedMatch) : value;
  }
  const inProviderWords = providerWords || key === PROVIDER_ERRORS_KEY;
  if (Array.isArray(value)) return value.map((item) => maskedValue(item, undefined, inProviderWords));
  if (typeof value !== 'object' || value === null) return value;
  const mailbox = typeof value.address === 'string';
  const shown = isNotice(value) ? shownNotice(value, false) : value;
  return Object.fromEntries(
    Object.entries(shown).map(([name, item]) => [
      name,
      mailbox && name === 'name' ? HIDDEN : maskedValue(item, name, inProviderWords),
    ]),
  );
}

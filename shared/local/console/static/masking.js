// What the page shows of a person while "Reveal contacts" is off: identities masked (enough to tell
// contacts apart on screen, not enough to dial or write to), names hidden. One home for the rule,
// used by the inbox, the contact panel, the timeline's notices and the raw events.

const DOT = '•';
export const HIDDEN = '(hidden: switch on Reveal contacts)';

const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+$/;
const PHONE_NUMBER = /^(whatsapp:)?\+?\d{6,}$/;

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
 * for the timeline's notices and the raw events.
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
 * A published event as the page shows it while contacts are not revealed: the person's objects and
 * names hidden wherever they sit (`data.contact`, `data.state.contact`…), an e-mail mailbox's name
 * hidden and its address masked, a provider's notice about the customer hidden as the timeline
 * hides it (shownNotice), and any other value that is a whole phone number or e-mail address (a
 * status's recipient, an address list) or a provider's user id field masked. What the customer or
 * the business wrote is left as it is, as the timeline shows it.
 */
export function maskedEvent(value, key) {
  if (key !== undefined && PERSON_KEYS.has(key)) return HIDDEN;
  if (typeof value === 'string') {
    const person = EMAIL_ADDRESS.test(value) || PHONE_NUMBER.test(value) || USER_ID_KEY.test(key ?? '');
    return person ? mask({ type: '', value }) : value;
  }
  if (Array.isArray(value)) return value.map((item) => maskedEvent(item));
  if (typeof value !== 'object' || value === null) return value;
  const mailbox = typeof value.address === 'string';
  const shown = isNotice(value) ? shownNotice(value, false) : value;
  return Object.fromEntries(
    Object.entries(shown).map(([name, item]) => [
      name,
      mailbox && name === 'name' ? HIDDEN : maskedEvent(item, name),
    ]),
  );
}

/*
 * Addresses that stand for nobody in particular: what forms, notifiers and broken senders write
 * where no person's mailbox is. No dependencies, so the e-mail intake reads it without the phone
 * library that contact-identity.ts loads.
 */

const PLACEHOLDER_LOCAL_PARTS = new Set([
  'unknown',
  'anonymous',
  'nobody',
  'none',
  'null',
  'noreply',
  'no-reply',
  'donotreply',
  'do-not-reply',
  'mailer-daemon',
  'postmaster',
  'invalid',
]);
/** RFC 2606 / 6761 reserved names, and what broken senders put instead of a domain. */
const PLACEHOLDER_DOMAINS = new Set(['example.com', 'example.org', 'example.net', 'unknown', 'localhost']);
const RESERVED_TLDS = ['.invalid', '.example', '.test', '.localhost'];

/** Whether an address (trimmed, lower-cased) is a no-reply, reserved or placeholder one. */
export const isPlaceholderAddress = (address: string): boolean => {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  return (
    PLACEHOLDER_LOCAL_PARTS.has(address.slice(0, Math.max(at, 0))) ||
    PLACEHOLDER_DOMAINS.has(domain) ||
    RESERVED_TLDS.some((tld) => domain.endsWith(tld))
  );
};

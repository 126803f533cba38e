import { type Address, addressParser, type Email } from 'postal-mime';
import type { EmailAddress } from '#shared/contract/types.ts';
import { canonicalEmailAddress } from '#shared/domain/email-address.ts';
import { isPlaceholderAddress } from '#shared/domain/placeholder-email.ts';
import { conversationOfReplyTag, isConversationTag } from '../reply-address.ts';

export const normalizeAddress = (address: string): string =>
  address.trim().replace(/^<|>$/g, '').trim().toLowerCase();

/**
 * The address a mail's contact is known by: its identity's value, and the customer's part of the
 * conversation of an untagged mail (threading.ts), so the two never read one customer differently;
 * its domain in Unicode (canonicalEmailAddress), the form every other e-mail identity takes too.
 */
export const contactAddressOf = (contact: EmailAddress): string => canonicalEmailAddress(contact.address);

/**
 * The address normalized, or undefined when the text is no address (no `@`): an empty, blank or
 * `<>` sender or recipient, which as an endpoint id or contact identity the contract refuses.
 */
export const emailAddressOf = (text: string | undefined): string | undefined => {
  const address = text === undefined ? undefined : normalizeAddress(text);
  return address?.includes('@') ? address : undefined;
};

/**
 * The contact identity an address a provider names is (a complaint's, a bounce's or a delivery's
 * recipient, an unreadable mail's sender): as emailAddressOf reads it, its domain in Unicode as a
 * From's contact has it (contactAddressOf). The hub answers at the ASCII form of an internationalised
 * domain, which is what providers then name: read as it is, a complaint opted out another contact.
 */
export const contactAddressIn = (text: string | undefined): string | undefined => {
  const address = emailAddressOf(text);
  return address === undefined ? undefined : canonicalEmailAddress(address);
};

/** Groups flattened; entries without an address dropped. */
export const mailboxesOf = (addresses: readonly Address[] | Address | undefined): EmailAddress[] => {
  const list = addresses === undefined ? [] : Array.isArray(addresses) ? addresses : [addresses];
  return list
    .flatMap((entry: Address) => (entry.group ? entry.group : [entry]))
    .filter((mailbox) => typeof mailbox.address === 'string' && mailbox.address.includes('@'))
    .map((mailbox) => ({
      address: mailbox.address ?? '',
      ...(mailbox.name.trim() ? { name: mailbox.name.trim() } : {}),
    }));
};

/**
 * The `+tag` of an address's local part when it has the shape of a conversation tag (signed or not).
 * The hub puts it after the last `+`, so an endpoint's own `+` (`hi+eu+<tag>@`) stays the endpoint's.
 */
export const conversationTagOf = (address: string): string | undefined => {
  const [local] = normalizeAddress(address).split('@');
  const plus = local?.lastIndexOf('+') ?? -1;
  if (local === undefined || plus < 0) return undefined;
  const tag = local.slice(plus + 1);
  return isConversationTag(tag) ? tag : undefined;
};

/** The address without a conversation tag: `reply+conv_…@d` and `reply@d`, `hi+eu+conv_…@d` and `hi+eu@d` are one endpoint. */
export const withoutConversationTag = (address: string): string => {
  const normalized = normalizeAddress(address);
  const tag = conversationTagOf(normalized);
  if (tag === undefined) return normalized;
  // The tag ends the local part (up to the first `@`, as conversationTagOf reads it).
  const at = normalized.indexOf('@');
  return `${normalized.slice(0, at - tag.length - 1)}${normalized.slice(at)}`;
};

export interface Parties {
  readonly direction: 'inbound' | 'outbound';
  /** Lower-cased business address, conversation tag removed. */
  readonly endpointAddress: string;
  readonly contact: EmailAddress;
  /** From a `reply+<tag>` recipient whose tag the hub signed, when there is one. */
  readonly taggedConversationId: string | undefined;
}

/** The domain of an address (after its last `@`), compared as a contact's is: lower-cased, in Unicode. */
export const domainOf = (address: string): string => {
  const canonical = canonicalEmailAddress(address.includes('@') ? address : `@${address}`);
  return canonical.slice(canonical.lastIndexOf('@') + 1);
};

/** Which addresses are the business's own, compared without a conversation tag. */
interface BusinessAddresses {
  has(address: string): boolean;
}

/**
 * The business's own addresses: those a mail was delivered to, and every address of a domain the
 * hub receives whole (`ownDomains`: SES's receipt rule takes its inbound domain, every address of
 * which reaches the hub and none a person's mailbox, so an agent's copy From `sales@` of it, with
 * `support@` in Bcc, is the business writing, not a customer of `support@`).
 */
const businessAddressesOf = (
  addresses: readonly string[],
  ownDomains: readonly string[] = [],
): BusinessAddresses => {
  const own = new Set(addresses.map(withoutConversationTag));
  const domains = new Set(ownDomains.map(domainOf));
  return {
    has: (address) => {
      const bare = withoutConversationTag(address);
      return own.has(bare) || (domains.size > 0 && bare.includes('@') && domains.has(domainOf(bare)));
    },
  };
};

/**
 * The person a form or notifier writes for: a mail From a no-reply address (`noreply@`, a reserved
 * domain: nobody to answer) names them in Reply-To, the first address there that is a mailbox and
 * not the business's own. Undefined for a mail From anyone else (the business's own address too).
 */
const onBehalfOf = (
  from: EmailAddress | undefined,
  replyTo: readonly EmailAddress[],
  businessAddresses: BusinessAddresses,
): EmailAddress | undefined => {
  if (from === undefined) return undefined;
  const address = withoutConversationTag(from.address);
  if (businessAddresses.has(address) || !isPlaceholderAddress(address)) return undefined;
  return replyTo.find((mailbox) => {
    const candidate = withoutConversationTag(mailbox.address);
    const at = candidate.lastIndexOf('@');
    const domain = candidate.slice(at + 1);
    const isMailbox = at > 0 && domain.includes('.') && !domain.startsWith('.') && !domain.endsWith('.');
    return isMailbox && !businessAddresses.has(candidate) && !isPlaceholderAddress(candidate);
  });
};

/**
 * The sender of a parsed mail as its contact would be (identifyParties): the person a no-reply
 * From writes for, else the From address; for a mail the hub parsed but could not place.
 */
export const parsedSenderOf = (
  message: Email,
  envelopeRecipients: readonly string[],
  ownDomains: readonly string[] = [],
): string | undefined => {
  const from = mailboxesOf(message.from)[0];
  const business = businessAddressesOf(
    envelopeRecipients.flatMap((address) => emailAddressOf(address) ?? []),
    ownDomains,
  );
  return (onBehalfOf(from, mailboxesOf(message.replyTo), business) ?? from)?.address;
};

/**
 * Who is who. The business endpoint of a customer's mail is the address carrying a verified reply
 * tag (the signed address of the conversation they answer), else the envelope recipient that also
 * appears in To/Cc (the address the customer wrote to), else the first envelope recipient, else
 * the first To/Cc address. A message From one of the business's own addresses is the business writing
 * (a copy of an answer sent outside the hub): its contact is the first other To/Cc address.
 */
export const identifyParties = (
  message: Email,
  envelopeRecipients: readonly string[],
  envelopeSender: string | undefined,
  replyTagKey: string | undefined,
  /** Domains whose every address is the business's (InboundEmailContext.ownDomains). */
  ownDomains: readonly string[] = [],
): Parties | undefined => {
  const verifiedTagOf = (address: string): string | undefined => {
    const tag = conversationTagOf(address);
    return tag === undefined ? undefined : conversationOfReplyTag(tag, replyTagKey);
  };
  const recipients = envelopeRecipients.flatMap((address) => emailAddressOf(address) ?? []);
  const headerRecipients = [...mailboxesOf(message.to), ...mailboxesOf(message.cc)];
  const headerAddresses = headerRecipients.map((mailbox) => normalizeAddress(mailbox.address));
  const chosen =
    recipients.find((address) => headerAddresses.includes(address)) ?? recipients[0] ?? headerAddresses[0];
  if (chosen === undefined) return undefined;

  const businessAddresses = businessAddressesOf([...recipients, chosen], ownDomains);
  // The first address that carries a verified tag (the envelope's first): it names its conversation,
  // and a customer's answer is to its endpoint, whatever business address the mail also names first.
  const taggedAddress = [...recipients, ...headerAddresses].find(
    (address) => verifiedTagOf(address) !== undefined,
  );
  const taggedConversationId = taggedAddress === undefined ? undefined : verifiedTagOf(taggedAddress);
  const from = mailboxesOf(message.from)[0];
  const sender =
    onBehalfOf(from, mailboxesOf(message.replyTo), businessAddresses) ??
    from ??
    mailboxesOf(message.sender)[0] ??
    mailboxesOf(message.replyTo)[0] ??
    (envelopeSender?.includes('@') ? { address: envelopeSender } : undefined);
  if (sender === undefined) return undefined;

  if (businessAddresses.has(sender.address)) {
    const customer = headerRecipients.find((mailbox) => !businessAddresses.has(mailbox.address));
    if (customer === undefined) return undefined;
    return {
      direction: 'outbound',
      endpointAddress: withoutConversationTag(sender.address),
      contact: customer,
      // The hub's own sends carry the tag in Reply-To, so copies of them thread too.
      taggedConversationId:
        taggedConversationId ??
        mailboxesOf(message.replyTo)
          .map((mailbox) => verifiedTagOf(mailbox.address))
          .find((tag) => tag !== undefined),
    };
  }
  return {
    direction: 'inbound',
    // Until 2026-12-06 the first business address in To/Cc, so an answer To sales@ and Cc the
    // signed reply address of a support@ thread was re-homed apart from that thread (found by a review).
    endpointAddress: withoutConversationTag(taggedAddress ?? chosen),
    contact: sender,
    taggedConversationId,
  };
};

/**
 * Longest From header read apart from the MIME: the transport hands it over already unfolded, and
 * within this the address parser's work (its encoded words included) stays a few microseconds.
 */
const MAX_TRANSPORT_FROM_LENGTH = 2_000;

/** The first mailbox of a From header the transport read; undefined when it names none or is too long. */
const firstAddressOf = (header: string | undefined): string | undefined => {
  if (header === undefined || header.length > MAX_TRANSPORT_FROM_LENGTH) return undefined;
  try {
    return mailboxesOf(addressParser(header))[0]?.address;
  } catch {
    return undefined;
  }
};

/**
 * The one mailbox a From header names, normalized as a contact's address is; undefined when it
 * names none or several, when its one entry is a group (even of one member: `a@x: b@y;`), when
 * its display name holds an address or an angle bracket (`<a@x> <b@y>` parses as b@y named a@x),
 * when it carries a bare CR (which some parsers read as a line break), when the header does not
 * spell the address itself (one decoded out of encoded words), or when it is too long to read
 * here. For deciding whose mail DMARC vouched for: anything a second parser could read as another
 * author vouches for nobody.
 */
export const soleMailboxOf = (header: string | undefined): string | undefined => {
  if (header === undefined || header.length > MAX_TRANSPORT_FROM_LENGTH || /\r(?!\n)/.test(header))
    return undefined;
  try {
    const entries = addressParser(header);
    const [only] = entries;
    if (entries.length !== 1 || only === undefined || only.group !== undefined) return undefined;
    // The address as the header spells it: postal-mime 4.0.0 also read one out of encoded words
    // (`=?utf-8?q?Maria_=3Cmaria=40customer.example=3E?=`), which no verifier judged (found by a
    // review on 2026-12-06). 4.2.0 reads such a word as a name (its 4.1.1); the check stays.
    if (!header.toLowerCase().includes(only.address.toLowerCase())) return undefined;
    return /[<>@]/.test(only.name) ? undefined : emailAddressOf(only.address);
  } catch {
    return undefined;
  }
};

/**
 * Who sent an e-mail the hub cannot read, as far as it still knows without reading it: the From
 * address the parse found (`parsedFrom`, for a mail it parsed but could place nowhere), else the
 * transport's From header, else the envelope sender; as identifyParties takes the sender of a
 * readable one (a parsed mail's no-reply From already read as its Reply-To: parsedSenderOf; the
 * transport's header names no Reply-To); as a message's contact is (contactAddressIn). Undefined
 * when none is an address, or when it is one of the business's own addresses (a copy of the
 * business's mail: its customer is a recipient the hub did not read).
 */
export const knownSenderOf = (
  parsedFrom: string | undefined,
  headerFrom: string | undefined,
  envelopeSender: string | undefined,
  envelopeRecipients: readonly string[],
  ownDomains: readonly string[] = [],
): string | undefined => {
  const sender = [parsedFrom, firstAddressOf(headerFrom), envelopeSender]
    .map(emailAddressOf)
    .find((address) => address !== undefined);
  if (sender === undefined) return undefined;
  // Compared as the business's addresses are read (their domains as written), kept as a contact's.
  return businessAddressesOf(envelopeRecipients, ownDomains).has(sender)
    ? undefined
    : contactAddressIn(sender);
};

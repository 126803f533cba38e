import { domainToUnicode } from 'node:url';

/*
 * The one form of an e-mail address the hub knows a customer by: the value of their e-mail
 * identity, so the key their contact, consent and person are kept under, and their part of an
 * untagged e-mail conversation's id. No dependencies but Node's, so the e-mail intake and the
 * domain model read it alike.
 *
 * One mailbox reaches the hub in two spellings when its domain is internationalised: the customer's
 * mail client writes `dora@müller.de` or its IDNA ASCII form `dora@xn--mller-kva.de`, and the hub
 * answers at the ASCII form (SES takes nothing else: shared/channels/email/outbound/prepare.ts), so
 * that is the form SES and Mailgun name in her complaints, bounces and deliveries. Both are taken
 * to the Unicode form. Unicode, not ASCII, because contact ids and untagged conversation ids hash
 * the address: an ASCII domain, and a Unicode one as mail clients write it, keep the form (and the
 * ids) they had; only a domain written in ASCII changes. Before 2026-12-06 the identities of delivery
 * events kept the ASCII form while a From's kept the Unicode one: a complaint opted out another
 * contact than the conversation's, and the next reply went (found by a review).
 */

/** DNS's bound on a domain name (RFC 1035 §2.3.4, as text); past it the address names no mailbox. */
const MAX_DOMAIN_LENGTH = 253;

/**
 * An ASCII character a domain name cannot hold (anything but letters, digits, `-` and `.`). Such a
 * domain is left alone: `domainToUnicode` parses a URL host, and would cut `müller.de/x` at the
 * delimiter, decode `%41` or read `[…]` as an address literal.
 */
const NOT_IN_A_DOMAIN = /[^\P{ASCII}a-z0-9.-]/u;
const NON_ASCII = /\P{ASCII}/u;
/** A Punycode label (`xn--…`, RFC 5891 §4.4), at the start of the domain or after a dot. */
const PUNYCODE_LABEL = /(?:^|\.)xn--/;

/**
 * A domain in its Unicode form (UTS #46, Node's `url.domainToUnicode`): a Punycode label decoded,
 * a Unicode one as IDNA maps it (NFC, lower case). An ASCII domain without Punycode is returned as
 * it is, without parsing (a URL parser would read `0x7f.1` as an IPv4 address); so is one that is no
 * valid internationalised domain name, one longer than DNS allows and one holding a URL delimiter.
 */
const unicodeDomainOf = (domain: string): string => {
  if (domain.length > MAX_DOMAIN_LENGTH || NOT_IN_A_DOMAIN.test(domain)) return domain;
  if (!NON_ASCII.test(domain) && !PUNYCODE_LABEL.test(domain)) return domain;
  const unicode = domainToUnicode(domain);
  return unicode === '' ? domain : unicode;
};

/**
 * An e-mail address as the customer's identity: trimmed and lower-cased, its domain (after the last
 * `@`) in its Unicode form. Linear in the address, and never longer than a few times its domain's
 * 253 characters. Text without an `@` is only trimmed and lower-cased.
 */
export const canonicalEmailAddress = (address: string): string => {
  const lowered = address.trim().toLowerCase();
  const at = lowered.lastIndexOf('@');
  if (at < 0) return lowered;
  return `${lowered.slice(0, at + 1)}${unicodeDomainOf(lowered.slice(at + 1))}`;
};

/*
 * SES writes its own Message-ID over the one a mail is sent with (AWS, "Amazon SES header fields":
 * "If you provide a Message-ID header, Amazon SES overrides the header with its own value"):
 * `<SES MessageId>@email.amazonses.com` in us-east-1, `<SES MessageId>@<region>.amazonses.com`
 * elsewhere. The SES MessageId is what the send's answer, SES's events and so the hub's
 * `message.sent` and its statuses name, bare. Mailgun keeps the Message-ID the hub wrote.
 */

/**
 * An SES MessageId: 16 hex digits, a UUID and a 6-digit suffix, lower case as SES writes it
 * (`0102019a4f5e6d7c-3f1c2b4a-9d8e-4c7b-a6f5-e4d3c2b1a098-000000`; the simulator makes the same).
 */
const SES_MESSAGE_ID = /^[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\d{6}$/;
/** SES's domain of its Message-IDs: `email` (us-east-1) or a region (`eu-west-1`, `us-gov-west-1`). */
const SES_MESSAGE_ID_DOMAIN = /^(?:email|[a-z]{2}(?:-[a-z]{1,16}){1,2}-\d{1,2})\.amazonses\.com$/;
/** Longer than any id SES writes: past it no pattern is tried, whatever a hostile header holds. */
const MAX_SES_HEADER_ID_LENGTH = 128;

/**
 * The provider message id a Message-ID (without angle brackets) of a mail the business sent names:
 * the bare SES MessageId when SES wrote it, else the id itself (Mailgun's, or one no hub provider
 * wrote). Only SES's exact shape on one of SES's domains counts, so no other sender's id changes.
 */
export const sentMessageIdOf = (messageId: string): string => {
  const at = messageId.lastIndexOf('@');
  if (messageId.length > MAX_SES_HEADER_ID_LENGTH || at <= 0) return messageId;
  const local = messageId.slice(0, at);
  // Domains are case-insensitive (RFC 5321 §2.4); SES's MessageId is not.
  const domain = messageId.slice(at + 1).toLowerCase();
  return SES_MESSAGE_ID.test(local) && SES_MESSAGE_ID_DOMAIN.test(domain) ? local : messageId;
};

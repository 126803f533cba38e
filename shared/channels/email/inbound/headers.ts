import type { Header } from 'postal-mime';

export const headerValue = (headers: readonly Header[], key: string): string | undefined =>
  headers.find((header) => header.key === key)?.value;

/**
 * The longest id read as one: RFC 5322 (§2.1.1) limits a line to 998 characters, and a msg-id
 * cannot be folded, so a longer one is no id any mailer could have sent.
 */
const MAX_MESSAGE_ID_LENGTH = 998;

/**
 * No space, control character or angle bracket: RFC 5322 (§3.6.4) makes a msg-id's parts atoms or
 * literals of visible ASCII, and RFC 6532 lets them hold UTF-8 too.
 */
const isIdCharacter = (code: number): boolean =>
  code > 0x20 && code !== 0x7f && code !== 0x3c && code !== 0x3e;

/**
 * Whether a text can be a message id: `left@right`, both parts non-empty, of id characters, at most
 * MAX_MESSAGE_ID_LENGTH characters (checked first; one pass over a bounded text). `<>`, `none`,
 * `unknown` and the like are not: mailers that write them write them on every mail, so read as ids
 * they made two senders' mails one message (one event id, one hub message id) and one thread.
 */
const isPlausibleMessageId = (id: string): boolean => {
  if (id.length < 3 || id.length > MAX_MESSAGE_ID_LENGTH) return false;
  const at = id.lastIndexOf('@');
  if (at <= 0 || at === id.length - 1) return false;
  for (let index = 0; index < id.length; index += 1) {
    if (!isIdCharacter(id.charCodeAt(index))) return false;
  }
  return true;
};

/**
 * Message ids from a header (`<a@b> <c@d>`), without angle brackets, in order; a header without
 * any bracketed id is read as ids separated by spaces or commas. Only plausible ids count (see
 * isPlausibleMessageId): a header naming none gives none.
 */
export const messageIdsIn = (value: string | undefined): string[] => {
  if (!value) return [];
  const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((match) => match[1] ?? '');
  const ids = bracketed.length > 0 ? bracketed : value.split(/[\s,]+/);
  return ids.map((id) => id.trim()).filter(isPlausibleMessageId);
};

/**
 * More RFC 2047 encoded words (`=?utf-8?B?…?=`) than any mail carries: a subject has a few, a
 * list of names a few hundred. postal-mime 4.0.0 joined adjacent base64 words by testing the joined
 * text again at each word, quadratic in their number: one Subject of 60,000 words (1 MB) took tens
 * of seconds, past the webhook's timeout on every one of the provider's retries (4.2.0: 0.2 s; the
 * bound is kept).
 */
export const MAX_ENCODED_WORDS = 5_000;

/**
 * An encoded word as postal-mime (4.0.0 and 4.2.0, ENCODED_WORD_PATTERN) recognises it: a charset of any
 * length up to the next `?`, and a text that may hold spaces and line breaks (a word folded over
 * lines). A narrower frame (charset of 75 characters at most, no space in the text) missed words
 * postal-mime still joins: 60,000 words of `=?utf-8?B?QU B?=`, one per folded line, took 36 s.
 * Every part of the frame stops at the next `?`, and each match holds exactly four of them, as
 * each word postal-mime reads does: an attempt scans at most the next few `?`-free stretches
 * (linear time), and the count, taken over the raw mail rather than header by header, is never
 * under half of postal-mime's words. The charset stops at ASCII whitespace alone: postal-mime reads
 * headers as UTF-8 and the count reads latin1, which agree on ASCII, but byte 0xA0 (in `à`, C3 A0)
 * is `\s` in latin1 and not in UTF-8, so stopping at `\s` skipped words of such a charset (40,000
 * of charset `à`, 0.56 MB, took 5 s to join). A non-ASCII space ends postal-mime's charset and not
 * this one, so the count can see words postal-mime does not, never the other way round.
 */
const ENCODED_WORD = /=\?[^?\t\n\v\f\r ]+\?[bq]\?[^?]*\?=/gi;

/**
 * Whether the texts (MIME read as latin1: the raw mail, or the decoded parts postal-mime or the hub
 * read as messages) together hold more than MAX_ENCODED_WORDS encoded words. Each text is counted on
 * its own, so no word is made of the end of one and the start of the next.
 */
export const hasTooManyEncodedWords = (latin1Texts: string | readonly string[]): boolean => {
  let count = 0;
  for (const latin1 of typeof latin1Texts === 'string' ? [latin1Texts] : latin1Texts) {
    ENCODED_WORD.lastIndex = 0;
    while (ENCODED_WORD.exec(latin1) !== null) {
      count += 1;
      if (count > MAX_ENCODED_WORDS) return true;
    }
  }
  return false;
};

const AUTO_PRECEDENCE = new Set(['auto_reply', 'bulk', 'junk']);

/**
 * An empty reverse path (`MAIL FROM:<>`, as `Return-Path: <>` or an envelope sender of `<>` or
 * nothing), whitespace aside. One linear pass: a regex with whitespace on both sides of an optional
 * `<>` would backtrack quadratically over a long run of spaces.
 */
const isNullReversePath = (value: string): boolean => {
  const bare = value.replace(/\s+/g, '');
  return bare === '' || bare === '<>';
};

/**
 * True for messages nobody should answer automatically (RFC 3834 §2): `Auto-Submitted` with any
 * value but `no`, the de-facto `X-Autoreply` / `X-Autorespond` headers, `Precedence:
 * auto_reply|bulk|junk`, a null reverse path (the envelope sender, or `Return-Path: <>`: RFC 3834
 * §2 forbids answering one; bounces and read receipts come from it), and a read receipt (RFC 8098,
 * `multipart/report; report-type=disposition-notification`). `Precedence: list` is left out:
 * customers do write through mailing lists.
 */
export const isAutoReply = (headers: readonly Header[], envelopeSender?: string): boolean => {
  if (envelopeSender !== undefined && isNullReversePath(envelopeSender)) return true;
  const returnPath = headerValue(headers, 'return-path');
  if (returnPath !== undefined && isNullReversePath(returnPath)) return true;
  const contentType = headerValue(headers, 'content-type')?.toLowerCase() ?? '';
  if (
    /^\s*multipart\/report\b/.test(contentType) &&
    /report-type\s*=\s*"?disposition-notification/.test(contentType)
  )
    return true;
  const autoSubmitted = headerValue(headers, 'auto-submitted')?.trim().toLowerCase();
  if (autoSubmitted !== undefined && autoSubmitted !== '' && !autoSubmitted.startsWith('no')) return true;
  const xAutoreply = headerValue(headers, 'x-autoreply')?.trim().toLowerCase();
  if (xAutoreply !== undefined && xAutoreply !== 'no' && xAutoreply !== 'false') return true;
  if (headerValue(headers, 'x-autorespond') !== undefined) return true;
  const precedence = headerValue(headers, 'precedence')?.trim().toLowerCase();
  return precedence !== undefined && AUTO_PRECEDENCE.has(precedence);
};

export const DELIVERY_STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);

/**
 * Delivery status notifications (RFC 3464): a `multipart/report; report-type=delivery-status`
 * message, or one with a delivery-status part of its own (some MTAs wrap the report in
 * multipart/mixed). `partTypes` are the mail's own parts, never those of a message it forwards
 * (normalize.ts reads them from the parse that reads no forward inline): a customer forwarding a
 * bounce is writing, not bouncing. A mailer-daemon sender alone is not enough: people write from
 * such addresses too.
 */
export const isBounce = (headers: readonly Header[], partTypes: readonly string[]): boolean => {
  const contentType = headerValue(headers, 'content-type')?.toLowerCase() ?? '';
  if (
    /^\s*multipart\/report\b/.test(contentType) &&
    /report-type\s*=\s*"?(global-)?delivery-status/.test(contentType)
  ) {
    return true;
  }
  return partTypes.some((type) => DELIVERY_STATUS_TYPES.has(type.toLowerCase()));
};

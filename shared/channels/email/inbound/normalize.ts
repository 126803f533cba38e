import PostalMime, { type Email } from 'postal-mime';
import type { MessageScope } from '#shared/aws/payload-keys.ts';
import { type BlobToStore, MAX_BODY_BYTES } from '#shared/channels/inbound.ts';
import { cutText } from '#shared/channels/provider-text.ts';
import { isoFromDateString } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor, hubMessageIdFor } from '#shared/contract/ids.ts';
import type { EmailDetails, HubEvent, MediaPart } from '#shared/contract/types.ts';
import {
  contactAddressOf,
  emailAddressOf,
  identifyParties,
  mailboxesOf,
  type Parties,
  parsedSenderOf,
  soleMailboxOf,
} from './addressing.ts';
import { attachmentBytes, sha256Hex, storeAttachment } from './attachments.ts';
import { MAX_BASE64_PIECES, TooManyBase64Pieces, withBase64Budget } from './base64-budget.ts';
import { placeBodies } from './bodies.ts';
import type { InboundEmailContext } from './context.ts';
import {
  deliveryStatusEvents,
  type ReportedOriginal,
  reportedOriginalOf,
  returnedOriginalPart,
} from './delivery-status.ts';
import {
  EncodedWordOverrun,
  MAX_ENCODED_WORD_JOIN_WORK,
  withEncodedWordBudget,
} from './encoded-word-budget.ts';
import {
  hasTooManyEncodedWords,
  headerValue,
  isAutoReply,
  isBounce,
  MAX_ENCODED_WORDS,
  messageIdsIn,
} from './headers.ts';
import { htmlToText } from './html-to-text.ts';
import { withNamedTextFiles } from './named-text-files.ts';
import { emailPartsOf } from './parts.ts';
import { stripQuotedHistory } from './quoting.ts';
import { withReadableHeaders } from './raw-8bit-headers.ts';
import { emailConversationId, threadOf } from './threading.ts';
import { unsupportedEmail } from './unsupported.ts';

export type { InboundEmailContext } from './context.ts';

/** More attachments than this are left in the raw MIME and announced by an `unsupported` part. */
const MAX_LISTED_ATTACHMENTS = 100;
/** Keeps hostile headers from blowing up the event; the raw MIME keeps them whole. */
const MAX_SUBJECT_LENGTH = 2000;
const MAX_ADDRESSES_PER_FIELD = 100;

export interface NormalizedEmail {
  events: HubEvent[];
  blobs: BlobToStore[];
}

/**
 * More lines than a mail within the size limit (MAX_BODY_BYTES.email, 10 MiB) carries when it is
 * all base64 or quoted-printable lines of 76 characters: about 134,000. postal-mime 4.0.0 spent
 * about 20 µs on every line of a mail (node and blob work per line), so 1.3 million empty lines,
 * 2.6 MB that anyone can send, took 27 s on one core, past the webhook's 28-second timeout on every
 * retry at its CPU share; 200,000 lines was about 4 s of it. 4.2.0 spends about 1 µs a line
 * (500,000 empty lines: 0.6 s, 4.0.0 12 s); the bound is kept.
 */
export const MAX_LINES = 200_000;

const LINE_FEED = 0x0a;

/** Whether the texts (the raw mail, or forwards parsed again) together hold more than MAX_LINES lines. */
const hasTooManyLines = (texts: readonly Buffer[]): boolean => {
  let lines = 0;
  for (const bytes of texts) {
    for (let at = bytes.indexOf(LINE_FEED); at >= 0; at = bytes.indexOf(LINE_FEED, at + 1)) {
      lines += 1;
      if (lines > MAX_LINES) return true;
    }
  }
  return false;
};

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Why a mail is kept as `provider.unsupported` rather than read: its providerType and details. */
interface Refusal {
  readonly providerType: string;
  readonly details: Record<string, unknown>;
}

const TOO_MANY_LINES: Refusal = { providerType: 'email.too_many_lines', details: { maxLines: MAX_LINES } };
const TOO_MANY_ENCODED_WORDS: Refusal = {
  providerType: 'email.too_many_encoded_words',
  details: { maxEncodedWords: MAX_ENCODED_WORDS },
};
const TOO_MANY_BASE64_PIECES: Refusal = {
  providerType: 'email.too_many_base64_pieces',
  details: { maxBase64Pieces: MAX_BASE64_PIECES },
};
const ENCODED_WORDS_TOO_LONG: Refusal = {
  providerType: 'email.encoded_words_too_long',
  details: { maxEncodedWordJoinWork: MAX_ENCODED_WORD_JOIN_WORK },
};
const UNPARSABLE: Refusal = { providerType: 'email.unparsable', details: {} };

const encodedWordRefusal = (overrun: EncodedWordOverrun): Refusal =>
  overrun.bound === 'words' ? TOO_MANY_ENCODED_WORDS : ENCODED_WORDS_TOO_LONG;

/**
 * The bounds read from text before the work they bound: the lines postal-mime parses and the encoded
 * words it (or the hub, in a bounce's returned original) decodes. They hold for the raw mail, and
 * again, together, for the decoded parts read as messages (see parseMime).
 */
const textRefusal = (parsed: readonly Buffer[], decoded: readonly Buffer[]): Refusal | undefined => {
  if (hasTooManyLines(parsed)) return TOO_MANY_LINES;
  if (hasTooManyEncodedWords(decoded.map((bytes) => bytes.toString('latin1')))) return TOO_MANY_ENCODED_WORDS;
  return undefined;
};

/** Message ids a message without a `Message-ID` gets: the same bytes always give the same id. */
const derivedMessageId = (rawMime: Uint8Array): string =>
  `${sha256Hex(rawMime).slice(0, 32)}@derived.switchboard.invalid`;

/**
 * postal-mime renders a text body from the HTML when a message has no text part; this module
 * uses its own conversion then, so it needs to know whether a text/plain part exists. A message
 * without any Content-Type is text/plain by definition (RFC 2045 §5.2).
 */
const hasPlainTextPart = (rawMime: Uint8Array): boolean => {
  const latin1 = Buffer.from(rawMime.buffer, rawMime.byteOffset, rawMime.byteLength).toString('latin1');
  return /^content-type:[ \t]*text\/plain/im.test(latin1) || !/^content-type:/im.test(latin1);
};

const collectAttachments = (
  message: Email,
  scope: MessageScope,
): { media: MediaPart[]; unlisted: number; blobs: BlobToStore[] } => {
  const media: MediaPart[] = [];
  const blobs = new Map<string, BlobToStore>();
  const listed = message.attachments.slice(0, MAX_LISTED_ATTACHMENTS);
  for (const attachment of listed) {
    const stored = storeAttachment(
      {
        bytes: attachmentBytes(attachment),
        mimeType: attachment.mimeType,
        filename: attachment.filename,
        contentId: attachment.contentId,
        inline: attachment.disposition === 'inline' || attachment.related === true,
      },
      scope,
    );
    media.push(stored.part);
    blobs.set(stored.blob.key, stored.blob);
  }
  return { media, unlisted: message.attachments.length - listed.length, blobs: [...blobs.values()] };
};

/**
 * How deep forwarded messages (message/rfc822 parts) are read inline: postal-mime parses each level
 * it reads inline again, and with its own default of 10 a mail of nested forwards took 10 s at
 * 1.1 MB (one of 4 MB, which anyone can send, would pass the webhook's 28-second timeout on every
 * retry). A forward inside a forward is kept as an attachment instead.
 */
const MAX_INLINE_FORWARD_DEPTH = 1;

/**
 * One parse, with its own base64 and encoded-word budgets (the words postal-mime decodes, counted
 * from the strings it decodes, see encoded-word-budget.ts); forwards read inline `depth` levels deep.
 */
const parseOnce = async (rawMime: Uint8Array, depth: number): Promise<Email | Refusal> => {
  try {
    return await withBase64Budget(() =>
      withEncodedWordBudget(() =>
        withNamedTextFiles(() => PostalMime.parse(rawMime, { maxRfc822NestingDepth: depth })),
      ),
    );
  } catch (error) {
    if (error instanceof EncodedWordOverrun) return encodedWordRefusal(error);
    return error instanceof TooManyBase64Pieces ? TOO_MANY_BASE64_PIECES : UNPARSABLE;
  }
};

const isRefusal = <T extends object>(parsed: T | Refusal): parsed is Refusal => 'providerType' in parsed;

/**
 * A parsed mail, and the report it is when it is a bounce. Only the mail's own structure makes it
 * one (RFC 6522: a `multipart/report; report-type=delivery-status`, or a delivery-status part of
 * its own, which some gateways wrap in multipart/mixed), read from the parse that reads no forward
 * inline: `report` is that parse, holding the mail's own parts. The parse that reads forwards
 * inline takes a forwarded message's parts in as the mail's, so before 2026-12-05 a customer's mail
 * forwarding a bounce they got was taken for a bounce: machine mail (no wait, no reopen) and a
 * `failed` status whose business endpoint was the customer's own address.
 */
interface ParsedMail {
  readonly message: Email;
  readonly report: Email | undefined;
}

/**
 * A forward read inline is parsed again from its decoded bytes, and a bounce's returned original is
 * read from them too: sent base64 or quoted-printable, their lines and encoded words are not in the
 * raw text the bounds read (with postal-mime 4.0.0, 40,000 words in a 1 MB base64 forward took
 * 6.6 s, 800,000 empty lines in 2.2 MB 13 s, 40,000 words in a returned original 8 s). postal-mime
 * 4.2.0 reads no forward sent base64 or quoted-printable inline (RFC 2046 5.2.1 allows it neither;
 * such a part is an attachment of its decoded bytes, as Python reads it), so a forward it reads
 * inline is sent 7bit, 8bit or binary; a returned original the hub reads may still be encoded. So the mail is parsed first without reading
 * forwards inline (documented postal-mime behaviour: each comes out as an attachment flagged
 * `rfc822DepthExceeded`, holding the bytes it would parse), the decoded parts read as messages are
 * held to the bounds, together and apart from the raw mail's, and only then is a mail with forwards
 * parsed again, reading them inline. A mail without forwards is parsed once: nothing flagged, the
 * depth changes nothing else. This checks one level, as MAX_INLINE_FORWARD_DEPTH is 1: reading
 * deeper would parse a forward's own forwards before anything checked them.
 */
const parseMime = async (mail: Uint8Array): Promise<ParsedMail | Refusal> => {
  const rawMime = withReadableHeaders(mail);
  const shallow = await parseOnce(rawMime, 0);
  if (isRefusal(shallow)) return shallow;
  const forwards = shallow.attachments
    .filter((attachment) => attachment.rfc822DepthExceeded === true)
    .map((attachment) => asBuffer(attachmentBytes(attachment)));
  const report = isBounce(
    shallow.headers,
    shallow.attachments.map((attachment) => attachment.mimeType),
  )
    ? shallow
    : undefined;
  const returned = report === undefined ? undefined : returnedOriginalPart(report);
  const decoded = returned === undefined ? forwards : [...forwards, asBuffer(attachmentBytes(returned))];
  const refusal = textRefusal(forwards, decoded);
  if (refusal !== undefined) return refusal;
  if (forwards.length === 0) return { message: shallow, report };
  // Reading the forwards inline parses the raw mail a second time, with them: the two parses are
  // held to MAX_LINES together, as the one parse of a mail without forwards is (before 2026-12-04
  // each text apart, so a mail within every bound cost three times the lines' time).
  const raw = asBuffer(rawMime);
  if (hasTooManyLines([raw, raw, ...forwards])) return TOO_MANY_LINES;
  const deep = await parseOnce(rawMime, MAX_INLINE_FORWARD_DEPTH);
  return isRefusal(deep) ? deep : { message: deep, report };
};

/**
 * Turns one raw e-mail into one `switchboard.message.received` (or `.sent`, for copies of the
 * business's own mail), plus the blobs its events refer to; a bounce also yields a `failed`
 * status of the original message for each recipient it reports as failed. Never throws: what cannot be a
 * message becomes a `switchboard.provider.unsupported` event pointing at the raw MIME.
 */
export const normalizeInboundEmail = async (
  rawMime: Uint8Array,
  context: InboundEmailContext,
): Promise<NormalizedEmail> => {
  if (rawMime.byteLength > MAX_BODY_BYTES.email) {
    return unsupportedEmail(rawMime, context, 'email.oversize', { maxBytes: MAX_BODY_BYTES.email });
  }
  const bytes = asBuffer(rawMime);
  const parsed = textRefusal([bytes], [bytes]) ?? (await parseMime(rawMime));
  if (isRefusal(parsed)) return unsupportedEmail(rawMime, context, parsed.providerType, parsed.details);
  try {
    return buildMessageEvent(rawMime, parsed, context);
  } catch (error) {
    if (error instanceof EncodedWordOverrun) {
      const refusal = encodedWordRefusal(error);
      return unsupportedEmail(rawMime, context, refusal.providerType, refusal.details);
    }
    // A defect of ours must not lose the e-mail either.
    return unsupportedEmail(rawMime, context, 'email.unnormalizable', {});
  }
};

/**
 * The business's message a report returns (reportedOriginalOf), read once for both its uses: the
 * report's statuses and the conversation it is filed in. Both are extra: a defect in reading the
 * original costs the bounce neither its message event nor its own conversation. A returned original
 * whose headers pass the encoded-word budget is not: the mail is kept unsupported.
 */
const readReportedOriginal = (
  report: Email | undefined,
  context: InboundEmailContext,
): ReportedOriginal | undefined => {
  if (report === undefined) return undefined;
  try {
    return reportedOriginalOf(report, context);
  } catch (error) {
    if (error instanceof EncodedWordOverrun) throw error;
    return undefined;
  }
};

/** The report's `failed` statuses; a defect in reading the report gives none. */
const bounceStatuses = (
  report: Email,
  context: InboundEmailContext,
  original: ReportedOriginal | undefined,
): HubEvent[] => {
  try {
    return deliveryStatusEvents(report, context, original);
  } catch (error) {
    if (error instanceof EncodedWordOverrun) throw error;
    return [];
  }
};

/**
 * The conversation of the business's message a report returns, for the report itself, when it came
 * to the same business address: the returned copy is that customer's mail, so it is filed (and erased,
 * exported) with them, not in a conversation of the reporting mailer's.
 */
const reportedConversation = (
  original: ReportedOriginal | undefined,
  parties: Pick<Parties, 'endpointAddress'>,
): ReportedOriginal | undefined =>
  original?.endpointAddress === parties.endpointAddress ? original : undefined;

/**
 * Whether the receiving service vouches for the mail's From address (`fromAuthenticated`): its DMARC
 * verdict is PASS (SES; Mailgun passes no verdicts), and the mail has one From header naming one
 * mailbox, which is the address the parse reads as From and the one the service itself read
 * (SES's `commonHeaders.from`). DMARC judges the domain of the From the receiving service parsed: a
 * header that names a group (even of one member), several authors, an address in its display name
 * or a second From header could pass it for one address while the parse here files the mail under
 * another (a group's member, its empty list then Reply-To), so those vouch for nobody
 * (soleMailboxOf). A From header is anyone's to write; only a vouched one lifts an e-mail opt-out.
 */
const vouchedFrom = (message: Email, context: InboundEmailContext): boolean => {
  if (context.verdicts?.dmarc?.toUpperCase() !== 'PASS') return false;
  const headers = message.headers.filter((header) => header.key === 'from');
  if (headers.length !== 1) return false;
  const author = soleMailboxOf(headers[0]?.value);
  return (
    author !== undefined &&
    message.from?.group === undefined &&
    author === emailAddressOf(message.from?.address) &&
    author === soleMailboxOf(context.headerFrom)
  );
};

/**
 * Whether a mail From one of the business's own addresses may be read as the business's own copy
 * (`message.sent`). A From header is anyone's to write: taken at its word, a stranger's mail "from"
 * the support address to a customer, Bcc'd to it, was recorded as the business's answer in that
 * customer's conversation (ending their wait). Over SES it is a copy only when the receipt vouches
 * for its From (vouchedFrom: a DMARC PASS on the one mailbox the parse reads as From). Nothing less
 * vouches for it: SPF judges the envelope domain, which the sender picks (before 2026-12-04 an SPF
 * PASS of the sender's own domain with DMARC GRAY, the verdict of a business domain that publishes
 * no DMARC record, was taken), and a DKIM PASS says some domain signed the mail, any domain. Anything
 * else (FAIL, GRAY, PROCESSING_FAILED) is kept as `provider.unsupported`
 * (`email.unauthenticated_own_address`), not placed in any conversation (read as inbound, its
 * contact would be the business's own address). Mailgun passes no verdicts: its copies are read as
 * before.
 */
const authenticatesOwnAddress = (message: Email, context: InboundEmailContext): boolean =>
  context.provider === 'mailgun' || vouchedFrom(message, context);

const buildMessageEvent = (
  rawMime: Uint8Array,
  { message, report }: ParsedMail,
  context: InboundEmailContext,
): NormalizedEmail => {
  const messageId = messageIdsIn(message.messageId)[0] ?? derivedMessageId(rawMime);
  const parties = identifyParties(
    message,
    context.envelopeRecipients,
    context.envelopeSender,
    context.replyTagKey,
    context.ownDomains,
  );
  if (parties === undefined) {
    return unsupportedEmail(
      rawMime,
      context,
      'email.without_parties',
      { messageIdHeader: messageId },
      parsedSenderOf(message, context.envelopeRecipients, context.ownDomains),
    );
  }

  if (parties.direction === 'outbound' && !authenticatesOwnAddress(message, context)) {
    // Its From, the business's own, names no customer: the event has no contact (knownSenderOf).
    return unsupportedEmail(
      rawMime,
      context,
      'email.unauthenticated_own_address',
      { messageIdHeader: messageId, verdicts: { ...context.verdicts } },
      mailboxesOf(message.from)[0]?.address,
    );
  }

  const thread = threadOf(message, messageId);
  const { references, inReplyTo } = thread;
  const original = readReportedOriginal(report, context);
  const reported = reportedConversation(original, parties);
  const conversationId = reported?.conversationId ?? emailConversationId(parties, thread);
  const hubMessageId = hubMessageIdFor('email', messageId);
  // A reply tag names a conversation the recorder may refuse (another endpoint's: the message is
  // re-homed), so a tagged mail's objects are not filed under it, but under the message alone.
  const tagged = reported ? reported.tagged : parties.taggedConversationId !== undefined;
  const scope = { conversationId: tagged ? '' : conversationId, hubMessageId };

  const htmlBody = message.html;
  const textBody =
    htmlBody !== undefined && (message.text === undefined || !hasPlainTextPart(rawMime))
      ? htmlToText(htmlBody)
      : message.text;
  const bodies = placeBodies(
    textBody,
    htmlBody,
    textBody === undefined ? undefined : stripQuotedHistory(textBody),
    scope,
  );
  const attachments = collectAttachments(message, scope);

  const email: EmailDetails = {
    subject: cutText(message.subject ?? '', MAX_SUBJECT_LENGTH),
    from: mailboxesOf(message.from)[0] ?? parties.contact,
    to: mailboxesOf(message.to).slice(0, MAX_ADDRESSES_PER_FIELD),
    cc: mailboxesOf(message.cc).slice(0, MAX_ADDRESSES_PER_FIELD),
    replyTo: mailboxesOf(message.replyTo).slice(0, MAX_ADDRESSES_PER_FIELD),
    messageIdHeader: messageId,
    ...(inReplyTo ? { inReplyTo } : {}),
    references,
    ...(bodies.textBody !== undefined ? { textBody: bodies.textBody } : {}),
    ...(bodies.htmlBody !== undefined ? { htmlBody: bodies.htmlBody } : {}),
    ...(bodies.textBodyKey !== undefined ? { textBodyKey: bodies.textBodyKey } : {}),
    ...(bodies.htmlBodyKey !== undefined ? { htmlBodyKey: bodies.htmlBodyKey } : {}),
    ...(bodies.replyText !== undefined ? { replyText: bodies.replyText } : {}),
    isAutoReply: isAutoReply(message.headers, context.envelopeSender),
    isBounce: report !== undefined,
    ...(context.verdicts ? { verdicts: { ...context.verdicts } } : {}),
    ...(vouchedFrom(message, context) ? { fromAuthenticated: true as const } : {}),
    ...(context.rawMimeKey ? { rawMimeKey: context.rawMimeKey } : {}),
    attachments: attachments.media,
  };

  const parts = emailPartsOf(bodies.partText, attachments.media, attachments.unlisted);
  // A report filed with the customer it is about names them, not the reporting mailer: merged in, the
  // mailer would rename the customer and join every bounced customer's identities (found by a review).
  const contact = reported?.contact ?? parties.contact;
  const contactAddress = contactAddressOf(contact);
  const data = {
    hubMessageId,
    channel: 'email' as const,
    provider: context.provider,
    direction: parties.direction,
    endpoint: { type: 'email_address' as const, id: parties.endpointAddress },
    contact: {
      identities: [{ type: 'email' as const, value: contactAddress }],
      ...(contact.name ? { displayName: contact.name } : {}),
    },
    conversationId,
    providerMessageId: messageId,
    providerTimestamp: isoFromDateString(headerValue(message.headers, 'date')),
    receivedAt: context.receivedAt.toISOString(),
    ...(inReplyTo ? { replyTo: { providerMessageId: inReplyTo } } : {}),
    parts,
    email,
  };
  const eventId = eventIdFor('email', 'message', messageId);
  const event =
    parties.direction === 'inbound'
      ? buildEvent('switchboard.message.received', eventId, data)
      : buildEvent('switchboard.message.sent', eventId, data);
  const statuses = report === undefined ? [] : bounceStatuses(report, context, original);
  return { events: [event, ...statuses], blobs: [...bodies.blobs, ...attachments.blobs] };
};

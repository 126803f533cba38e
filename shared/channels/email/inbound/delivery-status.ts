import type { Attachment, Email, Header } from 'postal-mime';
import { cutText } from '#shared/channels/provider-text.ts';
import { isoFromDateString } from '#shared/channels/provider-time.ts';
import { buildEvent } from '#shared/contract/build.ts';
import { eventIdFor } from '#shared/contract/ids.ts';
import type { EmailAddress, HubEvent, MessageStatusData, ProviderError } from '#shared/contract/types.ts';
import { sentMessageIdOf } from '../ses-message-id.ts';
import { contactAddressIn, identifyParties, mailboxesOf } from './addressing.ts';
import { attachmentBytes } from './attachments.ts';
import type { InboundEmailContext } from './context.ts';
import { boundedAddressParser } from './encoded-word-budget.ts';
import { DELIVERY_STATUS_TYPES, headerValue, messageIdsIn } from './headers.ts';
import { emailConversationId, threadOf } from './threading.ts';

/** Where a report returns the original message: its header section, or all of it (RFC 3462, RFC 6532). */
const RETURNED_MESSAGE_TYPES = new Set([
  'text/rfc822-headers',
  'message/rfc822',
  'message/global-headers',
  'message/global',
]);
/** Keeps hostile reports from blowing up the events; the raw MIME keeps them whole. */
const MAX_FAILED_RECIPIENTS = 100;
const MAX_DIAGNOSTIC_LENGTH = 1000;
const MAX_HEADER_FIELDS = 500;
/** RFC 3464 §2.3.4: `class.subject.detail`. */
const STATUS_CODE = /^[245]\.\d{1,3}\.\d{1,3}$/;

const decodeText = (bytes: Uint8Array): string => new TextDecoder('utf-8', { fatal: false }).decode(bytes);

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const COLON = 0x3a;

/**
 * Header fields of one block (RFC 5322 §2.2.3): continuation lines unfolded, names lower-cased
 * as postal-mime gives them, so `headerValue` reads them. Lines that are no field are skipped.
 * A value's pieces are joined once at the end: appending (and trimming) per continuation line
 * would copy the value again for each line, quadratic in a block of thousands of folded lines.
 */
export const parseHeaderFields = (block: string): Header[] => {
  const fields: { key: string; originalKey: string; pieces: string[] }[] = [];
  // Lines as `split(/\r?\n/)` cuts them, read in place: a continuation line is only sliced to be
  // kept, so a block of thousands of folded lines allocates one piece per line, not three.
  for (let start = 0; start <= block.length; ) {
    const newline = block.indexOf('\n', start);
    const next = newline < 0 ? block.length + 1 : newline + 1;
    let end = newline < 0 ? block.length : newline;
    if (newline > start && block.charCodeAt(newline - 1) === CR) end -= 1;
    const first = block.charCodeAt(start);
    const last = fields[fields.length - 1];
    if (start < end && (first === SPACE || first === TAB)) {
      const piece = last === undefined ? '' : block.slice(start, end).trim();
      if (piece.length > 0) last?.pieces.push(piece);
    } else {
      let colon = start;
      while (colon < end && block.charCodeAt(colon) !== COLON) colon += 1;
      if (colon > start && colon < end && fields.length < MAX_HEADER_FIELDS) {
        const originalKey = block.slice(start, colon).trim();
        if (/^[\x21-\x39\x3b-\x7e]+$/.test(originalKey)) {
          const value = block.slice(colon + 1, end).trim();
          fields.push({
            key: originalKey.toLowerCase(),
            originalKey,
            pieces: value.length > 0 ? [value] : [],
          });
        }
      }
    }
    start = next;
  }
  return fields.map(({ key, originalKey, pieces }) => ({ key, originalKey, value: pieces.join(' ') }));
};

/** A delivery-status body: the per-message block, then one block per recipient, blank-line separated. */
const fieldBlocks = (text: string): Header[][] =>
  text
    .split(/\r?\n[ \t]*\r?\n/)
    .map(parseHeaderFields)
    .filter((fields) => fields.length > 0);

/**
 * `rfc822; a@b` (or `utf-8; …` in global reports) → the contact the address is (contactAddressIn:
 * the report names the ASCII form of an internationalised domain the hub sent to).
 */
const recipientAddress = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const semicolon = value.indexOf(';');
  const type = semicolon < 0 ? 'rfc822' : value.slice(0, semicolon).trim().toLowerCase();
  if (type !== 'rfc822' && type !== 'utf-8') return undefined;
  const address = contactAddressIn(value.slice(semicolon + 1));
  return address !== undefined && /^[^\s@]+@[^\s@]+$/.test(address) ? address : undefined;
};

/** `smtp; 550 5.1.1 user unknown` → `550 5.1.1 user unknown`. */
const diagnosticText = (value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const semicolon = value.indexOf(';');
  const text = (semicolon < 0 ? value : value.slice(semicolon + 1)).trim();
  return text.length > 0 ? cutText(text, MAX_DIAGNOSTIC_LENGTH) : undefined;
};

/** The part a report returns the original message in (its headers are read from it), if any. */
export const returnedOriginalPart = (message: Email): Attachment | undefined =>
  message.attachments.find((attachment) => RETURNED_MESSAGE_TYPES.has(attachment.mimeType.toLowerCase()));

/**
 * The returned original as an `Email` carrying only what addressing and threading read. Its address
 * headers are read with the encoded-word budget (postal-mime's decoder is quadratic in a run of
 * words); past it, EncodedWordOverrun is thrown and the bounce kept as unsupported.
 */
const returnedOriginal = (message: Email): Email | undefined => {
  const part = returnedOriginalPart(message);
  if (part === undefined) return undefined;
  const text = decodeText(attachmentBytes(part));
  const headerSection = text.replace(/^(\r?\n)+/, '').split(/\r?\n\r?\n/, 1)[0] ?? '';
  const headers = parseHeaderFields(headerSection);
  const addresses = (key: string) => {
    const value = headerValue(headers, key);
    return value === undefined ? undefined : boundedAddressParser(value);
  };
  return {
    headers,
    headerLines: [],
    attachments: [],
    from: addresses('from')?.[0],
    sender: addresses('sender')?.[0],
    replyTo: addresses('reply-to'),
    to: addresses('to'),
    cc: addresses('cc'),
    messageId: headerValue(headers, 'message-id'),
    references: headerValue(headers, 'references'),
    inReplyTo: headerValue(headers, 'in-reply-to'),
  };
};

interface FailedRecipient {
  readonly address: string;
  readonly statusCode: string | undefined;
  readonly diagnostic: string | undefined;
}

const failedRecipientsOf = (message: Email): { failed: FailedRecipient[]; arrivalDate?: string } => {
  const failed = new Map<string, FailedRecipient>();
  let arrivalDate: string | undefined;
  for (const part of message.attachments) {
    if (!DELIVERY_STATUS_TYPES.has(part.mimeType.toLowerCase())) continue;
    for (const fields of fieldBlocks(decodeText(attachmentBytes(part)))) {
      arrivalDate ??= headerValue(fields, 'arrival-date');
      if (headerValue(fields, 'action')?.trim().toLowerCase() !== 'failed') continue;
      const address =
        recipientAddress(headerValue(fields, 'final-recipient')) ??
        recipientAddress(headerValue(fields, 'original-recipient'));
      if (address === undefined || failed.has(address) || failed.size >= MAX_FAILED_RECIPIENTS) continue;
      const status = headerValue(fields, 'status')?.trim().split(/\s/)[0];
      failed.set(address, {
        address,
        statusCode: status !== undefined && STATUS_CODE.test(status) ? status : undefined,
        diagnostic: diagnosticText(headerValue(fields, 'diagnostic-code')),
      });
    }
  }
  return { failed: [...failed.values()], ...(arrivalDate ? { arrivalDate } : {}) };
};

const statusEvent = (
  failed: FailedRecipient,
  original: Pick<ReportedOriginal, 'providerMessageId' | 'endpointAddress' | 'conversationId'>,
  providerTimestamp: string | null,
  context: InboundEmailContext,
): HubEvent => {
  const error: ProviderError = {
    code: failed.statusCode ?? 'failed',
    ...(failed.diagnostic !== undefined ? { message: failed.diagnostic } : {}),
  };
  const data: MessageStatusData = {
    channel: 'email',
    provider: context.provider,
    endpoint: { type: 'email_address', id: original.endpointAddress },
    contact: { identities: [{ type: 'email', value: failed.address }] },
    conversationId: original.conversationId,
    providerTimestamp,
    receivedAt: context.receivedAt.toISOString(),
    status: 'failed',
    providerStatus: failed.statusCode ?? 'failed',
    providerMessageIds: [original.providerMessageId],
    errors: [error],
  };
  return buildEvent(
    'switchboard.message.status_updated',
    eventIdFor('email', 'status', original.providerMessageId, 'failed', failed.address),
    data,
  );
};

/**
 * A delivery status notification (RFC 3464) → one `failed` status per recipient the report
 * gives up on, about the original message and in its conversation, threaded exactly as a copy
 * of that sent message would be. Reports without the original's Message-ID, or without failed
 * recipients, give nothing: the bounce itself still travels as a received message.
 */
/** The business's message a report returns, and the conversation it was in. */
export interface ReportedOriginal {
  /**
   * The sent message the report is about, as its provider names it (and the hub's `message.sent`,
   * so the report's statuses meet the provider's own): the returned Message-ID, or the bare SES
   * MessageId when SES wrote that Message-ID over the hub's (sentMessageIdOf). Not the hub's own
   * Message-ID in References: no provider's status names that, and only the send record, which
   * the webhook does not read, maps it to the provider's id (nor is it passed as the status's
   * `correlationId`: that links a send to a provider id, and a mailed report is anyone's to write).
   */
  readonly providerMessageId: string;
  readonly endpointAddress: string;
  readonly conversationId: string;
  /** Named by the hub's signed reply tag (the recorder may re-home such a conversation's mail). */
  readonly tagged: boolean;
  /** The customer the business's message went to: the conversation's contact, whom the report is about. */
  readonly contact: EmailAddress;
}

/**
 * The business's own message a report returns, threaded exactly as a copy of that sent message
 * would be: the conversation its statuses land in, and the report itself too (normalize.ts), so a
 * report holding the returned copy of a customer's mail is filed, and erased, with that customer.
 * Undefined without the original's Message-ID or From, or when the original is no business mail.
 */
export const reportedOriginalOf = (
  report: Email,
  context: InboundEmailContext,
): ReportedOriginal | undefined => {
  const original = returnedOriginal(report);
  const messageId = messageIdsIn(original?.messageId)[0];
  const hubAddress = mailboxesOf(original?.from)[0]?.address;
  if (original === undefined || messageId === undefined || hubAddress === undefined) return undefined;
  // The hub's own address counted as a recipient: the original is classified as a sent copy.
  const parties = identifyParties(original, [hubAddress], undefined, context.replyTagKey);
  if (parties?.direction !== 'outbound') return undefined;
  return {
    providerMessageId: sentMessageIdOf(messageId),
    endpointAddress: parties.endpointAddress,
    // Threaded by the Message-ID as delivered, as the business's copy of the same mail is.
    conversationId: emailConversationId(parties, threadOf(original, messageId)),
    tagged: parties.taggedConversationId !== undefined,
    contact: parties.contact,
  };
};

export const deliveryStatusEvents = (
  message: Email,
  context: InboundEmailContext,
  /** Read once by a caller that files the report by it too (normalize.ts). */
  reported: ReportedOriginal | undefined = reportedOriginalOf(message, context),
): HubEvent[] => {
  const { failed, arrivalDate } = failedRecipientsOf(message);
  if (failed.length === 0 || reported === undefined) return [];
  const providerTimestamp =
    isoFromDateString(headerValue(message.headers, 'date')) ?? isoFromDateString(arrivalDate);
  return failed.map((recipient) => statusEvent(recipient, reported, providerTimestamp, context));
};

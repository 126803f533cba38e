import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Email } from 'postal-mime';
import {
  conversationTagOf,
  normalizeAddress,
  withoutConversationTag,
} from '#shared/channels/email/inbound/addressing.ts';
import { storeAttachment } from '#shared/channels/email/inbound/attachments.ts';
import { truncateToJsonBytes } from '#shared/channels/email/inbound/bodies.ts';
import { deliveryStatusEvents, parseHeaderFields } from '#shared/channels/email/inbound/delivery-status.ts';
import { boundedAddressParser, decodeWork } from '#shared/channels/email/inbound/encoded-word-budget.ts';
import { boundaryOf, parseMultipart, parseUrlEncoded } from '#shared/channels/email/inbound/form.ts';
import {
  hasTooManyEncodedWords,
  isAutoReply,
  isBounce,
  messageIdsIn,
} from '#shared/channels/email/inbound/headers.ts';
import { decodeHtmlEntities, htmlToText } from '#shared/channels/email/inbound/html-to-text.ts';
import { mimeFromParsedFields } from '#shared/channels/email/inbound/mailgun-parsed.ts';
import { stripQuotedHistory } from '#shared/channels/email/inbound/quoting.ts';
import { withReadableHeaders } from '#shared/channels/email/inbound/raw-8bit-headers.ts';
import { threadOf } from '#shared/channels/email/inbound/threading.ts';
import { classifyMailgunResponse } from '#shared/channels/email/outbound/mailgun-classify.ts';
import { sentMessageIdOf } from '#shared/channels/email/ses-message-id.ts';
import { displayFileName } from '#shared/channels/file-name.ts';
import { redactContactDetails } from '#shared/channels/provider-text.ts';
import { matchConsentKeyword } from '#shared/channels/sms/inbound/keywords.ts';
import { redactString } from '#shared/observability/redact.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * Every function that reads provider text, each fed one hostile text, and how the time of a large
 * input compares with a small one: tests/channels/email.linear-time.test.ts asserts linear time,
 * the benchmark reports the worst ratio.
 */

const headerList = (value: string) => [
  { key: 'content-type', originalKey: 'Content-Type', value },
  { key: 'auto-submitted', originalKey: 'Auto-Submitted', value },
  { key: 'precedence', originalKey: 'Precedence', value },
];

const multipartBody = (text: string): Buffer =>
  Buffer.from(
    `--b\r\nContent-Disposition: form-data; name="${text}"; filename="${text}"; filename*=utf-8''${text}\r\nContent-Type: ${text}\r\n\r\n${text}\r\n--b--\r\n`,
  );

const reportOf = (text: string): Email => ({
  headers: [],
  headerLines: [],
  attachments: [
    {
      filename: null,
      mimeType: 'message/delivery-status',
      disposition: null,
      content: `Action: failed\n${text}`,
    },
    { filename: null, mimeType: 'text/rfc822-headers', disposition: null, content: text },
  ],
});

/** Each function that sees provider text, fed one hostile text. */
export const LINEAR_TIME_SUBJECTS: Readonly<Record<string, (text: string) => unknown>> = {
  stripQuotedHistory: (text) => stripQuotedHistory(text),
  htmlToText: (text) => htmlToText(text),
  decodeHtmlEntities: (text) => decodeHtmlEntities(text),
  /** A header block written raw in Latin-1 (one byte over 0x7f makes it no UTF-8), its Content-Type the text. */
  withReadableHeaders: (text) =>
    withReadableHeaders(
      Buffer.from(`Subject: \xe9\r\nContent-Type: ${text}\r\n${text}\r\n\r\nbody`, 'latin1'),
    ),
  messageIdsIn: (text) => messageIdsIn(text),
  /** A returned Message-ID (messageIdsIn keeps ids of up to 998 characters; here any text). */
  sentMessageIdOf: (text) => sentMessageIdOf(text),
  threadOf: (text) => threadOf({ references: text, inReplyTo: text }, 'm@x'),
  isBounce: (text) => isBounce(headerList(text), [text]),
  isAutoReply: (text) => isAutoReply(headerList(text)),
  hasTooManyEncodedWords: (text) => hasTooManyEncodedWords(text),
  decodeWork: (text) => decodeWork(text),
  /** Past its budget it throws: the time to get there is what counts. */
  boundedAddressParser: (text) => {
    try {
      return boundedAddressParser(text);
    } catch {
      return undefined;
    }
  },
  normalizeAddress: (text) => normalizeAddress(text),
  conversationTagOf: (text) => conversationTagOf(text),
  withoutConversationTag: (text) => withoutConversationTag(text),
  storeAttachment: (text) =>
    storeAttachment(
      {
        bytes: new Uint8Array(1),
        mimeType: text,
        filename: text,
        contentId: text,
        inline: true,
      },
      { conversationId: 'conv_0123456789abcdef0123456789abcdef', hubMessageId: 'msg_1' },
    ),
  truncateToJsonBytes: (text) => truncateToJsonBytes(text, 64 * 1024),
  /** Every adapter's file names (a WhatsApp document's too). */
  displayFileName: (text) => displayFileName(text),
  boundaryOf: (text) => boundaryOf(`multipart/form-data${text}`),
  parseUrlEncoded: (text) => parseUrlEncoded(Buffer.from(text)),
  parseMultipart: (text) => parseMultipart(multipartBody(text), 'b'),
  parseHeaderFields: (text) => parseHeaderFields(text),
  deliveryStatusEvents: (text) =>
    deliveryStatusEvents(reportOf(text), {
      provider: 'ses',
      receivedAt: FIXTURE_RECEIVED_AT,
      envelopeRecipients: [],
    }),
  mimeFromParsedFields: (text) =>
    mimeFromParsedFields([
      { name: 'message-headers', value: Buffer.from(JSON.stringify([['Subject', text]])) },
      { name: 'body-plain', value: Buffer.from(text) },
      { name: 'body-html', value: Buffer.from(text) },
      { name: 'content-id-map', value: Buffer.from(text) },
    ]),
  /** Mailgun's answer to a send, read up to 256 KiB: a 400's message is classified by its words. */
  classifyMailgunResponse: (text) =>
    classifyMailgunResponse({ status: 400, headers: {}, body: JSON.stringify({ message: text }) }),
  /** Every log entry's strings: a provider's error text can reach a log field. */
  redactString: (text) => redactString(text),
  redactContactDetails: (text) => redactContactDetails(text),
  /** An SMS body against the consent keywords: its edges trimmed before the length bound applies. */
  matchConsentKeyword: (text) => matchConsentKeyword(text),
};

/** A full collection before each measurement, so garbage of earlier tests is not charged to it. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const elapsedMs = (run: () => unknown): number => {
  const start = performance.now();
  run();
  return performance.now() - start;
};

/**
 * The fastest of five timed runs of each size, taken in turns after one warm-up run of each (JIT,
 * heap growth). A busy machine only ever adds time to a run, so the fastest is the run least
 * disturbed by it; a super-linear function stays super-linear in every run, its fastest included.
 */
export const fastestTimes = (subject: (text: string) => unknown, small: string, large: string) => {
  subject(small);
  subject(large);
  collectGarbage();
  let smallMs = Number.POSITIVE_INFINITY;
  let largeMs = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 5; run += 1) {
    smallMs = Math.min(
      smallMs,
      elapsedMs(() => subject(small)),
    );
    largeMs = Math.min(
      largeMs,
      elapsedMs(() => subject(large)),
    );
  }
  return { smallMs, largeMs };
};

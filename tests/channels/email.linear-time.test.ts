import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Email } from 'postal-mime';
import { describe, expect, it } from 'vitest';
import {
  conversationTagOf,
  normalizeAddress,
  withoutConversationTag,
} from '#shared/channels/email/inbound/addressing.ts';
import { sanitizeFilename, storeAttachment } from '#shared/channels/email/inbound/attachments.ts';
import { truncateToJsonBytes } from '#shared/channels/email/inbound/bodies.ts';
import { deliveryStatusEvents, parseHeaderFields } from '#shared/channels/email/inbound/delivery-status.ts';
import { boundaryOf, parseMultipart, parseUrlEncoded } from '#shared/channels/email/inbound/form.ts';
import { isAutoReply, isBounce, messageIdsIn } from '#shared/channels/email/inbound/headers.ts';
import { decodeHtmlEntities, htmlToText } from '#shared/channels/email/inbound/html-to-text.ts';
import { mimeFromParsedFields } from '#shared/channels/email/inbound/mailgun-parsed.ts';
import { stripQuotedHistory } from '#shared/channels/email/inbound/quoting.ts';
import { threadOf } from '#shared/channels/email/inbound/threading.ts';
import { HOSTILE_TEXTS } from '#tests/support/hostile-text.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/**
 * Every function that reads provider text must take time linear in it: a regex that retries a
 * match from each position of a long run (`\s+$`, nested quantifiers) or a string rebuilt once per
 * line turns a 400 KB message into seconds or minutes of Lambda time. Each function gets every
 * hostile text at 100 KB and at 400 KB; linear time makes the larger run ~4× the smaller one,
 * quadratic ~16×. The bound is 8×, over a floor that keeps sub-millisecond noise from counting.
 */

const SMALL = 100_000;
const LARGE = 400_000;
const MAX_RATIO = 8;
const FLOOR_MS = 5;
const RUNS = 3;

const headerList = (value: string) => [
  { key: 'content-type', originalKey: 'Content-Type', value },
  { key: 'auto-submitted', originalKey: 'Auto-Submitted', value },
  { key: 'precedence', originalKey: 'Precedence', value },
];

const multipartBody = (text: string): Buffer =>
  Buffer.from(
    `--b\r\nContent-Disposition: form-data; name="${text}"; filename="${text}"\r\nContent-Type: ${text}\r\n\r\n${text}\r\n--b--\r\n`,
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
const SUBJECTS: Readonly<Record<string, (text: string) => unknown>> = {
  stripQuotedHistory: (text) => stripQuotedHistory(text),
  htmlToText: (text) => htmlToText(text),
  decodeHtmlEntities: (text) => decodeHtmlEntities(text),
  messageIdsIn: (text) => messageIdsIn(text),
  threadOf: (text) => threadOf({ references: text, inReplyTo: text }, 'm@x'),
  isBounce: (text) => isBounce(headerList(text), [text]),
  isAutoReply: (text) => isAutoReply(headerList(text)),
  normalizeAddress: (text) => normalizeAddress(text),
  conversationTagOf: (text) => conversationTagOf(text),
  withoutConversationTag: (text) => withoutConversationTag(text),
  sanitizeFilename: (text) => sanitizeFilename(text),
  storeAttachment: (text) =>
    storeAttachment({
      bytes: new Uint8Array(1),
      mimeType: text,
      filename: text,
      contentId: text,
      inline: true,
    }),
  truncateToJsonBytes: (text) => truncateToJsonBytes(text, 64 * 1024),
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
};

const median = (times: number[]): number => {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** A full collection before each measurement, so garbage of earlier tests is not charged to it. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const elapsedMs = (run: () => unknown): number => {
  const start = performance.now();
  run();
  return performance.now() - start;
};

/** Median times of both sizes, measured in turns after one warm-up run of each (JIT, heap growth). */
const medianTimes = (subject: (text: string) => unknown, small: string, large: string) => {
  subject(small);
  subject(large);
  collectGarbage();
  const smallTimes: number[] = [];
  const largeTimes: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    smallTimes.push(elapsedMs(() => subject(small)));
    largeTimes.push(elapsedMs(() => subject(large)));
  }
  return { smallMs: median(smallTimes), largeMs: median(largeTimes) };
};

describe('e-mail functions on hostile input', () => {
  it('strips the review’s "Hello" + 400,000 spaces + "world" well under a second', () => {
    // Prepare
    const text = `Hello${' '.repeat(LARGE)}world`;
    // Act
    const start = performance.now();
    const reply = stripQuotedHistory(text);
    const elapsed = performance.now() - start;
    // Assess
    expect(reply).toBe(text);
    expect(elapsed).toBeLessThan(1000);
  });

  describe.each(Object.entries(SUBJECTS))('%s', (_name, subject) => {
    // A retry absorbs a stray pause of the machine; a super-linear function fails every try.
    it.each(Object.keys(HOSTILE_TEXTS))('takes linear time on %s', { retry: 2 }, (label) => {
      // Prepare
      const build = HOSTILE_TEXTS[label];
      if (build === undefined) throw new Error(`no hostile text ${label}`);
      const small = build(SMALL);
      const large = build(LARGE);
      // Act
      const { smallMs, largeMs } = medianTimes(subject, small, large);
      // Assess
      expect(largeMs, `100 KB: ${smallMs.toFixed(1)} ms, 400 KB: ${largeMs.toFixed(1)} ms`).toBeLessThan(
        MAX_RATIO * Math.max(smallMs, FLOOR_MS),
      );
    });
  });
});

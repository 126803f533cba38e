import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasTooManyEncodedWords, MAX_ENCODED_WORDS } from '#shared/channels/email/inbound/headers.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * RFC 2047 encoded words in a mail's headers: anyone can send a mail with a Subject of tens of
 * thousands of them, and postal-mime joins adjacent base64 words in time quadratic in their number.
 */

const CONTEXT = {
  provider: 'mailgun' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: ['support@switchboard.example'],
  rawMimeKey: 'raw/email/encoded-words.eml',
};

/** The text of a mail whose Subject is `count` adjacent base64 words, each a check mark (✓). */
const subjectWords = (count: number, body = 'Hello'): string =>
  [
    'From: Maria <maria@customer.example>',
    'To: support@switchboard.example',
    `Subject: ${'=?utf-8?B?4pyT?= '.repeat(count)}`,
    'Message-ID: <encoded-words@customer.example>',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
  ].join('\r\n');

const mailWithSubjectWords = (count: number): Buffer => Buffer.from(subjectWords(count), 'latin1');

type TransferEncoding = '7bit' | 'base64' | 'quoted-printable';

const in76 = (text: string): string[] => text.match(/.{1,76}/g) ?? [];

/** `text` in a transfer encoding: base64 in 76-character lines, or quoted-printable escaping each `=`. */
const encoded = (text: string, encoding: TransferEncoding): string =>
  encoding === 'base64'
    ? in76(Buffer.from(text, 'latin1').toString('base64')).join('\r\n')
    : encoding === 'quoted-printable'
      ? text.replaceAll('=', '=3D')
      : text;

/** A mail forwarding `forwarded` as its body (message/rfc822, read inline), sent in `encoding`. */
const mailForwarding = (forwarded: string, encoding: TransferEncoding): Buffer =>
  Buffer.from(
    [
      'From: Jon <jon@customer.example>',
      'To: support@switchboard.example',
      'Subject: Fwd: the order',
      'Message-ID: <forward@customer.example>',
      'Content-Type: message/rfc822',
      `Content-Transfer-Encoding: ${encoding}`,
      '',
      encoded(forwarded, encoding),
    ].join('\r\n'),
    'latin1',
  );

const refusal = {
  type: 'switchboard.provider.unsupported',
  data: {
    providerType: 'email.too_many_encoded_words',
    raw: { maxEncodedWords: MAX_ENCODED_WORDS, rawMimeKey: CONTEXT.rawMimeKey },
  },
};

describe('encoded words in e-mail headers', () => {
  it('keeps a mail of 60,000 encoded words as unsupported without decoding them', async () => {
    // Prepare: 1 MB of words, which took tens of seconds to decode.
    const mime = mailWithSubjectWords(60_000);
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: {
        providerType: 'email.too_many_encoded_words',
        raw: { maxEncodedWords: MAX_ENCODED_WORDS, rawMimeKey: CONTEXT.rawMimeKey },
      },
    });
  });

  it('keeps a mail of 60,000 words with a space inside, one per folded line, as unsupported', async () => {
    // Prepare: 1.1 MB that postal-mime reads as adjacent words (the space is part of the text) and
    // joined in 36 s; the count had skipped them, as it had words of a charset over 75 characters.
    const words = Array.from({ length: 60_000 }, () => '=?utf-8?B?QU B?=');
    const mime = Buffer.from(
      [
        'From: Maria <maria@customer.example>',
        'To: support@switchboard.example',
        `Subject: ${words.join('\r\n ')}`,
        'Message-ID: <encoded-words@customer.example>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hello',
      ].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'email.too_many_encoded_words', raw: { rawMimeKey: CONTEXT.rawMimeKey } },
    });
  });

  it('counts every word postal-mime decodes, a long charset or a folded text among them', () => {
    // Prepare
    const longCharset = `=?${'x'.repeat(100)}?Q?a?= `;
    const foldedText = '=?utf-8?Q?a\r\n b?= ';
    // Act
    const counted = (word: string) => hasTooManyEncodedWords(word.repeat(MAX_ENCODED_WORDS + 1));
    // Assess
    expect(counted(longCharset)).toBe(true);
    expect(counted(foldedText)).toBe(true);
    expect(hasTooManyEncodedWords(foldedText.repeat(MAX_ENCODED_WORDS))).toBe(false);
  });

  it('counts words of a charset holding byte A0, a space in latin1 but part of a UTF-8 letter', async () => {
    // Prepare: 40,000 words of charset `à` (C3 A0), 0.56 MB, which were not counted and took 5 s to join.
    const mime = Buffer.from(subjectWords(40_000).replaceAll('=?utf-8?', '=?à?'), 'utf8');
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject(refusal);
    const asRead = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    expect(hasTooManyEncodedWords(asRead('=?à?B?4pyT?= '.repeat(MAX_ENCODED_WORDS + 1)))).toBe(true);
    expect(hasTooManyEncodedWords(asRead('=?à?B?4pyT?= '.repeat(MAX_ENCODED_WORDS)))).toBe(false);
  });

  it('decodes a mail of as many encoded words as the bound allows', async () => {
    // Act
    const { events } = await normalizeInboundEmail(mailWithSubjectWords(MAX_ENCODED_WORDS), CONTEXT);
    // Assess
    const [message] = events;
    expect(message?.type).toBe('switchboard.message.received');
    if (message?.type !== 'switchboard.message.received') return;
    expect(message.data.email?.subject).toBe('✓'.repeat(2000));
  });
});

describe('encoded words in decoded parts read as messages', () => {
  it.each(['base64', 'quoted-printable'] as const)(
    'keeps the %s forward of a mail, 40,000 encoded words in it, as a file it never parses',
    async (encoding) => {
      // Prepare: the words are not in the raw mail, only in the forward once decoded; postal-mime
      // 4.0.0 parsed it and joined them in 6.6 s (1 MB). RFC 2046 (5.2.1) allows a message/rfc822
      // part no such encoding, and postal-mime 4.1.4 on reads one as an attachment, as Python does.
      const mime = mailForwarding(subjectWords(40_000), encoding);
      expect(hasTooManyEncodedWords(mime.toString('latin1'))).toBe(false);
      // Act
      const { events } = await normalizeInboundEmail(mime, CONTEXT);
      // Assess: the mail is a message, the forward its file, byte for byte
      expect(events).toHaveLength(1);
      const [message] = events;
      if (message?.type !== 'switchboard.message.received')
        throw new Error(`not a message: ${message?.type}`);
      expect(message.data.email?.subject).toBe('Fwd: the order');
      expect(message.data.email?.attachments.map((file) => [file.mimeType, file.size])).toEqual([
        ['message/rfc822', Buffer.byteLength(subjectWords(40_000), 'latin1')],
      ]);
    },
  );

  it('keeps a bounce whose base64 returned original holds 40,000 encoded words as unsupported', async () => {
    // Prepare: the hub reads the addresses of the original a report returns (8 s for these).
    const original = [
      'From: Support <support@switchboard.example>',
      `To: ${'=?utf-8?B?4pyT?= '.repeat(40_000)}<maria@customer.example>`,
      'Subject: Your order',
      'Message-ID: <order@switchboard.example>',
      '',
      'Hello',
    ].join('\r\n');
    const mime = Buffer.from(
      [
        'From: Mail Delivery Subsystem <mailer-daemon@mx.customer.example>',
        'To: support@switchboard.example',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <bounce@mx.customer.example>',
        'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'The mail could not be delivered.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.customer.example',
        '',
        'Final-Recipient: rfc822; maria@customer.example',
        'Action: failed',
        'Status: 5.1.1',
        '',
        '--b',
        'Content-Type: message/rfc822',
        'Content-Transfer-Encoding: base64',
        '',
        encoded(original, 'base64'),
        '--b--',
      ].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject(refusal);
  });

  it('reads a forward of as many encoded words as the bound allows', async () => {
    // Act
    const { events } = await normalizeInboundEmail(
      mailForwarding(subjectWords(MAX_ENCODED_WORDS, 'The order is late'), '7bit'),
      CONTEXT,
    );
    // Assess
    const [message] = events;
    expect(message?.type).toBe('switchboard.message.received');
    if (message?.type !== 'switchboard.message.received') return;
    expect(message.data.email?.subject).toBe('Fwd: the order');
    const [text] = message.data.parts;
    expect(text?.type === 'text' && text.text).toContain('The order is late');
    expect(text?.type === 'text' && text.text).toContain('✓✓✓');
  });

  it("reads a plain forward of 4,000 words, counted apart from the raw mail's same 4,000", async () => {
    // Prepare: 4,000 words in the raw mail and 4,000 in the forward: the same words.
    const mime = mailForwarding(subjectWords(4000), '7bit');
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
  });

  it('reads a forward sent 7bit by its words, and keeps one sent base64 or quoted-printable as a file', async () => {
    // Any number of Subject words around the bound, and a forwarded body of MIME-like pieces.
    const wordCounts = fc.oneof(
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: MAX_ENCODED_WORDS - 10, max: MAX_ENCODED_WORDS + 10 }),
      fc.integer({ min: 2 * MAX_ENCODED_WORDS, max: 3 * MAX_ENCODED_WORDS }),
    );
    const bodyWord = '=?utf-8?Q?caf=C3=A9?=';
    const bodyPieces = fc.array(
      fc.constantFrom('Hello', bodyWord, 'Content-Type: text/html', '--x', '<p>', '\r\n', ' '),
      { maxLength: 20 },
    );
    await fc.assert(
      fc.asyncProperty(wordCounts, bodyPieces, async (count, pieces) => {
        // Prepare
        const forwarded = subjectWords(count, pieces.join(''));
        const words = count + pieces.filter((piece) => piece === bodyWord).length;
        // Act
        const outcomes = await Promise.all(
          (['7bit', 'base64', 'quoted-printable'] as const).map(async (encoding) => {
            const { events } = await normalizeInboundEmail(mailForwarding(forwarded, encoding), CONTEXT);
            const [event] = events;
            return event?.type === 'switchboard.provider.unsupported' ? event.data.providerType : event?.type;
          }),
        );
        // Assess
        expect(outcomes).toEqual([
          words > MAX_ENCODED_WORDS ? 'email.too_many_encoded_words' : 'switchboard.message.received',
          'switchboard.message.received',
          'switchboard.message.received',
        ]);
      }),
      { numRuns: 30 },
    );
  });
});

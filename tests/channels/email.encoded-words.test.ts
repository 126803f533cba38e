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

/** A mail whose Subject is `count` adjacent base64 words, each a check mark (✓). */
const mailWithSubjectWords = (count: number): Buffer =>
  Buffer.from(
    [
      'From: Maria <maria@customer.example>',
      'To: support@switchboard.example',
      `Subject: ${'=?utf-8?B?4pyT?= '.repeat(count)}`,
      'Message-ID: <encoded-words@customer.example>',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello',
    ].join('\r\n'),
    'latin1',
  );

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

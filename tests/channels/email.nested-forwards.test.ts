import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * Forwarded messages (message/rfc822 parts) inside forwarded messages: anyone can send a mail of
 * thousands of them, and postal-mime parses each level it reads inline again.
 */

const CONTEXT = {
  provider: 'mailgun' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: ['support@switchboard.example'],
  rawMimeKey: 'raw/email/nested-forwards.eml',
};

const headers = (level: number): string =>
  [
    `From: Sender ${level} <sender${level}@customer.example>`,
    'To: support@switchboard.example',
    `Subject: Forward ${level}`,
    `Message-ID: <forward-${level}@customer.example>`,
  ].join('\r\n');

/** A mail whose body is a forwarded mail, whose body is a forwarded mail…, `levels` deep. */
const nestedForwards = (levels: number): Buffer => {
  let mime = `${headers(levels)}\r\nContent-Type: text/plain\r\n\r\nThe innermost text`;
  for (let level = levels - 1; level >= 0; level--) {
    mime = `${headers(level)}\r\nContent-Type: message/rfc822\r\n\r\n${mime}`;
  }
  return Buffer.from(mime, 'utf8');
};

describe('forwards inside forwards', () => {
  it('normalizes a mail of 8,000 nested forwards (1.1 MB) into one message', async () => {
    // Prepare
    const mime = nestedForwards(8000);
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
  });

  it('reads the first forward inline and keeps the one inside it as an attachment', async () => {
    // Act
    const { events } = await normalizeInboundEmail(nestedForwards(3), CONTEXT);
    // Assess
    const [message] = events;
    if (message?.type !== 'switchboard.message.received') throw new Error('expected a message');
    expect(message.data.email?.subject).toBe('Forward 0');
    const [text, attachment, ...rest] = message.data.parts;
    expect(rest).toEqual([]);
    expect(text?.type === 'text' && text.text).toContain('Subject: Forward 1');
    expect(text?.type === 'text' && text.text).not.toContain('Forward 2');
    expect(attachment).toMatchObject({ type: 'media', kind: 'file', mimeType: 'message/rfc822' });
  });
});

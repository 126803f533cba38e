import { describe, expect, it } from 'vitest';
import { MAX_LINES, normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { MAX_BODY_BYTES } from '#shared/channels/inbound.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * The number of lines in a mail: postal-mime's work grows with it (about 20 µs a line), whatever
 * the lines hold, and anyone can send a mail of a million empty lines.
 */

const CONTEXT = {
  provider: 'mailgun' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: ['support@switchboard.example'],
  rawMimeKey: 'raw/email/many-lines.eml',
};

const HEADERS = [
  'From: Maria <maria@customer.example>',
  'To: support@switchboard.example',
  'Subject: Lines',
  'Message-ID: <many-lines@customer.example>',
];

/** A message of HEADERS and `emptyLines` empty lines, as base64 lines of 76 characters (a forward's body). */
const base64Lines = (emptyLines: number): string[] =>
  Buffer.from(`${[...HEADERS, '', ''].join('\r\n')}${'\r\n'.repeat(emptyLines)}`, 'latin1')
    .toString('base64')
    .match(/.{1,76}/g) ?? [];

describe('mails of many lines', () => {
  it('keeps a mail of 1.3 million empty lines as unsupported without parsing it', async () => {
    // Prepare: 2.6 MB, which took 27 s to parse.
    const mime = Buffer.from(`${[...HEADERS, '', ''].join('\r\n')}${'\r\n'.repeat(1_300_000)}`, 'latin1');
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'email.too_many_lines', raw: { rawMimeKey: CONTEXT.rawMimeKey } },
    });
  });

  it('keeps the base64 forward of a mail, decoding to 800,000 empty lines, as a file it never parses', async () => {
    // Prepare: 2.2 MB of 29,000 raw lines; postal-mime 4.0.0 parsed the decoded forward line by line
    // in 13 s. RFC 2046 (5.2.1) allows a message/rfc822 part no base64, and postal-mime 4.1.4 on
    // keeps such a part an attachment, as Python does, so nothing reads its lines.
    const mime = Buffer.from(
      [
        ...HEADERS,
        'Content-Type: message/rfc822',
        'Content-Transfer-Encoding: base64',
        '',
        ...base64Lines(800_000),
      ].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess: a message, its forward a file of the decoded bytes
    expect(events).toHaveLength(1);
    const [message] = events;
    if (message?.type !== 'switchboard.message.received') throw new Error(`not a message: ${message?.type}`);
    expect(message.data.email?.attachments.map((file) => [file.mimeType, file.size])).toEqual([
      ['message/rfc822', Buffer.from(base64Lines(800_000).join(''), 'base64').byteLength],
    ]);
  });

  it('holds the two parses of a mail with a forward to the line bound together: each text within it, three times its work, is refused', async () => {
    // Prepare: a text part of 60,000 empty lines, and a forward of 50,000 more: 110,000 lines in the
    // raw mail, under MAX_LINES; read inline, the mail is parsed twice, about 270,000 lines in all.
    const forwarded = `${[...HEADERS, '', ''].join('\r\n')}${'\r\n'.repeat(50_000)}`;
    const mime = Buffer.from(
      [
        ...HEADERS,
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        `hello${'\r\n'.repeat(60_000)}`,
        '--b',
        'Content-Type: message/rfc822',
        '',
        forwarded,
        '--b--',
      ].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.provider.unsupported',
      data: { providerType: 'email.too_many_lines', raw: { maxLines: MAX_LINES } },
    });
  });

  it('still reads a small forward inline', async () => {
    // Prepare
    const forwarded = [
      'From: Jan <jan@elsewhere.example>',
      'To: maria@customer.example',
      'Subject: The original',
      '',
      'The forwarded words.',
    ].join('\r\n');
    const mime = Buffer.from(
      [
        ...HEADERS,
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'See below.',
        '--b',
        'Content-Type: message/rfc822',
        '',
        forwarded,
        '--b--',
      ].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    expect(events[0]?.type).toBe('switchboard.message.received');
  });

  it('lets through every mail within the size limit whose lines are full base64 lines', () => {
    // 76 characters and CRLF: the shortest lines a mail of attachments is made of.
    expect(MAX_LINES).toBeGreaterThan(MAX_BODY_BYTES.email / 78);
  });

  it('reads a mail of 4 MB in base64 lines, as a large attachment comes', async () => {
    // Prepare: 3 MB of file in 76-character lines, about 54,000 of them.
    const base64 = Buffer.alloc(3_000_000, 7).toString('base64');
    const lines = base64.match(/.{1,76}/g) ?? [];
    const mime = Buffer.from(
      [
        ...HEADERS,
        'Content-Type: multipart/mixed; boundary=b',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'The report is attached.',
        '--b',
        'Content-Type: application/octet-stream; name=report.bin',
        'Content-Disposition: attachment; filename=report.bin',
        'Content-Transfer-Encoding: base64',
        '',
        ...lines,
        '--b--',
      ].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(mime, CONTEXT);
    // Assess
    const [message] = events;
    expect(message?.type).toBe('switchboard.message.received');
    if (message?.type !== 'switchboard.message.received') return;
    expect(message.data.parts).toContainEqual(
      expect.objectContaining({ type: 'media', filename: 'report.bin', size: 3_000_000 }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { withReadableHeaders } from '#shared/channels/email/inbound/raw-8bit-headers.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * Headers written raw in a legacy charset (no RFC 2047 words): older mailers and web forms send a
 * From of "Jörg" and a Subject of "Größe" as Latin-1 bytes. They are read in the mail's charset, or
 * windows-1252, as mail readers read them; the raw mail is kept as it came.
 */

const CONTEXT = {
  provider: 'mailgun' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: ['support@switchboard.example'],
  rawMimeKey: 'raw/email/raw-8bit-headers.eml',
};

const mail = (charset: string, headerText: readonly string[], encoding: BufferEncoding = 'latin1'): Buffer =>
  Buffer.concat([
    Buffer.from(
      [
        ...headerText,
        'To: support@switchboard.example',
        'Message-ID: <raw-8bit@customer.example>',
        `Content-Type: text/plain;\r\n\tcharset=${charset}`,
        '',
        '',
      ].join('\r\n'),
      encoding,
    ),
    Buffer.from('Die Größe passt nicht.\r\n', encoding),
  ]);

const dataOf = async (raw: Buffer) => {
  const { events } = await normalizeInboundEmail(raw, CONTEXT);
  const [event] = events;
  if (event?.type !== 'switchboard.message.received') throw new Error('no message');
  return event.data;
};

describe('headers written raw in a legacy charset', () => {
  it('reads a Latin-1 From and Subject in the charset the mail names (folded Content-Type)', async () => {
    // Prepare
    const raw = mail('iso-8859-1', ['From: Jörg Müller <joerg@customer.example>', 'Subject: Größe 42']);
    // Act
    const data = await dataOf(raw);
    // Assess: before 2026-12-06 "J�rg M�ller" and "Gr��e 42"
    expect(data.contact.displayName).toBe('Jörg Müller');
    expect(data.email?.subject).toBe('Größe 42');
    expect(data.parts[0]).toMatchObject({ type: 'text', text: 'Die Größe passt nicht.' });
  });

  it('reads them as windows-1252 when the mail names UTF-8 or nothing', async () => {
    // Prepare: bytes of windows-1252 (a curly quote, 0x93/0x94) under a body said to be UTF-8
    const header = Buffer.from('Subject: \x93Größe\x94\r\nFrom: joerg@customer.example\r\n', 'latin1');
    const raw = Buffer.concat([
      header,
      Buffer.from(
        'To: support@switchboard.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n',
      ),
    ]);
    // Act
    const data = await dataOf(raw);
    // Assess
    expect(data.email?.subject).toBe('“Größe”');
  });

  it('leaves a mail whose headers are ASCII or UTF-8 byte for byte as it came', () => {
    // Prepare
    const utf8 = mail('utf-8', ['From: Jörg <joerg@customer.example>', 'Subject: Größe'], 'utf8');
    // Act
    const read = withReadableHeaders(utf8);
    // Assess
    expect(read).toBe(utf8);
  });

  it('leaves a UTF-8 From and Subject (RFC 6532) as they are beside one Latin-1 header', async () => {
    // Prepare: an old relay's Organization header in Latin-1 beside UTF-8 headers
    const raw = Buffer.concat([
      Buffer.from('From: Jörg Müller <joerg@customer.example>\r\nSubject: Größe 42\r\n', 'utf8'),
      Buffer.from('Organization: M\xfcller GmbH\r\n', 'latin1'),
      Buffer.from(
        'To: support@switchboard.example\r\nMessage-ID: <mixed@customer.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n',
      ),
    ]);
    // Act
    const data = await dataOf(raw);
    // Assess: each line is read apart (a first version read the whole block in one charset: "JÃ¶rg")
    expect(data.contact.displayName).toBe('Jörg Müller');
    expect(data.email?.subject).toBe('Größe 42');
  });

  it('never reads a header in a charset that is no ASCII superset (a UTF-16 body)', async () => {
    // Prepare
    const raw = Buffer.concat([
      Buffer.from('From: J\xf6rg <joerg@customer.example>\r\n', 'latin1'),
      Buffer.from(
        'To: support@switchboard.example\r\nSubject: Hallo\r\nMessage-ID: <utf16@customer.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n',
      ),
      Buffer.from(`${Buffer.from('\ufeffHallo', 'utf16le').toString('base64')}\r\n`),
    ]);
    // Act
    const data = await dataOf(raw);
    // Assess
    expect(data.contact.identities[0]?.value).toBe('joerg@customer.example');
    expect(data.contact.displayName).toBe('Jörg');
    expect(data.email?.messageIdHeader).toBe('utf16@customer.example');
  });
});

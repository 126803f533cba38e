import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { buildReplyMime, type ReplyMimeInput } from '#shared/channels/email/outbound/mime.ts';
import type { EmailThreading } from '#shared/outbound/channel-sender.ts';

const HUB_ID = 'msg_0123456789abcdef0123456789abcdef.0@mail.switchboard.example';
const threading: EmailThreading = {
  from: 'support@switchboard.example',
  replyTo: 'reply+conv_0123456789abcdef0123456789abcdef.0011223344556677@in.switchboard.example',
  subject: 'Re: Wo bleibt meine Bestellung? 📦',
  inReplyTo: 'CAF=2ab@mail.customer.example',
  references: ['root-1@mail.customer.example', 'CAF=2ab@mail.customer.example'],
  messageId: HUB_ID,
};
const input = (
  overrides: Partial<ReplyMimeInput> = {},
  email: Partial<EmailThreading> = {},
): ReplyMimeInput => ({
  email: { ...threading, ...email },
  to: 'maria.keller@customer.example',
  text: 'Hallo Maria,\r\nIhre Bestellung ist unterwegs.\r\n\r\n-- \r\nSupport',
  date: new Date('2026-11-22T12:00:00.000Z'),
  ...overrides,
});

const parsed = async (mime: Awaited<ReturnType<typeof buildReplyMime>>) => {
  if (!mime.ok) throw new Error(mime.problem);
  return PostalMime.parse(mime.raw);
};

describe('reply MIME', () => {
  it('carries the threading headers, parsed back', async () => {
    // Act
    const email = await parsed(await buildReplyMime(input()));
    // Assess
    expect(email.messageId).toBe(`<${HUB_ID}>`);
    expect(email.inReplyTo).toBe('<CAF=2ab@mail.customer.example>');
    expect(email.references).toBe(
      `<root-1@mail.customer.example> <CAF=2ab@mail.customer.example> <${HUB_ID}>`,
    );
    expect(email.from).toMatchObject({ address: 'support@switchboard.example' });
    expect(email.to).toEqual([{ address: 'maria.keller@customer.example', name: '' }]);
    expect(email.replyTo).toEqual([{ address: threading.replyTo, name: '' }]);
    expect(email.subject).toBe('Re: Wo bleibt meine Bestellung? 📦');
    expect(email.date).toBe('2026-11-22T12:00:00.000Z');
    expect(email.text).toBe('Hallo Maria,\nIhre Bestellung ist unterwegs.\n\n-- \nSupport\n');
    expect(email.html).toBeUndefined();
  });

  it('carries an HTML alternative beside the text, and attachments beside both, parsed back', async () => {
    // Prepare
    const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 1, 2, 3, 250, 251]);
    // Act
    const email = await parsed(
      await buildReplyMime(
        input({
          html: '<p>Hallo <b>Maria</b>,</p><p>Ihre Bestellung ist unterwegs.</p>',
          attachments: [{ filename: 'Rechnung 42 – März.pdf', contentType: 'application/pdf', content: pdf }],
        }),
      ),
    );
    // Assess
    expect(email.html).toContain('<p>Hallo <b>Maria</b>,</p>');
    expect(email.text).toContain('Ihre Bestellung ist unterwegs.');
    expect(email.attachments).toHaveLength(1);
    expect(email.attachments[0]?.filename).toBe('Rechnung 42 – März.pdf');
    expect(email.attachments[0]?.mimeType).toBe('application/pdf');
    expect(new Uint8Array(email.attachments[0]?.content as ArrayBuffer)).toEqual(pdf);
  });

  it('lists the hub id once, last, when the core already put it in the thread', async () => {
    // Act
    const email = await parsed(
      await buildReplyMime(input({}, { references: [HUB_ID, 'root-1@mail.customer.example'] })),
    );
    // Assess
    expect(email.references).toBe(`<root-1@mail.customer.example> <${HUB_ID}>`);
  });

  it('keeps the thread root and the newest ids of a long thread', async () => {
    // Prepare
    const references = Array.from({ length: 80 }, (_, index) => `id-${index}@mail.customer.example`);
    // Act
    const email = await parsed(await buildReplyMime(input({}, { references })));
    // Assess
    const ids = email.references?.split(/\s+/) ?? [];
    expect(ids).toHaveLength(50);
    expect(ids[0]).toBe('<id-0@mail.customer.example>');
    expect(ids[1]).toBe('<id-32@mail.customer.example>');
    expect(ids.at(-1)).toBe(`<${HUB_ID}>`);
  });

  it('leaves out a malformed In-Reply-To instead of writing it', async () => {
    // Act
    const email = await parsed(await buildReplyMime(input({}, { inReplyTo: 'no brackets <here>' })));
    // Assess
    expect(email.inReplyTo).toBeUndefined();
  });

  it('keeps a line break in the subject from starting a header', async () => {
    // Act
    const email = await parsed(
      await buildReplyMime(input({}, { subject: 'Hi\r\nBcc: attacker@evil.example' })),
    );
    // Assess
    expect(email.headers.map((header) => header.key)).not.toContain('bcc');
  });

  it('keeps a Subject line within 998 octets when a plan holds a longer unbroken subject', async () => {
    // Prepare: a plan stored before the sender bounded subjects (`Re: ` and 2,000 characters)
    const subject = `Re: ${'x'.repeat(2000)}`;
    // Act
    const mime = await buildReplyMime(input({}, { subject }));
    // Assess
    if (!mime.ok) throw new Error(mime.problem);
    const lines = mime.raw.toString('latin1').split('\r\n');
    expect(Math.max(...lines.map((line) => Buffer.byteLength(line, 'latin1')))).toBeLessThanOrEqual(998);
    expect((await PostalMime.parse(mime.raw)).subject).toBe(subject.slice(0, 989));
  });

  it('sends a file typed as a message or a multipart base64, byte for byte, in lines of at most 998 octets', async () => {
    // Prepare: a customer's forwarded mail kept as a stored attachment (`message/rfc822`, 8-bit, a
    // 1,500-character line) and a file a command typed `multipart/mixed`
    const forwarded = Buffer.from(
      `From: x@y.example\r\nSubject: Grüße\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße ${'z'.repeat(1500)}\r\n`,
      'utf8',
    );
    const parts = Buffer.from('--x\r\nContent-Type: text/plain\r\n\r\nnot a part of the reply\r\n--x--\r\n');
    // Act
    const mime = await buildReplyMime(
      input({
        attachments: [
          { filename: 'weitergeleitet.eml', contentType: 'message/rfc822', content: forwarded },
          { filename: 'parts.bin', contentType: 'multipart/mixed', content: parts },
          // A command's blank mimeType: the composer would guess message/rfc822 from the name
          { filename: 'untyped.eml', contentType: '', content: forwarded },
        ],
      }),
    );
    // Assess
    if (!mime.ok) throw new Error(mime.problem);
    const lines = mime.raw.toString('latin1').split('\r\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(998);
    expect(mime.raw.every((byte) => byte < 0x80)).toBe(true);
    const email = await PostalMime.parse(mime.raw);
    // The line break before a boundary is the boundary's (RFC 2046 5.1.1): the text as the agent wrote it
    expect(email.text).toBe('Hallo Maria,\nIhre Bestellung ist unterwegs.\n\n-- \nSupport');
    expect(email.attachments.map((file) => [file.filename, file.mimeType])).toEqual([
      ['weitergeleitet.eml', 'application/octet-stream'],
      ['parts.bin', 'application/octet-stream'],
      ['untyped.eml', 'application/octet-stream'],
    ]);
    expect(Buffer.from(email.attachments[2]?.content as ArrayBuffer)).toEqual(forwarded);
    expect(Buffer.from(email.attachments[0]?.content as ArrayBuffer)).toEqual(forwarded);
    expect(Buffer.from(email.attachments[1]?.content as ArrayBuffer)).toEqual(parts);
  });

  it.each([
    ['a recipient list', { to: 'maria@customer.example, attacker@evil.example' }, {}],
    ['a display name', { to: 'Maria <maria@customer.example>' }, {}],
    ['a reply-to with a line break', {}, { replyTo: 'reply@in.example\r\nBcc: a@b.example' }],
    ['a Message-ID with brackets', {}, { messageId: '<x@y>' }],
  ])('refuses %s', async (_name, overrides, email) => {
    // Act
    const mime = await buildReplyMime(input(overrides, email));
    // Assess
    expect(mime.ok).toBe(false);
  });
});

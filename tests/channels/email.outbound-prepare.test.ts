import { SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { createMailgunSender } from '#shared/channels/email/outbound/mailgun-sender.ts';
import { MAX_ATTACHMENT_BYTES, prepareEmailParts } from '#shared/channels/email/outbound/prepare.ts';
import { createSesSender } from '#shared/channels/email/outbound/ses-sender.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import type { SendTarget } from '#shared/outbound/channel-sender.ts';

describe('e-mail prepare', () => {
  it('joins every text and media link into one message, a blank line between parts', () => {
    // Prepare
    const parts: OutboundPart[] = [
      { type: 'text', text: 'Hello Maria,\nyour invoice is attached below.' },
      {
        type: 'media',
        kind: 'file',
        source: { url: 'https://files.example.com/inv-42.pdf' },
        filename: 'inv-42.pdf',
        caption: 'Invoice 42',
      },
      { type: 'media', kind: 'image', source: { url: 'https://files.example.com/map.png' } },
      { type: 'text', text: 'Kind regards' },
    ];
    // Act
    const prepared = prepareEmailParts(parts, undefined, 'ses');
    // Assess
    expect(prepared).toEqual({
      ok: true,
      messages: [
        {
          partIndex: 0,
          part: {
            type: 'text',
            text:
              'Hello Maria,\nyour invoice is attached below.\n\nInvoice 42\ninv-42.pdf: https://files.example.com/inv-42.pdf' +
              '\n\nhttps://files.example.com/map.png\n\nKind regards',
          },
        },
      ],
    });
  });

  it('attaches files from the hub bucket in part order, their captions in the text', () => {
    // Prepare
    const parts: OutboundPart[] = [
      { type: 'text', text: 'See attached' },
      { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/a/inv.pdf' }, caption: 'Invoice' },
      { type: 'media', kind: 'image', source: { s3Key: 'attachments/c/m/0' } },
    ];
    const stored = {
      '1': { bytes: 1000, contentType: 'application/pdf' },
      '2': { bytes: 2000, contentType: 'image/png' },
    };
    // Act
    const prepared = prepareEmailParts(parts, stored, 'ses');
    // Assess
    expect(prepared).toEqual({
      ok: true,
      messages: [
        { partIndex: 0, part: { type: 'text', text: 'See attached\n\nInvoice' }, attachParts: [1, 2] },
      ],
    });
  });

  it('adds an HTML alternative when a text part brings its own: the others escaped into paragraphs, links kept', () => {
    // Prepare
    const parts: OutboundPart[] = [
      { type: 'text', text: 'Hello Maria', html: '<p>Hello <b>Maria</b></p>' },
      { type: 'text', text: 'Line <1>\nline 2\n\nNew paragraph & more' },
      {
        type: 'media',
        kind: 'file',
        source: { url: 'https://files.example.com/a?b=1&c=2' },
        filename: 'a.pdf',
      },
    ];
    // Act
    const withHtml = prepareEmailParts(parts, undefined, 'ses');
    const plain = prepareEmailParts([{ type: 'text', text: 'hi' }], undefined, 'ses');
    // Assess
    const html =
      withHtml.ok && withHtml.messages[0]?.part.type === 'text' ? withHtml.messages[0].part.html : '';
    expect(html).toBe(
      '<p>Hello <b>Maria</b></p>\n' +
        '<p>Line &lt;1&gt;<br>line 2</p>\n<p>New paragraph &amp; more</p>\n' +
        '<p><a href="https://files.example.com/a?b=1&amp;c=2">a.pdf</a></p>',
    );
    expect(plain.ok && plain.messages[0]?.part).toEqual({ type: 'text', text: 'hi' });
  });

  it("refuses files that together pass the provider's limit, naming the part that did", () => {
    // Prepare
    const half = MAX_ATTACHMENT_BYTES.mailgun / 2 + 1;
    const parts: OutboundPart[] = [
      { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/a/one.pdf' } },
      { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/b/two.pdf' } },
    ];
    const stored = {
      '0': { bytes: half, contentType: 'application/pdf' },
      '1': { bytes: half, contentType: 'application/pdf' },
    };
    // Act
    const mailgun = prepareEmailParts(parts, stored, 'mailgun');
    const ses = prepareEmailParts(parts, stored, 'ses');
    // Assess
    expect(mailgun).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.1.source.s3Key' });
    expect(ses).toMatchObject({ ok: true });
  });

  it('refuses a stored file the core did not look up', () => {
    // Act
    const prepared = prepareEmailParts(
      [{ type: 'media', kind: 'file', source: { s3Key: 'media/outbound/a/x.pdf' } }],
      undefined,
      'ses',
    );
    // Assess
    expect(prepared).toMatchObject({ ok: false, field: 'parts.0.source.s3Key' });
  });

  it.each([
    ['template', { type: 'template', name: 'welcome', language: 'en', category: 'utility' }],
    ['interactive', { type: 'interactive', body: 'Pick', buttons: [{ id: 'a', title: 'A' }] }],
    ['reaction', { type: 'reaction', targetProviderMessageId: 'x', emoji: '👍' }],
    ['location', { type: 'location', latitude: 1, longitude: 2 }],
  ] as Array<[string, OutboundPart]>)('refuses a %s part', (_name, part) => {
    // Act
    const prepared = prepareEmailParts([{ type: 'text', text: 'hi' }, part], undefined, 'ses');
    // Assess
    expect(prepared).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.1.type' });
  });
});

describe("e-mail prepare: what each provider's own rules refuse before any call", () => {
  const ses = createSesSender({ client: new SESv2Client({ region: 'eu-west-1', maxAttempts: 1 }) });
  const mailgun = createMailgunSender({
    apiBaseUrl: 'https://api.eu.mailgun.net',
    domain: 'mg.switchboard.example',
    apiKey: 'key-0123',
  });
  const policy = { withinWindow: true, humanAgentTag: false };
  const targetFor = (provider: 'ses' | 'mailgun', address: string): SendTarget => ({
    channel: 'email',
    provider,
    endpoint: { type: 'email_address', id: 'support@switchboard.example' },
    recipient: { type: 'email', value: address },
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  });
  const text: OutboundPart[] = [{ type: 'text', text: 'Danke!' }];

  it.each([
    ['a domain in Unicode', 'info@müller.de'],
    ['a domain already in Punycode', 'info@xn--mller-kva.de'],
    ['a plain ASCII address', 'maria.keller@customer.example'],
  ])('takes %s for both providers', (_label, address) => {
    // Act
    const bySes = ses.prepare(text, policy, targetFor('ses', address));
    const byMailgun = mailgun.prepare(text, policy, targetFor('mailgun', address));
    // Assess
    expect(bySes).toMatchObject({ ok: true });
    expect(byMailgun).toMatchObject({ ok: true });
  });

  it('refuses for SES, not for Mailgun, an address whose local part is not ASCII (SES has no SMTPUTF8)', () => {
    // Act
    const bySes = ses.prepare(text, policy, targetFor('ses', 'jörg@müller.de'));
    const byMailgun = mailgun.prepare(text, policy, targetFor('mailgun', 'jörg@müller.de'));
    // Assess
    expect(bySes).toMatchObject({ ok: false, reason: 'recipient_invalid', field: 'conversationId' });
    expect(bySes.ok || bySes.detail).not.toContain('jörg');
    expect(byMailgun).toMatchObject({ ok: true });
  });

  it.each([
    ['a character IDNA disallows', 'info@mü|ller.de'],
    ['a path the URL parser would cut off', 'info@müller.de/evil.example'],
    ['a fragment the URL parser would cut off', 'info@münchen#.de'],
    ['a percent escape the URL parser would decode', 'info@ex%41mplé.com'],
    ['an empty label', 'info@müller..de'],
  ])('refuses for both providers a Unicode domain with %s', (_label, address) => {
    // Act
    const bySes = ses.prepare(text, policy, targetFor('ses', address));
    const byMailgun = mailgun.prepare(text, policy, targetFor('mailgun', address));
    // Assess
    expect(bySes).toMatchObject({ ok: false, reason: 'recipient_invalid', field: 'conversationId' });
    expect(byMailgun).toMatchObject({ ok: false, reason: 'recipient_invalid', field: 'conversationId' });
  });

  it.each([
    ['its filename', { filename: 'setup.exe' }, {}, 'parts.1.filename'],
    ['its filename, in capitals', { filename: 'SERVER.CRT' }, {}, 'parts.1.filename'],
    ['the name it was uploaded under', {}, { filename: 'server.crt' }, 'parts.1.source.s3Key'],
    ['its key', {}, {}, 'parts.1.source.s3Key'],
  ])(
    'refuses for SES, not for Mailgun, a file SES does not attach, named by %s',
    (_label, named, uploaded, field) => {
      // Prepare: the key ends `file.js`, as an upload of a .js file does
      const parts: OutboundPart[] = [
        { type: 'text', text: 'The installer' },
        { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/a/file.js' }, ...named },
      ];
      const stored = { '1': { bytes: 1000, contentType: 'application/octet-stream', ...uploaded } };
      // Act
      const bySes = ses.prepare(parts, policy, targetFor('ses', 'ann@customer.example'), stored);
      const byMailgun = mailgun.prepare(parts, policy, targetFor('mailgun', 'ann@customer.example'), stored);
      // Assess
      expect(bySes).toMatchObject({ ok: false, reason: 'content_invalid', field });
      expect(byMailgun).toMatchObject({ ok: true });
    },
  );

  it('attaches for SES a file whose name only contains a refused extension, and a link to any file', () => {
    // Prepare
    const parts: OutboundPart[] = [
      {
        type: 'media',
        kind: 'file',
        source: { s3Key: 'media/outbound/a/file.pdf' },
        filename: 'setup.exe.pdf',
      },
      { type: 'media', kind: 'file', source: { url: 'https://files.example.com/setup.exe' } },
    ];
    const stored = { '0': { bytes: 1000, contentType: 'application/pdf' } };
    // Act
    const prepared = ses.prepare(parts, policy, targetFor('ses', 'ann@customer.example'), stored);
    // Assess
    expect(prepared).toMatchObject({ ok: true, messages: [{ attachParts: [0] }] });
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_ATTACHMENT_BYTES, prepareEmailParts } from '#shared/channels/email/outbound/prepare.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';

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
    const prepared = prepareEmailParts(parts, undefined, MAX_ATTACHMENT_BYTES.ses);
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
    const prepared = prepareEmailParts(parts, stored, MAX_ATTACHMENT_BYTES.ses);
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
    const withHtml = prepareEmailParts(parts, undefined, MAX_ATTACHMENT_BYTES.ses);
    const plain = prepareEmailParts([{ type: 'text', text: 'hi' }], undefined, MAX_ATTACHMENT_BYTES.ses);
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
    const mailgun = prepareEmailParts(parts, stored, MAX_ATTACHMENT_BYTES.mailgun);
    const ses = prepareEmailParts(parts, stored, MAX_ATTACHMENT_BYTES.ses);
    // Assess
    expect(mailgun).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.1.source.s3Key' });
    expect(ses).toMatchObject({ ok: true });
  });

  it('refuses a stored file the core did not look up', () => {
    // Act
    const prepared = prepareEmailParts(
      [{ type: 'media', kind: 'file', source: { s3Key: 'media/outbound/a/x.pdf' } }],
      undefined,
      MAX_ATTACHMENT_BYTES.ses,
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
    const prepared = prepareEmailParts(
      [{ type: 'text', text: 'hi' }, part],
      undefined,
      MAX_ATTACHMENT_BYTES.ses,
    );
    // Assess
    expect(prepared).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.1.type' });
  });
});

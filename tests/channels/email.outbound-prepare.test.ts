import { describe, expect, it } from 'vitest';
import { prepareEmailParts } from '#shared/channels/email/outbound/prepare.ts';
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
    const prepared = prepareEmailParts(parts);
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

  it('refuses media by payload-bucket key: no bytes are resolved for attachments', () => {
    // Act
    const prepared = prepareEmailParts([
      { type: 'text', text: 'See attached' },
      { type: 'media', kind: 'file', source: { s3Key: 'outbound/a.pdf' } },
    ]);
    // Assess
    expect(prepared).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.1.source' });
  });

  it.each([
    ['template', { type: 'template', name: 'welcome', language: 'en', category: 'utility' }],
    ['interactive', { type: 'interactive', body: 'Pick', buttons: [{ id: 'a', title: 'A' }] }],
    ['reaction', { type: 'reaction', targetProviderMessageId: 'x', emoji: '👍' }],
    ['location', { type: 'location', latitude: 1, longitude: 2 }],
  ] as Array<[string, OutboundPart]>)('refuses a %s part', (_name, part) => {
    // Act
    const prepared = prepareEmailParts([{ type: 'text', text: 'hi' }, part]);
    // Assess
    expect(prepared).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.1.type' });
  });
});

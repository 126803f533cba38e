import { describe, expect, it } from 'vitest';
import { twilioMessageRequest } from '#shared/channels/sms/outbound/request.ts';
import { createTwilioSender } from '#shared/channels/sms/outbound/sender.ts';
import type { OutboundMediaPart } from '#shared/contract/commands.ts';
import type { MessageContext, PreparedMessage, StoredMedia } from '#shared/outbound/channel-sender.ts';

/*
 * WhatsApp through Twilio takes media under WhatsApp's rules, not the SMS ones: the types and sizes
 * per kind, and a caption only where WhatsApp shows it (images and videos, at most 1,024 characters).
 */

const OPEN = { withinWindow: true, humanAgentTag: false } as const;
const MB = 1024 * 1024;
const base = { apiBaseUrl: 'https://api.twilio.com', accountSid: 'AC00000000000000000000000000000000' };
const whatsapp = createTwilioSender({ ...base, channel: 'whatsapp', authToken: 'token' });
const sms = createTwilioSender({ ...base, channel: 'sms', authToken: 'token' });

const byUrl = (
  kind: OutboundMediaPart['kind'],
  extra: Partial<OutboundMediaPart> = {},
): OutboundMediaPart => ({
  type: 'media',
  kind,
  source: { url: 'https://cdn.example.com/f' },
  ...extra,
});
const stored = (kind: OutboundMediaPart['kind']): OutboundMediaPart => ({
  type: 'media',
  kind,
  source: { s3Key: 'media/outbound/k/file.bin' },
});
const facts = (bytes: number, contentType: string): StoredMedia => ({ '0': { bytes, contentType } });

const context: MessageContext = {
  target: {
    channel: 'whatsapp',
    provider: 'twilio',
    endpoint: { type: 'whatsapp_phone_number', id: '+14155550100' },
    recipient: { type: 'wa_id', value: '447700900123' },
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  },
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  sequence: 0,
  correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
  policy: OPEN,
};

/** The form Twilio would be sent for one prepared message. */
const formOf = (message: PreparedMessage | undefined): Array<[string, string]> => {
  if (message === undefined) throw new Error('no message');
  const request = twilioMessageRequest({
    apiBaseUrl: base.apiBaseUrl,
    accountSid: base.accountSid,
    authorization: 'Basic x',
    channel: 'whatsapp',
    to: 'whatsapp:+447700900123',
    part: message.part,
    context,
    now: new Date('2026-12-05T10:00:00Z'),
  });
  return [...new URLSearchParams(String(request.body))];
};

describe('Twilio WhatsApp media', () => {
  it('takes each kind up to its WhatsApp size through Twilio, and refuses one byte more naming the key', () => {
    // Prepare: image 5 MB, audio, video and documents Twilio's 16 MB, WebP stickers 500 KB
    const limits: Array<[OutboundMediaPart['kind'], string, number]> = [
      ['image', 'image/jpeg', 5 * MB],
      ['audio', 'audio/mpeg', 16 * MB],
      ['video', 'video/mp4', 16 * MB],
      ['file', 'application/pdf', 16 * MB],
      ['sticker', 'image/webp', 500 * 1024],
    ];
    // Act
    const results = limits.map(([kind, type, max]) => ({
      kind,
      fits: whatsapp.prepare([stored(kind)], OPEN, undefined, facts(max, type)).ok,
      over: whatsapp.prepare([stored(kind)], OPEN, undefined, facts(max + 1, type)),
    }));
    // Assess
    for (const { kind, fits, over } of results) {
      expect({ kind, fits }).toEqual({ kind, fits: true });
      expect({ kind, over }).toMatchObject({
        kind,
        over: { ok: false, reason: 'content_invalid', field: 'parts.0.source.s3Key' },
      });
    }
  });

  it('refuses a type WhatsApp through Twilio does not take, by the stored file or by the part, naming mimeType', () => {
    // Prepare: types the Cloud API takes but Twilio's WhatsApp guide does not list, and a GIF an MMS takes
    const refusedStored: Array<[OutboundMediaPart['kind'], string]> = [
      ['image', 'image/gif'],
      ['audio', 'audio/mp4'],
      ['video', 'video/3gpp'],
      ['file', 'text/plain'],
    ];
    // Act
    const byStoredFile = refusedStored.map(([kind, type]) =>
      whatsapp.prepare([stored(kind)], OPEN, undefined, facts(1000, type)),
    );
    const byPart = whatsapp.prepare([byUrl('file', { mimeType: 'application/vnd.ms-excel' })], OPEN);
    const gifByMms = sms.prepare([stored('image')], OPEN, undefined, facts(1000, 'image/gif'));
    const pdfByPart = whatsapp.prepare([byUrl('file', { mimeType: 'application/pdf; name=a.pdf' })], OPEN);
    // Assess
    for (const prepared of [...byStoredFile, byPart]) {
      expect(prepared).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.0.mimeType' });
    }
    expect(gifByMms.ok).toBe(true);
    expect(pdfByPart.ok).toBe(true);
  });

  it('sends a document, audio or sticker without a caption, its text following as a message of its own, in order', () => {
    // Prepare
    const caption = 'Your invoice for November';
    const kinds: Array<OutboundMediaPart['kind']> = ['file', 'audio', 'sticker'];
    // Act
    const prepared = kinds.map((kind) =>
      whatsapp.prepare([byUrl(kind, { caption }), { type: 'text', text: 'Thanks!' }], OPEN),
    );
    // Assess
    for (const [index, result] of prepared.entries()) {
      if (!result.ok) throw new Error(result.detail);
      expect(result.messages).toEqual([
        { partIndex: 0, part: byUrl(kinds[index] ?? 'file') },
        { partIndex: 0, part: { type: 'text', text: caption } },
        { partIndex: 1, part: { type: 'text', text: 'Thanks!' } },
      ]);
      expect(formOf(result.messages[0]).map(([name]) => name)).not.toContain('Body');
      expect(formOf(result.messages[1])).toContainEqual(['Body', caption]);
    }
  });

  it('keeps an image or video caption up to 1,024 characters on the file; a longer one follows it as text', () => {
    // Prepare
    const fits = 'x'.repeat(1024);
    const long = `${'α'.repeat(1000)} ${'β'.repeat(24)}`;
    // Act
    const image = whatsapp.prepare([byUrl('image', { caption: fits })], OPEN);
    const video = whatsapp.prepare([byUrl('video', { caption: fits })], OPEN);
    const longImage = whatsapp.prepare([byUrl('image', { caption: long })], OPEN);
    // Assess
    expect(image).toEqual({
      ok: true,
      messages: [{ partIndex: 0, part: byUrl('image', { caption: fits }) }],
    });
    expect(video).toEqual({
      ok: true,
      messages: [{ partIndex: 0, part: byUrl('video', { caption: fits }) }],
    });
    expect(longImage).toEqual({
      ok: true,
      messages: [
        { partIndex: 0, part: byUrl('image') },
        { partIndex: 0, part: { type: 'text', text: long } },
      ],
    });
  });
});

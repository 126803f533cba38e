import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMessengerSender } from '#shared/channels/messenger/outbound/sender.ts';
import type { OutboundMediaPart, OutboundPart } from '#shared/contract/commands.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import type { Prepared, SendPolicy, SendTarget } from '#shared/outbound/channel-sender.ts';
import { longText } from '#tests/support/long-text.ts';
import { expectPiecesOf } from '#tests/support/pieces.ts';

const sender = createMessengerSender({
  graphBaseUrl: 'https://graph.example',
  apiVersion: 'v23.0',
  accessTokenFor: () => 'token',
});
const OPEN: SendPolicy = { withinWindow: true, humanAgentTag: false };

const targetOf = (type: BusinessEndpoint['type']): SendTarget => ({
  channel: 'messenger',
  provider: 'meta',
  endpoint: { type, id: '104728593216847' },
  recipient: { type: type === 'facebook_page' ? 'psid' : 'igsid', value: '8102736459921034' },
  conversationId: 'conv_1',
});
const PAGE = targetOf('facebook_page');
const INSTAGRAM = targetOf('instagram_account');

/** `null`: the core did not say which endpoint. */
const prepare = (parts: OutboundPart[], policy = OPEN, target: SendTarget | null = PAGE): Prepared =>
  sender.prepare(parts, policy, target ?? undefined);
const refusalOf = (prepared: Prepared) => (prepared.ok ? undefined : prepared);
const textsOf = (prepared: Prepared): string[] =>
  prepared.ok ? prepared.messages.map((m) => (m.part.type === 'text' ? m.part.text : '')) : [];
const image = (extra: Partial<OutboundMediaPart> = {}): OutboundMediaPart => ({
  type: 'media',
  kind: 'image',
  source: { url: 'https://cdn.example/a.jpg' },
  ...extra,
});

describe('Messenger prepare: the window', () => {
  it('refuses outside the window unless a human agent answers within 7 days', () => {
    // Act
    const closed = prepare([{ type: 'text', text: 'hi' }], { withinWindow: false, humanAgentTag: false });
    const tagged = prepare([{ type: 'text', text: 'hi' }], { withinWindow: false, humanAgentTag: true });
    // Assess
    expect(refusalOf(closed)).toMatchObject({ reason: 'window_closed', field: 'parts.0' });
    expect(tagged.ok).toBe(true);
  });
});

describe('Messenger prepare: text limits per endpoint', () => {
  it('keeps 2,000 characters whole on a page and splits 2,001', () => {
    // Act
    const fits = prepare([{ type: 'text', text: 'a'.repeat(2000) }]);
    const over = prepare([{ type: 'text', text: 'a'.repeat(2001) }]);
    // Assess
    expect(textsOf(fits)).toHaveLength(1);
    expect(textsOf(over).map((t) => t.length)).toEqual([2000, 1]);
  });

  it('holds Instagram, and an unknown endpoint, to 1,000 UTF-8 bytes', () => {
    // Prepare: Greek letters are two bytes each.
    const greek = 'αβγδε '.repeat(200);
    // Act
    const instagram = textsOf(prepare([{ type: 'text', text: greek }], OPEN, INSTAGRAM));
    const unknown = textsOf(prepare([{ type: 'text', text: greek }], OPEN, null));
    const page = textsOf(prepare([{ type: 'text', text: greek }], OPEN, PAGE));
    // Assess
    for (const piece of instagram) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(1000);
    expect(instagram.join('')).toBe(greek);
    expect(unknown).toEqual(instagram);
    expect(page).toEqual([greek]);
  });

  it('keeps 1,000 ASCII characters (1,000 bytes) whole on Instagram and splits 1,001', () => {
    // Act
    const fits = textsOf(prepare([{ type: 'text', text: 'a'.repeat(1000) }], OPEN, INSTAGRAM));
    const over = textsOf(prepare([{ type: 'text', text: 'a'.repeat(1001) }], OPEN, INSTAGRAM));
    // Assess
    expect(fits.map((t) => t.length)).toEqual([1000]);
    expect(over.map((t) => t.length)).toEqual([1000, 1]);
  });

  it('splits into pieces within the limit that give the text back (no blank piece)', () => {
    const past = { page: 0, instagram: 0 };
    fc.assert(
      fc.property(longText(6000), fc.boolean(), (text, instagram) => {
        if (instagram && Buffer.byteLength(text) > 1000) past.instagram += 1;
        if (!instagram && text.length > 2000) past.page += 1;
        // Act
        const pieces = textsOf(prepare([{ type: 'text', text }], OPEN, instagram ? INSTAGRAM : PAGE));
        // Assess
        expectPiecesOf(text, pieces);
        for (const piece of pieces) {
          expect(piece.length).toBeLessThanOrEqual(instagram ? 1000 : 2000);
          if (instagram) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(1000);
        }
      }),
      // Unshrunk: shrinking a text of thousands of characters would take minutes.
      { numRuns: 60, endOnFailure: true },
    );
    // Not vacuous: texts past each endpoint's limit were generated.
    expect(past.page).toBeGreaterThan(0);
    expect(past.instagram).toBeGreaterThan(0);
  });
});

describe('Messenger prepare: parts', () => {
  it('takes 13 quick replies with titles of 20 and refuses 14 or a longer title', () => {
    // Prepare
    const buttons = (count: number, title = 't') =>
      Array.from({ length: count }, (_, i) => ({ id: `q${i}`, title: `${title}${i}`.slice(0, 25) }));
    // Act
    const thirteen = prepare([{ type: 'interactive', body: 'Pick', buttons: buttons(13) }]);
    const fourteen = prepare([{ type: 'interactive', body: 'Pick', buttons: buttons(14) }]);
    const long = prepare([
      { type: 'interactive', body: 'Pick', buttons: [{ id: 'a', title: 'x'.repeat(21) }] },
    ]);
    // Assess
    expect(thirteen.ok).toBe(true);
    expect(refusalOf(fourteen)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.buttons' });
    expect(refusalOf(long)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.buttons.0.title' });
  });

  it('refuses lists, templates and locations', () => {
    // Act
    const list = prepare([
      {
        type: 'interactive',
        body: 'Pick',
        list: { button: 'Open', sections: [{ rows: [{ id: 'a', title: 'A' }] }] },
      },
    ]);
    const template = prepare([{ type: 'template', name: 'hello', language: 'en', category: 'utility' }]);
    const location = prepare([
      { type: 'text', text: 'here:' },
      { type: 'location', latitude: 1, longitude: 2 },
    ]);
    // Assess
    expect(refusalOf(list)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.list' });
    expect(refusalOf(template)).toMatchObject({ reason: 'content_invalid', field: 'parts.0' });
    expect(refusalOf(location)).toMatchObject({ reason: 'content_invalid', field: 'parts.1' });
  });

  it('sends an attachment by URL, then its caption as text', () => {
    // Act
    const prepared = prepare([image({ caption: 'Your receipt', mimeType: 'image/png' })]);
    // Assess
    expect(prepared).toEqual({
      ok: true,
      messages: [
        { partIndex: 0, part: image({ mimeType: 'image/png' }) },
        { partIndex: 0, part: { type: 'text', text: 'Your receipt' } },
      ],
    });
  });

  it('refuses a stored file past the attachment limit (images 8 MB by URL, on a page as on Instagram; else 25 MB)', () => {
    // Prepare
    const part = image({ source: { s3Key: 'media/outbound/k/a.jpg' } });
    const stored = (bytes: number, contentType = 'image/jpeg') => ({ '0': { bytes, contentType } });
    const MB = 1024 * 1024;
    // Act
    const pageImageFits = sender.prepare([part], OPEN, PAGE, stored(8 * MB));
    const pageImageTooLarge = sender.prepare([part], OPEN, PAGE, stored(8 * MB + 1));
    const pageFileFits = sender.prepare(
      [{ ...part, kind: 'file' }],
      OPEN,
      PAGE,
      stored(25 * MB, 'application/pdf'),
    );
    const instagramTooLarge = sender.prepare([part], OPEN, undefined, stored(8 * MB + 1));
    const videoOfImageType = sender.prepare([{ ...part, kind: 'video' }], OPEN, PAGE, stored(MB));
    // Assess: until 2026-12-06 a page's image went to 25 MB, and Meta refused it after the call
    expect(pageImageFits).toMatchObject({ ok: true });
    expect(refusalOf(pageImageTooLarge)).toMatchObject({ field: 'parts.0.source.s3Key' });
    expect(pageFileFits).toMatchObject({ ok: true });
    expect(refusalOf(instagramTooLarge)).toMatchObject({ field: 'parts.0.source.s3Key' });
    expect(refusalOf(instagramTooLarge)?.detail).toContain('Instagram image attachments take at most 8 MB');
    expect(refusalOf(videoOfImageType)).toMatchObject({ field: 'parts.0.source.s3Key' });
  });

  it("takes on Instagram only the types Meta lists for the kind (a page any of the kind's family)", () => {
    // Prepare
    const typed = (kind: 'image' | 'audio' | 'video' | 'file', mimeType: string) => image({ kind, mimeType });
    const stored = (contentType: string) => ({ '0': { bytes: 1024, contentType } });
    const storedImage = image({ source: { s3Key: 'media/outbound/k/a.webp' } });
    const listed = [
      typed('image', 'image/png'),
      typed('image', 'image/JPEG'),
      typed('image', 'image/gif'),
      typed('audio', 'audio/mp4'),
      typed('audio', 'audio/x-m4a'),
      typed('audio', 'audio/wav'),
      typed('audio', 'audio/aac'),
      typed('video', 'video/mp4'),
      typed('video', 'video/quicktime'),
      typed('video', 'video/webm'),
      typed('video', 'video/x-msvideo'),
      typed('video', 'video/ogg'),
      typed('file', 'application/pdf'),
    ];
    const unlisted = [
      typed('file', 'application/zip'),
      typed('file', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'),
      typed('image', 'image/webp'),
      typed('audio', 'audio/mpeg'),
      typed('video', 'video/3gpp'),
    ];
    // Act
    const instagramListed = listed.map((part) => prepare([part], OPEN, INSTAGRAM).ok);
    const instagramUnlisted = unlisted.map((part) => refusalOf(prepare([part], OPEN, INSTAGRAM)));
    const unknownUnlisted = unlisted.map((part) => refusalOf(prepare([part], OPEN, null)));
    const pageUnlisted = unlisted.map((part) => prepare([part], OPEN, PAGE).ok);
    const storedWebp = sender.prepare([storedImage], OPEN, INSTAGRAM, stored('image/webp'));
    const storedWebpOnPage = sender.prepare([storedImage], OPEN, PAGE, stored('image/webp'));
    // Assess
    expect(instagramListed).toEqual(listed.map(() => true));
    for (const refusal of [...instagramUnlisted, ...unknownUnlisted]) {
      expect(refusal).toMatchObject({ reason: 'content_invalid', field: 'parts.0.mimeType' });
    }
    expect(instagramUnlisted[0]?.detail).toBe('an Instagram file is PDF');
    expect(instagramUnlisted[2]?.detail).toBe('an Instagram image is PNG, JPEG or GIF');
    expect(pageUnlisted).toEqual(unlisted.map(() => true));
    expect(refusalOf(storedWebp)).toMatchObject({ field: 'parts.0.source.s3Key' });
    expect(storedWebpOnPage.ok).toBe(true);
  });

  it('refuses stickers and a MIME type of another kind', () => {
    // Act
    const sticker = prepare([image({ kind: 'sticker' })]);
    const mismatch = prepare([image({ kind: 'video', mimeType: 'image/png' })]);
    const file = prepare([image({ kind: 'file', mimeType: 'application/pdf' })]);
    // Assess
    expect(refusalOf(sticker)).toMatchObject({ field: 'parts.0.kind' });
    expect(refusalOf(mismatch)).toMatchObject({ field: 'parts.0.mimeType' });
    expect(file.ok).toBe(true);
  });

  it('puts quick replies on the last piece of a long body', () => {
    // Prepare
    const body = 'Choose one of the options below. '.repeat(100);
    // Act
    const prepared = prepare([{ type: 'interactive', body, buttons: [{ id: 'a', title: 'A' }] }]);
    // Assess
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    const last = prepared.messages.at(-1)?.part;
    expect(last?.type).toBe('interactive');
    const texts = prepared.messages.map((m) =>
      m.part.type === 'text' ? m.part.text : m.part.type === 'interactive' ? m.part.body : '',
    );
    expect(texts.join('')).toBe(body);
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(2000);
  });

  it('refuses a body of only whitespace, naming it (a command queued before the contract refused one)', () => {
    // Act
    const prepared = prepare([{ type: 'interactive', body: ' \n\t ', buttons: [{ id: 'a', title: 'A' }] }]);
    // Assess
    expect(refusalOf(prepared)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.body' });
  });

  it('takes one emoji as a reaction, or none to remove it', () => {
    // Act
    const heart = prepare([{ type: 'reaction', targetProviderMessageId: 'm_1', emoji: '❤️' }]);
    const removal = prepare([{ type: 'reaction', targetProviderMessageId: 'm_1', emoji: '' }]);
    const words = prepare([{ type: 'reaction', targetProviderMessageId: 'm_1', emoji: 'love it' }]);
    // Assess
    expect(heart.ok && removal.ok).toBe(true);
    expect(refusalOf(words)).toMatchObject({ field: 'parts.0.emoji' });
  });

  it('takes only ❤️ as an Instagram reaction (Meta documents `love` alone), any emoji on a page', () => {
    // Prepare
    const reaction = (emoji: string): OutboundPart => ({
      type: 'reaction',
      targetProviderMessageId: 'aWdfZAG1f',
      emoji,
    });
    // Act
    const heart = prepare([reaction('\u2764\uFE0F')], OPEN, INSTAGRAM);
    const bareHeart = prepare([reaction('\u2764')], OPEN, INSTAGRAM);
    const removal = prepare([reaction('')], OPEN, INSTAGRAM);
    const laugh = prepare([{ type: 'text', text: 'ok' }, reaction('😂')], OPEN, INSTAGRAM);
    const unknown = prepare([reaction('👍')], OPEN, null);
    const page = prepare([reaction('😂')], OPEN, PAGE);
    // Assess: the heart and the removal go; another emoji is refused before any call, naming it
    expect([heart.ok, bareHeart.ok, removal.ok, page.ok]).toEqual([true, true, true, true]);
    expect(refusalOf(laugh)).toEqual({
      ok: false,
      reason: 'content_invalid',
      field: 'parts.1.emoji',
      detail: 'an Instagram reaction is ❤️ only (Meta takes "love"), or empty to remove it',
    });
    // Without an endpoint, the strictest: Instagram's
    expect(refusalOf(unknown)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.emoji' });
  });
});

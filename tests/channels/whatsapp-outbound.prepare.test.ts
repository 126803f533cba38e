import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import type { OutboundMediaPart, OutboundPart } from '#shared/contract/commands.ts';
import type { Prepared, SendPolicy } from '#shared/outbound/channel-sender.ts';
import { longText } from '#tests/support/long-text.ts';
import { expectPiecesOf } from '#tests/support/pieces.ts';

const sender = createWhatsAppSender({
  graphBaseUrl: 'https://graph.example',
  apiVersion: 'v23.0',
  accessTokenFor: () => 'token',
});
const OPEN: SendPolicy = { withinWindow: true, humanAgentTag: false };
const CLOSED: SendPolicy = { withinWindow: false, humanAgentTag: false };

const prepare = (parts: OutboundPart[], policy = OPEN): Prepared => sender.prepare(parts, policy);
const refusalOf = (prepared: Prepared) => (prepared.ok ? undefined : prepared);

const template = (extra: Partial<Extract<OutboundPart, { type: 'template' }>> = {}): OutboundPart => ({
  type: 'template',
  name: 'order_update',
  language: 'en_US',
  category: 'utility',
  ...extra,
});
const image = (extra: Partial<OutboundMediaPart> = {}): OutboundMediaPart => ({
  type: 'media',
  kind: 'image',
  source: { url: 'https://cdn.example/a.jpg' },
  ...extra,
});
const buttons = (count: number, title = 'Yes') => ({
  type: 'interactive' as const,
  body: 'Pick one',
  buttons: Array.from({ length: count }, (_, i) => ({ id: `b${i}`, title: `${title}${i}` })),
});

describe('WhatsApp prepare: the window', () => {
  it('lets only templates out of the window, naming the first other part', () => {
    // Prepare
    const parts: OutboundPart[] = [template(), { type: 'text', text: 'hello' }];
    // Act
    const prepared = prepare(parts, CLOSED);
    // Assess
    expect(refusalOf(prepared)).toMatchObject({ reason: 'window_closed', field: 'parts.1' });
  });

  it('sends a template out of the window', () => {
    // Act
    const prepared = prepare([template({ parameters: ['Ada'] })], CLOSED);
    // Assess
    expect(prepared).toEqual({
      ok: true,
      messages: [{ partIndex: 0, part: template({ parameters: ['Ada'] }) }],
    });
  });
});

describe('WhatsApp prepare: text', () => {
  it('keeps a text of 4,096 characters whole and splits one of 4,097', () => {
    // Prepare
    const fits = 'a'.repeat(4096);
    const over = `${'word '.repeat(819)}ab`;
    // Act
    const one = prepare([{ type: 'text', text: fits }]);
    const two = prepare([{ type: 'text', text: over }]);
    // Assess
    expect(one.ok && one.messages.length).toBe(1);
    expect(over.length).toBe(4097);
    expect(two.ok && two.messages.map((m) => m.partIndex)).toEqual([0, 0]);
  });

  it('splits into pieces within 4,096 that give the text back in order (no blank piece), parts kept in order', () => {
    let pastTheLimit = 0;
    fc.assert(
      fc.property(longText(20_000), (text) => {
        if (text.length > 4096) pastTheLimit += 1;
        // Act
        const prepared = prepare([
          { type: 'text', text },
          { type: 'text', text: 'after' },
        ]);
        // Assess
        expect(prepared.ok).toBe(true);
        if (!prepared.ok) return;
        const first = prepared.messages.filter((m) => m.partIndex === 0);
        const pieces = first.map((m) => (m.part.type === 'text' ? m.part.text : ''));
        expectPiecesOf(text, pieces);
        for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(4096);
        expect(prepared.messages.at(-1)).toEqual({ partIndex: 1, part: { type: 'text', text: 'after' } });
      }),
      // Unshrunk: shrinking a text of thousands of characters would take minutes.
      { numRuns: 60, endOnFailure: true },
    );
    // Not vacuous: texts that had to be split were generated.
    expect(pastTheLimit).toBeGreaterThan(0);
  });

  it('refuses a command that would become more than 100 provider messages', () => {
    // Prepare: 10 parts of 65,536 characters, 16 messages each: the 7th part passes 100.
    const parts: OutboundPart[] = Array.from({ length: 10 }, () => ({
      type: 'text',
      text: 'x'.repeat(65_536),
    }));
    // Act
    const prepared = prepare(parts);
    // Assess
    expect(refusalOf(prepared)).toMatchObject({ reason: 'content_invalid', field: 'parts.6' });
  });
});

describe('WhatsApp prepare: interactive', () => {
  it('takes 3 reply buttons and refuses 4, pointing at a list', () => {
    // Act
    const three = prepare([buttons(3)]);
    const four = prepare([buttons(4)]);
    // Assess
    expect(three.ok).toBe(true);
    expect(refusalOf(four)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.buttons' });
    expect(refusalOf(four)?.detail).toMatch(/list/);
  });

  it('refuses a button title over 20 characters and repeated titles', () => {
    // Prepare
    const long = {
      ...buttons(2),
      buttons: [
        { id: 'a', title: 'x'.repeat(20) },
        { id: 'b', title: 'y'.repeat(21) },
      ],
    };
    const twice = {
      ...buttons(2),
      buttons: [
        { id: 'a', title: 'Same' },
        { id: 'b', title: 'Same' },
      ],
    };
    // Act
    const [tooLong, repeated] = [prepare([long]), prepare([twice])];
    // Assess
    expect(refusalOf(tooLong)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.buttons.1.title' });
    expect(refusalOf(repeated)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.buttons.1' });
  });

  it('holds a list to 10 rows, titles of 24, descriptions of 72, a button of 20 and titled sections', () => {
    // Prepare
    const row = (i: number, extra = {}) => ({ id: `r${i}`, title: `Row ${i}`, ...extra });
    const list = (sections: { title?: string; rows: ReturnType<typeof row>[] }[], button = 'Choose') =>
      prepare([{ type: 'interactive', body: 'Pick', list: { button, sections } }]);
    // Act
    const ok = list([{ title: 'A', rows: [row(1, { title: 'x'.repeat(24), description: 'd'.repeat(72) })] }]);
    const eleven = list([
      { title: 'A', rows: Array.from({ length: 6 }, (_, i) => row(i)) },
      { title: 'B', rows: Array.from({ length: 5 }, (_, i) => row(i + 6)) },
    ]);
    const title = list([{ rows: [row(1, { title: 'x'.repeat(25) })] }]);
    const description = list([{ rows: [row(1, { description: 'd'.repeat(73) })] }]);
    const button = list([{ rows: [row(1)] }], 'b'.repeat(21));
    const untitled = list([{ title: 'A', rows: [row(1)] }, { rows: [row(2)] }]);
    // Assess
    expect(ok.ok).toBe(true);
    expect(refusalOf(eleven)).toMatchObject({ field: 'parts.0.list.sections' });
    expect(refusalOf(title)).toMatchObject({ field: 'parts.0.list.sections.0.rows.0.title' });
    expect(refusalOf(description)).toMatchObject({ field: 'parts.0.list.sections.0.rows.0.description' });
    expect(refusalOf(button)).toMatchObject({ field: 'parts.0.list.button' });
    expect(refusalOf(untitled)).toMatchObject({ field: 'parts.0.list.sections.1.title' });
  });

  it('sends a body over 1,024 characters first as text, the buttons with its end', () => {
    // Prepare
    const body = 'Sentence number one. '.repeat(60);
    // Act
    const prepared = prepare([{ ...buttons(2), body }]);
    // Assess
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    const last = prepared.messages.at(-1)?.part;
    expect(prepared.messages.slice(0, -1).every((m) => m.part.type === 'text')).toBe(true);
    expect(last?.type === 'interactive' && last.body.length).toBeLessThanOrEqual(1024);
    const texts = prepared.messages.map((m) =>
      m.part.type === 'text' ? m.part.text : m.part.type === 'interactive' ? m.part.body : '',
    );
    expect(texts.join('')).toBe(body);
  });
  it('never carries the buttons on a blank body: a trailing line break after a full text piece is left out', () => {
    // Prepare: 4,095 characters of sentences and two line breaks, longer than 4,096 by one
    const body = `${'Hello there. '.repeat(315)}\n\n`;
    // Act
    const prepared = prepare([{ ...buttons(2), body }]);
    // Assess: the buttons go with the text's end, never with "\n"
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    const last = prepared.messages.at(-1)?.part;
    expect(last?.type === 'interactive' && /\S/u.test(last.body)).toBe(true);
    const texts = prepared.messages.map((m) =>
      m.part.type === 'text' ? m.part.text : m.part.type === 'interactive' ? m.part.body : '',
    );
    expect(texts.every((text) => /\S/u.test(text))).toBe(true);
    expectPiecesOf(body, texts);
  });

  it.each([
    ['1,023 characters and a blank line', `${'a'.repeat(1023)}\n\n`, `${'a'.repeat(1023)}\n`],
    [
      '200 words and 40 trailing spaces',
      `${'word '.repeat(200)}${' '.repeat(40)}`,
      `${'word '.repeat(200)}${' '.repeat(24)}`,
    ],
  ])(
    'sends a body over 1,024 characters only by its trailing whitespace as one interactive message: %s',
    (_name, body, sent) => {
      // Act
      const prepared = prepare([{ ...buttons(2), body }]);
      // Assess: before 2026-12-06 an empty text message (`text.body` "") went to Meta ahead of the buttons
      expect(prepared).toEqual({
        ok: true,
        messages: [{ partIndex: 0, part: { ...buttons(2), body: sent } }],
      });
    },
  );

  it('property: no text that leads a long body is blank, and with the body they give it back', () => {
    const bodies = fc
      .tuple(
        fc.array(fc.constantFrom('word ', 'Sentence. ', 'x'.repeat(300), '\n', '\n\n'), { maxLength: 400 }),
        fc.constantFrom('', ' ', '\n\n', ' '.repeat(40), '\n'.repeat(3000)),
      )
      .map(([chunks, tail]) => `end${chunks.join('')}end${tail}`);
    fc.assert(
      fc.property(bodies, (body) => {
        // Act
        const prepared = prepare([{ ...buttons(2), body }]);
        // Assess: slices of the body in order, none of them blank, the buttons on the last
        expect(prepared.ok).toBe(true);
        if (!prepared.ok) return;
        expect(prepared.messages.at(-1)?.part.type).toBe('interactive');
        const texts = prepared.messages.map((m) =>
          m.part.type === 'text' ? m.part.text : m.part.type === 'interactive' ? m.part.body : '',
        );
        expectPiecesOf(body, texts);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a body of only whitespace, naming it (a command queued before the contract refused one)', () => {
    // Act
    const prepared = prepare([{ ...buttons(2), body: ' \n\t ' }]);
    // Assess
    expect(refusalOf(prepared)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.body' });
  });
});

describe('WhatsApp prepare: media', () => {
  it('takes a stored file of an accepted type and size, and refuses others before any call', () => {
    // Prepare
    const stored = (bytes: number, contentType: string) => ({ '0': { bytes, contentType } });
    const part = image({ source: { s3Key: 'media/outbound/k/a.jpg' } });
    // Act
    const fits = sender.prepare([part], OPEN, undefined, stored(5 * 1024 * 1024, 'image/jpeg'));
    const tooLarge = sender.prepare([part], OPEN, undefined, stored(5 * 1024 * 1024 + 1, 'image/jpeg'));
    const wrongType = sender.prepare([part], OPEN, undefined, stored(1000, 'image/gif'));
    const notLookedUp = prepare([part]);
    // Assess
    expect(fits).toEqual({ ok: true, messages: [{ partIndex: 0, part }] });
    expect(refusalOf(tooLarge)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.source.s3Key' });
    expect(refusalOf(tooLarge)?.detail).toContain('at most 5 MB');
    expect(refusalOf(wrongType)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.mimeType' });
    expect(refusalOf(notLookedUp)).toMatchObject({ field: 'parts.0.source.s3Key' });
  });

  it('checks the MIME type against the kind', () => {
    // Act
    const gif = prepare([image({ mimeType: 'image/gif' })]);
    const png = prepare([image({ mimeType: 'image/PNG' })]);
    const opus = prepare([{ ...image(), kind: 'audio', mimeType: 'audio/ogg; codecs=opus' }]);
    const sticker = prepare([{ ...image(), kind: 'sticker', mimeType: 'image/png' }]);
    const pdf = prepare([{ ...image(), kind: 'file', mimeType: 'application/pdf', filename: 'a.pdf' }]);
    // Assess
    expect(refusalOf(gif)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.mimeType' });
    expect(png.ok && opus.ok && pdf.ok).toBe(true);
    expect(refusalOf(sticker)).toMatchObject({ field: 'parts.0.mimeType' });
  });

  it('sends audio or a sticker without its caption, the caption following as a text of the same part', () => {
    // Prepare
    const audio: OutboundMediaPart = {
      ...image(),
      kind: 'audio',
      source: { url: 'https://cdn.example/a.ogg' },
    };
    const sticker: OutboundMediaPart = {
      ...image(),
      kind: 'sticker',
      source: { url: 'https://cdn.example/a.webp' },
    };
    // Act
    const withAudio = prepare([{ ...audio, caption: 'listen' }]);
    const withSticker = prepare([{ ...sticker, caption: 'hi' }]);
    // Assess
    expect(withAudio).toEqual({
      ok: true,
      messages: [
        { partIndex: 0, part: audio },
        { partIndex: 0, part: { type: 'text', text: 'listen' } },
      ],
    });
    expect(withSticker).toEqual({
      ok: true,
      messages: [
        { partIndex: 0, part: sticker },
        { partIndex: 0, part: { type: 'text', text: 'hi' } },
      ],
    });
  });

  it('keeps a caption of up to 1,024 characters on an image, video or document; a longer one follows the file as text', () => {
    // Prepare
    const fits = 'c'.repeat(1024);
    const long = 'c'.repeat(1025);
    const video: OutboundMediaPart = {
      ...image(),
      kind: 'video',
      source: { url: 'https://cdn.example/a.mp4' },
    };
    const pdf: OutboundMediaPart = {
      ...image(),
      kind: 'file',
      source: { url: 'https://cdn.example/a.pdf' },
      filename: 'a.pdf',
    };
    // Act
    const kept = [image({ caption: fits }), { ...video, caption: fits }, { ...pdf, caption: fits }].map(
      (part) => ({ part, prepared: prepare([part]) }),
    );
    const longImage = prepare([image({ caption: long })]);
    // Assess
    for (const { part, prepared } of kept) {
      expect(prepared).toEqual({ ok: true, messages: [{ partIndex: 0, part }] });
    }
    expect(longImage).toEqual({
      ok: true,
      messages: [
        { partIndex: 0, part: image() },
        { partIndex: 0, part: { type: 'text', text: long } },
      ],
    });
  });

  it("keeps the command's order: a caption that cannot go on its audio comes after it and before the next part", () => {
    // Prepare
    const audio: OutboundMediaPart = {
      ...image(),
      kind: 'audio',
      source: { url: 'https://cdn.example/a.ogg' },
    };
    // Act
    const prepared = prepare([
      { ...audio, caption: 'Your voice message' },
      { type: 'text', text: 'Thanks!' },
    ]);
    // Assess
    expect(prepared).toEqual({
      ok: true,
      messages: [
        { partIndex: 0, part: audio },
        { partIndex: 0, part: { type: 'text', text: 'Your voice message' } },
        { partIndex: 1, part: { type: 'text', text: 'Thanks!' } },
      ],
    });
  });

  it("splits a caption that follows its file as text with WhatsApp's text splitter", () => {
    // Prepare: longer than one text message (the contract allows 4,096; prepare is not bound to it)
    const caption = `${'word '.repeat(819)}ab`;
    // Act
    const prepared = prepare([image({ caption })]);
    // Assess
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    expect(prepared.messages.map((m) => m.partIndex)).toEqual([0, 0, 0]);
    expect(prepared.messages[0]?.part).toEqual(image());
    const texts = prepared.messages.slice(1).map((m) => (m.part.type === 'text' ? m.part.text : ''));
    expect(texts.every((text) => text.length <= 4096)).toBe(true);
    expectPiecesOf(caption, texts);
  });
});

describe('WhatsApp prepare: templates', () => {
  it('refuses a parameter count different from the template', () => {
    // Act
    const positional = prepare([template({ parameters: ['a', 'b'], parameterCount: 3 })]);
    const named = prepare([template({ parameters: { name: 'a' }, parameterCount: 2 })]);
    const none = prepare([template({ parameterCount: 1 })]);
    const right = prepare([template({ parameters: { name: 'a', order: 'b' }, parameterCount: 2 })]);
    // Assess
    for (const wrong of [positional, named, none]) {
      expect(refusalOf(wrong)).toMatchObject({ reason: 'template_invalid', field: 'parts.0.parameters' });
    }
    expect(right.ok).toBe(true);
  });

  it('refuses empty parameters, new lines, tabs and five spaces, without quoting them', () => {
    // Act
    const empty = prepare([template({ parameters: ['ok', ' '] })]);
    const newline = prepare([template({ parameters: { note: 'secret\nline' } })]);
    const spaces = prepare([template({ parameters: ['secret     gap'] })]);
    // Assess
    expect(refusalOf(empty)).toMatchObject({ reason: 'template_invalid', field: 'parts.0.parameters.1' });
    expect(refusalOf(newline)).toMatchObject({ field: 'parts.0.parameters.note' });
    expect(refusalOf(spaces)).toMatchObject({ field: 'parts.0.parameters.0' });
    for (const refusal of [empty, newline, spaces]) expect(refusalOf(refusal)?.detail).not.toMatch(/secret/);
  });

  it('refuses names Meta does not allow', () => {
    // Act
    const name = prepare([template({ name: 'Order Update' })]);
    const parameter = prepare([template({ parameters: { 'First Name': 'Ada' } })]);
    // Assess
    expect(refusalOf(name)).toMatchObject({ reason: 'template_invalid', field: 'parts.0.name' });
    expect(refusalOf(parameter)).toMatchObject({ reason: 'template_invalid', field: 'parts.0.parameters' });
  });
});

describe('WhatsApp prepare: reactions and locations', () => {
  it('takes one emoji or none, not words', () => {
    // Act
    const family = prepare([{ type: 'reaction', targetProviderMessageId: 'wamid.1', emoji: '👨‍👩‍👧‍👦' }]);
    const removal = prepare([{ type: 'reaction', targetProviderMessageId: 'wamid.1', emoji: '' }]);
    const words = prepare([{ type: 'reaction', targetProviderMessageId: 'wamid.1', emoji: 'ok!' }]);
    // Assess
    expect(family.ok && removal.ok).toBe(true);
    expect(refusalOf(words)).toMatchObject({ reason: 'content_invalid', field: 'parts.0.emoji' });
  });

  it('passes a location through', () => {
    // Prepare
    const location: OutboundPart = { type: 'location', latitude: 37.97, longitude: 23.72, name: 'Office' };
    // Act
    const prepared = prepare([location]);
    // Assess
    expect(prepared).toEqual({ ok: true, messages: [{ partIndex: 0, part: location }] });
  });
});

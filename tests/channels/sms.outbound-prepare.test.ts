import { describe, expect, it } from 'vitest';
import { createTwilioSender } from '#shared/channels/sms/outbound/sender.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';

const OPEN = { withinWindow: true, humanAgentTag: false } as const;
const CLOSED = { withinWindow: false, humanAgentTag: false } as const;
const CONTENT_SID = 'HX0123456789abcdef0123456789abcdef';
const base = { apiBaseUrl: 'https://api.twilio.com', accountSid: 'AC00000000000000000000000000000000' };
const sms = createTwilioSender({ ...base, channel: 'sms', authToken: 'token' });
const whatsapp = createTwilioSender({ ...base, channel: 'whatsapp', authToken: 'token' });

const template = (overrides: Partial<Extract<OutboundPart, { type: 'template' }>> = {}): OutboundPart => ({
  type: 'template',
  name: CONTENT_SID,
  language: 'en',
  category: 'utility',
  parameters: ['Maria', '12:30'],
  ...overrides,
});

describe('Twilio prepare', () => {
  it('splits a long SMS text into messages of the same part, in order', () => {
    // Prepare
    const text = `${'word '.repeat(400)}end`;
    // Act
    const prepared = sms.prepare([{ type: 'text', text }], OPEN);
    // Assess
    if (!prepared.ok) throw new Error(prepared.detail);
    expect(prepared.messages.map((message) => message.partIndex)).toEqual([0, 0]);
    expect(
      prepared.messages.map((message) => (message.part.type === 'text' ? message.part.text : '')).join(''),
    ).toBe(text);
  });

  it('sends media by URL with its caption, and the rest of a long caption as text', () => {
    // Prepare
    const caption = `${'α'.repeat(500)} ${'β'.repeat(500)}`;
    const part: OutboundPart = {
      type: 'media',
      kind: 'image',
      source: { url: 'https://cdn.example.com/a.jpg' },
      caption,
    };
    // Act
    const prepared = sms.prepare([part], OPEN);
    // Assess
    if (!prepared.ok) throw new Error(prepared.detail);
    expect(prepared.messages.map((message) => message.part.type)).toEqual(['media', 'text']);
    expect(prepared.messages[0]?.part).toMatchObject({ caption: `${'α'.repeat(500)} ` });
    expect(prepared.messages[1]?.part).toEqual({ type: 'text', text: 'β'.repeat(500) });
  });

  it('takes a stored file up to the 5 MB an MMS holds, and refuses a larger one', () => {
    // Prepare
    const parts = [
      { type: 'text', text: 'hi' },
      { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/k/x.pdf' } },
    ] as const;
    const stored = (bytes: number) => ({ '1': { bytes, contentType: 'application/pdf' } });
    // Act
    const fits = sms.prepare([...parts], OPEN, undefined, stored(5 * 1024 * 1024));
    const tooLarge = sms.prepare([...parts], OPEN, undefined, stored(5 * 1024 * 1024 + 1));
    // Assess
    expect(fits).toMatchObject({ ok: true, messages: [{ partIndex: 0 }, { partIndex: 1, part: parts[1] }] });
    expect(tooLarge).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.1.source.s3Key' });
  });

  it('refuses a template on SMS', () => {
    // Act
    const prepared = sms.prepare([template()], OPEN);
    // Assess
    expect(prepared).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.0' });
  });

  it('takes a WhatsApp template by Content SID, outside the window too', () => {
    // Act
    const prepared = whatsapp.prepare([template()], CLOSED);
    // Assess
    expect(prepared).toEqual({ ok: true, messages: [{ partIndex: 0, part: template() }] });
  });

  it('refuses a template name that is no Content SID, and a parameter count that does not match', () => {
    // Act
    const byName = whatsapp.prepare([template({ name: 'order_update' })], OPEN);
    const byCount = whatsapp.prepare([template({ parameterCount: 3 })], OPEN);
    // Assess
    expect(byName).toMatchObject({ ok: false, reason: 'template_invalid', field: 'parts.0.name' });
    expect(byCount).toMatchObject({ ok: false, reason: 'template_invalid', field: 'parts.0.parameters' });
  });

  it('refuses an empty or blank variable before the call, naming it (Twilio answers 21656)', () => {
    // Act
    const positional = whatsapp.prepare([template({ parameters: ['Maria', ''] })], OPEN);
    const named = whatsapp.prepare([template({ parameters: { name: 'Maria', time: ' ' } })], OPEN);
    // Assess
    expect(positional).toMatchObject({
      ok: false,
      reason: 'template_invalid',
      field: 'parts.0.parameters.1',
    });
    expect(named).toMatchObject({ ok: false, reason: 'template_invalid', field: 'parts.0.parameters.time' });
  });

  it('refuses a variable holding a new line, a tab or more than 4 consecutive spaces before the call, as the Cloud API path does (Twilio answers 21656 or 92007)', () => {
    // Prepare: until 2026-12-06 these went to Twilio and failed there, while the Cloud API path refused them
    const values = ['Main St 1\nApt 4', 'Total:\t12.00', 'A     B'];
    // Act
    const positional = values.map((value) =>
      whatsapp.prepare([template({ parameters: ['Maria', value] })], CLOSED),
    );
    const named = whatsapp.prepare(
      [template({ parameters: { name: 'Maria', address: 'Main St 1\nApt 4' } })],
      OPEN,
    );
    const fourSpaces = whatsapp.prepare([template({ parameters: ['Maria', 'A    B'] })], OPEN);
    // Assess
    for (const prepared of positional) {
      expect(prepared).toEqual({
        ok: false,
        reason: 'template_invalid',
        field: 'parts.0.parameters.1',
        detail: 'a template parameter may not hold new lines, tabs or more than 4 consecutive spaces',
      });
    }
    expect(named).toMatchObject({
      ok: false,
      reason: 'template_invalid',
      field: 'parts.0.parameters.address',
    });
    expect(fourSpaces.ok).toBe(true);
  });

  it('refuses a named variable whose key is longer than the 16 characters Twilio takes', () => {
    // Act
    const sixteen = whatsapp.prepare([template({ parameters: { customer_first_n: 'Maria' } })], OPEN);
    const seventeen = whatsapp.prepare([template({ parameters: { customer_first_nm: 'Maria' } })], OPEN);
    // Assess
    expect(sixteen.ok).toBe(true);
    expect(seventeen).toMatchObject({
      ok: false,
      reason: 'template_invalid',
      field: 'parts.0.parameters.customer_first_nm',
      detail: expect.stringContaining('16'),
    });
  });

  it('refuses WhatsApp free-form outside the window, naming the first such part', () => {
    // Act
    const prepared = whatsapp.prepare([template(), { type: 'text', text: 'and more' }], CLOSED);
    // Assess
    expect(prepared).toMatchObject({ ok: false, reason: 'window_closed', field: 'parts.1' });
  });

  it('sends SMS whatever the window', () => {
    // Act
    const prepared = sms.prepare([{ type: 'text', text: 'Your table is ready.' }], CLOSED);
    // Assess
    expect(prepared.ok).toBe(true);
  });

  it.each([
    ['interactive', { type: 'interactive', body: 'Pick', buttons: [{ id: 'a', title: 'A' }] }],
    ['reaction', { type: 'reaction', targetProviderMessageId: 'SM1', emoji: '👍' }],
    ['location', { type: 'location', latitude: 1, longitude: 2 }],
  ] as Array<[string, OutboundPart]>)('refuses a %s part', (_type, part) => {
    // Act
    const prepared = whatsapp.prepare([part], OPEN);
    // Assess
    expect(prepared).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.0.type' });
  });

  it('refuses parts that would make more than 100 messages (the correlation sequence has two digits)', () => {
    // Prepare: UCS-2 text, 670 units a message
    const parts: OutboundPart[] = Array.from({ length: 10 }, () => ({
      type: 'text',
      text: 'α '.repeat(4000),
    }));
    // Act
    const prepared = sms.prepare(parts, OPEN);
    // Assess
    expect(prepared).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts' });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_TYPES,
  EXAMPLE_COMMANDS,
  HubCommandSchema,
  MAX_OUTBOUND_PARTS,
  SendMessageCommandSchema,
} from '#shared/contract/commands.ts';
import { correlationIdFor, parseCorrelationId } from '#shared/outbound/channel-sender.ts';

const command = (data: Record<string, unknown>) => ({
  specversion: '1.0',
  id: 'cmd-1',
  source: 'helpdesk:test',
  type: 'switchboard.command.send_message',
  data: {
    idempotencyKey: 'reply-1',
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
    sender: { kind: 'agent', id: 'agent-7' },
    parts: [{ type: 'text', text: 'Hello' }],
    ...data,
  },
});

describe('send commands', () => {
  it('accepts every kind of part', () => {
    // Act
    const parsed = SendMessageCommandSchema.safeParse(
      command({
        parts: [
          { type: 'text', text: 'Hi' },
          { type: 'media', kind: 'image', source: { url: 'https://cdn.example.com/a.jpg' }, caption: 'a' },
          { type: 'template', name: 'order_update', language: 'en_US', parameters: ['4711'] },
          { type: 'interactive', body: 'Pick one', buttons: [{ id: 'a', title: 'A' }] },
          { type: 'reaction', targetProviderMessageId: 'wamid.1', emoji: '👍' },
          { type: 'location', latitude: 37.97, longitude: 23.72, name: 'Athens' },
        ],
        replyTo: { providerMessageId: 'wamid.1' },
        deadline: '2026-11-23T10:00:00.000Z',
      }),
    );
    // Assess
    expect(parsed.success).toBe(true);
  });

  it.each([
    ['an empty idempotency key', { idempotencyKey: '' }, 'data.idempotencyKey'],
    ['no parts', { parts: [] }, 'data.parts'],
    [
      'too many parts',
      { parts: Array.from({ length: MAX_OUTBOUND_PARTS + 1 }, () => ({ type: 'text', text: 'x' })) },
      'data.parts',
    ],
    ['an unknown part type', { parts: [{ type: 'poll', question: '?' }] }, 'data.parts.0'],
    [
      'media over plain HTTP',
      { parts: [{ type: 'media', kind: 'image', source: { url: 'http://x.example/a.jpg' } }] },
      'data.parts.0.source.url',
    ],
    [
      'both buttons and a list',
      {
        parts: [
          {
            type: 'interactive',
            body: 'b',
            buttons: [{ id: 'a', title: 'A' }],
            list: { button: 'x', sections: [{ rows: [{ id: 'r', title: 'R' }] }] },
          },
        ],
      },
      'data.parts.0',
    ],
    ['an unknown sender kind', { sender: { kind: 'robot', id: 'r' } }, 'data.sender.kind'],
    [
      'a text of only whitespace',
      { parts: [{ type: 'text', text: ' \n\t\u00a0\u3000' }] },
      'data.parts.0.text',
    ],
  ])('refuses %s, naming the field', (_label, data, path) => {
    // Act
    const parsed = HubCommandSchema.safeParse(command(data));
    // Assess
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(parsed.error.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});

describe('correlation ids', () => {
  it('round-trip the hub message id and sequence (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.integer({ min: 0, max: 99 }), (hex, sequence) => {
        // Act
        const parsed = parseCorrelationId(correlationIdFor(`msg_${hex}`, sequence));
        // Assess
        expect(parsed).toEqual({ hubMessageId: `msg_${hex}`, sequence });
      }),
    );
    expect(parseCorrelationId('msg_nothex.1')).toBeUndefined();
    expect(parseCorrelationId(undefined)).toBeUndefined();
  });
});

describe('published command examples', () => {
  it('has one valid example per command type', () => {
    // Act
    const results = Object.values(COMMAND_TYPES).map((type) =>
      HubCommandSchema.safeParse(EXAMPLE_COMMANDS[type]),
    );
    // Assess
    expect(results.map((result) => result.success)).toEqual(Object.values(COMMAND_TYPES).map(() => true));
  });
});

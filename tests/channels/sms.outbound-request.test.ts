import { describe, expect, it } from 'vitest';
import { twilioMessageRequest } from '#shared/channels/sms/outbound/request.ts';
import { createTwilioSender, type TwilioSenderOptions } from '#shared/channels/sms/outbound/sender.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import type { ChannelIdentity } from '#shared/contract/types.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';

const ACCOUNT = 'AC0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SUBACCOUNT = 'AC99999999999999999999999999999999';
const CALLBACK = 'https://hub.example.com/webhooks/sms/twilio?sb=msg_0123456789abcdef0123456789abcdef.0';

interface Captured {
  url: string;
  method: string;
  headers: Record<string, string>;
  form: Array<[string, string]>;
}

/** A fetch that records the request and answers Twilio's 201. */
const capturingFetch = (captured: Captured[]): typeof fetch =>
  (async (input: string | URL | Request, init?: RequestInit) => {
    captured.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: init?.headers as Record<string, string>,
      form: [...new URLSearchParams(String(init?.body))],
    });
    return new Response(JSON.stringify({ sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' }), {
      status: 201,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;

const contextFor = (
  channel: 'sms' | 'whatsapp',
  recipient: ChannelIdentity,
  overrides: Partial<MessageContext> = {},
): MessageContext => ({
  target: {
    channel,
    provider: 'twilio',
    endpoint: {
      type: channel === 'sms' ? 'phone_number' : 'whatsapp_phone_number',
      id: '+14155550100',
      accountId: ACCOUNT,
    },
    recipient,
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  },
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  sequence: 0,
  correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
  policy: { withinWindow: true, humanAgentTag: false },
  statusCallbackUrl: CALLBACK,
  ...overrides,
});

const send = async (
  options: Partial<TwilioSenderOptions> & Pick<TwilioSenderOptions, 'channel'>,
  part: OutboundPart,
  context: MessageContext,
) => {
  const captured: Captured[] = [];
  const credentials = 'apiKeySid' in options ? {} : { authToken: 'secret-token' };
  const sender = createTwilioSender({
    apiBaseUrl: 'https://api.twilio.com/',
    accountSid: ACCOUNT,
    ...credentials,
    fetch: capturingFetch(captured),
    ...options,
  } as TwilioSenderOptions);
  const outcome = await sender.send({ partIndex: 0, part }, context);
  return { outcome, request: captured[0] };
};

describe('Twilio request shape', () => {
  it('posts an SMS text form-encoded to the account Messages resource with Basic auth', async () => {
    // Act
    const { outcome, request } = await send(
      { channel: 'sms' },
      { type: 'text', text: 'Your order ships today & arrives Friday.' },
      contextFor('sms', { type: 'phone', value: '+447700900123' }),
    );
    // Assess
    expect(outcome).toEqual({ kind: 'accepted', providerMessageId: 'SM0123456789abcdef0123456789abcdef' });
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ACCOUNT}:secret-token`).toString('base64')}`,
    );
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.form).toEqual([
      ['To', '+447700900123'],
      ['From', '+14155550100'],
      ['Body', 'Your order ships today & arrives Friday.'],
      ['StatusCallback', CALLBACK],
    ]);
  });

  it('prefixes WhatsApp addresses and sends media with its caption', async () => {
    // Act
    const { request } = await send(
      { channel: 'whatsapp' },
      {
        type: 'media',
        kind: 'image',
        source: { url: 'https://cdn.example.com/p.jpg' },
        caption: 'Your receipt',
      },
      contextFor('whatsapp', { type: 'wa_id', value: '447700900123' }, { statusCallbackUrl: undefined }),
    );
    // Assess
    expect(request?.form).toEqual([
      ['To', 'whatsapp:+447700900123'],
      ['From', 'whatsapp:+14155550100'],
      ['Body', 'Your receipt'],
      ['MediaUrl', 'https://cdn.example.com/p.jpg'],
      // Twilio fetches the file when the message leaves its queue: within the hour a link works
      ['ValidityPeriod', '3600'],
    ]);
  });

  it('sends a template as ContentSid with positional ContentVariables', async () => {
    // Act
    const { request } = await send(
      { channel: 'whatsapp' },
      {
        type: 'template',
        name: 'HX0123456789abcdef0123456789abcdef',
        language: 'en',
        category: 'utility',
        parameters: ['Maria', '12:30'],
      },
      contextFor('whatsapp', { type: 'wa_id', value: '447700900123' }),
    );
    // Assess
    expect(request?.form).toEqual([
      ['To', 'whatsapp:+447700900123'],
      ['From', 'whatsapp:+14155550100'],
      ['ContentSid', 'HX0123456789abcdef0123456789abcdef'],
      ['ContentVariables', '{"1":"Maria","2":"12:30"}'],
      ['StatusCallback', CALLBACK],
    ]);
  });

  it('passes named template parameters as they are', async () => {
    // Act
    const { request } = await send(
      { channel: 'whatsapp' },
      {
        type: 'template',
        name: 'HX0123456789abcdef0123456789abcdef',
        language: 'en',
        category: 'utility',
        parameters: { first_name: 'Maria' },
      },
      contextFor('whatsapp', { type: 'wa_id', value: '447700900123' }),
    );
    // Assess
    expect(request?.form).toContainEqual(['ContentVariables', '{"first_name":"Maria"}']);
  });

  it("tells Twilio to drop the message at the command's deadline (ValidityPeriod), within 1 to 36,000 s", () => {
    // Prepare: the request is built at NOW; Twilio counts the period from its receipt, in whole seconds
    const NOW = new Date('2026-11-22T12:00:00.000Z');
    const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
    const context = contextFor('sms', { type: 'phone', value: '+447700900123' });
    const validityFor = (deadline: string | undefined) => {
      const request = twilioMessageRequest({
        apiBaseUrl: 'https://api.twilio.com',
        accountSid: ACCOUNT,
        authorization: 'Basic unused',
        channel: 'sms',
        to: '+447700900123',
        part: { type: 'text', text: 'hi' },
        context: deadline === undefined ? context : { ...context, deadline },
        now: NOW,
      });
      return new URLSearchParams(String(request.body)).getAll('ValidityPeriod');
    };
    // Act
    const periods = {
      in300s: validityFor(at(300_000)),
      in299_4s: validityFor(at(299_400)),
      in20h: validityFor(at(20 * 3_600_000)),
      passedDuringTheCall: validityFor(at(-200)),
      noDeadline: validityFor(undefined),
    };
    // Assess: rounded up (the hub's own check already refused a passed deadline), never past Twilio's bounds
    expect(periods).toEqual({
      in300s: ['300'],
      in299_4s: ['300'],
      in20h: ['36000'],
      passedDuringTheCall: ['1'],
      noDeadline: [],
    });
  });

  it('holds a message with a file at most as long as its link works (an hour), or to an earlier deadline', () => {
    // Prepare: a file from the hub's bucket becomes a link Twilio fetches when the message leaves its queue
    const NOW = new Date('2026-11-22T12:00:00.000Z');
    const context = contextFor('sms', { type: 'phone', value: '+447700900123' });
    const validityFor = (deadline: string | undefined) =>
      new URLSearchParams(
        String(
          twilioMessageRequest({
            apiBaseUrl: 'https://api.twilio.com',
            accountSid: ACCOUNT,
            authorization: 'Basic unused',
            channel: 'sms',
            to: '+447700900123',
            part: {
              type: 'media',
              kind: 'image',
              source: { url: 'https://bucket.example/photo.jpg?X-Amz-Expires=3600' },
            },
            context: deadline === undefined ? context : { ...context, deadline },
            now: NOW,
          }).body,
        ),
      ).getAll('ValidityPeriod');
    // Act
    const periods = {
      noDeadline: validityFor(undefined),
      in20min: validityFor(new Date(NOW.getTime() + 20 * 60_000).toISOString()),
      in5h: validityFor(new Date(NOW.getTime() + 5 * 3_600_000).toISOString()),
    };
    // Assess
    expect(periods).toEqual({ noDeadline: ['3600'], in20min: ['1200'], in5h: ['3600'] });
  });

  it('authenticates with an API key, on the account the endpoint names', async () => {
    // Prepare
    const context = contextFor('sms', { type: 'phone', value: '+447700900123' });
    const subaccountContext = {
      ...context,
      target: { ...context.target, endpoint: { ...context.target.endpoint, accountId: SUBACCOUNT } },
    };
    // Act
    const { request } = await send(
      { channel: 'sms', apiKeySid: 'SK0001', apiKeySecret: 'key-secret' },
      { type: 'text', text: 'hi' },
      subaccountContext,
    );
    // Assess
    expect(request?.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${SUBACCOUNT}/Messages.json`);
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from('SK0001:key-secret').toString('base64')}`,
    );
  });

  it('refuses without a call a contact it cannot address, and a conversation of another channel', async () => {
    // Act
    const alphanumeric = await send(
      { channel: 'sms' },
      { type: 'text', text: 'hi' },
      contextFor('sms', { type: 'alphanumeric', value: 'ACME' }),
    );
    const wrongChannel = await send(
      { channel: 'sms' },
      { type: 'text', text: 'hi' },
      contextFor('whatsapp', { type: 'wa_id', value: '447700900123' }),
    );
    // Assess
    expect(alphanumeric.request).toBeUndefined();
    expect(alphanumeric.outcome).toMatchObject({
      kind: 'refused',
      reason: 'recipient_invalid',
      retryable: false,
    });
    expect(wrongChannel.request).toBeUndefined();
    expect(wrongChannel.outcome).toMatchObject({ kind: 'refused', reason: 'provider_error' });
  });
});

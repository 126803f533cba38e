import { describe, expect, it } from 'vitest';
import { type ChannelSecrets, mailgunApiKeyFor } from '#shared/config/secrets.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';
import { createSenderFor } from '#shared/outbound/senders.ts';
import { testSenderSettings } from '#tests/support/sender-settings.ts';

/*
 * Which login a send uses, from the deployment's secret: Twilio's account login reaches the messages
 * of its subaccounts (the account a number is in, as its webhooks name it), and Mailgun takes a
 * sending domain's own key before the private API key.
 */

const MAIN = `AC${'a'.repeat(32)}`;
const SUBACCOUNT = `AC${'b'.repeat(32)}`;

interface Captured {
  readonly url: string;
  readonly authorization: string;
}

/** A fetch that records each request and answers as Twilio's Messages resource does. */
const twilioAnswering = (captured: Captured[]): typeof fetch =>
  (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    captured.push({ url: String(input), authorization: headers.authorization ?? '' });
    return new Response(JSON.stringify({ sid: `SM${'c'.repeat(32)}`, status: 'queued' }), {
      status: 201,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;

const sendersWith = (twilio: ChannelSecrets['twilio'], captured: Captured[]) =>
  createSenderFor(testSenderSettings(async () => ({ twilio }), { fetch: twilioAnswering(captured) }));

const endpointIn = (accountId: string) => ({ type: 'phone_number', id: '+14155550100', accountId }) as const;

const contextFor = (accountId: string): MessageContext => ({
  target: {
    channel: 'sms',
    provider: 'twilio',
    endpoint: endpointIn(accountId),
    recipient: { type: 'phone', value: '+447700900123' },
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  },
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  sequence: 0,
  correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
  policy: { withinWindow: true, humanAgentTag: false },
});

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('provider logins', () => {
  it("sends a subaccount number's reply in the subaccount, logged in as the deployment's account", async () => {
    // Prepare
    const captured: Captured[] = [];
    const senderFor = sendersWith({ authToken: 'main-token', accountSid: MAIN }, captured);
    const sender = await senderFor({ provider: 'twilio', channel: 'sms', endpoint: endpointIn(SUBACCOUNT) });
    // Act
    const outcome = await sender?.send(
      { partIndex: 0, part: { type: 'text', text: 'hi' } },
      contextFor(SUBACCOUNT),
    );
    // Assess: the subaccount's own SID with the main token would be refused (Twilio 20003)
    expect(outcome).toMatchObject({ kind: 'accepted' });
    expect(captured).toEqual([
      {
        url: `https://api.twilio.com/2010-04-01/Accounts/${SUBACCOUNT}/Messages.json`,
        authorization: basic(MAIN, 'main-token'),
      },
    ]);
  });

  it('has no Twilio sender without an account SID (the command ends `credentials`)', async () => {
    // Prepare
    const senderFor = sendersWith({ authToken: 'webhook-only-token' }, []);
    // Act
    const sender = await senderFor({ provider: 'twilio', channel: 'sms', endpoint: endpointIn(SUBACCOUNT) });
    // Assess
    expect(sender).toBeUndefined();
  });

  it("sends an Instagram account's reply with its own token only: the system user's ends `credentials` before any call", async () => {
    // Prepare: the system user's token, and one page's own; no token of the Instagram account's
    const requests: string[] = [];
    const graph = (async (input: string | URL | Request) => {
      requests.push(String(input));
      return new Response(JSON.stringify({ recipient_id: '1', message_id: 'm_1' }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof fetch;
    const senderFor = createSenderFor(
      testSenderSettings(
        async () => ({
          meta: { appSecret: 's', verifyToken: 'v', hubAppIds: [], accessToken: 'system-user' },
        }),
        {
          fetch: graph,
        },
      ),
    );
    const instagram = { type: 'instagram_account', id: '17841400000000001' } as const;
    const sender = await senderFor({ provider: 'meta', channel: 'messenger', endpoint: instagram });
    const context: MessageContext = {
      ...contextFor(MAIN),
      target: {
        channel: 'messenger',
        provider: 'meta',
        endpoint: instagram,
        recipient: { type: 'igsid', value: '6600000000000001' },
        conversationId: 'conv_0123456789abcdef0123456789abcdef',
      },
    };
    // Act
    const outcome = await sender?.send({ partIndex: 0, part: { type: 'text', text: 'hello' } }, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'credentials', error: { code: 'no_token' } });
    expect(requests).toEqual([]);
  });

  it("takes a sending domain's own Mailgun key, whatever its case, before the private API key", () => {
    // Prepare
    const mailgun = {
      signingKey: 'signing',
      apiKey: 'key-private',
      apiKeys: { 'Shop.Example': 'key-shop-domain' },
    };
    // Act
    const keys = {
      shop: mailgunApiKeyFor(mailgun, 'shop.example'),
      other: mailgunApiKeyFor(mailgun, 'help.example'),
      domainKeysOnly: mailgunApiKeyFor({ signingKey: 's', apiKeys: { 'shop.example': 'k' } }, 'help.example'),
      inherited: mailgunApiKeyFor({ signingKey: 's', apiKeys: {} }, 'constructor'),
    };
    // Assess
    expect(keys).toEqual({
      shop: 'key-shop-domain',
      other: 'key-private',
      domainKeysOnly: undefined,
      inherited: undefined,
    });
  });
});

import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleTwilioWebhook, signTwilioRequest } from '#shared/channels/sms/inbound/webhook.ts';
import {
  type AllChannelSecrets,
  ChannelSecretsSchema,
  LOCAL_DEV_SECRETS,
  localSecretsFromEnv,
  requireSections,
} from '#shared/config/secrets.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, signedRequestFor } from '#shared/local/samples.ts';
import type { MediaJob } from '#shared/media/job.ts';
import { createMediaSources } from '#shared/media/sources.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';
import { createProviderErasure } from '#shared/outbound/provider-erasure.ts';
import { createSenderFor } from '#shared/outbound/senders.ts';
import { parseOrThrow } from '#shared/validation/schema.ts';
import { useEmulatedHub } from '#tests/support/emulated-hub.ts';
import { apiGatewayEvent, lambdaContext } from '#tests/support/factories.ts';
import { webhookRequest } from '#tests/support/requests.ts';
import { testSenderSettings } from '#tests/support/sender-settings.ts';

/*
 * Twilio credentials per account: the secret's `accounts` holds further accounts (subaccounts or
 * accounts of their own), each with its token and its numbers. Twilio signs a number's webhooks
 * with the token of the account the number is in and names that account in AccountSid, so a
 * request naming a further account is checked with that account's token and accepted only about
 * one of its numbers (the `To` of an incoming message, the `From` of a status callback); any other
 * is checked with the main account's token, as before, and refused about a further account's
 * number. A further account's messages are sent, downloaded and redacted with its own login.
 */

const PUBLIC_BASE_URL = 'https://hooks.switchboard.example';
const PATH = '/webhooks/sms/twilio';
const PUBLIC_URL = `${PUBLIC_BASE_URL}${PATH}`;

const MAIN = LOCAL_DEV_SECRETS.twilio.accountSid ?? '';
const MAIN_TOKEN = LOCAL_DEV_SECRETS.twilio.authToken;
const SHOP = `AC${'1'.repeat(32)}`;
const CLINIC = `AC${'2'.repeat(32)}`;
/** A subaccount the secret does not list: its number's messages are reached through the main login. */
const UNLISTED = `AC${'3'.repeat(32)}`;

const MAIN_NUMBER = '+14155550100';
const SHOP_NUMBER = '+14155550111';
const SHOP_WHATSAPP = '+14155550112';
const CLINIC_NUMBER = '+14155550122';
const CUSTOMER = '+447700900123';
const MESSAGE_SID = `SM${'a'.repeat(32)}`;

const ACCOUNTS = {
  [SHOP]: {
    authToken: 'shop-token',
    secondaryAuthToken: 'shop-token-rotating-in',
    numbers: [SHOP_NUMBER, `whatsapp:${SHOP_WHATSAPP}`],
  },
  [CLINIC]: { authToken: 'clinic-token', numbers: [CLINIC_NUMBER] },
};

const SECRETS: AllChannelSecrets = requireSections(
  parseOrThrow(ChannelSecretsSchema, {
    ...LOCAL_DEV_SECRETS,
    twilio: { ...LOCAL_DEV_SECRETS.twilio, accounts: ACCOUNTS },
  }),
  ['meta', 'twilio', 'mailgun', 'email'],
);

type Params = ReadonlyArray<readonly [string, string]>;

const inbound = (accountSid: string, to: string, from = CUSTOMER): Params => [
  ['MessageSid', MESSAGE_SID],
  ['SmsMessageSid', MESSAGE_SID],
  ['SmsSid', MESSAGE_SID],
  ['SmsStatus', 'received'],
  ['AccountSid', accountSid],
  ['To', to],
  ['From', from],
  ['Body', 'Is my order ready?'],
  ['NumMedia', '0'],
  ['ApiVersion', '2010-04-01'],
];

/** A status callback of a message the business sent: From is the business, To the customer. */
const status = (accountSid: string, from: string, to = CUSTOMER): Params => [
  ['MessageSid', MESSAGE_SID],
  ['SmsSid', MESSAGE_SID],
  ['MessageStatus', 'delivered'],
  ['SmsStatus', 'delivered'],
  ['AccountSid', accountSid],
  ['From', from],
  ['To', to],
  ['ApiVersion', '2010-04-01'],
];

const encode = (params: Params): string =>
  new URLSearchParams(params.map(([name, value]): [string, string] => [name, value])).toString();

const post = (params: Params, token: string, secrets: AllChannelSecrets = SECRETS): WebhookOutcome =>
  handleTwilioWebhook(
    webhookRequest({
      path: PATH,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(token, PUBLIC_URL, params),
      },
      body: Buffer.from(encode(params), 'utf8'),
    }),
    { secrets, publicUrl: PUBLIC_URL },
  );

const eventsOf = (outcome: WebhookOutcome): HubEvent[] => {
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${JSON.stringify(outcome)}`);
  return outcome.events.map((event) => HubEventSchema.parse(event));
};

const endpointsOf = (outcome: WebhookOutcome) =>
  eventsOf(outcome).map((event) => ('endpoint' in event.data ? event.data.endpoint : undefined));

describe('Twilio webhooks of further accounts', () => {
  it("accepts a further account's incoming message, signed with its token, to one of its numbers", () => {
    // Act
    const outcome = post(inbound(SHOP, SHOP_NUMBER), 'shop-token');
    // Assess
    expect(eventsOf(outcome).map((event) => event.type)).toEqual(['switchboard.message.received']);
    expect(endpointsOf(outcome)).toEqual([{ type: 'phone_number', id: SHOP_NUMBER, accountId: SHOP }]);
  });

  it("accepts one on the account's WhatsApp sender, and one signed with its token being rotated in", () => {
    // Act
    const whatsapp = post(inbound(SHOP, `whatsapp:${SHOP_WHATSAPP}`, `whatsapp:${CUSTOMER}`), 'shop-token');
    const rotating = post(inbound(SHOP, SHOP_NUMBER), 'shop-token-rotating-in');
    // Assess
    expect(endpointsOf(whatsapp)).toEqual([
      { type: 'whatsapp_phone_number', id: SHOP_WHATSAPP, accountId: SHOP },
    ]);
    expect(rotating.kind).toBe('accept');
  });

  it("refuses one signed with the account's token to a main-account number or another account's, 403", () => {
    // Act
    const outcomes = [
      post(inbound(SHOP, MAIN_NUMBER), 'shop-token'),
      post(inbound(SHOP, CLINIC_NUMBER), 'shop-token'),
      // The account's number on a channel it does not list (SMS is listed, WhatsApp on it is not).
      post(inbound(SHOP, `whatsapp:${SHOP_NUMBER}`, `whatsapp:${CUSTOMER}`), 'shop-token'),
      // No business number at all.
      post(
        inbound(SHOP, SHOP_NUMBER).filter(([name]) => name !== 'To'),
        'shop-token',
      ),
    ];
    // Assess
    expect(outcomes).toEqual(
      outcomes.map(() => ({
        kind: 'reject',
        status: 403,
        reason: 'the business number is not one of those configured for the account in AccountSid',
      })),
    );
  });

  it("refuses a further account's request signed with another token, even the main account's", () => {
    // Act
    const outcomes = [
      post(inbound(SHOP, SHOP_NUMBER), MAIN_TOKEN),
      post(inbound(SHOP, SHOP_NUMBER), 'clinic-token'),
      post(inbound(CLINIC, SHOP_NUMBER), 'shop-token'),
    ];
    // Assess
    expect(outcomes.map((outcome) => outcome.kind === 'reject' && outcome.status)).toEqual([403, 403, 403]);
    expect(new Set(outcomes.map((outcome) => outcome.kind === 'reject' && outcome.reason))).toEqual(
      new Set(['X-Twilio-Signature does not match the URL and parameters']),
    );
  });

  it("verifies the status callback of a message sent from a further account's number (From is the business)", () => {
    // Act
    const delivered = post(status(SHOP, SHOP_NUMBER), 'shop-token');
    // A callback whose From is the main account's number, To the account's own: not its message.
    const misfiled = post(status(SHOP, MAIN_NUMBER, SHOP_NUMBER), 'shop-token');
    // Assess
    expect(
      eventsOf(delivered).map((event) => [event.type, 'status' in event.data && event.data.status]),
    ).toEqual([['switchboard.message.status_updated', 'delivered']]);
    expect(endpointsOf(delivered)).toEqual([{ type: 'phone_number', id: SHOP_NUMBER, accountId: SHOP }]);
    expect(misfiled).toMatchObject({ kind: 'reject', status: 403 });
  });

  it("still accepts the main account's requests, and an unlisted subaccount's signed with the main token", () => {
    // Act
    const outcomes = [
      post(inbound(MAIN, MAIN_NUMBER), MAIN_TOKEN),
      post(status(MAIN, MAIN_NUMBER), MAIN_TOKEN),
      post(inbound(UNLISTED, '+14155550133'), MAIN_TOKEN),
    ];
    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['accept', 'accept', 'accept']);
  });

  it("refuses a request signed with the main token about a further account's number, 403", () => {
    // Act
    const outcomes = [
      post(inbound(MAIN, SHOP_NUMBER), MAIN_TOKEN),
      post(status(UNLISTED, CLINIC_NUMBER), MAIN_TOKEN),
      post(
        inbound(SHOP, SHOP_NUMBER).filter(([name]) => name !== 'AccountSid'),
        MAIN_TOKEN,
      ),
      // The listed number however it is spelled: separators, a no-break space (the comparison is
      // of the number the event would be filed under, not of the posted string).
      post(inbound(MAIN, SHOP_NUMBER.replace(/^(\+\d)(\d{3})(\d{3})(\d{4})$/, '$1 ($2) $3-$4')), MAIN_TOKEN),
      post(inbound(MAIN, SHOP_NUMBER.replace(/^(\+\d)(\d+)$/, '$1\u00a0$2')), MAIN_TOKEN),
    ];
    // Assess
    expect(outcomes).toEqual(
      outcomes.map(() => ({
        kind: 'reject',
        status: 403,
        reason: 'the business number is configured under another Twilio account than the one in AccountSid',
      })),
    );
  });

  it('refuses a request naming two accounts, whichever token signed it', () => {
    // Prepare
    const twice: Params = [...inbound(SHOP, SHOP_NUMBER), ['AccountSid', MAIN]];
    // Act
    const outcomes = [post(twice, 'shop-token'), post(twice, MAIN_TOKEN)];
    // Assess
    expect(outcomes.map((outcome) => outcome.kind === 'reject' && outcome.status)).toEqual([403, 403]);
  });

  it('checks a deployment without further accounts with the main token alone, as before', () => {
    // Act
    const outcomes = [
      post(inbound(SHOP, SHOP_NUMBER), MAIN_TOKEN, LOCAL_DEV_SECRETS),
      post(inbound(SHOP, SHOP_NUMBER), 'shop-token', LOCAL_DEV_SECRETS),
    ];
    // Assess
    expect(outcomes.map((outcome) => (outcome.kind === 'reject' ? outcome.status : outcome.kind))).toEqual([
      'accept',
      403,
    ]);
  });
});

describe("Twilio webhook Lambda with further accounts (the local secret's SWITCHBOARD_TWILIO_ACCOUNTS)", () => {
  const hub = useEmulatedHub({
    SWITCHBOARD_PUBLIC_BASE_URL: PUBLIC_BASE_URL,
    SWITCHBOARD_TWILIO_ACCOUNTS: JSON.stringify(ACCOUNTS),
  });

  const lambdaPost = (params: Params, token: string) =>
    apiGatewayEvent({
      path: PATH,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(token, PUBLIC_URL, params),
        host: 'api1234567.execute-api.eu-west-1.amazonaws.com',
      },
      body: encode(params),
      base64: true,
    });

  it("queues a further account's message to its number, and nothing of one to another account's number", async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-sms-twilio.ts');
    // Act
    const accepted = (await handler(
      lambdaPost(inbound(SHOP, SHOP_NUMBER), 'shop-token'),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    const queued = await hub.ingestQueueMessages();
    const refused = (await handler(
      lambdaPost(inbound(SHOP, CLINIC_NUMBER), 'shop-token'),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    const queuedAfterRefusal = await hub.ingestQueueMessages();
    // Assess
    expect(accepted.statusCode).toBe(200);
    const events = queued.map((message) => HubEventSchema.parse(JSON.parse(message.Body ?? '')));
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
    expect(refused.statusCode).toBe(403);
    expect(String(refused.body)).not.toContain(CLINIC_NUMBER);
    expect(queuedAfterRefusal).toEqual([]);
  });
});

interface Captured {
  readonly url: string;
  readonly authorization: string;
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A fetch that records each request and answers as Twilio's resources do, well enough for each caller. */
const twilioAnswering = (captured: Captured[]): typeof fetch =>
  (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const authorization = new Headers(init?.headers).get('authorization') ?? '';
    captured.push({ url, authorization });
    if (url.endsWith('/Messages.json'))
      return Response.json({ sid: `SM${'c'.repeat(32)}`, status: 'queued' }, { status: 201 });
    if (url.includes('/Media.json')) return Response.json({ media_list: [], next_page_uri: null });
    if (/\/Media\/ME[0-9a-f]+$/.test(url))
      return new Response('image bytes', { headers: { 'content-type': 'image/jpeg' } });
    return Response.json({ sid: MESSAGE_SID, body: '' });
  }) as typeof fetch;

const contextFor = (endpoint: MessageContext['target']['endpoint']): MessageContext => ({
  target: {
    channel: 'sms',
    provider: 'twilio',
    endpoint,
    recipient: { type: 'phone', value: CUSTOMER },
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  },
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  sequence: 0,
  correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
  policy: { withinWindow: true, humanAgentTag: false },
});

const sendFrom = async (endpoint: MessageContext['target']['endpoint']): Promise<Captured[]> => {
  const captured: Captured[] = [];
  const senderFor = createSenderFor(
    testSenderSettings(async () => SECRETS, { fetch: twilioAnswering(captured) }),
  );
  const sender = await senderFor({ provider: 'twilio', channel: 'sms', endpoint });
  const outcome = await sender?.send(
    { partIndex: 0, part: { type: 'text', text: 'ready' } },
    contextFor(endpoint),
  );
  expect(outcome).toMatchObject({ kind: 'accepted' });
  return captured;
};

const messagesUrl = (accountSid: string) =>
  `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages.json`;

describe("a further account's messages, sent, downloaded and redacted with its own login", () => {
  it("sends a further account's reply in that account, logged in as it", async () => {
    // Act
    const captured = await sendFrom({ type: 'phone_number', id: SHOP_NUMBER, accountId: SHOP });
    // Assess
    expect(captured).toEqual([{ url: messagesUrl(SHOP), authorization: basic(SHOP, 'shop-token') }]);
  });

  it('sends from a listed number whose conversation names no account in the account listing it', async () => {
    // Act
    const captured = await sendFrom({ type: 'phone_number', id: CLINIC_NUMBER });
    // Assess
    expect(captured).toEqual([{ url: messagesUrl(CLINIC), authorization: basic(CLINIC, 'clinic-token') }]);
  });

  it("sends an unlisted subaccount's and the main account's replies with the main login, as before", async () => {
    // Act
    const unlisted = await sendFrom({ type: 'phone_number', id: '+14155550133', accountId: UNLISTED });
    const main = await sendFrom({ type: 'phone_number', id: MAIN_NUMBER });
    // Assess
    expect([...unlisted, ...main]).toEqual([
      { url: messagesUrl(UNLISTED), authorization: basic(MAIN, MAIN_TOKEN) },
      { url: messagesUrl(MAIN), authorization: basic(MAIN, MAIN_TOKEN) },
    ]);
  });

  it("downloads a further account's MMS with its own login", async () => {
    // Prepare
    const captured: Captured[] = [];
    const open = createMediaSources({
      secrets: async () => SECRETS,
      graphApiUrl: 'https://graph.facebook.com',
      graphApiVersion: 'v23.0',
      twilioApiUrl: 'https://api.twilio.com',
      fetch: twilioAnswering(captured),
    });
    const url = `https://api.twilio.com/2010-04-01/Accounts/${SHOP}/Messages/MM${'d'.repeat(32)}/Media/ME${'e'.repeat(32)}`;
    const job: MediaJob = {
      hubMessageId: 'msg_accounts',
      conversationId: 'conv_accounts',
      partIndex: 0,
      channel: 'sms',
      provider: 'twilio',
      endpoint: { type: 'phone_number', id: SHOP_NUMBER, accountId: SHOP },
      part: { type: 'media', kind: 'image', ref: { store: 'provider_url', url, requiresAuth: true } },
    };
    // Act
    await open(job, new AbortController().signal);
    // Assess
    expect(captured).toEqual([{ url, authorization: basic(SHOP, 'shop-token') }]);
  });

  it("redacts a further account's message with its own login, an unlisted subaccount's with the main one", async () => {
    // Prepare
    const captured: Captured[] = [];
    const redact = createProviderErasure({
      secrets: async () => SECRETS,
      twilioApiUrl: 'https://api.twilio.com',
      graphApiUrl: 'https://graph.facebook.com',
      graphApiVersion: 'v23.0',
      fetch: twilioAnswering(captured),
      logger: createLogger({ write: () => {} }),
      settings: { concurrency: 1 },
    });
    const item = (accountId: string, sid: string) => ({
      pk: `MSG#msg_${sid}`,
      sk: 'MSG',
      data: JSON.stringify({
        message: {
          hubMessageId: `msg_${sid}`,
          channel: 'sms',
          provider: 'twilio',
          direction: 'inbound',
          providerMessageId: sid,
          endpoint: { type: 'phone_number', id: SHOP_NUMBER, accountId },
          contact: { identities: [{ type: 'phone', value: CUSTOMER }] },
          conversationId: 'conv_accounts',
          providerTimestamp: null,
          receivedAt: '2026-12-05T10:00:00.000Z',
          parts: [{ type: 'text', text: 'canary' }],
        },
      }),
    });
    // Act
    const report = await redact([item(SHOP, `SM${'4'.repeat(32)}`), item(UNLISTED, `SM${'5'.repeat(32)}`)]);
    // Assess
    expect(report.twilio).toEqual({ messages: 2, media: 0, failed: 0 });
    const logins = new Map(
      captured.map(({ url, authorization }) => [url.split('/Messages/')[0], authorization]),
    );
    expect(Object.fromEntries(logins)).toEqual({
      [`https://api.twilio.com/2010-04-01/Accounts/${SHOP}`]: basic(SHOP, 'shop-token'),
      [`https://api.twilio.com/2010-04-01/Accounts/${UNLISTED}`]: basic(MAIN, MAIN_TOKEN),
    });
  });
});

describe('the local hub with further Twilio accounts', () => {
  /** The samples' account (events/sms/*.json) and the number the inbound sample is sent to. */
  const SAMPLE_ACCOUNT = 'AC0a1b2c3d4e5f60718293a4b5c6d7e8f9';
  const SAMPLE_NUMBER = '+14155550100';

  it("takes SWITCHBOARD_TWILIO_ACCOUNTS as the secret's accounts, none by default, and refuses one that is not JSON unquoted", () => {
    // Act
    const configured = localSecretsFromEnv({ SWITCHBOARD_TWILIO_ACCOUNTS: JSON.stringify(ACCOUNTS) });
    const read = () => localSecretsFromEnv({ SWITCHBOARD_TWILIO_ACCOUNTS: 'AC1=secret-token' });
    // Assess
    expect(configured.twilio.accounts).toEqual(ACCOUNTS);
    expect(localSecretsFromEnv({}).twilio.accounts).toBeUndefined();
    expect(read).toThrow(/SWITCHBOARD_TWILIO_ACCOUNTS is not JSON/);
    expect(read).not.toThrow(/secret-token/);
  });

  it("signs a replayed sample naming a further account with that account's token, which the webhook accepts", () => {
    // Prepare
    const secrets = localSecretsFromEnv({
      SWITCHBOARD_TWILIO_ACCOUNTS: JSON.stringify({
        [SAMPLE_ACCOUNT]: { authToken: 'sample-account-token', numbers: [SAMPLE_NUMBER] },
      }),
    });
    const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, 'sms/sms-inbound.json')]).samples;
    if (!sample) throw new Error('the inbound SMS sample is missing');
    // Act
    const signed = signedRequestFor(sample, { targetBaseUrl: PUBLIC_BASE_URL, secrets });
    const outcome = handleTwilioWebhook(
      webhookRequest({
        path: PATH,
        headers: signed.headers,
        body: signed.body,
      }),
      { secrets, publicUrl: signed.url },
    );
    // Assess
    expect(signed.url).toBe(PUBLIC_URL);
    expect(eventsOf(outcome).map((event) => event.type)).toEqual(['switchboard.message.received']);
    expect(signed.headers['x-twilio-signature']).toBe(
      signTwilioRequest('sample-account-token', PUBLIC_URL, [
        ...new URLSearchParams(signed.body.toString('utf8')),
      ]),
    );
  });
});

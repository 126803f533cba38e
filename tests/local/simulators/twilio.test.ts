import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { twilioSignatureMatches } from '#shared/channels/sms/inbound/signature.ts';
import { handleTwilioWebhook, twilioPublicUrl } from '#shared/channels/sms/inbound/webhook.ts';
import { TWILIO_CONNECTION_OVERRIDES } from '#shared/channels/sms/status-callback.ts';
import {
  asWebhookRequest,
  basic,
  eventsOf,
  type HubReceived,
  listedRequests,
  type Rig,
  secrets,
  startRig,
  TWILIO_MAIN_LOGIN,
} from './support.ts';

const ACCOUNT_SID = `AC${'0a1b2c3d'.repeat(4)}`;
const FROM = '+14155550100';
const TO = '+14155550123';
const CALLBACK_PATH = '/webhooks/sms/twilio';

const MessageResourceSchema = z.strictObject({
  account_sid: z.literal(ACCOUNT_SID),
  api_version: z.literal('2010-04-01'),
  body: z.string(),
  date_created: z.string().regex(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/),
  date_sent: z.null(),
  date_updated: z.string(),
  direction: z.literal('outbound-api'),
  error_code: z.null(),
  error_message: z.null(),
  from: z.string().nullable(),
  messaging_service_sid: z.string().nullable(),
  num_media: z.string(),
  num_segments: z.string(),
  price: z.null(),
  price_unit: z.literal('USD'),
  sid: z.string().regex(/^SM[0-9a-f]{32}$/),
  status: z.enum(['queued', 'accepted']),
  subresource_uris: z.object({ media: z.string() }),
  to: z.string(),
  uri: z.string(),
});
const TwilioErrorSchema = z.strictObject({
  code: z.number(),
  message: z.string(),
  more_info: z.url(),
  status: z.number(),
});

const paramsOf = (received: HubReceived) => [...new URLSearchParams(received.body.toString('utf8'))];

describe('Twilio Messages API simulator', () => {
  let rig: Rig;
  const callbackUrl = () => `${rig.hub.baseUrl}${CALLBACK_PATH}?hubMessageId=msg_1`;
  const create = (fields: Record<string, string | string[]>, authorization = TWILIO_MAIN_LOGIN) => {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      for (const one of Array.isArray(value) ? value : [value]) form.append(name, one);
    }
    return fetch(`${rig.simulators.urls.twilio}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
  };

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('creates an SMS (201, the Message resource) and posts signed sent and delivered callbacks', async () => {
    // Act
    const response = await create({
      To: TO,
      From: FROM,
      Body: 'Your order shipped',
      StatusCallback: callbackUrl(),
    });
    const message = MessageResourceSchema.parse(await response.json());
    const posts = await rig.hub.waitFor(CALLBACK_PATH, 2);
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Assess: the resource
    expect(response.status).toBe(201);
    expect(message).toMatchObject({
      status: 'queued',
      to: TO,
      from: FROM,
      num_segments: '1',
      num_media: '0',
    });
    expect((await listedRequests(rig))[0]).toMatchObject({
      provider: 'twilio',
      path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`,
      body: { To: TO, From: FROM, Body: 'Your order shipped' },
      response: { status: 201, body: message },
    });
    // Assess: exactly sent then delivered (no read for SMS), signed over the URL called and every param
    expect(rig.hub.on(CALLBACK_PATH)).toHaveLength(2);
    for (const post of posts) {
      expect(post.rawQueryString).toBe('hubMessageId=msg_1');
      const signature = post.headers['x-twilio-signature'] ?? '';
      expect(
        twilioSignatureMatches([secrets.twilio.authToken], callbackUrl(), paramsOf(post), signature),
      ).toBe(true);
    }
    expect(posts.map((post) => new URLSearchParams(post.body.toString('utf8')).get('MessageStatus'))).toEqual(
      ['sent', 'delivered'],
    );
    // Assess: the hub's adapter reads them as status updates of this sid
    const events = posts.flatMap((post) =>
      eventsOf(handleTwilioWebhook(asWebhookRequest(post), { secrets, publicUrl: callbackUrl() })),
    );
    expect(events.map((event) => [event.type, event.data])).toEqual([
      [
        'switchboard.message.status_updated',
        expect.objectContaining({ status: 'sent', providerMessageIds: [message.sid] }),
      ],
      [
        'switchboard.message.status_updated',
        expect.objectContaining({ status: 'delivered', providerMessageIds: [message.sid] }),
      ],
    ]);
  });

  it('adds read for WhatsApp, and picks a sender from the Messaging Service (accepted, from null)', async () => {
    // Act
    const response = await create({
      To: `whatsapp:${TO}`,
      MessagingServiceSid: `MG${'9f8e7d6c'.repeat(4)}`,
      ContentSid: `HX${'1234abcd'.repeat(4)}`,
      ContentVariables: JSON.stringify({ 1: 'Anahit' }),
      StatusCallback: callbackUrl(),
    });
    const message = MessageResourceSchema.parse(await response.json());
    const posts = await rig.hub.waitFor(CALLBACK_PATH, 3);

    // Assess
    expect(message).toMatchObject({ status: 'accepted', from: null, to: `whatsapp:${TO}` });
    const statuses = posts.map((post) => Object.fromEntries(paramsOf(post)));
    expect(statuses.map((params) => params.MessageStatus)).toEqual(['sent', 'delivered', 'read']);
    expect(statuses[0]?.From).toMatch(/^whatsapp:\+1\d{10}$/);
    const events = posts.flatMap((post) =>
      eventsOf(handleTwilioWebhook(asWebhookRequest(post), { secrets, publicUrl: callbackUrl() })),
    );
    expect(events.map((event) => (event.data as { channel: string; status: string }).status)).toEqual([
      'sent',
      'delivered',
      'read',
    ]);
    expect(events.every((event) => (event.data as { channel: string }).channel === 'whatsapp')).toBe(true);
  });

  it('posts no callback without a StatusCallback, and counts GSM-7 and UCS-2 segments', async () => {
    // Act
    const ucs2 = MessageResourceSchema.parse(
      await (await create({ To: TO, From: FROM, Body: 'ж'.repeat(71) })).json(),
    );
    // Ω is in the GSM-7 alphabet: 160 of them still fit one segment.
    const gsm = MessageResourceSchema.parse(
      await (await create({ To: TO, From: FROM, Body: 'Ω'.repeat(160) })).json(),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    expect(ucs2.num_segments).toBe('2');
    expect(gsm.num_segments).toBe('1');
    expect(rig.hub.received).toHaveLength(0);
  });

  it.each([
    ['no To', { From: FROM, Body: 'x' }, 21604],
    ['no From nor service', { To: TO, Body: 'x' }, 21603],
    ['no Body, media or content', { To: TO, From: FROM }, 21602],
    ['a Body over 1600 characters', { To: TO, From: FROM, Body: 'x'.repeat(1601) }, 21617],
    ['an invalid To', { To: '555-0123', From: FROM, Body: 'x' }, 21211],
  ])('refuses %s with Twilio error %i (HTTP 400)', async (_name, fields, code) => {
    // Act
    const response = await create(fields);
    const error = TwilioErrorSchema.parse(await response.json());

    // Assess
    expect(response.status).toBe(400);
    expect(error).toMatchObject({
      code,
      status: 400,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
    });
  });

  it.each([
    ['that are no JSON object', '["Anahit"]'],
    ['with an empty value', JSON.stringify({ 1: 'Anahit', 2: '' })],
    ['with a null value', JSON.stringify({ 1: null })],
    ['with a key over 16 characters', JSON.stringify({ customer_first_nm: 'Anahit' })],
  ])('refuses ContentVariables %s with Twilio error 21656 (HTTP 400)', async (_name, variables) => {
    // Act
    const response = await create({
      To: `whatsapp:${TO}`,
      From: `whatsapp:${FROM}`,
      ContentSid: `HX${'1234abcd'.repeat(4)}`,
      ContentVariables: variables,
    });
    const error = TwilioErrorSchema.parse(await response.json());

    // Assess
    expect(response.status).toBe(400);
    expect(error).toMatchObject({
      code: 21656,
      status: 400,
      message: 'The ContentVariables Parameter is invalid.',
      more_info: 'https://www.twilio.com/docs/errors/21656',
    });
  });

  it('answers 401 with 20003 for missing or foreign credentials, and accepts the main account (on a subaccount) and an API key', async () => {
    // Act
    const missing = await create({ To: TO, From: FROM, Body: 'x' }, '');
    const foreign = await create({ To: TO, From: FROM, Body: 'x' }, basic(`AC${'f'.repeat(32)}`, 'token'));
    const apiKey = await create({ To: TO, From: FROM, Body: 'x' }, basic(`SK${'1'.repeat(32)}`, 'secret'));
    // The subaccount's own SID with the main account's token: Twilio refuses it.
    const ownSidMainToken = await create(
      { To: TO, From: FROM, Body: 'x' },
      basic(ACCOUNT_SID, secrets.twilio.authToken),
    );

    // Assess
    expect(ownSidMainToken.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(TwilioErrorSchema.parse(await foreign.json())).toMatchObject({ code: 20003, status: 401 });
    expect(apiKey.status).toBe(201);
  });

  it("takes a further account's own login for its messages and signs their callbacks with its token", async () => {
    // Prepare: the same simulator, with the account as one of the secret's further accounts
    await rig.stop();
    const withAccount = {
      ...secrets,
      twilio: {
        ...secrets.twilio,
        accounts: { [ACCOUNT_SID]: { authToken: 'further-token', numbers: [FROM] } },
      },
    };
    rig = await startRig({ secrets: withAccount });
    // Act
    const response = await create(
      { To: TO, From: FROM, Body: 'Your order shipped', StatusCallback: callbackUrl() },
      basic(ACCOUNT_SID, 'further-token'),
    );
    const otherAccountsToken = await create(
      { To: TO, From: FROM, Body: 'x' },
      basic(ACCOUNT_SID, 'wrong-token'),
    );
    const posts = await rig.hub.waitFor(CALLBACK_PATH, 2);
    // Assess
    expect(response.status).toBe(201);
    expect(otherAccountsToken.status).toBe(401);
    for (const post of posts) {
      const signature = post.headers['x-twilio-signature'] ?? '';
      expect(twilioSignatureMatches(['further-token'], callbackUrl(), paramsOf(post), signature)).toBe(true);
    }
    const outcomes = posts.map((post) =>
      handleTwilioWebhook(asWebhookRequest(post), { secrets: withAccount, publicUrl: callbackUrl() }),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['accept', 'accept']);
  });

  it.each([
    { overrides: `#${TWILIO_CONNECTION_OVERRIDES}`, statuses: ['sent', 'sent', 'delivered'] },
    { overrides: '', statuses: ['sent', 'delivered'] },
  ])(
    'posts a callback the hub answered 503 again only as the URL’s connection overrides ask ($statuses)',
    async ({ overrides, statuses }) => {
      // Prepare: a hub that answers the first callback 503 (throttled), as Twilio meets it
      await rig.stop();
      rig = await startRig({}, [], [CALLBACK_PATH]);
      // Act
      await create({
        To: TO,
        From: FROM,
        Body: 'Your order shipped',
        StatusCallback: `${callbackUrl()}${overrides}`,
      });
      const posts = await rig.hub.waitFor(CALLBACK_PATH, statuses.length);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      // Assess: the same signed request again, the fragment neither sent nor signed
      const all = rig.hub.on(CALLBACK_PATH);
      expect(all.map((post) => new URLSearchParams(post.body.toString('utf8')).get('MessageStatus'))).toEqual(
        statuses,
      );
      for (const post of posts) {
        expect(post.rawQueryString).toBe('hubMessageId=msg_1');
        const signature = post.headers['x-twilio-signature'] ?? '';
        expect(
          twilioSignatureMatches([secrets.twilio.authToken], callbackUrl(), paramsOf(post), signature),
        ).toBe(true);
      }
    },
  );

  it('behind a tunnel, signs callbacks to the hub over its public URL and still posts them to the hub', async () => {
    // Prepare: a hub that a tunnel exposes checks Twilio signatures over the tunnel's URL
    await rig.stop();
    const tunnel = 'https://Hooks.Tunnel.example/';
    rig = await startRig({ hubPublicBaseUrl: tunnel });
    // Act
    await create({ To: TO, From: FROM, Body: 'Your order shipped', StatusCallback: callbackUrl() });
    const posts = await rig.hub.waitFor(CALLBACK_PATH, 2);
    // Assess: signed over the tunnel's base as written, path and query kept, as the webhook rebuilds it
    for (const post of posts) {
      const signature = post.headers['x-twilio-signature'] ?? '';
      const publicUrl = `https://Hooks.Tunnel.example${CALLBACK_PATH}?hubMessageId=msg_1`;
      expect(twilioSignatureMatches([secrets.twilio.authToken], publicUrl, paramsOf(post), signature)).toBe(
        true,
      );
    }
    const outcomes = posts.map((post) =>
      handleTwilioWebhook(asWebhookRequest(post), {
        secrets,
        publicUrl: twilioPublicUrl(asWebhookRequest(post), tunnel),
      }),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['accept', 'accept']);
  });
});

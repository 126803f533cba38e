import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { createMessengerSender } from '#shared/channels/messenger/outbound/sender.ts';
import { verifyMetaSignature } from '#shared/channels/meta/signature.ts';
import { correlationIdFor, type SendTarget } from '#shared/outbound/channel-sender.ts';
import {
  asWebhookRequest,
  eventsOf,
  graphErrorOf,
  listedRequests,
  postJson,
  type Rig,
  secrets,
  startRig,
} from './support.ts';

const PAGE_ID = '104728593216847';
const INSTAGRAM_ID = '17841400000000001';
const PSID = '8102736459921034';
const AUTH = { authorization: 'Bearer local-page-token' };

const SendResponseSchema = z.strictObject({
  recipient_id: z.string(),
  message_id: z.string().regex(/^m_[A-Za-z0-9_-]+$/),
});
const NotificationSchema = z.object({
  object: z.enum(['page', 'instagram']),
  entry: z.tuple([
    z.object({
      id: z.string(),
      time: z.number(),
      messaging: z.tuple([
        z.looseObject({ sender: z.object({ id: z.string() }), recipient: z.object({ id: z.string() }) }),
      ]),
    }),
  ]),
});

describe('Messenger Send API simulator', () => {
  let rig: Rig;
  const send = (body: Record<string, unknown>, node = PAGE_ID) =>
    postJson(`${rig.simulators.urls.graph}/v21.0/${node}/messages`, body, AUTH);

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('accepts a message, then posts the echo (with metadata and the hub app id), delivery and read', async () => {
    // Prepare
    const body = {
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: { text: 'Բարև Անահիտ 🚚', metadata: 'switchboard:out_7f3c2a91' },
    };

    // Act
    const response = await send(body);
    const answer = SendResponseSchema.parse(await response.json());
    const posts = await rig.hub.waitFor('/webhooks/messenger', 3);

    // Assess: response and request log
    expect(response.status).toBe(200);
    expect(answer.recipient_id).toBe(PSID);
    expect((await listedRequests(rig))[0]).toMatchObject({
      provider: 'messenger',
      path: `/v21.0/${PAGE_ID}/messages`,
      body,
      response: { status: 200, body: answer },
    });
    // Assess: signed, in order, the right sides
    const items = posts.map((post) => {
      expect(
        verifyMetaSignature(secrets.meta.appSecret, post.body, post.headers['x-hub-signature-256']),
      ).toEqual({
        ok: true,
      });
      const notification = NotificationSchema.parse(JSON.parse(post.body.toString('utf8')));
      expect(notification.object).toBe('page');
      return notification.entry[0].messaging[0];
    });
    expect(
      items.map((item) => Object.keys(item).find((key) => ['message', 'delivery', 'read'].includes(key))),
    ).toEqual(['message', 'delivery', 'read']);
    expect(items[0]).toMatchObject({
      sender: { id: PAGE_ID },
      recipient: { id: PSID },
      message: {
        mid: answer.message_id,
        is_echo: true,
        app_id: 100000000000001,
        metadata: body.message.metadata,
      },
    });
    expect(items[1]).toMatchObject({ sender: { id: PSID }, delivery: { mids: [answer.message_id] } });
    // Assess: the adapter sees the hub's own send, then its delivery and read
    const events = posts.flatMap((post) =>
      eventsOf(handleMessengerWebhook(asWebhookRequest(post), { secrets })),
    );
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.sent',
      'switchboard.message.status_updated',
      'switchboard.message.status_updated',
    ]);
    expect(events[0]?.data).toMatchObject({ providerMessageId: answer.message_id, sentBy: 'hub' });
    expect(events[1]?.data).toMatchObject({ status: 'delivered', providerMessageIds: [answer.message_id] });
    expect(events[2]?.data).toMatchObject({ status: 'read' });
  });

  it('uses object instagram for Instagram account ids and accepts /me/messages', async () => {
    // Act
    await send(
      { recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'ig' } },
      INSTAGRAM_ID,
    );
    const viaMe = await send(
      { recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'me' } },
      'me',
    );
    const posts = await rig.hub.waitFor('/webhooks/messenger', 5);

    // Assess: the account's echo and read (Instagram has no delivery webhook), the page's three
    expect(viaMe.status).toBe(200);
    const objects = posts.map(
      (post) => NotificationSchema.parse(JSON.parse(post.body.toString('utf8'))).object,
    );
    expect(objects.filter((object) => object === 'instagram')).toHaveLength(2);
    expect(objects.filter((object) => object === 'page')).toHaveLength(3);
  });

  it('answers sender actions with the recipient only and posts nothing', async () => {
    // Act
    const typing = await send({ recipient: { id: PSID }, sender_action: 'typing_on' });
    const react = await send({
      recipient: { id: PSID },
      sender_action: 'react',
      payload: { message_id: 'm_abc', reaction: '😊' },
    });
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Assess
    expect(await typing.json()).toEqual({ recipient_id: PSID });
    expect(await react.json()).toEqual({ recipient_id: PSID });
    expect(rig.hub.received).toHaveLength(0);
  });

  it('takes an Instagram reaction of "love" only, as Meta documents it; a page any emoji', async () => {
    // Prepare
    const react = (reaction: string) => ({
      recipient: { id: PSID },
      sender_action: 'react',
      payload: { message_id: 'aWdfZAG1f', reaction },
    });
    // Act
    const love = await send(react('love'), INSTAGRAM_ID);
    const emoji = await send(react('😂'), INSTAGRAM_ID);
    const heart = await send(react('❤️'), INSTAGRAM_ID);
    const page = await send(react('😂'));
    const emojiError = await graphErrorOf(emoji);
    const heartError = await graphErrorOf(heart);
    // Assess
    expect([love.status, emoji.status, heart.status, page.status]).toEqual([200, 400, 400, 200]);
    expect(emojiError.code).toBe(100);
    expect(emojiError.message).toMatch(/payload\[reaction\]/);
    expect(heartError.code).toBe(100);
  });

  it.each([
    ['no recipient', { messaging_type: 'RESPONSE', message: { text: 'x' } }, /recipient/],
    ['no messaging_type', { recipient: { id: PSID }, message: { text: 'x' } }, /messaging_type/],
    [
      'a retired tag',
      {
        recipient: { id: PSID },
        messaging_type: 'MESSAGE_TAG',
        tag: 'ACCOUNT_UPDATE',
        message: { text: 'x' },
      },
      /tag/,
    ],
    [
      'text over 2000 characters',
      { recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'x'.repeat(2001) } },
      /2000/,
    ],
    [
      'react without a reaction',
      { recipient: { id: PSID }, sender_action: 'react', payload: { message_id: 'm_a' } },
      /reaction/,
    ],
  ])('refuses %s with Graph error 100', async (_name, body, message) => {
    // Act
    const response = await send(body);
    const error = await graphErrorOf(response);

    // Assess
    expect(response.status).toBe(400);
    expect(error.code).toBe(100);
    expect(error.message).toMatch(message);
  });
});

describe('Messenger Send API simulator: who `me` is', () => {
  const INSTAGRAM_TOKEN = 'linked-page-token-of-the-instagram-account';
  const PAGE_TOKEN = 'own-page-token';
  const IGSID = '1092837465019283';
  let rig: Rig;
  const sendAs = (token: string, body: Record<string, unknown>, node = 'me') =>
    postJson(`${rig.simulators.urls.graph}/v23.0/${node}/messages`, body, {
      authorization: `Bearer ${token}`,
    });
  const notificationsOf = (posts: readonly { body: Buffer }[]) =>
    posts.map((post) => NotificationSchema.parse(JSON.parse(post.body.toString('utf8'))));

  beforeEach(async () => {
    rig = await startRig({
      secrets: {
        ...secrets,
        meta: { ...secrets.meta, accessTokens: { [INSTAGRAM_ID]: INSTAGRAM_TOKEN, [PAGE_ID]: PAGE_TOKEN } },
      },
    });
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('posts the echo and the read (messaging_seen, naming the message) of a send to me for the Instagram account the token is held for', async () => {
    // Prepare
    const body = {
      recipient: { id: IGSID },
      messaging_type: 'RESPONSE',
      message: { text: 'Oui, nous livrons à Besançon', metadata: 'switchboard:out_ig' },
    };

    // Act
    const response = await sendAs(INSTAGRAM_TOKEN, body);
    const answer = SendResponseSchema.parse(await response.json());
    const posts = await rig.hub.waitFor('/webhooks/messenger', 2);
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Assess: every webhook is the Instagram account's, and no delivery (Instagram has none)
    expect(response.status).toBe(200);
    expect(rig.hub.received).toHaveLength(2);
    const notifications = notificationsOf(posts);
    expect(notifications.map((n) => [n.object, n.entry[0].id])).toEqual(
      Array(2).fill(['instagram', INSTAGRAM_ID]),
    );
    expect(notifications[0]?.entry[0].messaging[0]).toMatchObject({
      sender: { id: INSTAGRAM_ID },
      recipient: { id: IGSID },
      message: { mid: answer.message_id, is_echo: true, metadata: 'switchboard:out_ig' },
    });
    const seen = notifications[1]?.entry[0].messaging[0];
    expect(seen).toMatchObject({ sender: { id: IGSID }, recipient: { id: INSTAGRAM_ID } });
    expect(seen?.read).toEqual({ mid: answer.message_id });
    // Assess: the hub files the send and its statuses under the account's conversation with the IGSID
    const events = posts.flatMap((post) =>
      eventsOf(handleMessengerWebhook(asWebhookRequest(post), { secrets })),
    );
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.sent',
      'switchboard.message.status_updated',
    ]);
    expect(events[1]?.data).toMatchObject({ status: 'read', providerMessageIds: [answer.message_id] });
    for (const event of events) {
      expect(event.data).toMatchObject({
        endpoint: { type: 'instagram_account', id: INSTAGRAM_ID },
        contact: { identities: [{ type: 'igsid', value: IGSID }] },
      });
    }
    expect(events[0]?.data).toMatchObject({ providerMessageId: answer.message_id, sentBy: 'hub' });
  });

  it("takes me for the page a page's own token is held for", async () => {
    // Act
    const response = await sendAs(PAGE_TOKEN, {
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: { text: 'page' },
    });
    const posts = await rig.hub.waitFor('/webhooks/messenger', 3);

    // Assess
    expect(response.status).toBe(200);
    expect(notificationsOf(posts).map((n) => [n.object, n.entry[0].id])).toEqual(
      Array(3).fill(['page', PAGE_ID]),
    );
  });

  it("refuses me with the system user's token, which is no page (code 100, subcode 33), and posts nothing", async () => {
    // Act
    const message = await sendAs(secrets.meta.accessToken ?? '', {
      recipient: { id: IGSID },
      messaging_type: 'RESPONSE',
      message: { text: 'x' },
    });
    const typing = await sendAs(secrets.meta.accessToken ?? '', {
      recipient: { id: IGSID },
      sender_action: 'typing_on',
    });
    const messageError = await graphErrorOf(message);
    const typingError = await graphErrorOf(typing);
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Assess
    for (const [response, error] of [
      [message, messageError],
      [typing, typingError],
    ] as const) {
      expect(response.status).toBe(400);
      expect(error).toMatchObject({ code: 100, error_subcode: 33 });
      expect(error.message).toMatch(/^Unsupported post request/);
    }
    expect(rig.hub.received).toHaveLength(0);
  });

  it("takes that refusal as the Instagram account's credentials when the hub's sender meets it", async () => {
    // Prepare: a sender handed the system user's token for the account (the hub's first Instagram
    // version did so; a wrong token under the account's id would do the same)
    const sender = createMessengerSender({
      graphBaseUrl: rig.simulators.urls.graph,
      apiVersion: 'v23.0',
      accessTokenFor: () => secrets.meta.accessToken,
    });
    const target: SendTarget = {
      channel: 'messenger',
      provider: 'meta',
      endpoint: { type: 'instagram_account', id: INSTAGRAM_ID },
      recipient: { type: 'igsid', value: IGSID },
      conversationId: 'conv_1',
    };
    const hubMessageId = `msg_${'e'.repeat(32)}`;
    // Act
    const outcome = await sender.send(
      { partIndex: 0, part: { type: 'text', text: 'x' } },
      {
        target,
        hubMessageId,
        sequence: 0,
        correlationId: correlationIdFor(hubMessageId, 0),
        policy: { withinWindow: true, humanAgentTag: false },
      },
    );
    // Assess: the account is paused and alarmed, the reply not blamed for its content
    expect(outcome).toMatchObject({
      kind: 'credentials',
      error: { code: '100', message: expect.stringContaining('error_subcode=33') },
    });
  });

  it('takes Instagram text of up to 1000 UTF-8 bytes and refuses more', async () => {
    // Prepare: 500 × "é" is 1,000 bytes; 334 × "€" is 334 characters but 1,002 bytes
    const textOf = (text: string) => ({
      recipient: { id: IGSID },
      messaging_type: 'RESPONSE',
      message: { text },
    });

    // Act
    const fits = await sendAs(INSTAGRAM_TOKEN, textOf('é'.repeat(500)));
    const tooLong = await sendAs(INSTAGRAM_TOKEN, textOf('€'.repeat(334)));
    const onThePage = await sendAs(PAGE_TOKEN, textOf('€'.repeat(334)));

    // Assess
    expect(fits.status).toBe(200);
    expect(tooLong.status).toBe(400);
    expect(await graphErrorOf(tooLong)).toMatchObject({
      code: 100,
      message: expect.stringMatching(/1000 bytes/),
    });
    expect(onThePage.status).toBe(200);
  });
});

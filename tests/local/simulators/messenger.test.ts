import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { verifyMetaSignature } from '#shared/channels/meta/signature.ts';
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
    const posts = await rig.hub.waitFor('/webhooks/messenger', 6);

    // Assess
    expect(viaMe.status).toBe(200);
    const objects = posts.map(
      (post) => NotificationSchema.parse(JSON.parse(post.body.toString('utf8'))).object,
    );
    expect(objects.filter((object) => object === 'instagram')).toHaveLength(3);
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

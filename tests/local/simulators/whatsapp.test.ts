import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyMetaSignature } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
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

const PHONE_NUMBER_ID = '109384756201938';
const TO = '+33 6 12 34 56 78';
const AUTH = { authorization: 'Bearer local-token' };

const SendResponseSchema = z.strictObject({
  messaging_product: z.literal('whatsapp'),
  contacts: z.array(z.strictObject({ input: z.string(), wa_id: z.string() })).length(1),
  messages: z.array(z.strictObject({ id: z.string().regex(/^wamid\.[A-Za-z0-9+/=]+$/) })).length(1),
});
const GraphErrorSchema = z.strictObject({
  error: z.strictObject({
    message: z.string(),
    type: z.literal('OAuthException'),
    code: z.number(),
    error_subcode: z.number().optional(),
    error_data: z.strictObject({ messaging_product: z.literal('whatsapp'), details: z.string() }),
    fbtrace_id: z.string().min(1),
  }),
});
const StatusNotificationSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.tuple([
    z.object({
      changes: z.tuple([
        z.object({
          field: z.literal('messages'),
          value: z.object({
            metadata: z.object({ phone_number_id: z.string() }),
            statuses: z.tuple([z.looseObject({ id: z.string(), status: z.string(), timestamp: z.string() })]),
          }),
        }),
      ]),
    }),
  ]),
});

describe('WhatsApp Cloud API simulator', () => {
  let rig: Rig;
  const messagesUrl = () => `${rig.simulators.urls.graph}/v21.0/${PHONE_NUMBER_ID}/messages`;
  const send = (body: Record<string, unknown>) => postJson(messagesUrl(), body, AUTH);

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('accepts a text send, lists it, and posts signed sent, delivered and read statuses the adapter reads', async () => {
    // Prepare
    const body = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: TO,
      type: 'text',
      text: { body: 'Ձեր պատվերը ճանապարհին է 🚚' },
      biz_opaque_callback_data: 'out_7f3c2a91',
    };

    // Act
    const response = await send(body);
    const answer = SendResponseSchema.parse(await response.json());
    const posts = await rig.hub.waitFor('/webhooks/whatsapp', 3);

    // Assess: the documented response
    expect(response.status).toBe(200);
    expect(answer.contacts[0]).toEqual({ input: TO, wa_id: '33612345678' });
    const wamid = answer.messages[0]?.id;
    // Assess: the request log
    const listed = await listedRequests(rig);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      provider: 'whatsapp',
      method: 'POST',
      path: `/v21.0/${PHONE_NUMBER_ID}/messages`,
      body,
      response: { status: 200, body: answer },
    });
    expect(listed[0]?.headers).not.toHaveProperty('authorization');
    // Assess: the statuses, in order, signed over the exact bytes, ASCII-escaped as Meta sends them
    const statuses = posts.map((post) => {
      expect(
        verifyMetaSignature(secrets.meta.appSecret, post.body, post.headers['x-hub-signature-256']),
      ).toEqual({
        ok: true,
      });
      expect(post.body.toString('utf8')).toMatch(/^[\x20-\x7e]*$/);
      const item = StatusNotificationSchema.parse(JSON.parse(post.body.toString('utf8'))).entry[0].changes[0]
        .value.statuses[0];
      expect(item).toMatchObject({
        id: wamid,
        recipient_id: '33612345678',
        biz_opaque_callback_data: 'out_7f3c2a91',
      });
      return item.status;
    });
    expect(statuses).toEqual(['sent', 'delivered', 'read']);
    // Assess: the hub's adapter turns each into a status update for this wamid
    const events = posts.flatMap((post) =>
      eventsOf(handleWhatsAppWebhook(asWebhookRequest(post), { secrets })),
    );
    expect(events.map((event) => event.type)).toEqual(Array(3).fill('switchboard.message.status_updated'));
    expect(
      events.map((event) => (event.data as { providerMessageIds: string[] }).providerMessageIds),
    ).toEqual([[wamid], [wamid], [wamid]]);
    expect(events.map((event) => (event.data as { status: string }).status)).toEqual([
      'sent',
      'delivered',
      'read',
    ]);
  });

  it('gives unique wamids to successive sends', async () => {
    // Act
    const ids = new Set<string>();
    for (let index = 0; index < 5; index += 1) {
      const response = await send({ messaging_product: 'whatsapp', to: TO, text: { body: `n${index}` } });
      ids.add(SendResponseSchema.parse(await response.json()).messages[0]?.id ?? '');
    }

    // Assess
    expect(ids.size).toBe(5);
  });

  it.each([
    ['a missing to', { messaging_product: 'whatsapp', type: 'text', text: { body: 'hi' } }, /to is required/],
    [
      'an unknown type',
      { messaging_product: 'whatsapp', to: TO, type: 'poll', poll: {} },
      /type must be one of/,
    ],
    [
      'text over 4096 characters',
      { messaging_product: 'whatsapp', to: TO, type: 'text', text: { body: 'x'.repeat(4097) } },
      /at most 4096/,
    ],
    ['no messaging_product', { to: TO, type: 'text', text: { body: 'hi' } }, /messaging_product/],
  ])('refuses %s with a Graph error 100 and sends nothing', async (_name, body, details) => {
    // Act
    const response = await send(body);
    const error = GraphErrorSchema.parse(await response.json());
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Assess
    expect(response.status).toBe(400);
    expect(error.error.code).toBe(100);
    expect(error.error.error_data.details).toMatch(details);
    expect(rig.hub.received).toHaveLength(0);
  });

  it('answers 401 with code 190 without a Bearer token', async () => {
    // Act
    const response = await postJson(messagesUrl(), {
      messaging_product: 'whatsapp',
      to: TO,
      text: { body: 'x' },
    });

    // Assess
    expect(response.status).toBe(401);
    expect((await graphErrorOf(response)).code).toBe(190);
  });

  it('marks a message read (with a typing indicator) and posts no status', async () => {
    // Act
    const response = await send({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUI0NkE4NjM1QTU2NjVGOURGQgA=',
      typing_indicator: { type: 'text' },
    });
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    expect(rig.hub.received).toHaveLength(0);
  });

  it('answers a template send with message_status accepted', async () => {
    // Act
    const response = await send({
      messaging_product: 'whatsapp',
      to: TO,
      type: 'template',
      template: { name: 'order_update', language: { code: 'en', policy: 'deterministic' } },
    });

    // Assess
    expect(response.status).toBe(200);
    const answer = z
      .object({ messages: z.tuple([z.object({ id: z.string(), message_status: z.string() })]) })
      .parse(await response.json());
    expect(answer.messages[0].message_status).toBe('accepted');
  });

  describe('media', () => {
    const upload = async (bytes: Buffer, type = 'image/png') => {
      const form = new FormData();
      form.append('messaging_product', 'whatsapp');
      form.append('type', type);
      form.append('file', new Blob([new Uint8Array(bytes)], { type }), 'picture.png');
      return fetch(`${rig.simulators.urls.graph}/v21.0/${PHONE_NUMBER_ID}/media`, {
        method: 'POST',
        headers: AUTH,
        body: form,
      });
    };
    const MediaSchema = z.strictObject({
      messaging_product: z.literal('whatsapp'),
      url: z.url(),
      mime_type: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      file_size: z.string(),
      id: z.string(),
    });
    const lookup = async (id: string) => fetch(`${rig.simulators.urls.graph}/v21.0/${id}`, { headers: AUTH });

    it('uploads, looks up, downloads with the Bearer token, and deletes', async () => {
      // Prepare
      const bytes = Buffer.from('\x89PNG simulated image bytes');

      // Act
      const uploaded = z
        .strictObject({ id: z.string().regex(/^\d+$/) })
        .parse(await (await upload(bytes)).json());
      const info = MediaSchema.parse(await (await lookup(uploaded.id)).json());
      const withoutToken = await fetch(info.url);
      const download = await fetch(info.url, { headers: AUTH });
      const downloaded = Buffer.from(await download.arrayBuffer());
      const deleted = await fetch(`${rig.simulators.urls.graph}/v21.0/${uploaded.id}`, {
        method: 'DELETE',
        headers: AUTH,
      });
      const afterDelete = await lookup(uploaded.id);

      // Assess
      expect(info).toMatchObject({
        id: uploaded.id,
        mime_type: 'image/png',
        file_size: String(bytes.length),
      });
      expect(info.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(withoutToken.status).toBe(401);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('image/png');
      expect(downloaded.equals(bytes)).toBe(true);
      expect(await deleted.json()).toEqual({ success: true });
      expect(afterDelete.status).toBe(400);
      expect(await graphErrorOf(afterDelete)).toMatchObject({ code: 100, error_subcode: 33 });
      const recorded = (await listedRequests(rig))[0];
      expect(recorded?.body).toMatchObject({ file: { byteLength: bytes.length } });
    });

    it('checksum_mismatch corrupts the next download; expired_media makes the id unknown', async () => {
      // Prepare
      const bytes = Buffer.from('media to corrupt');
      const { id } = z.object({ id: z.string() }).parse(await (await upload(bytes)).json());
      const info = MediaSchema.parse(await (await lookup(id)).json());
      rig.simulators.setFaults([{ provider: 'whatsapp', kind: 'checksum_mismatch', times: 1 }]);

      // Act
      const corrupted = Buffer.from(await (await fetch(info.url, { headers: AUTH })).arrayBuffer());
      const intact = Buffer.from(await (await fetch(info.url, { headers: AUTH })).arrayBuffer());
      rig.simulators.setFaults([{ provider: 'whatsapp', kind: 'expired_media', mediaId: id }]);
      const expiredLookup = await lookup(id);
      const expiredDownload = await fetch(info.url, { headers: AUTH });

      // Assess
      expect(createHash('sha256').update(corrupted).digest('hex')).not.toBe(info.sha256);
      expect(createHash('sha256').update(intact).digest('hex')).toBe(info.sha256);
      expect(expiredLookup.status).toBe(400);
      expect((await graphErrorOf(expiredLookup)).error_subcode).toBe(33);
      expect(expiredDownload.status).toBe(404);
    });
  });
});

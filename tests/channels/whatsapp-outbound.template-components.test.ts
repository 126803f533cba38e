import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioSender } from '#shared/channels/sms/outbound/sender.ts';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import { type OutboundTemplatePart, SendMessageDataSchema } from '#shared/contract/commands.ts';
import { correlationIdFor, type MessageContext, type Prepared } from '#shared/outbound/channel-sender.ts';
import { captureFetch } from '#tests/support/capture-fetch.ts';
import { graphErrorOf, listedRequests, postJson, type Rig, startRig } from '../local/simulators/support.ts';

/*
 * Template header and button values: the command takes them, WhatsApp's prepare checks Meta's
 * limits, the request carries them as `components` in template order, the local simulator takes
 * them, and Twilio (whose Content templates hold their own header and buttons) refuses them.
 */

const PHONE_NUMBER_ID = '109384756201938';
const HUB_ID = `msg_${'b'.repeat(32)}`;
const OPEN = { withinWindow: true, humanAgentTag: false } as const;

const template = (extra: Partial<OutboundTemplatePart> = {}): OutboundTemplatePart => ({
  type: 'template',
  name: 'winter_offer',
  language: 'en_US',
  category: 'marketing',
  ...extra,
});

const whatsapp = (fetch?: typeof globalThis.fetch, graphBaseUrl = 'https://graph.example') =>
  createWhatsAppSender({
    graphBaseUrl,
    apiVersion: 'v23.0',
    accessTokenFor: () => 'local-token',
    ...(fetch ? { fetch } : {}),
  });
const prepare = (part: OutboundTemplatePart): Prepared => whatsapp().prepare([part], OPEN);
const refusalOf = (prepared: Prepared) => (prepared.ok ? undefined : prepared);

const context: MessageContext = {
  target: {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint: { type: 'whatsapp_phone_number', id: PHONE_NUMBER_ID },
    recipient: { type: 'wa_id', value: '4915112345678' },
    conversationId: 'conv_1',
  },
  hubMessageId: HUB_ID,
  sequence: 0,
  correlationId: correlationIdFor(HUB_ID, 0),
  policy: OPEN,
};

/** Every kind of header and button at once, buttons given out of their template order. */
const FULL = template({
  parameters: ['Ada', '20%'],
  header: { type: 'document', url: 'https://cdn.example/offer.pdf', filename: 'offer.pdf' },
  buttons: [
    { type: 'copy_code', index: 2, couponCode: 'WINTER20' },
    { type: 'quick_reply', index: 0, payload: 'stop-promos' },
    { type: 'url', index: 1, text: 'offers/winter?c=ada' },
  ],
});

describe('WhatsApp template header and buttons', () => {
  it('are part of the send command contract', () => {
    // Act
    const parsed = SendMessageDataSchema.safeParse({
      idempotencyKey: 'k1',
      conversationId: 'conv_1',
      parts: [FULL],
      sender: { kind: 'agent', id: 'agent-1' },
    });
    const notHttps = SendMessageDataSchema.safeParse({
      idempotencyKey: 'k1',
      conversationId: 'conv_1',
      parts: [template({ header: { type: 'image', url: 'http://cdn.example/a.png' } })],
      sender: { kind: 'agent', id: 'agent-1' },
    });
    // Assess
    expect(parsed.error).toBeUndefined();
    expect(parsed.data?.parts[0]).toEqual(FULL);
    expect(notHttps.success).toBe(false);
  });

  it('build the components array: header, body, then buttons by index', async () => {
    // Prepare
    const capture = captureFetch({ messages: [{ id: 'wamid.OUT' }] });
    // Act
    const outcome = await whatsapp(capture.fetch).send({ partIndex: 0, part: FULL }, context);
    // Assess
    expect(outcome).toEqual({ kind: 'accepted', providerMessageId: 'wamid.OUT' });
    expect(capture.requests[0]?.body).toMatchObject({
      type: 'template',
      template: {
        name: 'winter_offer',
        language: { code: 'en_US', policy: 'deterministic' },
        components: [
          {
            type: 'header',
            parameters: [
              {
                type: 'document',
                document: { link: 'https://cdn.example/offer.pdf', filename: 'offer.pdf' },
              },
            ],
          },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ada' },
              { type: 'text', text: '20%' },
            ],
          },
          {
            type: 'button',
            sub_type: 'quick_reply',
            index: '0',
            parameters: [{ type: 'payload', payload: 'stop-promos' }],
          },
          {
            type: 'button',
            sub_type: 'url',
            index: '1',
            parameters: [{ type: 'text', text: 'offers/winter?c=ada' }],
          },
          {
            type: 'button',
            sub_type: 'copy_code',
            index: '2',
            parameters: [{ type: 'coupon_code', coupon_code: 'WINTER20' }],
          },
        ],
      },
    });
  });

  it('send text, image, video and location headers as their parameter', async () => {
    // Prepare
    const headers: NonNullable<OutboundTemplatePart['header']>[] = [
      { type: 'text', text: 'Ada', parameterName: 'customer' },
      { type: 'image', url: 'https://cdn.example/a.jpg' },
      { type: 'video', url: 'https://cdn.example/a.mp4' },
      { type: 'location', latitude: 37.98, longitude: 23.73, name: 'Athens shop' },
    ];
    const capture = captureFetch({ messages: [{ id: 'wamid.OUT' }] });
    const sender = whatsapp(capture.fetch);
    // Act
    for (const header of headers) await sender.send({ partIndex: 0, part: template({ header }) }, context);
    // Assess
    expect(capture.requests.map((request) => request.body)).toMatchObject([
      {
        template: {
          components: [
            { type: 'header', parameters: [{ type: 'text', parameter_name: 'customer', text: 'Ada' }] },
          ],
        },
      },
      {
        template: {
          components: [{ parameters: [{ type: 'image', image: { link: 'https://cdn.example/a.jpg' } }] }],
        },
      },
      {
        template: {
          components: [{ parameters: [{ type: 'video', video: { link: 'https://cdn.example/a.mp4' } }] }],
        },
      },
      {
        template: {
          components: [
            {
              parameters: [
                { type: 'location', location: { latitude: 37.98, longitude: 23.73, name: 'Athens shop' } },
              ],
            },
          ],
        },
      },
    ]);
  });

  it('take header media as exactly one of a link or a file from the bucket', () => {
    // Prepare
    const withHeader = (header: unknown) =>
      SendMessageDataSchema.safeParse({
        idempotencyKey: 'k1',
        conversationId: 'conv_1',
        parts: [{ ...template(), header }],
        sender: { kind: 'agent', id: 'agent-1' },
      });
    // Act
    const stored = withHeader({ type: 'document', s3Key: 'media/outbound/x/terms.pdf' });
    const both = withHeader({
      type: 'image',
      url: 'https://cdn.example/a.jpg',
      s3Key: 'media/outbound/x/a.jpg',
    });
    const neither = withHeader({ type: 'video' });
    // Assess
    expect(stored.error).toBeUndefined();
    expect(both.error?.issues[0]?.path).toEqual(['parts', 0, 'header', 'url']);
    expect(neither.success).toBe(false);
  });

  it('send an uploaded file as the header media id, never a link', async () => {
    // Prepare
    const capture = captureFetch({ messages: [{ id: 'wamid.OUT' }] });
    const sender = whatsapp(capture.fetch);
    const part = template({
      header: { type: 'document', s3Key: 'media/outbound/x/terms.pdf', filename: 'terms.pdf' },
    });
    // Act
    const unstaged = await sender.send({ partIndex: 0, part }, context);
    await sender.send({ partIndex: 0, part, uploadedMediaId: '771122334455' }, context);
    // Assess
    expect(unstaged).toMatchObject({ kind: 'refused', error: { code: 'media_not_uploaded' } });
    expect(capture.requests).toHaveLength(1);
    expect(capture.requests[0]?.body).toMatchObject({
      template: {
        components: [
          {
            type: 'header',
            parameters: [{ type: 'document', document: { id: '771122334455', filename: 'terms.pdf' } }],
          },
        ],
      },
    });
    expect(JSON.stringify(capture.requests[0]?.body)).not.toContain('link');
  });

  it("refuse what Meta's limits refuse, naming the field", () => {
    // Act
    const cases = {
      longHeader: prepare(template({ header: { type: 'text', text: 'x'.repeat(61) } })),
      headerNewLine: prepare(template({ header: { type: 'text', text: 'two\nlines' } })),
      namedWithoutName: prepare(
        template({ parameters: { name: 'Ada' }, header: { type: 'text', text: 'Hi' } }),
      ),
      positionalWithName: prepare(
        template({ parameters: ['Ada'], header: { type: 'text', text: 'Hi', parameterName: 'x' } }),
      ),
      index10: prepare(template({ buttons: [{ type: 'quick_reply', index: 10, payload: 'p' }] })),
      sameIndex: prepare(
        template({
          buttons: [
            { type: 'quick_reply', index: 1, payload: 'a' },
            { type: 'quick_reply', index: 1, payload: 'b' },
          ],
        }),
      ),
      eleven: prepare(
        template({
          buttons: Array.from({ length: 11 }, (_, i) => ({
            type: 'quick_reply' as const,
            index: i,
            payload: 'p',
          })),
        }),
      ),
      longCoupon: prepare(
        template({ buttons: [{ type: 'copy_code', index: 0, couponCode: 'C'.repeat(16) }] }),
      ),
      twoCoupons: prepare(
        template({
          buttons: [
            { type: 'copy_code', index: 0, couponCode: 'A1' },
            { type: 'copy_code', index: 1, couponCode: 'B2' },
          ],
        }),
      ),
      longPayload: prepare(
        template({ buttons: [{ type: 'quick_reply', index: 0, payload: 'p'.repeat(257) }] }),
      ),
      longSuffix: prepare(template({ buttons: [{ type: 'url', index: 0, text: 'u'.repeat(2001) }] })),
      suffixTab: prepare(template({ buttons: [{ type: 'url', index: 0, text: 'a\tb' }] })),
    };
    // Assess
    const fields = Object.fromEntries(
      Object.entries(cases).map(([name, prepared]) => [name, refusalOf(prepared)?.field]),
    );
    expect(fields).toEqual({
      longHeader: 'parts.0.header.text',
      headerNewLine: 'parts.0.header.text',
      namedWithoutName: 'parts.0.header.parameterName',
      positionalWithName: 'parts.0.header.parameterName',
      index10: 'parts.0.buttons.0.index',
      sameIndex: 'parts.0.buttons.1.index',
      eleven: 'parts.0.buttons',
      longCoupon: 'parts.0.buttons.0.couponCode',
      twoCoupons: 'parts.0.buttons',
      longPayload: 'parts.0.buttons.0.payload',
      longSuffix: 'parts.0.buttons.0.text',
      suffixTab: 'parts.0.buttons.0.text',
    });
    for (const prepared of Object.values(cases)) expect(refusalOf(prepared)?.reason).toBe('template_invalid');
  });

  it('take values at their limits', () => {
    // Act
    const prepared = prepare(
      template({
        parameters: { customer: 'Ada' },
        header: { type: 'text', text: 'h'.repeat(60), parameterName: 'headline' },
        buttons: [
          { type: 'quick_reply', index: 9, payload: 'p'.repeat(256) },
          { type: 'url', index: 0, text: 'u'.repeat(2000) },
          { type: 'copy_code', index: 1, couponCode: 'C'.repeat(15) },
        ],
      }),
    );
    // Assess
    expect(prepared.ok).toBe(true);
  });

  it('are refused by Twilio, whose Content templates hold their own header and buttons', () => {
    // Prepare
    const twilio = createTwilioSender({
      apiBaseUrl: 'https://api.twilio.com',
      accountSid: 'AC00000000000000000000000000000000',
      channel: 'whatsapp',
      authToken: 'token',
    });
    const contentSid = 'HX0123456789abcdef0123456789abcdef';
    // Act
    const header = twilio.prepare(
      [template({ name: contentSid, header: { type: 'text', text: 'Hi' } })],
      OPEN,
    );
    const buttons = twilio.prepare(
      [template({ name: contentSid, buttons: [{ type: 'url', index: 0, text: 'x' }] })],
      OPEN,
    );
    // Assess
    expect(refusalOf(header)).toMatchObject({ reason: 'template_invalid', field: 'parts.0.header' });
    expect(refusalOf(buttons)).toMatchObject({ reason: 'template_invalid', field: 'parts.0.buttons' });
    expect(refusalOf(buttons)?.detail).toContain('Content template');
  });
});

describe('WhatsApp template components against the local simulator', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  it('are accepted as sent by the sender', async () => {
    // Prepare
    const sender = whatsapp(undefined, rig.simulators.urls.graph);
    // Act
    const outcome = await sender.send({ partIndex: 0, part: FULL }, context);
    // Assess
    expect(outcome.kind).toBe('accepted');
    const listed = await listedRequests(rig);
    expect(JSON.stringify(listed)).toContain('coupon_code');
  });

  it('refuses a button component without its index, as the API does', async () => {
    // Act
    const response = await postJson(
      `${rig.simulators.urls.graph}/v23.0/${PHONE_NUMBER_ID}/messages`,
      {
        messaging_product: 'whatsapp',
        to: '4915112345678',
        type: 'template',
        template: {
          name: 'winter_offer',
          language: { code: 'en_US' },
          components: [{ type: 'button', sub_type: 'url', parameters: [{ type: 'text', text: 'x' }] }],
        },
      },
      { authorization: 'Bearer local-token' },
    );
    // Assess
    expect(response.status).toBe(400);
    expect(await graphErrorOf(response)).toMatchObject({ code: 100 });
  });
});

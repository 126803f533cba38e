import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent, Referral } from '#shared/contract/index.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * What Meta says of the ad or post a customer came from: a click-to-WhatsApp ad's media and welcome
 * message, a Messenger ad's photo, video, post and product. Kept on the referral as data (the hub
 * fetches none of these URLs); review finding: they were dropped, and Meta's webhooks keep no body.
 */

type Handler = typeof handleMessengerWebhook | typeof handleWhatsAppWebhook;

const eventsOf = (handler: Handler, path: string, payload: unknown): readonly HubEvent[] => {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const outcome: WebhookOutcome = handler(
    webhookRequest({
      path,
      headers: { 'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, body) },
      body,
    }),
    { secrets: LOCAL_DEV_SECRETS },
  );
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
  return outcome.events;
};

const referralsOf = (events: readonly HubEvent[]): (Referral | undefined)[] =>
  events.map((event) =>
    event.type === 'switchboard.message.received' || event.type === 'switchboard.contact.referred'
      ? event.data.referral
      : undefined,
  );

const fixture = (channel: string, name: string): unknown =>
  JSON.parse(readFileSync(join(EVENTS_DIR, channel, `${name}.json`), 'utf8'));

type WhatsAppBody = {
  entry: { changes: { value: { messages: { referral: Record<string, unknown> }[] } }[] }[];
};

const whatsappWithReferral = (referral: Record<string, unknown>): WhatsAppBody => {
  const body = fixture('whatsapp', 'referral') as WhatsAppBody;
  const message = body.entry[0]?.changes[0]?.value.messages[0];
  if (!message) throw new Error('the fixture has no message');
  message.referral = referral;
  return body;
};

const whatsapp = (payload: unknown) => eventsOf(handleWhatsAppWebhook, '/webhooks/whatsapp', payload);
const messenger = (payload: unknown) => eventsOf(handleMessengerWebhook, '/webhooks/messenger', payload);

describe('a click-to-WhatsApp referral', () => {
  it("keeps the ad's media and welcome message on the message and the referral event (events/whatsapp/referral.json)", () => {
    // Act
    const referrals = referralsOf(whatsapp(fixture('whatsapp', 'referral')));
    // Assess
    expect(referrals).toHaveLength(2);
    for (const referral of referrals) {
      expect(referral).toMatchObject({
        adId: '120214567890123456',
        mediaType: 'image',
        imageUrl: 'https://scontent.example.net/v/t45.1600-4/ad-image.jpg',
        welcomeMessage: 'Γεια! Πώς μπορούμε να βοηθήσουμε;',
      });
    }
  });

  it("keeps a video ad's video and thumbnail, and a post's id", () => {
    // Prepare
    const body = whatsappWithReferral({
      source_type: 'post',
      source_id: '104728593216847_1029384756102938',
      media_type: 'video',
      video_url: 'https://video.example.net/v/ad.mp4',
      thumbnail_url: 'https://scontent.example.net/v/thumb.jpg',
    });
    // Act
    const [referral] = referralsOf(whatsapp(body));
    // Assess
    expect(referral).toEqual({
      source: 'post',
      postId: '104728593216847_1029384756102938',
      mediaType: 'video',
      videoUrl: 'https://video.example.net/v/ad.mp4',
      thumbnailUrl: 'https://scontent.example.net/v/thumb.jpg',
    });
  });
});

describe('a Messenger ad referral', () => {
  it("keeps the ad's photo and post (events/messenger/text-with-ad-referral.json)", () => {
    // Act
    const [referral] = referralsOf(messenger(fixture('messenger', 'text-with-ad-referral')));
    // Assess
    expect(referral).toMatchObject({
      headline: 'Winter boots — 20% off this week',
      imageUrl:
        'https://scontent.xx.fbcdn.net/v/t45.1600-4/468360021_120213456789012345_1029384756102938475_n.jpg',
      postId: '104728593216847_1029384756102938',
    });
  });

  it("keeps a product ad's video and product id", () => {
    // Prepare
    const body = fixture('messenger', 'text-with-ad-referral') as {
      entry: { messaging: { message: { referral: { ads_context_data: Record<string, unknown> } } }[] }[];
    };
    const referralItem = body.entry[0]?.messaging[0]?.message.referral;
    if (!referralItem) throw new Error('the fixture has no referral');
    referralItem.ads_context_data = { video_url: 'https://video.example.net/ad.mp4', product_id: 987654321 };
    // Act
    const [referral] = referralsOf(messenger(body));
    // Assess
    expect(referral).toMatchObject({ videoUrl: 'https://video.example.net/ad.mp4', productId: '987654321' });
    expect(referral).not.toHaveProperty('headline');
  });
});

describe('a Messenger referral that starts a flow or names a Shops product', () => {
  it('keeps the flow a click-to-Messenger ad starts, beside its product (events/messenger/referral-ad-flow.json)', () => {
    // Act
    const [referral] = referralsOf(messenger(fixture('messenger', 'referral-ad-flow')));
    // Assess
    expect(referral).toMatchObject({
      source: 'ADS',
      productId: '7382910456128374',
      flowId: '884512073369214',
    });
  });

  it('keeps the Shops product a message was written from as its product (events/messenger/text-with-shops-product-referral.json)', () => {
    // Act
    const [referral] = referralsOf(messenger(fixture('messenger', 'text-with-shops-product-referral')));
    // Assess
    expect(referral).toEqual({ productId: '7382910456128374' });
  });

  it('still recognises a message whose product or flow is not an id, without them (as before either was read)', () => {
    // Prepare: the Shops fixture with an empty product id, then one with a product that is no object
    // and an empty flow id
    const withReferral = (referral: Record<string, unknown>) => {
      const body = fixture('messenger', 'text-with-shops-product-referral') as {
        entry: { messaging: { message: { referral: Record<string, unknown> } }[] }[];
      };
      const message = body.entry[0]?.messaging[0]?.message;
      if (!message) throw new Error('the fixture has no message');
      message.referral = referral;
      return body;
    };
    // Act
    const emptyProduct = messenger(withReferral({ source: 'SHOPS', product: { id: '' } }));
    const oddShapes = messenger(
      withReferral({ source: 'ADS', product: '7382910456128374', ads_context_data: { flow_id: '' } }),
    );
    // Assess: the customer's message, its referral without what is not an id
    expect(emptyProduct.map((event) => event.type)).toEqual(['switchboard.message.received']);
    expect(referralsOf(emptyProduct)).toEqual([{ source: 'SHOPS' }]);
    expect(oddShapes.map((event) => event.type)).toEqual(['switchboard.message.received']);
    expect(referralsOf(oddShapes)).toEqual([{ source: 'ADS' }]);
  });

  it("keeps a Shops product and a flow given as numbers on a postback's referral", () => {
    // Prepare
    const body = fixture('messenger', 'postback-with-referral') as {
      entry: { messaging: { postback: { referral: Record<string, unknown> } }[] }[];
    };
    const postback = body.entry[0]?.messaging[0]?.postback;
    if (!postback) throw new Error('the fixture has no postback');
    postback.referral = {
      source: 'ADS',
      product: { id: 7382910456128374 },
      ads_context_data: { flow_id: 884512073369214 },
    };
    // Act
    const [referral] = referralsOf(messenger(body));
    // Assess
    expect(referral).toEqual({ source: 'ADS', productId: '7382910456128374', flowId: '884512073369214' });
  });
});

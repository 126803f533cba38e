import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * Meta's descriptive fields (a message's text, a referral's source and ad data, a postback's title, a
 * reaction's emoji…) may come as JSON null. Null reads as absent: the item is still the message,
 * postback or reaction it is, and no null reaches the event. Before 2026-12-07 one null made the
 * whole item `provider.unsupported`. Identifying fields (mid, sender.id, recipient.id) stay strict.
 */

const PAGE_ID = '104728593216847';
const PSID = '6650182937741205';
const MID = 'm_Zr8yQ2cV5nL0tK7wE4pJ1hX9bG3mD6sA2fU8iO5eY0qW7rT4uI1oP9aS3dF6gH2jK5lZ8xC1vB4nM7qE0wR3t';

const post = (items: unknown[]): readonly HubEvent[] => {
  const body = Buffer.from(
    JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: 1795170021518, messaging: items }] }),
    'utf8',
  );
  const outcome: WebhookOutcome = handleMessengerWebhook(
    webhookRequest({
      path: '/webhooks/messenger',
      headers: { 'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, body) },
      body,
    }),
    { secrets: LOCAL_DEV_SECRETS },
  );
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
  return outcome.events;
};

const customerItem = (event: Record<string, unknown>) => ({
  sender: { id: PSID },
  recipient: { id: PAGE_ID },
  timestamp: 1795170021304,
  ...event,
});

/** Where in `value` a null sits, as dotted paths; none means the value holds no null. */
const nullPaths = (value: unknown, at = ''): string[] => {
  if (value === null) return [at];
  if (typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => nullPaths(child, at === '' ? key : `${at}.${key}`));
};

/** A customer's message with every descriptive field Meta documents filled in. */
const fullMessage = () => ({
  mid: MID,
  text: 'Do you still have the blue one?',
  is_echo: false,
  metadata: 'none',
  quick_reply: { payload: 'SIZE_38' },
  reply_to: { mid: 'm_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU' },
  attachments: [
    {
      type: 'image',
      payload: { url: 'https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg', sticker_id: 369239263222822 },
    },
  ],
  referral: {
    ref: 'boots-ad-set-b',
    source: 'ADS',
    type: 'OPEN_THREAD',
    ad_id: '120213456789012345',
    referer_uri: 'https://shop.example.com/boots',
    ads_context_data: {
      ad_title: 'Winter boots',
      photo_url: 'https://scontent.xx.fbcdn.net/v/t45.1600-4/ad.jpg',
      video_url: 'https://scontent.xx.fbcdn.net/v/t15.5256-10/ad.jpg',
      post_id: '104728593216847_1029384756102938',
      product_id: '7382910456128374',
      flow_id: '884512073369214',
    },
    product: { id: '7382910456128374' },
  },
  is_deleted: false,
  is_unsupported: false,
});

const STICKER_ID = ['attachments', '0', 'payload', 'sticker_id'] as const;

/** Every descriptive field of `fullMessage` that may be null, parents before their children. */
const NULLABLE_PATHS = [
  ['text'],
  ['is_echo'],
  ['metadata'],
  ['quick_reply'],
  ['quick_reply', 'payload'],
  ['reply_to'],
  ['reply_to', 'mid'],
  STICKER_ID,
  ['referral'],
  ['referral', 'ref'],
  ['referral', 'source'],
  ['referral', 'type'],
  ['referral', 'ad_id'],
  ['referral', 'referer_uri'],
  ['referral', 'ads_context_data'],
  ['referral', 'ads_context_data', 'ad_title'],
  ['referral', 'ads_context_data', 'photo_url'],
  ['referral', 'ads_context_data', 'video_url'],
  ['referral', 'ads_context_data', 'post_id'],
  ['referral', 'ads_context_data', 'product_id'],
  ['referral', 'ads_context_data', 'flow_id'],
  ['referral', 'product'],
  ['referral', 'product', 'id'],
  ['is_deleted'],
  ['is_unsupported'],
] as const;

/** `message` with null at each path (in order; a path under a field already null is passed over). */
const withNulls = (paths: readonly (readonly string[])[]) => {
  const message: Record<string, unknown> = fullMessage();
  for (const path of paths) {
    let parent: Record<string, unknown> | null = message;
    for (const step of path.slice(0, -1)) {
      const child: unknown = parent?.[step];
      parent = typeof child === 'object' ? (child as Record<string, unknown> | null) : null;
    }
    if (parent !== null) parent[path.at(-1) as string] = null;
  }
  return message;
};

describe('a Messenger message with null descriptive fields', () => {
  it('is the customer’s message all the same, and its event holds no null', () => {
    fc.assert(
      fc.property(fc.subarray([...NULLABLE_PATHS], { minLength: 1 }), (paths) => {
        // Prepare
        const message = withNulls(paths);
        // Act
        const events = post([customerItem({ message })]);
        // Assess
        expect(events).toHaveLength(1);
        const [event] = events;
        expect(event?.type).toBe('switchboard.message.received');
        expect(HubEventSchema.safeParse(event).error).toBeUndefined();
        expect(nullPaths(event)).toEqual([]);
        if (event?.type !== 'switchboard.message.received') return;
        expect(event.data.providerMessageId).toBe(MID);
        expect(event.data.parts.filter((part) => part.type === 'unsupported')).toEqual([]);
        // An image with a sticker id is a sticker; with a null one, the image it is.
        const kind = paths.includes(STICKER_ID) ? 'image' : 'sticker';
        expect(event.data.parts).toContainEqual(expect.objectContaining({ type: 'media', kind }));
        if (typeof message.text === 'string') {
          const { text } = message;
          const said = event.data.parts.filter(
            (part) =>
              (part.type === 'text' && part.text === text) ||
              (part.type === 'interactive_reply' && part.title === text),
          );
          expect(said).toHaveLength(1);
        }
        expect(event.data.referral !== undefined).toBe(message.referral !== null);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a null everywhere it may be as absent: a text-less, referral-less image', () => {
    // Prepare
    const message = withNulls(NULLABLE_PATHS);
    // Act
    const [event] = post([customerItem({ message })]);
    // Assess
    expect(event?.type).toBe('switchboard.message.received');
    if (event?.type !== 'switchboard.message.received') return;
    expect(event.data).not.toHaveProperty('referral');
    expect(event.data).not.toHaveProperty('replyTo');
    expect(event.data.parts).toEqual([
      {
        type: 'media',
        kind: 'image',
        ref: {
          store: 'provider_url',
          url: 'https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg',
          requiresAuth: false,
        },
      },
    ]);
  });

  it('keeps what is not null of a referral whose other fields are', () => {
    // Prepare
    const message = withNulls([
      ['referral', 'ref'],
      ['referral', 'type'],
      ['referral', 'referer_uri'],
      ['referral', 'ads_context_data', 'ad_title'],
      ['referral', 'ads_context_data', 'photo_url'],
      ['referral', 'ads_context_data', 'video_url'],
      ['referral', 'product'],
    ]);
    // Act
    const [event] = post([customerItem({ message })]);
    // Assess
    if (event?.type !== 'switchboard.message.received') throw new Error(`got ${event?.type}`);
    expect(event.data.referral).toEqual({
      source: 'ADS',
      adId: '120213456789012345',
      postId: '104728593216847_1029384756102938',
      productId: '7382910456128374',
      flowId: '884512073369214',
    });
  });
});

describe('other Messenger items with null descriptive fields', () => {
  it('reads a postback with a null title and referral as the tap it is', () => {
    // Act
    const [event] = post([
      customerItem({ postback: { title: null, payload: 'GET_STARTED', referral: null } }),
    ]);
    // Assess
    if (event?.type !== 'switchboard.message.received') throw new Error(`got ${event?.type}`);
    expect(event.data.parts).toEqual([
      { type: 'interactive_reply', kind: 'postback', payload: 'GET_STARTED' },
    ]);
    expect(nullPaths(event)).toEqual([]);
  });

  it('reads a reaction with a null emoji and name as a reaction without an emoji', () => {
    // Act
    const [event] = post([
      customerItem({ reaction: { mid: MID, action: 'react', emoji: null, reaction: null } }),
    ]);
    // Assess
    if (event?.type !== 'switchboard.message.reaction_changed') throw new Error(`got ${event?.type}`);
    expect(event.data).toMatchObject({ action: 'added', targetProviderMessageId: MID });
    expect(event.data).not.toHaveProperty('emoji');
    expect(nullPaths(event)).toEqual([]);
  });

  it('reads a standalone referral with null fields as the referral it is', () => {
    // Act
    const [event] = post([
      customerItem({
        referral: { ref: null, source: 'SHORTLINK', type: 'OPEN_THREAD', ads_context_data: null },
      }),
    ]);
    // Assess
    if (event?.type !== 'switchboard.contact.referred') throw new Error(`got ${event?.type}`);
    expect(event.data.referral).toEqual({ source: 'SHORTLINK', type: 'OPEN_THREAD' });
    expect(nullPaths(event)).toEqual([]);
  });

  it('reads an edit with a null count as the edit it is', () => {
    // Act
    const [event] = post([
      customerItem({ message_edit: { mid: MID, text: 'the blue one, size 38', num_edit: null } }),
    ]);
    // Assess
    if (event?.type !== 'switchboard.message.edited') throw new Error(`got ${event?.type}`);
    expect(event.data.parts).toEqual([{ type: 'text', text: 'the blue one, size 38' }]);
    expect(nullPaths(event)).toEqual([]);
  });

  it('reads a message whose timestamp is null as one without a timestamp, dated by the hub', () => {
    // Act
    const [event] = post([{ ...customerItem({ message: { mid: MID, text: 'hi' } }), timestamp: null }]);
    // Assess: before 2026-12-07 the whole message was provider.unsupported
    if (event?.type !== 'switchboard.message.received') throw new Error(`got ${event?.type}`);
    expect(event.data.parts).toEqual([{ type: 'text', text: 'hi' }]);
    expect(event.data.providerTimestamp).toBeNull();
  });

  it('still keeps a message whose own mid is null as unsupported: identifying fields stay strict', () => {
    // Act
    const [event] = post([customerItem({ message: { ...fullMessage(), mid: null } })]);
    // Assess
    expect(event?.type).toBe('switchboard.provider.unsupported');
  });
});

describe('Messenger receipts with null fields', () => {
  const WATERMARK = 1795170021200;

  it('reads a delivery whose mids are null as one up to its watermark', () => {
    // Act
    const [event] = post([customerItem({ delivery: { mids: null, watermark: WATERMARK } })]);
    // Assess: before 2026-12-08 the receipt was provider.unsupported
    if (event?.type !== 'switchboard.message.status_updated') throw new Error(`got ${event?.type}`);
    expect(event.data).toMatchObject({ status: 'delivered', providerMessageIds: [] });
    expect(event.data.watermark).toBe(new Date(WATERMARK).toISOString());
    expect(nullPaths(event)).toEqual([]);
  });

  it('reads a delivery whose watermark is null as one of the messages it lists', () => {
    // Act
    const [event] = post([customerItem({ delivery: { mids: [MID], watermark: null } })]);
    // Assess
    if (event?.type !== 'switchboard.message.status_updated') throw new Error(`got ${event?.type}`);
    expect(event.data).toMatchObject({ status: 'delivered', providerMessageIds: [MID] });
    expect(event.data).not.toHaveProperty('watermark');
    expect(nullPaths(event)).toEqual([]);
  });

  it('reads a read whose watermark or mid is null by the other', () => {
    // Act
    const [byMid] = post([customerItem({ read: { watermark: null, mid: MID } })]);
    const [byWatermark] = post([customerItem({ read: { watermark: WATERMARK, mid: null } })]);
    // Assess
    if (byMid?.type !== 'switchboard.message.status_updated') throw new Error(`got ${byMid?.type}`);
    if (byWatermark?.type !== 'switchboard.message.status_updated')
      throw new Error(`got ${byWatermark?.type}`);
    expect(byMid.data).toMatchObject({ status: 'read', providerMessageIds: [MID] });
    expect(byWatermark.data).toMatchObject({ status: 'read', providerMessageIds: [] });
    expect(byWatermark.data.watermark).toBe(new Date(WATERMARK).toISOString());
    expect([...nullPaths(byMid), ...nullPaths(byWatermark)]).toEqual([]);
  });

  it('keeps a receipt that names no message at all as unsupported', () => {
    // Act
    const events = post([
      customerItem({ delivery: { mids: null, watermark: null } }),
      customerItem({ delivery: { mids: [] } }),
      customerItem({ read: { watermark: null, mid: null } }),
    ]);
    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.provider.unsupported',
      'switchboard.provider.unsupported',
      'switchboard.provider.unsupported',
    ]);
  });
});

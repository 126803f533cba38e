import { describe, expect, it } from 'vitest';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent, Referral } from '#shared/contract/index.ts';
import { adReplyWindowOnInbound, isAdReplyWindowOpen } from '#shared/domain/ad-reply-window.ts';
import {
  applyEvent,
  type ConversationModel,
  isMessageEvent,
  type MessageEvent,
} from '#shared/domain/conversation.ts';
import { storedConversationOf } from '#shared/store/conversations.ts';
import { listFixtures } from '#tests/support/golden.ts';
import { webhookRequest } from '#tests/support/requests.ts';
import { messageEvent } from './factories.ts';

/*
 * The 7-day window after a click-to-Messenger or click-to-Instagram-Direct ad: the customer's
 * message carrying the ad's referral (`source: ADS`) opens it, 7 days from that message; the
 * conversation keeps the newest one's, whatever order the messages are recorded in, and widens the
 * published reply window to it.
 */

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const hour = (n: number): string => new Date(T0 + n * 3_600_000).toISOString();

const asMessage = (event: HubEvent): MessageEvent => {
  if (!isMessageEvent(event)) throw new Error('factory built a non-message');
  return event;
};

const withReferral = (event: MessageEvent, referral: Referral): MessageEvent =>
  ({ ...event, data: { ...event.data, referral } }) as MessageEvent;

const fromAd = (id: string, at: string, adId = '120213456789012345'): MessageEvent =>
  withReferral(asMessage(messageEvent('c1', id, at, 'inbound', 'hello', 'messenger')), {
    source: 'ADS',
    type: 'OPEN_THREAD',
    adId,
  });
const inbound = (id: string, at: string): MessageEvent =>
  asMessage(messageEvent('c1', id, at, 'inbound', 'hello', 'messenger'));
const outbound = (id: string, at: string): MessageEvent =>
  asMessage(messageEvent('c1', id, at, 'outbound', 'hello', 'messenger'));

const fold = (events: readonly MessageEvent[]): ConversationModel => {
  let model: ConversationModel | undefined;
  for (const event of events) model = applyEvent(model, event).model;
  if (model === undefined) throw new Error('no events');
  return model;
};

/** The message events of a signed Messenger sample (`events/messenger/<variant>.json`), its text changed by `edit`. */
const messagesOfSample = (
  variant: string,
  edit: (text: string) => string = (text) => text,
): MessageEvent[] => {
  const fixture = listFixtures('messenger').find((candidate) => candidate.variant === variant);
  if (fixture === undefined) throw new Error(`events/messenger/${variant}.json is missing`);
  const body = Buffer.from(edit(fixture.payload.toString('utf8')));
  const outcome = handleMessengerWebhook(
    webhookRequest({
      path: '/webhooks/messenger',
      headers: { 'X-Hub-Signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, body) },
      body,
    }),
    { secrets: LOCAL_DEV_SECRETS },
  );
  if (outcome.kind !== 'accept') throw new Error('the webhook refused the sample');
  return outcome.events.filter(isMessageEvent);
};

const permutations = <T>(items: readonly T[]): T[][] =>
  items.length <= 1
    ? [[...items]]
    : items.flatMap((item, index) =>
        permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
      );

describe('the reply window after a click-to-Messenger ad', () => {
  it('opens 7 days from the message that came from the ad, and widens the reply window to it', () => {
    // Prepare
    const events = [fromAd('m1', hour(0)), outbound('m2', hour(1))];
    // Act
    const model = fold(events);
    // Assess
    expect(model.state.adReplyWindow).toEqual({
      enteredAt: hour(0),
      adId: '120213456789012345',
      closesAt: hour(168),
    });
    expect(model.state.replyWindow).toEqual({ applies: true, closesAt: hour(168) });
  });

  it('is kept through later messages without a referral; the reply window is the later of the two', () => {
    // Prepare
    const early = fold([fromAd('m1', hour(0)), inbound('m2', hour(30))]);
    const late = fold([fromAd('m1', hour(0)), inbound('m2', hour(150))]);
    // Act
    const windows = [early.state, late.state].map((state) => state.replyWindow.closesAt);
    // Assess
    expect(early.state.adReplyWindow?.closesAt).toBe(hour(168));
    expect(late.state.adReplyWindow?.closesAt).toBe(hour(168));
    expect(windows).toEqual([hour(168), hour(174)]);
  });

  it('moves on to a newer message from an ad', () => {
    // Prepare
    const events = [fromAd('m1', hour(0), '1'), inbound('m2', hour(10)), fromAd('m3', hour(50), '2')];
    // Act
    const model = fold(events);
    // Assess
    expect(model.state.adReplyWindow).toEqual({ enteredAt: hour(50), adId: '2', closesAt: hour(218) });
  });

  it('is the same whatever order the messages are recorded in: an older ad message recorded late opens nothing', () => {
    // Prepare: two ad messages, a plain one after them and the business's answer
    const events = [
      fromAd('m1', hour(0), '1'),
      outbound('m2', hour(2)),
      fromAd('m3', hour(50), '2'),
      inbound('m4', hour(60)),
    ];
    // Act
    const inOrder = fold(events).state;
    const everyOrder = permutations(events).map((order) => fold(order).state);
    // Assess
    expect(inOrder.adReplyWindow).toEqual({ enteredAt: hour(50), adId: '2', closesAt: hour(218) });
    expect(inOrder.replyWindow.closesAt).toBe(hour(218));
    for (const state of everyOrder) {
      expect(state.adReplyWindow).toEqual(inOrder.adReplyWindow);
      expect(state.replyWindow).toEqual(inOrder.replyWindow);
    }
  });

  it('keeps the remembered window for a message from an ad that is not newer', () => {
    // Prepare
    const remembered = { enteredAt: hour(50), adId: '2', closesAt: hour(218) };
    const message = { channel: 'messenger' as const, referral: { source: 'ADS', adId: '3' } };
    // Act
    const older = adReplyWindowOnInbound(remembered, message, hour(0));
    const sameInstant = adReplyWindowOnInbound(remembered, message, hour(50));
    // Assess
    expect(older).toBe(remembered);
    expect(sameInstant).toBe(remembered);
  });

  it('is not opened by a plain message, an m.me link, a click-to-WhatsApp ad or a business message carrying a referral', () => {
    // Prepare
    const shortlink = withReferral(inbound('m1', hour(0)), { source: 'SHORTLINK', ref: 'boots' });
    const whatsAppAd = withReferral(asMessage(messageEvent('c2', 'w1', hour(0))), {
      source: 'ad',
      adId: '1202',
    });
    const echo = withReferral(outbound('m2', hour(1)), { source: 'ADS', adId: '1202' });
    // Act
    const states = [
      fold([inbound('m0', hour(0))]),
      fold([shortlink]),
      fold([whatsAppAd]),
      fold([inbound('m3', hour(0)), echo]),
    ].map((model) => model.state);
    // Assess
    for (const state of states) expect(state).not.toHaveProperty('adReplyWindow');
    expect(states[0]?.replyWindow.closesAt).toBe(hour(24));
  });

  it('leaves out an ad id longer than any of Meta’s, keeping the window', () => {
    // Prepare
    const event = fromAd('m1', hour(0), '9'.repeat(65));
    // Act
    const model = fold([event]);
    // Assess
    expect(model.state.adReplyWindow).toEqual({ enteredAt: hour(0), closesAt: hour(168) });
  });

  it('is open until 7 days after the ad message, and no longer', () => {
    // Prepare
    const window = fold([fromAd('m1', hour(0))]).state.adReplyWindow;
    // Act
    const open = [hour(167), hour(168)].map((at) => isAdReplyWindowOpen(window, new Date(at)));
    // Assess
    expect(open).toEqual([true, false]);
    expect(isAdReplyWindowOpen(undefined, new Date(hour(1)))).toBe(false);
  });

  it("opens from Meta's message webhook carrying the ad's referral (events/messenger/text-with-ad-referral.json)", () => {
    // Prepare
    const received = messagesOfSample('text-with-ad-referral');
    const customer = received[0];
    if (customer === undefined) throw new Error('the sample holds no message');
    // Act
    const model = fold(received);
    // Assess
    expect(model.state.adReplyWindow).toEqual({
      enteredAt: customer.time,
      adId: '120213456789012345',
      closesAt: new Date(Date.parse(customer.time) + 7 * 24 * 3_600_000).toISOString(),
    });
  });

  it('opens from a Get Started tap after the ad (a postback carrying its referral), not from one after an m.me link', () => {
    // Prepare: events/messenger/postback-with-referral.json as it comes after an m.me link, and after an ad
    const fromLink = messagesOfSample('postback-with-referral');
    const fromAdTap = messagesOfSample('postback-with-referral', (text) =>
      text.replace('"source": "SHORTLINK"', '"source": "ADS"'),
    );
    const tap = fromAdTap[0];
    if (tap === undefined) throw new Error('the sample holds no message');
    // Act
    const states = [fold(fromLink), fold(fromAdTap)].map((model) => model.state);
    // Assess
    expect(states[0]).not.toHaveProperty('adReplyWindow');
    expect(states[1]?.adReplyWindow).toEqual({
      enteredAt: tap.time,
      closesAt: new Date(Date.parse(tap.time) + 7 * 24 * 3_600_000).toISOString(),
    });
  });

  it('survives the store, and states stored before it was kept still load without it', () => {
    // Prepare
    const model = fold([fromAd('m1', hour(0))]);
    const { adReplyWindow: _kept, ...olderState } = model.state;
    // Act
    const stored = storedConversationOf({ model: JSON.stringify(model) }).model;
    const older = storedConversationOf({ model: JSON.stringify({ ...model, state: olderState }) }).model;
    // Assess
    expect(stored?.state.adReplyWindow).toEqual(model.state.adReplyWindow);
    expect(older?.state).not.toHaveProperty('adReplyWindow');
  });
});

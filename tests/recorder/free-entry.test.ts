import { describe, expect, it } from 'vitest';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { buildEvent } from '#shared/contract/build.ts';
import type { SendMessageData } from '#shared/contract/commands.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import {
  applyEvent,
  type ConversationModel,
  isMessageEvent,
  type MessageEvent,
} from '#shared/domain/conversation.ts';
import { decideSendPolicy } from '#shared/outbound/policy.ts';
import { storedConversationOf } from '#shared/store/conversations.ts';
import { listFixtures } from '#tests/support/golden.ts';
import { webhookRequest } from '#tests/support/requests.ts';
import { messageEvent } from './factories.ts';

/*
 * WhatsApp's free entry point after a click-to-WhatsApp ad: the conversation remembers when the
 * ad's message came and when the business first answered; the policy keeps free-form messages to
 * the 24-hour reply window (Meta refuses them after it, 131047) and says when templates are free.
 */

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
const hour = (n: number): string => new Date(T0 + n * 3_600_000).toISOString();

const asMessage = (event: HubEvent): MessageEvent => {
  if (!isMessageEvent(event)) throw new Error('factory built a non-message');
  return event;
};

const fromAd = (id: string, at: string, clickId = 'ARAk-click'): MessageEvent => {
  const event = asMessage(messageEvent('c1', id, at));
  return {
    ...event,
    data: { ...event.data, referral: { source: 'ad', adId: '1202', clickId } },
  } as MessageEvent;
};
const inbound = (id: string, at: string): MessageEvent => asMessage(messageEvent('c1', id, at));
const outbound = (id: string, at: string): MessageEvent => asMessage(messageEvent('c1', id, at, 'outbound'));

const fold = (events: readonly MessageEvent[]): ConversationModel => {
  let model: ConversationModel | undefined;
  for (const event of events) model = applyEvent(model, event).model;
  if (model === undefined) throw new Error('no events');
  return model;
};

const command = (type: 'text' | 'template'): SendMessageData => ({
  idempotencyKey: 'k1',
  conversationId: 'conv',
  parts: [
    type === 'text'
      ? { type: 'text', text: 'Still interested?' }
      : { type: 'template', name: 'offer_follow_up', language: 'en', category: 'utility' },
  ],
  sender: { kind: 'agent', id: 'agent-1' },
});

const decide = (model: ConversationModel, type: 'text' | 'template', nowHours: number) =>
  decideSendPolicy({
    command: command(type),
    conversation: model.state,
    consent: {},
    now: new Date(hour(nowHours)),
  });

describe('click-to-WhatsApp free entry point', () => {
  it('opens 72 hours from the first answer within 24 hours of the ad message', () => {
    // Prepare
    const events = [fromAd('m1', hour(0)), outbound('m2', hour(2)), outbound('m3', hour(5))];
    // Act
    const model = fold(events);
    // Assess
    expect(model.state.freeEntryPoint).toEqual({
      enteredAt: hour(0),
      clickId: 'ARAk-click',
      answeredAt: hour(2),
      closesAt: hour(74),
    });
  });

  it('stays unanswered when the business first answers after 24 hours', () => {
    // Prepare
    const events = [fromAd('m1', hour(0)), outbound('m2', hour(25))];
    // Act
    const model = fold(events);
    // Assess
    expect(model.state.freeEntryPoint).toMatchObject({ answeredAt: null, closesAt: null });
  });

  it('is the same whatever order the ad message and the answer arrive in', () => {
    // Prepare
    const inOrder = [fromAd('m1', hour(0)), outbound('m2', hour(3))];
    // Act
    const reversed = fold([...inOrder].reverse());
    // Assess
    expect(reversed.state.freeEntryPoint).toEqual(fold(inOrder).state.freeEntryPoint);
  });

  it('is the same whatever order two ad messages and the answer arrive in', () => {
    // Prepare: ad messages at 10:00 and 20:00, an answer the next day at 12:00 (26 hours after the first)
    const first = fromAd('m1', hour(0), 'click-1');
    const second = fromAd('m2', hour(10), 'click-2');
    const lateAnswer = outbound('m3', hour(26));
    const permutations = <T>(items: readonly T[]): T[][] =>
      items.length <= 1
        ? [[...items]]
        : items.flatMap((item, index) =>
            permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [
              item,
              ...rest,
            ]),
          );
    // Act
    const inOrder = fold([first, second, lateAnswer]).state.freeEntryPoint;
    const secondFirst = fold([second, first, lateAnswer]).state.freeEntryPoint;
    const everyOrder = permutations([first, second, lateAnswer]).map(
      (events) => fold(events).state.freeEntryPoint,
    );
    const answeredInTime = permutations([first, second, outbound('m4', hour(12))]).map(
      (events) => fold(events).state.freeEntryPoint,
    );
    // Assess: the first ad message is the entry (the second came inside its 24 hours), and 26 hours is too late
    expect(inOrder).toEqual({ enteredAt: hour(0), clickId: 'click-1', answeredAt: null, closesAt: null });
    expect(secondFirst).toEqual(inOrder);
    for (const entry of everyOrder) expect(entry).toEqual(inOrder);
    for (const entry of answeredInTime)
      expect(entry).toEqual({
        enteredAt: hour(0),
        clickId: 'click-1',
        answeredAt: hour(12),
        closesAt: hour(84),
      });
  });

  it('is absent on conversations that never came from an ad', () => {
    // Prepare
    const events = [inbound('m1', hour(0)), outbound('m2', hour(1))];
    // Act
    const model = fold(events);
    // Assess
    expect(model.state).not.toHaveProperty('freeEntryPoint');
  });

  it('allows a free-form message inside the 24-hour window', () => {
    // Prepare
    const model = fold([fromAd('m1', hour(0)), outbound('m2', hour(2))]);
    // Act
    const decision = decide(model, 'text', 23);
    // Assess
    expect(decision).toEqual({ ok: true, policy: { withinWindow: true, humanAgentTag: false } });
  });

  it('at 30 hours after an answer within 24 hours, refuses free-form but lets a template through, saying it is free', () => {
    // Prepare
    const model = fold([fromAd('m1', hour(0)), outbound('m2', hour(2))]);
    // Act
    const freeForm = decide(model, 'text', 30);
    const template = decide(model, 'template', 30);
    // Assess
    expect(freeForm).toMatchObject({ ok: false, reason: 'window_closed', failedField: 'parts.0' });
    expect(freeForm.ok ? '' : freeForm.detail).toContain(`free of charge until ${hour(74)}`);
    expect(template).toEqual({ ok: true, policy: { withinWindow: false, humanAgentTag: false } });
  });

  it('at 30 hours without an answer within 24 hours, refuses free-form with no free entry point', () => {
    // Prepare
    const model = fold([fromAd('m1', hour(0)), outbound('m2', hour(26))]);
    // Act
    const decision = decide(model, 'text', 30);
    // Assess
    expect(decision).toMatchObject({ ok: false, reason: 'window_closed' });
    expect(decision.ok ? '' : decision.detail).not.toContain('free entry point');
  });

  it('at 75 hours after the answer, the free entry point has closed too', () => {
    // Prepare
    const model = fold([fromAd('m1', hour(0)), outbound('m2', hour(2))]);
    // Act
    const decision = decide(model, 'text', 75);
    // Assess
    expect(decision).toMatchObject({ ok: false, reason: 'window_closed' });
    expect(decision.ok ? '' : decision.detail).not.toContain('free entry point');
  });

  it('a new customer message refreshes the 24-hour window inside the free entry point', () => {
    // Prepare
    const model = fold([fromAd('m1', hour(0)), outbound('m2', hour(2)), inbound('m3', hour(40))]);
    // Act
    const decision = decide(model, 'text', 50);
    // Assess
    expect(decision.ok).toBe(true);
    expect(model.state.freeEntryPoint?.enteredAt).toBe(hour(0));
  });

  it("remembers the entry of Meta's referral webhook (events/whatsapp/referral.json) once the business answers", () => {
    // Prepare
    const fixture = listFixtures('whatsapp').find((candidate) => candidate.variant === 'referral');
    if (fixture === undefined) throw new Error('events/whatsapp/referral.json is missing');
    const outcome = handleWhatsAppWebhook(
      webhookRequest({
        path: '/webhooks/whatsapp',
        headers: { 'X-Hub-Signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, fixture.payload) },
        body: fixture.payload,
      }),
      { secrets: LOCAL_DEV_SECRETS },
    );
    if (outcome.kind !== 'accept') throw new Error('the webhook refused the sample');
    const received = outcome.events.filter(isMessageEvent);
    const customer = received[0];
    if (customer === undefined) throw new Error('the sample holds no message');
    const answerAt = new Date(Date.parse(customer.time) + 3 * 3_600_000).toISOString();
    const answer = buildEvent('switchboard.message.sent', 'evt_answer', {
      ...customer.data,
      hubMessageId: 'msg_answer',
      direction: 'outbound',
      providerMessageId: 'wamid.answer',
      providerTimestamp: answerAt,
      referral: undefined,
      parts: [{ type: 'text', text: 'Thanks, here is the offer' }],
    });
    // Act
    const model = fold([...received, answer]);
    // Assess
    expect(model.state.freeEntryPoint).toEqual({
      enteredAt: customer.time,
      clickId: customer.data.referral?.clickId,
      answeredAt: answerAt,
      closesAt: new Date(Date.parse(answerAt) + 72 * 3_600_000).toISOString(),
    });
  });

  it('survives the store, and states stored before it was kept still load without it', () => {
    // Prepare
    const model = fold([fromAd('m1', hour(0)), outbound('m2', hour(2))]);
    const { freeEntryPoint: _kept, ...olderState } = model.state;
    // Act
    const stored = storedConversationOf({ model: JSON.stringify(model) }).model;
    const older = storedConversationOf({ model: JSON.stringify({ ...model, state: olderState }) }).model;
    // Assess
    expect(stored?.state.freeEntryPoint).toEqual(model.state.freeEntryPoint);
    expect(older?.state).not.toHaveProperty('freeEntryPoint');
    expect(older === undefined ? undefined : decide(older, 'template', 30).ok).toBe(true);
  });
});

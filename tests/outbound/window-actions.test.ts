import { describe, expect, it } from 'vitest';
import type { HubEvent, HubEventOf, Referral } from '#shared/contract/types.ts';
import {
  applyEvent,
  applyWindowAction,
  type ConversationModel,
  type MessageEvent,
} from '#shared/domain/conversation.ts';
import { conversationFor, messageEvent, reactionEvent, referralEvent } from '../recorder/factories.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * Meta's 24-hour window on Messenger and Instagram opens on more than a message: a customer who
 * reacts to a message, or comes back to their thread through an m.me or ig.me link (a standalone
 * referral), opens it too. The conversation keeps the newest such action (`replyWindow.lastActionAt`)
 * and a bot's reply inside the 24 hours after it goes as a plain response. An ad's click alone, a
 * reaction taken back, and anything on WhatsApp open nothing.
 */

type StateChanged = HubEventOf<'switchboard.conversation.state_changed'>;
type Failed = HubEventOf<'switchboard.message.send_failed'>;

const HOUR_MS = 3_600_000;
const hoursBefore = (hours: number): string => new Date(T0.getTime() - hours * HOUR_MS).toISOString();
const bot = { sender: { kind: 'bot', id: 'bot-1' } };

const statesIn = (events: readonly HubEvent[]): StateChanged[] =>
  events.filter((event): event is StateChanged => event.type === 'switchboard.conversation.state_changed');

describe("the reply window opened by a Messenger customer's reaction or link click", () => {
  const hub = useOutboundHarness();
  let customers = 0;

  const record = async (events: HubEvent[]): Promise<HubEvent[]> => {
    await hub.pipeline.ingest(events);
    await hub.pipeline.drain();
    return hub.pipeline.takeHelpdesk();
  };

  /** A customer whose last message was 3 days ago on `channel`: their id and conversation. */
  const quietCustomer = async (channel: 'messenger' | 'whatsapp' = 'messenger') => {
    const id = `7702944${String(++customers).padStart(5, '0')}`;
    await record([messageEvent(id, `m_quiet${customers}`, hoursBefore(72), 'inbound', 'Thanks!', channel)]);
    return { id, conversationId: conversationFor(id, channel).conversationId };
  };

  /** A bot's reply now: the policy the provider saw (none when refused) and the outcome event. */
  const botReplies = async (conversationId: string, key: string) => {
    await hub.enqueue(sendCommand(conversationId, key, undefined, bot));
    await hub.runOutbox();
    const [outcome] = outcomesOf(await hub.pipeline.takeHelpdesk());
    return { policies: hub.provider.calls.map((call) => call.context.policy), outcome };
  };

  it('opens 24 hours from a reaction: the state says so, and a bot may answer', async () => {
    // Prepare
    const { id, conversationId } = await quietCustomer();
    // Act
    const told = await record([reactionEvent(id, 'm_business1', '👍', hoursBefore(2), 'messenger')]);
    const { policies, outcome } = await botReplies(conversationId, 'after-reaction');
    // Assess
    expect(told.map((event) => event.type)).toEqual([
      'switchboard.message.reaction_changed',
      'switchboard.conversation.state_changed',
    ]);
    const [state] = statesIn(told);
    expect(state?.data.state.replyWindow).toEqual({
      applies: true,
      closesAt: hoursBefore(-22),
      lastActionAt: hoursBefore(2),
    });
    expect(state?.data.state.lastInboundAt).toBe(hoursBefore(72));
    expect(state?.data.state).toMatchObject({ unreadCount: 1, status: 'open' });
    expect(policies).toEqual([{ withinWindow: true, humanAgentTag: false }]);
    expect(outcome?.type).toBe('switchboard.message.sent');
  });

  it('opens 24 hours from an m.me link bringing the customer back to their thread', async () => {
    // Prepare
    const { id, conversationId } = await quietCustomer();
    const shortlink: Referral = { source: 'SHORTLINK', type: 'OPEN_THREAD', ref: 'winter-boots' };
    // Act
    const told = await record([referralEvent(id, shortlink, hoursBefore(1))]);
    const { policies } = await botReplies(conversationId, 'after-shortlink');
    // Assess
    expect(told.map((event) => event.type)).toEqual([
      'switchboard.contact.referred',
      'switchboard.conversation.state_changed',
    ]);
    expect(statesIn(told)[0]?.data.state.replyWindow.closesAt).toBe(hoursBefore(-23));
    expect(policies).toEqual([{ withinWindow: true, humanAgentTag: false }]);
  });

  it('applies a redelivered reaction once: no new version', async () => {
    // Prepare
    const { id } = await quietCustomer();
    const reaction = reactionEvent(id, 'm_business2', '❤️', hoursBefore(3), 'messenger');
    const [first] = statesIn(await record([reaction]));
    // Act
    await hub.pipeline.ingest([reaction], '-again');
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    // Assess: anything told again is told under the same ids, which the helpdesk queue drops; the version says it
    const stored = await hub.pipeline.read.getConversation(first?.data.state.conversationId ?? '');
    expect(first?.data.state.replyWindow.lastActionAt).toBe(hoursBefore(3));
    expect(stored?.state.version).toBe(first?.data.state.version);
  });

  it("refuses a bot's reply after an ad's referral alone, a reaction taken back, or an old reaction", async () => {
    // Prepare
    const ad = await quietCustomer();
    const removed = await quietCustomer();
    const old = await quietCustomer();
    const fromAd: Referral = { source: 'ADS', type: 'OPEN_THREAD', adId: '120213456789012345' };
    // Act
    const told = await record([
      referralEvent(ad.id, fromAd, hoursBefore(1)),
      reactionEvent(removed.id, 'm_business3', undefined, hoursBefore(1), 'messenger'),
      reactionEvent(old.id, 'm_business4', '👍', hoursBefore(25), 'messenger'),
    ]);
    const outcomes = [];
    for (const [index, { conversationId }] of [ad, removed, old].entries())
      outcomes.push((await botReplies(conversationId, `refused-${index}`)).outcome as Failed | undefined);
    // Assess
    expect(statesIn(told).map((event) => event.data.state.replyWindow.lastActionAt)).toEqual([
      hoursBefore(25),
    ]);
    expect(hub.provider.calls).toHaveLength(0);
    expect(outcomes.map((outcome) => outcome?.data.reason)).toEqual([
      'window_closed',
      'window_closed',
      'window_closed',
    ]);
  });

  it('opens nothing on WhatsApp, where only a message or a call opens the window', async () => {
    // Prepare
    const { id, conversationId } = await quietCustomer('whatsapp');
    // Act
    const told = await record([reactionEvent(id, 'wamid.business5', '👍', hoursBefore(1))]);
    const { outcome } = await botReplies(conversationId, 'whatsapp-reaction');
    // Assess
    expect(told.map((event) => event.type)).toEqual(['switchboard.message.reaction_changed']);
    expect(hub.provider.calls).toHaveLength(0);
    expect((outcome as Failed | undefined)?.data.reason).toBe('window_closed');
  });
});

describe('the window an action opens, as the conversation keeps it', () => {
  const customer = '770294499999';
  const message = (id: string, at: string) =>
    messageEvent(customer, id, at, 'inbound', 'hello', 'messenger') as MessageEvent;
  const fold = (events: readonly MessageEvent[]): ConversationModel => {
    let model: ConversationModel | undefined;
    for (const event of events) model = applyEvent(model, event).model;
    if (model === undefined) throw new Error('no events');
    return model;
  };

  it('keeps the newest action, and a later message moves the window past it', () => {
    // Prepare
    const quiet = fold([message('m1', hoursBefore(72))]);
    // Act
    const reacted = applyWindowAction(quiet, hoursBefore(5));
    const older = reacted && applyWindowAction(reacted, hoursBefore(6));
    const wroteAfter = reacted && applyEvent(reacted, message('m2', hoursBefore(1))).model;
    // Assess
    expect(reacted?.state.replyWindow).toEqual({
      applies: true,
      closesAt: hoursBefore(-19),
      lastActionAt: hoursBefore(5),
    });
    expect(reacted?.state.version).toBe(quiet.state.version + 1);
    expect(older).toBeUndefined();
    expect(wroteAfter?.state.replyWindow.closesAt).toBe(hoursBefore(-23));
  });

  it('leaves the window where a newer message already took it', () => {
    // Prepare
    const recent = fold([message('m1', hoursBefore(2))]);
    // Act
    const reacted = applyWindowAction(recent, hoursBefore(10));
    // Assess
    expect(reacted?.state.replyWindow).toEqual({
      applies: true,
      closesAt: hoursBefore(-22),
      lastActionAt: hoursBefore(10),
    });
  });
});

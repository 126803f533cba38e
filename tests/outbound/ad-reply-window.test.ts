import { describe, expect, it } from 'vitest';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { conversationFor, messageEvent } from '../recorder/factories.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * Replies after a click-to-Messenger or click-to-Instagram-Direct ad: Meta's standard messaging
 * window "may last up to 7 days" from the customer's first message after the ad click (Messenger
 * Platform policy, 2026-09-28). Inside those 7 days a reply without a tag (a bot's, the system's)
 * goes as a plain response (RESPONSE); a human agent's reply after the 24 hours keeps HUMAN_AGENT,
 * which Meta always allows within 7 days of the customer's last message, where the ad's window only
 * "may" last. After them the 24-hour rules are back.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

const DAY_MS = 24 * 3_600_000;
const daysBefore = (days: number): string => new Date(T0.getTime() - days * DAY_MS).toISOString();
const bot = { sender: { kind: 'bot', id: 'bot-1' } };

describe('replies in the 7 days after a click-to-Messenger ad', () => {
  const hub = useOutboundHarness();
  let customer = 0;

  const record = async (events: HubEvent[]) => {
    await hub.pipeline.ingest(events);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
  };

  /** A Messenger customer whose first message came from an ad at `at`; their id and conversation. */
  const customerFromAd = async (at: string) => {
    const id = `7702913${String(++customer).padStart(5, '0')}`;
    const event = messageEvent(id, `m_ad${customer}`, at, 'inbound', 'Still in size 38?', 'messenger');
    const fromAd = {
      ...event,
      data: { ...event.data, referral: { source: 'ADS', type: 'OPEN_THREAD', adId: '120213456789012345' } },
    } as HubEvent;
    await record([fromAd]);
    return { id, conversationId: conversationFor(id, 'messenger').conversationId };
  };

  it("sends a bot's reply 6 days after the ad message as a plain response", async () => {
    // Prepare
    const { conversationId } = await customerFromAd(daysBefore(6));
    await hub.enqueue(sendCommand(conversationId, 'six-days', undefined, bot));
    // Act
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls.map((call) => call.context.policy)).toEqual([
      { withinWindow: true, humanAgentTag: false },
    ]);
    const [sent] = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(sent?.type).toBe('switchboard.message.sent');
  });

  it("tags a human agent's reply 3 days after the ad message HUMAN_AGENT, the window Meta always allows", async () => {
    // Prepare
    const { conversationId } = await customerFromAd(daysBefore(3));
    await hub.enqueue(sendCommand(conversationId, 'agent-three-days'));
    // Act
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls.map((call) => call.context.policy)).toEqual([
      { withinWindow: false, humanAgentTag: true },
    ]);
  });

  it("sends a human agent's reaction 3 days after the ad message untagged, as a bot's goes", async () => {
    // Prepare: a reaction is a sender action, which takes no HUMAN_AGENT tag; the ad's window carries it
    const { conversationId } = await customerFromAd(daysBefore(3));
    const reaction = { type: 'reaction' as const, targetProviderMessageId: `m_ad${customer}`, emoji: '👍' };
    await hub.enqueue(sendCommand(conversationId, 'agent-reaction', [reaction]));
    // Act
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls.map((call) => call.message.part.type)).toEqual(['reaction']);
    const [sent] = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(sent?.type).toBe('switchboard.message.sent');
  });

  it("refuses a bot's reply 8 days after the ad message without calling the provider", async () => {
    // Prepare
    const { conversationId } = await customerFromAd(daysBefore(8));
    await hub.enqueue(sendCommand(conversationId, 'eight-days', undefined, bot));
    // Act
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls).toHaveLength(0);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data).toMatchObject({ reason: 'window_closed', retryable: false, failedField: 'parts.0' });
    expect(JSON.stringify(failed?.data.errors)).toContain(`window closed at ${daysBefore(1)}`);
  });

  it('tags a human agent’s reply HUMAN_AGENT again once the ad’s 7 days passed, within 7 days of a later message', async () => {
    // Prepare: the ad message 8 days ago, a plain message 2 days ago
    const { id, conversationId } = await customerFromAd(daysBefore(8));
    await record([messageEvent(id, `m_later${customer}`, daysBefore(2), 'inbound', 'Hello?', 'messenger')]);
    await hub.enqueue(sendCommand(conversationId, 'agent-after'));
    // Act
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls.map((call) => call.context.policy)).toEqual([
      { withinWindow: false, humanAgentTag: true },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { whatsappChangeEvents } from '#tests/support/whatsapp-change.ts';
import { outcomesOf, referToMessage, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * A WhatsApp customer's call opens and refreshes the 24-hour reply window as their message does
 * (Meta's customer service window starts and restarts when the user messages or calls): the call
 * comes through the signed webhook as Meta sends it, the recorder records it, and the send policy
 * takes a free-form answer within 24 hours of the call. A call the business placed opens nothing.
 */

const HOUR_MS = 3_600_000;
const hoursBeforeT0 = (hours: number): Date => new Date(T0.getTime() - hours * HOUR_MS);
const epochSeconds = (at: Date): string => String(Math.floor(at.getTime() / 1000));

/** A signed POST of one change of `field` to the business number, received a second after `at`. */
const webhookEvents = (field: string, value: Record<string, unknown>, at: Date): HubEvent[] =>
  whatsappChangeEvents(field, value, new Date(at.getTime() + 1_000));

const customerWrites = (wa: string, at: Date) =>
  webhookEvents(
    'messages',
    {
      contacts: [{ profile: { name: 'Ingrid' }, wa_id: wa }],
      messages: [
        {
          from: wa,
          id: `wamid.cw-${wa}`,
          timestamp: epochSeconds(at),
          type: 'text',
          text: { body: 'Hallo?' },
        },
      ],
    },
    at,
  );

const call = (wa: string, at: Date, direction: 'USER_INITIATED' | 'BUSINESS_INITIATED') =>
  webhookEvents(
    'calls',
    {
      ...(direction === 'USER_INITIATED' ? { contacts: [{ profile: { name: 'Ingrid' }, wa_id: wa }] } : {}),
      calls: [
        {
          id: `wacid.cw-${wa}-${direction}`,
          from: direction === 'USER_INITIATED' ? wa : '4930609859530',
          to: direction === 'USER_INITIATED' ? '4930609859530' : wa,
          event: 'connect',
          timestamp: epochSeconds(at),
          direction,
          session: { sdp_type: direction === 'USER_INITIATED' ? 'offer' : 'answer', sdp: 'v=0\r\n' },
        },
      ],
    },
    at,
  );

type StateChanged = HubEventOf<'switchboard.conversation.state_changed'>;

describe('a WhatsApp call and the reply window', () => {
  const hub = useOutboundHarness();

  /** Records the events and returns the conversation's newest state on the helpdesk stream. */
  const record = async (events: HubEvent[]) => {
    await hub.pipeline.ingest(events);
    await hub.pipeline.drain();
    const states = (await hub.pipeline.takeHelpdesk()).filter(
      (event): event is StateChanged => event.type === 'switchboard.conversation.state_changed',
    );
    return states.at(-1)?.data.state;
  };

  const answer = async (conversationId: string, key: string) => {
    await hub.enqueue(sendCommand(conversationId, key));
    await hub.runOutbox();
    return outcomesOf(await hub.pipeline.takeHelpdesk());
  };

  it('takes a free-form answer to a customer who last wrote 30 hours ago and called an hour ago', async () => {
    // Prepare
    const wa = '4917600000101';
    const wrote = customerWrites(wa, hoursBeforeT0(30));
    const conversationId = wrote[0]?.subject ?? '';
    await record(wrote);
    const called = call(wa, hoursBeforeT0(1), 'USER_INITIATED');
    // Act
    const state = await record(called);
    const outcomes = await answer(conversationId, 'cw-after-call');
    // Assess: the call is the customer's, in their conversation, and the window runs from it
    expect(called.map((event) => [event.type, event.subject])).toEqual([
      ['switchboard.message.received', conversationId],
    ]);
    expect(state).toMatchObject({
      lastInboundAt: hoursBeforeT0(1).toISOString(),
      replyWindow: { applies: true, closesAt: new Date(T0.getTime() + 23 * HOUR_MS).toISOString() },
      // Still waiting since the unanswered message of 30 hours ago, now two unread.
      waitingSince: hoursBeforeT0(30).toISOString(),
      unreadCount: 2,
      messageCount: 2,
    });
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(hub.provider.calls).toHaveLength(1);
  });

  it('refuses a free-form answer when the business called the customer, who last wrote 30 hours ago', async () => {
    // Prepare
    const wa = '4917600000102';
    const wrote = customerWrites(wa, hoursBeforeT0(30));
    const conversationId = wrote[0]?.subject ?? '';
    await record(wrote);
    const called = call(wa, hoursBeforeT0(1), 'BUSINESS_INITIATED');
    // Act
    const state = await record(called);
    const outcomes = await answer(conversationId, 'cw-after-our-call');
    // Assess: kept whole in the customer's conversation, not taken as the customer's
    expect(called.map((event) => [event.type, event.subject])).toEqual([
      ['switchboard.provider.unsupported', conversationId],
    ]);
    expect(state).toBeUndefined();
    expect(outcomes).toEqual([
      expect.objectContaining({
        type: 'switchboard.message.send_failed',
        data: expect.objectContaining({ reason: 'window_closed' }),
      }),
    ]);
    expect(hub.provider.calls).toHaveLength(0);
  });
  it('refuses a reply quoting the call, or a reaction to it, before any provider call, and marks no call read', async () => {
    // Prepare: a customer who called
    const wa = '4917600000103';
    const called = call(wa, hoursBeforeT0(1), 'USER_INITIATED');
    await record(called);
    const conversationId = called[0]?.subject ?? '';
    const callId = `wacid.cw-${wa}-USER_INITIATED`;
    // Act
    const failed = await referToMessage(hub, conversationId, callId, 'cw-call');
    // Assess: each send ends content_invalid naming its field; nothing reached the provider
    expect(failed.map((event) => [event.type, event.data.reason, event.data.failedField])).toEqual([
      ['switchboard.message.send_failed', 'content_invalid', 'replyTo'],
      ['switchboard.message.send_failed', 'content_invalid', 'parts.0.targetProviderMessageId'],
    ]);
    expect(hub.provider.calls).toHaveLength(0);
    expect(hub.provider.signals).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { deliveredToPipeline, messengerText, metaRequest, whatsappText } from '#tests/support/hostile.ts';

/**
 * A reaction's emoji is the customer's text, and a signed body can make it any length. The event
 * carries it whole; the reaction register (an attribute of the message's state item) must still fit
 * a table item. ASCII, because the local DynamoDB counts an item's characters where DynamoDB counts
 * its UTF-8 bytes.
 */
const HUGE_EMOJI = 'x'.repeat(450_000);

const whatsappReaction = (id: string, target: string, emoji: string) => {
  const body = whatsappText();
  const [change] = body.entry[0]?.changes ?? [];
  if (!change) throw new Error('whatsappText has no change');
  change.value.messages = [
    {
      from: '306912345678',
      id,
      timestamp: '1795166044',
      type: 'reaction',
      reaction: { message_id: target, emoji },
    } as unknown as (typeof change.value.messages)[number],
  ];
  return body;
};

const messengerReaction = (target: string, emoji: string) => {
  const body = messengerText();
  const [entry] = body.entry;
  if (!entry) throw new Error('messengerText has no entry');
  entry.messaging = [
    {
      sender: { id: '6783425123045219' },
      recipient: { id: '104331798255117' },
      timestamp: 1795166044000,
      reaction: { mid: target, action: 'react', reaction: 'other', emoji },
    } as unknown as (typeof entry.messaging)[number],
  ];
  return body;
};

describe('a reaction with an emoji longer than a table item', () => {
  const run = deliveredToPipeline(() => [
    metaRequest('/webhooks/whatsapp', whatsappReaction('wamid.R1', 'wamid.TARGET', HUGE_EMOJI)),
    metaRequest('/webhooks/messenger', messengerReaction('m_target', HUGE_EMOJI)),
  ]);

  it('is answered 2xx and recorded at the first attempt, on WhatsApp and Messenger', () => {
    // Assess
    expect(run.statuses).toEqual([200, 200]);
    expect(run.drained).toEqual({ received: 2, failed: 0 });
  });

  it('reaches the helpdesk with the emoji whole', () => {
    // Assess
    expect(run.delivered.map((event) => event.type)).toEqual([
      'switchboard.message.reaction_changed',
      'switchboard.message.reaction_changed',
    ]);
    for (const event of run.delivered) {
      if (event.type === 'switchboard.message.reaction_changed') expect(event.data.emoji).toBe(HUGE_EMOJI);
    }
  });

  it("keeps the reaction on the message's state with the emoji cut to a bound", async () => {
    // Act
    const whatsapp = await run.pipeline.read.findMessageByProviderId('whatsapp', 'wamid.TARGET');
    const messenger = await run.pipeline.read.findMessageByProviderId('messenger', 'm_target');
    // Assess
    for (const found of [whatsapp, messenger]) {
      expect(found?.live.customerReaction?.action).toBe('added');
      expect(found?.live.customerReaction?.emoji).toBe('x'.repeat(1024));
    }
  });
});

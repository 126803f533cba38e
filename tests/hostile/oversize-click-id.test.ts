import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliveredToPipeline, metaRequest, whatsappText } from '#tests/support/hostile.ts';

/**
 * A click id of 2 MB that deflate cannot shrink (hashes in base64): the conversation item keeps the
 * free entry point the ad opened, and would carry it past a table item's 400 KB.
 */
const HUGE_CLICK_ID = Array.from({ length: 48_000 }, (_, index) =>
  createHash('sha256').update(String(index)).digest('base64'),
).join('');

const fromAd = (clickId: string) => {
  const body = whatsappText({ id: 'wamid.AD1' });
  const [message] = body.entry[0]?.changes[0]?.value.messages ?? [];
  if (!message) throw new Error('whatsappText has no message');
  Object.assign(message, {
    referral: { source_url: 'https://fb.me/ad', source_id: '1202', source_type: 'ad', ctwa_clid: clickId },
  });
  return body;
};

describe('a message from a click-to-WhatsApp ad whose click id is longer than a table item', () => {
  const run = deliveredToPipeline(() => [metaRequest('/webhooks/whatsapp', fromAd(HUGE_CLICK_ID))]);

  it('is answered 2xx and recorded at the first attempt', () => {
    // Assess
    expect(run.statuses).toEqual([200]);
    expect(run.drained.failed).toBe(0);
  });

  it('reaches the helpdesk with the click id whole', () => {
    // Act
    const message = run.delivered.find((event) => event.type === 'switchboard.message.received');
    // Assess
    expect(message?.type === 'switchboard.message.received' && message.data.referral?.clickId).toBe(
      HUGE_CLICK_ID,
    );
  });

  it('opens the free entry point without the click id', async () => {
    // Prepare
    const message = run.delivered.find((event) => event.type === 'switchboard.message.received');
    if (message?.type !== 'switchboard.message.received') throw new Error('no message delivered');
    // Act
    const conversation = await run.pipeline.read.getConversation(message.data.conversationId);
    // Assess
    expect(conversation?.state.freeEntryPoint).toEqual({
      enteredAt: message.time,
      answeredAt: null,
      closesAt: null,
    });
  });
});

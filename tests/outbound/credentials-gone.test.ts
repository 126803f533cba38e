import { describe, expect, it } from 'vitest';
import type { HubEventOf } from '#shared/contract/types.ts';
import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import { openCustomerConversation, outcomesOf, sendCommand, useOutboundHarness } from './harness.ts';

/*
 * A command claimed while the deployment had sending credentials for its provider, which are gone
 * before its next message can go (the provider's token removed from the channel secret): it ends at
 * once as a new command would, `send_failed` `credentials` naming what already went, instead of
 * holding its conversation to its last receive (about 49 minutes) and ending `provider_error`.
 */

const throttled: SendOutcome = { kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } };

describe('a send whose credentials go after its claim', () => {
  const hub = useOutboundHarness();

  it('ends credentials at its next receive, with the message that went, and frees its conversation', async () => {
    // Prepare: part one goes, part two is throttled
    const { conversationId } = await openCustomerConversation(hub, { prefix: '4915553', tag: 'cg' }, 1);
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.PART1' }, throttled);
    await hub.enqueue(sendCommand(conversationId, 'gone-1', [{ type: 'text', text: 'One|Two' }]));
    await hub.runOutbox(hub.sender(), 1);
    await hub.enqueue(sendCommand(conversationId, 'gone-2'));
    const withoutCredentials = hub.sender(undefined, { senderFor: async () => undefined });
    // Act
    await hub.runOutbox(withoutCredentials, 5);
    // Assess
    const outcomes = outcomesOf(
      await hub.pipeline.takeHelpdesk(),
    ) as HubEventOf<'switchboard.message.send_failed'>[];
    expect(hub.provider.calls).toHaveLength(2);
    expect(outcomes.map((event) => [event.type, event.data.idempotencyKey, event.data.reason])).toEqual([
      ['switchboard.message.send_failed', 'gone-1', 'credentials'],
      ['switchboard.message.send_failed', 'gone-2', 'credentials'],
    ]);
    expect(outcomes[0]?.data.sentProviderMessageIds).toEqual(['wamid.PART1']);
    expect(await hub.outboxDlq()).toEqual([]);
  });

  it.each(['accept', 'record-sent'] as const)(
    'finishes a send whose messages all went, its receive dying after the last %s, without credentials: one message.sent',
    async (crashStep) => {
      // Prepare: both messages go; the receive dies after the last accept, or after the recording
      const { conversationId } = await openCustomerConversation(
        hub,
        { prefix: '4915553', tag: `cg${crashStep}` },
        2,
      );
      let accepts = 0;
      const crashing = hub.sender((step) => {
        if (step !== crashStep) return;
        accepts += 1;
        if (crashStep === 'record-sent' || accepts === 2) throw new Error(`crash after ${step}`);
      });
      await hub.enqueue(
        sendCommand(conversationId, `went-${crashStep}`, [{ type: 'text', text: 'One|Two' }]),
      );
      await hub.runOutbox(crashing, 1);
      const withoutCredentials = hub.sender(undefined, { senderFor: async () => undefined });
      // Act
      await hub.runOutbox(withoutCredentials, 5);
      // Assess
      expect(hub.provider.calls).toHaveLength(2);
      expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
        'switchboard.message.sent',
      ]);
    },
  );
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationFor, messageEvent, minute } from '../recorder/factories.ts';
import { type OutboundHarness, signalCommand, startOutboundHarness } from './harness.ts';

/*
 * A read receipt marks a customer's message read at the provider: the helpdesk names the message, so
 * one the hub recorded in another conversation is refused before any call, as a reply's `replyTo`
 * of another conversation is.
 */

describe('mark_read commands', () => {
  let hub: OutboundHarness;

  beforeAll(async () => {
    hub = await startOutboundHarness();
  });
  afterAll(async () => {
    await hub.stop();
  });

  it('marks its own conversation’s message or one the hub never recorded, never another conversation’s', async () => {
    // Prepare: two customers of the same number, each with a message
    await hub.pipeline.ingest([
      messageEvent('491555000201', 'wamid.read-own', minute(110)),
      messageEvent('491555000202', 'wamid.read-other', minute(111)),
    ]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const { conversationId } = conversationFor('491555000201');
    // Act
    await hub.enqueue(signalCommand(conversationId, 'wamid.read-other'));
    await hub.enqueue(signalCommand(conversationId, 'wamid.read-own'));
    await hub.enqueue(signalCommand(conversationId, 'wamid.read-unrecorded'));
    await hub.runOutbox();
    // Assess
    expect(hub.provider.signals).toEqual([
      { type: 'mark_read', conversationId, providerMessageId: 'wamid.read-own' },
      { type: 'mark_read', conversationId, providerMessageId: 'wamid.read-unrecorded' },
    ]);
    expect(await hub.outboxDlq()).toEqual([]);
  });
});

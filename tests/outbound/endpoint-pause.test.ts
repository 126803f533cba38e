import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubEventOf } from '#shared/contract/types.ts';
import { createEndpointPauses } from '#shared/store/endpoint-pauses.ts';
import { whatsAppAnswer } from '#tests/support/meta-errors.ts';
import { conversationFor, messageEvent, minute } from '../recorder/factories.ts';
import {
  type OutboundHarness,
  outcomesOf,
  sendCommand,
  signalCommand,
  startOutboundHarness,
  T0,
} from './harness.ts';

/*
 * A provider that refuses the hub's credentials (Graph 190, Twilio 20003, Mailgun 401) refuses every
 * send of that endpoint until a person fixes the secret: the sender pauses the endpoint instead of
 * calling again for each command, and tries again once the pause is over.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

describe('endpoint pause on refused credentials', () => {
  let hub: OutboundHarness;

  beforeAll(async () => {
    hub = await startOutboundHarness();
  });
  afterAll(async () => {
    await hub.stop();
  });

  it('fails the next commands at once without a provider call, then tries again after the pause', async () => {
    // Prepare
    hub.now = T0;
    const wa = '491555000111';
    await hub.pipeline.ingest([messageEvent(wa, 'wamid.pause-in', minute(110))]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const { conversationId } = conversationFor(wa);
    const sender = hub.sender();
    hub.provider.script.push({
      kind: 'credentials',
      error: { code: '190', title: 'Error validating access token: Session has expired' },
    });
    // Act
    await hub.enqueue(sendCommand(conversationId, 'refused'));
    await hub.enqueue(sendCommand(conversationId, 'during-pause'));
    await hub.runOutbox(sender);
    const first = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    const callsDuringPause = hub.provider.calls.length;
    hub.now = new Date(T0.getTime() + 6 * 60_000);
    await hub.enqueue(sendCommand(conversationId, 'after-pause'));
    await hub.runOutbox(sender);
    const later = outcomesOf(await hub.pipeline.takeHelpdesk());
    // Assess
    expect(first.map((event) => event.data.reason)).toEqual(['credentials', 'credentials']);
    expect(first[0]?.data.errors?.[0]?.code).toBe('190');
    expect(first[1]?.data).toMatchObject({ retryable: true });
    expect(first[1]?.data.errors?.[0]?.title).toMatch(/paused until 2026-11-22T12:05:00/);
    expect(callsDuringPause).toBe(1);
    expect(later.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(hub.provider.calls).toHaveLength(2);
  });

  it('pauses the endpoint when a read receipt’s credentials are refused: no signal or send calls the provider until the pause is over', async () => {
    // Prepare: an hour after the first test's pause, a customer of the same number wrote
    hub.now = new Date(T0.getTime() + 60 * 60_000);
    const wa = '491555000112';
    await hub.pipeline.ingest([messageEvent(wa, 'wamid.signal-in', minute(170))]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const { conversationId } = conversationFor(wa);
    const sender = hub.sender();
    hub.provider.calls.length = 0;
    hub.provider.signals.length = 0;
    hub.provider.signalScript.push({
      kind: 'credentials',
      error: { code: '190', title: 'Error validating access token: Session has expired' },
    });
    // Act: the refused read receipt, then typing and a reply during the pause, then typing after it
    await hub.enqueue(signalCommand(conversationId, 'wamid.signal-in'));
    await hub.enqueue(signalCommand(conversationId));
    await hub.enqueue(sendCommand(conversationId, 'after-refused-signal'));
    await hub.runOutbox(sender);
    const during = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    hub.now = new Date(T0.getTime() + 66 * 60_000);
    await hub.enqueue(signalCommand(conversationId));
    await hub.runOutbox(sender);
    // Assess
    expect(hub.provider.signals.map((call) => call.type)).toEqual(['mark_read', 'typing']);
    expect(during.map((event) => event.data.reason)).toEqual(['credentials']);
    expect(during[0]?.data.errors?.[0]?.title).toMatch(/paused until 2026-11-22T13:05:00/);
    expect(hub.provider.calls).toHaveLength(0);
  });

  it('pauses the number on a WhatsApp account refusal (131031 locked), but ends a payment refusal (131042) alone', async () => {
    // Prepare: two hours after the first test's pause, a customer of the same number wrote
    hub.now = new Date(T0.getTime() + 120 * 60_000);
    const wa = '491555000113';
    await hub.pipeline.ingest([messageEvent(wa, 'wamid.account-in', minute(230))]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const { conversationId } = conversationFor(wa);
    const sender = hub.sender();
    hub.provider.calls.length = 0;
    hub.provider.script.push(whatsAppAnswer(131_031));
    // Act: a reply refused as the account is locked, and one behind it; later a reply refused for the
    // account's payment method, and one behind it
    await hub.enqueue(sendCommand(conversationId, 'locked'));
    await hub.enqueue(sendCommand(conversationId, 'while-locked'));
    await hub.runOutbox(sender);
    const locked = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    const callsWhileLocked = hub.provider.calls.length;
    hub.now = new Date(T0.getTime() + 126 * 60_000);
    hub.provider.script.push(whatsAppAnswer(131_042));
    await hub.enqueue(sendCommand(conversationId, 'unpaid'));
    await hub.enqueue(sendCommand(conversationId, 'after-unpaid'));
    await hub.runOutbox(sender);
    const unpaid = outcomesOf(await hub.pipeline.takeHelpdesk());
    // Assess: the lock paused the number (no call for the next reply); the payment refusal ended its
    // own reply at once, retryable, and the next reply went
    expect(locked.map((event) => event.data.reason)).toEqual(['credentials', 'credentials']);
    expect(locked[0]?.data).toMatchObject({ retryable: true, errors: [{ code: '131031' }] });
    expect(locked[1]?.data.errors?.[0]?.title).toMatch(/paused until 2026-11-22T14:05:00/);
    expect(callsWhileLocked).toBe(1);
    expect(unpaid.map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.sent',
    ]);
    expect((unpaid[0] as Failed).data).toMatchObject({
      reason: 'credentials',
      retryable: true,
      errors: [{ code: '131042' }],
    });
    expect(hub.provider.calls).toHaveLength(3);
  });

  it('never shortens a later pause by a pause written late, and lengthens a shorter one', async () => {
    // Prepare: two environments over the table; B paused the endpoint until T0+10m, while A's pause
    // until T0+5m (refused by DynamoDB at the time) is still to be written
    const { dynamodb } = hub.pipeline.emulators.clients;
    const { tableName } = hub.pipeline.emulators.resources;
    const environment = () => createEndpointPauses({ client: dynamodb, tableName, now: () => T0 });
    const [a, b] = [environment(), environment()];
    const ref = {
      provider: 'meta' as const,
      endpoint: { type: 'whatsapp_phone_number' as const, id: 'late-pause' },
    };
    const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
    await b.pause(ref, at(10), '190');
    // Act: A's late write, then a longer pause of A's
    await a.pause(ref, at(5), '190');
    const afterLate = await environment().pausedUntil(ref);
    const asAReadsIt = await a.pausedUntil(ref);
    await a.pause(ref, at(15), '190');
    const afterLonger = await environment().pausedUntil(ref);
    // Assess
    expect(afterLate).toBe(at(10).toISOString());
    expect(asAReadsIt).toBe(at(10).toISOString());
    expect(afterLonger).toBe(at(15).toISOString());
  });
});

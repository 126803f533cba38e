import { describe, expect, it } from 'vitest';
import { normalizeTwilioParams } from '#shared/channels/sms/inbound/normalize.ts';
import type { HubEventOf } from '#shared/contract/types.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * A customer who revokes SMS consent in writing as people type it ("Opt-out.", "STOP" with a
 * zero-width space a keyboard left after it, "Stop please"), through the Twilio webhook's
 * normalization and the recorder: the next reply is refused `opted_out` and never reaches the
 * provider. Until the fix only the bare keyword counted, so these replies went out. A sentence that
 * merely contains "stop" is no opt-out, and its reply goes.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

describe('an SMS opt-out written with punctuation, format characters or a polite word', () => {
  const hub = useOutboundHarness();
  let customer = 0;

  /** An SMS from a new customer to the business number, a minute before T0, recorded; its conversation. */
  const customerTexts = async (body: string) => {
    customer += 1;
    const events = normalizeTwilioParams(
      [
        ['MessageSid', `SM${String(customer).padStart(32, '0')}`],
        ['AccountSid', 'AC0123456789abcdef0123456789abcdef'],
        ['From', `+1415555${String(customer).padStart(4, '0')}`],
        ['To', '+14155550100'],
        ['Body', body],
        ['NumMedia', '0'],
        ['SmsStatus', 'received'],
      ],
      new Date(T0.getTime() - 60_000),
    );
    await hub.pipeline.ingest(events);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const [received] = events;
    if (received?.type !== 'switchboard.message.received') throw new Error('no message received');
    const { conversationId } = received.data;
    return { events, conversationId };
  };

  it.each([
    ['"Opt-out."', 'Opt-out.'],
    ['STOP and a zero-width space', 'STOP\u200b'],
    ['"Stop please"', 'Stop please'],
  ])('refuses the reply after %s as opted_out, with no provider call', async (_label, body) => {
    // Prepare
    const { events, conversationId } = await customerTexts(body);
    // Act
    await hub.enqueue(sendCommand(conversationId, `after-opt-out-${customer}`));
    await hub.runOutbox();
    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.received',
      'switchboard.contact.consent_changed',
    ]);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect((outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out', retryable: false });
    expect(hub.provider.calls).toEqual([]);
  });

  it('sends the reply after a sentence that only contains "stop"', async () => {
    // Prepare
    const { events, conversationId } = await customerTexts('Can I stop by tomorrow?');
    // Act
    await hub.enqueue(sendCommand(conversationId, `after-question-${customer}`));
    await hub.runOutbox();
    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(hub.provider.calls).toHaveLength(1);
  });
});

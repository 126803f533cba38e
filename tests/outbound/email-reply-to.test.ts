import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * An e-mail command's `replyTo` names the customer's message it answers: its subject and Message-ID
 * thread the answer. A message is looked up by its id whatever its conversation, so one of another
 * conversation is refused (`content_invalid` on `replyTo`) before any provider call. Before
 * 2026-12-03 it was used: customer A got "Re: <customer B's subject>" threaded under B's ids
 * (found by a review).
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;
type Sent = HubEventOf<'switchboard.message.sent'>;

const customerWrites = async (from: string, messageId: string, subject: string): Promise<HubEvent> => {
  const raw = Buffer.from(
    [
      `From: ${from}`,
      'To: support@acme.example',
      `Subject: ${subject}`,
      `Message-ID: <${messageId}>`,
      '',
      'hello',
    ].join('\r\n'),
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt: T0,
    envelopeRecipients: ['support@acme.example'],
    replyTagKey: undefined,
  });
  const [event] = events;
  if (event === undefined) throw new Error('no event');
  return event;
};

describe("an e-mail command's replyTo", () => {
  const hub = useOutboundHarness();
  let ann: HubEvent;
  let bob: HubEvent;

  beforeAll(async () => {
    ann = await customerWrites('ann@customer.example', 'ann-1@customer.example', 'My order');
    bob = await customerWrites('bob@customer.example', 'bob-1@customer.example', 'My refund');
    await hub.pipeline.ingest([ann, bob]);
    await hub.pipeline.drain();
  });

  it("threads the answer under the conversation's own message", async () => {
    // Prepare
    const command = sendCommand(ann.subject, 'answer-ann-1', undefined, {
      replyTo: { providerMessageId: 'ann-1@customer.example' },
    });
    // Act
    await hub.enqueue(command);
    await hub.runOutbox();
    // Assess
    const [sent] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Sent[];
    expect(sent?.type).toBe('switchboard.message.sent');
    expect(hub.provider.calls[0]?.context.email).toMatchObject({
      subject: 'Re: My order',
      inReplyTo: 'ann-1@customer.example',
      references: ['ann-1@customer.example'],
    });
  });

  it("refuses a message of another conversation, and sends nothing with that customer's subject or ids", async () => {
    // Prepare: a command in Ann's conversation naming Bob's message, of a conversation of its own
    expect(bob.subject).not.toBe(ann.subject);
    const command = sendCommand(ann.subject, 'answer-ann-2', undefined, {
      replyTo: { providerMessageId: 'bob-1@customer.example' },
    });
    // Act
    await hub.enqueue(command);
    await hub.runOutbox();
    // Assess
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes).toHaveLength(1);
    const failed = outcomes[0] as Failed;
    expect(failed.type).toBe('switchboard.message.send_failed');
    expect(failed.data).toMatchObject({
      conversationId: ann.subject,
      reason: 'content_invalid',
      retryable: false,
      failedField: 'replyTo',
    });
    expect(hub.provider.calls).toEqual([]);
  });
});

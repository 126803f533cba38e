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

/** A customer's mail to support@; `answering` is the business's mail it answers (its thread root). */
const customerWrites = async (
  from: string,
  messageId: string,
  subject: string,
  answering?: string,
): Promise<HubEvent> => {
  const raw = Buffer.from(
    [
      `From: ${from}`,
      'To: support@acme.example',
      `Subject: ${subject}`,
      `Message-ID: <${messageId}>`,
      ...(answering === undefined ? [] : [`In-Reply-To: <${answering}>`, `References: <${answering}>`]),
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

/*
 * One mail the business sent to several customers (an announcement, everyone in Bcc, one Message-ID)
 * is one thread root for all their answers. Before 2026-12-05 an untagged mail's conversation was
 * that root at the business address alone: Ann's and Bob's separate answers shared one conversation,
 * Bob's address became another identity of Ann's contact, and the agent's answer to Bob went To Ann
 * with Bob's subject and ids (found by a review).
 */
describe('an answer to one of two customers who each answered one announcement', () => {
  const hub = useOutboundHarness();
  const ANNOUNCEMENT = 'announcement-2026-11@acme.example';
  let bob: HubEvent;

  beforeAll(async () => {
    const ann = await customerWrites(
      'ann@customer.example',
      'ann-a1@customer.example',
      'Re: New opening hours',
      ANNOUNCEMENT,
    );
    bob = await customerWrites(
      'bob@other.example',
      'bob-a1@other.example',
      'Re: New opening hours - my account 4711',
      ANNOUNCEMENT,
    );
    await hub.pipeline.ingest([ann]);
    await hub.pipeline.drain();
    await hub.pipeline.ingest([bob]);
    await hub.pipeline.drain();
  });

  it('goes to the customer whose mail it answers, never to the other', async () => {
    // Prepare: the agent answers Bob's message in the conversation it was filed in
    const command = sendCommand(
      bob.subject,
      'answer-bob-a1',
      [{ type: 'text', text: 'Account 4711 is closed.' }],
      {
        replyTo: { providerMessageId: 'bob-a1@other.example' },
      },
    );
    // Act
    await hub.enqueue(command);
    await hub.runOutbox();
    // Assess
    const [call] = hub.provider.calls;
    expect(call?.context.email?.inReplyTo).toBe('bob-a1@other.example');
    expect(call?.context.target.recipient.value).toBe('bob@other.example');
    expect(hub.provider.calls).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { buildEvent, eventIdFor } from '#shared/contract/index.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * An e-mail customer who marks the business's mail as spam (an SES complaint) or unsubscribes (a
 * Mailgun `complained` or `unsubscribed` event) is recorded `opted_out` on the e-mail scope. A reply
 * after that is refused `opted_out` before any provider call, until the customer writes again: their
 * newer message asks for an answer. Before 2026-12-04 the opt-out was recorded and never read, and the
 * reply went (found by a review).
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

const customerWrites = async (
  messageId: string,
  receivedAt: Date,
  inReplyTo?: string,
  extraHeaders: readonly string[] = [],
): Promise<HubEvent> => {
  const raw = Buffer.from(
    [
      'From: dora@customer.example',
      ...(inReplyTo === undefined ? [] : [`In-Reply-To: <${inReplyTo}>`, `References: <${inReplyTo}>`]),
      ...extraHeaders,
      'To: support@acme.example',
      'Subject: My parcel',
      `Message-ID: <${messageId}>`,
      `Date: ${receivedAt.toUTCString()}`,
      '',
      'Where is it?',
    ].join('\r\n'),
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt,
    envelopeRecipients: ['support@acme.example'],
    replyTagKey: undefined,
  });
  const [event] = events;
  if (event?.type !== 'switchboard.message.received') throw new Error('no message event');
  return event;
};

/** What the Mailgun events webhook makes of a `complained` event about the business's mail to her. */
const complaint = (
  message: HubEventOf<'switchboard.message.received'>,
  when: Date,
  feedbackId = 'complaint-1',
): HubEvent =>
  buildEvent('switchboard.contact.consent_changed', eventIdFor('email', 'consent', feedbackId), {
    channel: 'email',
    provider: 'mailgun',
    endpoint: message.data.endpoint,
    contact: message.data.contact,
    conversationId: message.data.conversationId,
    providerTimestamp: when.toISOString(),
    receivedAt: when.toISOString(),
    scope: 'email',
    consent: 'opted_out',
    trigger: 'complained',
  });

describe('an e-mail opt-out', () => {
  const hub = useOutboundHarness();

  const record = async (events: HubEvent[]): Promise<void> => {
    await hub.pipeline.ingest(events);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
  };

  const reply = async (conversationId: string, key: string) => {
    hub.provider.calls.length = 0;
    await hub.enqueue(sendCommand(conversationId, key));
    await hub.runOutbox();
    return { outcomes: outcomesOf(await hub.pipeline.takeHelpdesk()), calls: hub.provider.calls.length };
  };

  it('refuses replies until the customer writes again, without a provider call', async () => {
    // Prepare: she writes, then marks the business's earlier mail as spam
    const first = (await customerWrites(
      'dora-1@customer.example',
      at(-30),
    )) as HubEventOf<'switchboard.message.received'>;
    await record([first, complaint(first, at(-20))]);
    const conversationId = first.subject;
    // Act
    const refused = await reply(conversationId, 'after-complaint');
    // Assess
    expect(refused.calls).toBe(0);
    expect(refused.outcomes).toHaveLength(1);
    expect((refused.outcomes[0] as Failed).data).toMatchObject({
      reason: 'opted_out',
      retryable: false,
      idempotencyKey: 'after-complaint',
    });

    // Prepare: she writes again after the complaint, in the same thread
    const again = await customerWrites('dora-2@customer.example', at(-10), 'dora-1@customer.example');
    expect(again.subject).toBe(conversationId);
    await record([again]);
    // Act
    const answered = await reply(conversationId, 'after-she-wrote');
    // Assess
    expect(answered.calls).toBe(1);
    expect(answered.outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('is not lifted by an out-of-office that comes after it: her mailbox, not her, wrote', async () => {
    // Prepare: she writes, marks the business's mail as spam, and then her mailbox's out-of-office
    // answers an earlier mail of the business in her thread
    const first = (await customerWrites(
      'dora-ooo-1@customer.example',
      at(-30),
    )) as HubEventOf<'switchboard.message.received'>;
    const outOfOffice = await customerWrites(
      'dora-ooo-2@customer.example',
      at(-10),
      'dora-ooo-1@customer.example',
      ['Auto-Submitted: auto-replied'],
    );
    expect(outOfOffice.subject).toBe(first.subject);
    await record([first, complaint(first, at(-20), 'complaint-2'), outOfOffice]);
    // Act
    const refused = await reply(first.subject, 'after-out-of-office');
    // Assess
    expect(refused.calls).toBe(0);
    expect((refused.outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out', retryable: false });
  });
});

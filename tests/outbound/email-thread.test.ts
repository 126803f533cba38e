import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { replyTagFor } from '#shared/channels/email/reply-address.ts';
import type { HubEvent, Message } from '#shared/contract/types.ts';
import { isMessageEvent } from '#shared/domain/conversation.ts';
import { emailThreadFor, newestAnswerable } from '#shared/outbound/email-thread.ts';
import { customerMail } from '#tests/support/customer-mail.ts';
import { outcomesOf, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * The hub's answer names the customer's message and its ancestors (In-Reply-To, References). A long
 * References is trimmed from the middle: the thread root stays first, with the newest after it.
 * Before 2026-12-03 only the newest 20 were kept, so a long thread's answer lost its root and mail
 * clients (and the hub's own inbound threading, which files by the root) could split the thread
 * (found by a review).
 */

/** The key the hub signs its reply addresses' conversation tags with (the harness's). */
const REPLY_TAG_KEY = 'test-reply-tag-key-of-at-least-32-characters';

const customerMessageWith = (references: readonly string[]) =>
  customerMail([
    'Subject: Re: Order 42',
    'Message-ID: <latest@customer.example>',
    `In-Reply-To: <${references.at(-1)}>`,
    `References: ${references.map((id) => `<${id}>`).join(' ')}`,
  ]);

describe('the References of an e-mail answer', () => {
  it('keep the thread root first and the newest 19 after it', async () => {
    // Prepare: 24 ancestors, and the customer's message itself: 25 ids
    const ancestors = Array.from({ length: 24 }, (_, index) => `m${index}@customer.example`);
    const { conversation, answered } = await customerMessageWith(ancestors);
    // Act
    const thread = emailThreadFor({
      conversation,
      answered,
      subject: undefined,
      replyTagKey: REPLY_TAG_KEY,
    });
    // Assess
    expect(thread.inReplyTo).toBe('latest@customer.example');
    expect(thread.references).toHaveLength(20);
    expect(thread.references[0]).toBe('m0@customer.example');
    expect(thread.references.slice(1)).toEqual([...ancestors.slice(-18), 'latest@customer.example']);
  });

  it('keep a short chain whole, in order', async () => {
    // Prepare
    const ancestors = ['m0@customer.example', 'm1@customer.example'];
    const { conversation, answered } = await customerMessageWith(ancestors);
    // Act
    const thread = emailThreadFor({
      conversation,
      answered,
      subject: undefined,
      replyTagKey: REPLY_TAG_KEY,
    });
    // Assess
    expect(thread.references).toEqual([...ancestors, 'latest@customer.example']);
  });
});

/** One mail of Eve's thread, as the Mailgun route reads it, sent to `to` (support@ by default). */
const eveMail = async (
  headers: readonly string[],
  minutesBefore: number,
  to = 'support@acme.example',
): Promise<HubEvent> => {
  const receivedAt = new Date(T0.getTime() - minutesBefore * 60_000);
  const raw = Buffer.from(
    [...headers, `To: ${to}`, `Date: ${receivedAt.toUTCString()}`, '', 'text'].join('\r\n'),
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt,
    envelopeRecipients: [to],
    replyTagKey: REPLY_TAG_KEY,
  });
  const [event] = events;
  if (event === undefined || !isMessageEvent(event)) throw new Error('no message event');
  return event;
};

describe('an e-mail answer without replyTo', () => {
  const hub = useOutboundHarness();

  it("answers the customer's newest own mail, not the out-of-office or bounce that came after it", async () => {
    // Prepare: Eve writes; then her mailbox answers an earlier mail of the business with an
    // out-of-office, and a relay returns one as undeliverable to her conversation's reply address,
    // both in her conversation (an untagged bounce from mailer-daemon would be one of its own: one
    // thread is one conversation with one customer)
    const eve = await eveMail(
      ['From: Eve <eve@customer.example>', 'Subject: Order 42', 'Message-ID: <eve-1@customer.example>'],
      30,
    );
    const outOfOffice = await eveMail(
      [
        'From: Eve <eve@customer.example>',
        'Subject: Automatic reply: Order 42',
        'Message-ID: <ooo-1@customer.example>',
        'In-Reply-To: <eve-1@customer.example>',
        'References: <eve-1@customer.example>',
        'Auto-Submitted: auto-replied',
      ],
      20,
    );
    const bounce = await eveMail(
      [
        'From: Mail Delivery System <mailer-daemon@customer.example>',
        'Subject: Undelivered Mail Returned to Sender',
        'Message-ID: <dsn-1@customer.example>',
        'References: <eve-1@customer.example>',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      ],
      10,
      `support+${replyTagFor(eve.subject, REPLY_TAG_KEY)}@acme.example`,
    );
    expect([outOfOffice.subject, bounce.subject]).toEqual([eve.subject, eve.subject]);
    await hub.pipeline.ingest([eve, outOfOffice, bounce]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    // Act
    await hub.enqueue(sendCommand(eve.subject, 'answer-eve-1'));
    await hub.runOutbox();
    // Assess
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(hub.provider.calls[0]?.context.email).toMatchObject({
      subject: 'Re: Order 42',
      inReplyTo: 'eve-1@customer.example',
      references: ['eve-1@customer.example'],
    });
  });

  it("follows the business's own mail in the customer's thread when no customer mail is among the newest", async () => {
    // Prepare: an agent mails Eve from outside the hub with support@ in Bcc; the copy opens the
    // conversation (Mailgun reads mail From the business's own address as its copy)
    const receivedAt = new Date(T0.getTime() - 15 * 60_000);
    const raw = [
      'From: Acme Support <support@acme.example>',
      'To: Eve <eve@customer.example>',
      'Subject: Your invoice 42',
      'Message-ID: <agent-1@acme.example>',
      `Date: ${receivedAt.toUTCString()}`,
      '',
      'Your invoice is attached.',
    ].join('\r\n');
    const [copy] = (
      await normalizeInboundEmail(Buffer.from(raw), {
        provider: 'mailgun',
        receivedAt,
        envelopeRecipients: ['support@acme.example'],
        replyTagKey: REPLY_TAG_KEY,
      })
    ).events;
    if (copy?.type !== 'switchboard.message.sent') throw new Error('the copy is not the business writing');
    await hub.pipeline.ingest([copy]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    // Act
    await hub.enqueue(sendCommand(copy.subject, 'follow-up-invoice-42'));
    await hub.runOutbox();
    // Assess: until 2026-12-07 "Re: your message", with no In-Reply-To or References
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
    expect(hub.provider.calls[0]?.context.email).toMatchObject({
      subject: 'Re: Your invoice 42',
      inReplyTo: 'agent-1@acme.example',
      references: ['agent-1@acme.example'],
    });
  });
});

describe('the mail a reply without replyTo answers', () => {
  /** A stored message as far as the choice reads it: its direction and e-mail details. */
  const stored = (
    direction: 'inbound' | 'outbound',
    email: { messageIdHeader?: string; isAutoReply?: boolean },
  ): Message =>
    ({
      direction,
      email: { subject: 's', isAutoReply: false, isBounce: false, references: [], ...email },
    }) as unknown as Message;

  it("passes over the hub's own send, recorded without a Message-ID, for a mail that has one", () => {
    // Prepare: newest first, the hub's earlier reply, then the customer's out-of-office
    const hubSend = stored('outbound', {});
    const outOfOffice = stored('inbound', { messageIdHeader: 'ooo@customer.example', isAutoReply: true });
    // Act
    const answered = newestAnswerable([hubSend, outOfOffice]);
    // Assess
    expect(answered).toBe(outOfOffice);
  });

  it("takes the business's copy, which names its Message-ID, before a machine mail", () => {
    // Prepare
    const copy = stored('outbound', { messageIdHeader: 'agent-1@acme.example' });
    const outOfOffice = stored('inbound', { messageIdHeader: 'ooo@customer.example', isAutoReply: true });
    // Act
    const answered = newestAnswerable([copy, outOfOffice]);
    // Assess
    expect(answered).toBe(copy);
  });
});

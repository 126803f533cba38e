import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import type { Message } from '#shared/contract/types.ts';
import { applyEvent, isMessageEvent } from '#shared/domain/conversation.ts';
import { emailThreadFor } from '#shared/outbound/email-thread.ts';

/*
 * The hub's answer names the customer's message and its ancestors (In-Reply-To, References). A long
 * References is trimmed from the middle: the thread root stays first, with the newest after it.
 * Before 2026-12-03 only the newest 20 were kept, so a long thread's answer lost its root and mail
 * clients (and the hub's own inbound threading, which files by the root) could split the thread
 * (found by a review).
 */

const customerMessageWith = async (references: readonly string[]) => {
  const raw = Buffer.from(
    [
      'From: Ann <ann@customer.example>',
      'To: support@acme.example',
      'Subject: Re: Order 42',
      'Message-ID: <latest@customer.example>',
      `In-Reply-To: <${references.at(-1)}>`,
      `References: ${references.map((id) => `<${id}>`).join(' ')}`,
      '',
      'still waiting',
    ].join('\r\n'),
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt: new Date('2026-11-22T12:00:00.000Z'),
    envelopeRecipients: ['support@acme.example'],
    replyTagKey: undefined,
  });
  const [event] = events;
  if (event === undefined || !isMessageEvent(event)) throw new Error('no message event');
  return { conversation: applyEvent(undefined, event).model.state, answered: event.data as Message };
};

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
      replyTagKey: 'test-reply-tag-key-of-at-least-32-characters',
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
      replyTagKey: 'test-reply-tag-key-of-at-least-32-characters',
    });
    // Assess
    expect(thread.references).toEqual([...ancestors, 'latest@customer.example']);
  });
});

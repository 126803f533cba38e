import { describe, expect, it } from 'vitest';
import { buildReplyMime } from '#shared/channels/email/outbound/mime.ts';
import { emailThreadFor, messageIdHeaderFor } from '#shared/outbound/email-thread.ts';
import { customerMail } from '#tests/support/customer-mail.ts';

/*
 * RFC 5322 (§2.1.1): a line of a message holds at most 998 octets. Inbound subjects are kept up to
 * 2,000 characters, the reply's is `Re: ` and that, and the composer folds a header only at spaces:
 * before 2026-12-04 a long unbroken subject (or a helpdesk's of 998 characters) made a Subject line
 * over the limit (found by a review).
 */

const KEY = 'test-reply-tag-key-of-at-least-32-characters';
const MAX_LINE_OCTETS = 998;

/** The reply to a customer's mail as the sender composes it: its planned subject and its MIME lines. */
const replyTo = async (theirSubject: string, helpdeskSubject?: string) => {
  const { conversation, answered } = await customerMail([
    `Subject: ${theirSubject}`,
    'Message-ID: <latest@customer.example>',
  ]);
  const thread = emailThreadFor({ conversation, answered, subject: helpdeskSubject, replyTagKey: KEY });
  const mime = await buildReplyMime({
    email: { ...thread, messageId: messageIdHeaderFor('msg_1.0', thread.from) },
    to: 'ann@customer.example',
    text: 'It shipped today.',
    date: new Date('2026-11-22T12:05:00.000Z'),
  });
  if (!mime.ok) throw new Error(mime.problem);
  return { subject: thread.subject, lines: mime.raw.toString('latin1').split('\r\n') };
};

const longestLine = (lines: readonly string[]): number =>
  Math.max(...lines.map((line) => Buffer.byteLength(line, 'latin1')));

describe('the subject of an e-mail answer', () => {
  it.each([
    ['an unbroken customer subject of 2,000 characters', `Order-${'x'.repeat(1994)}`, undefined],
    ['words, then an unbroken run of 1,500 characters', `Order 42 ${'y'.repeat(1500)}`, undefined],
    ['a helpdesk subject of 998 characters', 'Order 42', 'z'.repeat(998)],
  ])('keeps every line within 998 octets for %s', async (_label, theirSubject, helpdeskSubject) => {
    // Act
    const { subject, lines } = await replyTo(theirSubject, helpdeskSubject);
    // Assess: the subject is the one asked for, cut; no line of the mail is over the limit
    expect(longestLine(lines)).toBeLessThanOrEqual(MAX_LINE_OCTETS);
    expect((helpdeskSubject ?? `Re: ${theirSubject}`).startsWith(subject)).toBe(true);
    expect(subject.length).toBe(998 - 'Subject: '.length);
  });

  it('is cut between characters, never inside one', async () => {
    // Prepare: `Re: ` and 984 letters end at unit 988, so the bound (989) falls inside the emoji
    const theirSubject = `${'a'.repeat(984)}${'😀'.repeat(10)}`;
    // Act
    const { subject, lines } = await replyTo(theirSubject);
    // Assess
    expect(subject).toBe(`Re: ${'a'.repeat(984)}`);
    expect(longestLine(lines)).toBeLessThanOrEqual(MAX_LINE_OCTETS);
  });

  it('leaves a subject within the bound as it was', async () => {
    // Act
    const { subject } = await replyTo('Wo bleibt meine Bestellung? 📦');
    // Assess
    expect(subject).toBe('Re: Wo bleibt meine Bestellung? 📦');
  });
});

import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { buildReplyMime } from '#shared/channels/email/outbound/mime.ts';
import { emailThreadFor, messageIdHeaderFor } from '#shared/outbound/email-thread.ts';
import { customerMail } from '#tests/support/customer-mail.ts';

/*
 * The hub reads a customer's Message-ID of up to 998 characters, UTF-8 too (RFC 6532), and an answer
 * names it in In-Reply-To and References. Before 2026-12-04 the answer wrote only ids of printable
 * ASCII with at most 250 characters each side of the `@`, so a longer id the hub had read was left
 * out and the answer lost its thread in the customer's mail client (found by a review). Now every
 * ASCII id up to 995 characters is written (a folded line ` <id>` of at most 998 octets); a longer or
 * UTF-8 one still cannot be, and the answer keeps the ancestors that can.
 */

const KEY = 'test-reply-tag-key-of-at-least-32-characters';
const ROOT = 'root-1@customer.example';

const answerTo = async (messageId: string) => {
  const { conversation, answered } = await customerMail([
    'Subject: Order 42',
    `Message-ID: <${messageId}>`,
    `References: <${ROOT}>`,
  ]);
  const thread = emailThreadFor({
    conversation,
    answered,
    subject: undefined,
    replyTagKey: KEY,
  });
  const hubId = messageIdHeaderFor('msg_1.0', thread.from);
  const mime = await buildReplyMime({
    email: { ...thread, messageId: hubId },
    to: 'ann@customer.example',
    text: 'It shipped today.',
    date: new Date('2026-11-22T12:05:00.000Z'),
  });
  if (!mime.ok) throw new Error(mime.problem);
  const parsed = await PostalMime.parse(mime.raw);
  return {
    read: answered.providerMessageId,
    hubId,
    inReplyTo: parsed.inReplyTo,
    references: parsed.references?.split(/\s+/) ?? [],
    longestLine: Math.max(
      ...mime.raw
        .toString('latin1')
        .split('\r\n')
        .map((line) => line.length),
    ),
  };
};

describe('the customer’s Message-ID in an e-mail answer', () => {
  it.each([
    ['600 characters before the @', `${'a'.repeat(600)}@mx.customer.example`],
    ['995 characters in all', `${'b'.repeat(975)}@${'c'.repeat(19)}`],
    ['a long right-hand side', `id-1@${'d'.repeat(400)}.customer.example`],
  ])('names an ASCII id of %s, within 998-octet lines', async (_label, messageId) => {
    // Act
    const answer = await answerTo(messageId);
    // Assess
    expect(answer.read).toBe(messageId);
    expect(answer.inReplyTo).toBe(`<${messageId}>`);
    expect(answer.references).toEqual([`<${ROOT}>`, `<${messageId}>`, `<${answer.hubId}>`]);
    expect(answer.longestLine).toBeLessThanOrEqual(998);
  });

  it.each([
    ['over 995 characters', `${'e'.repeat(977)}@${'f'.repeat(19)}`],
    ['UTF-8 (RFC 6532)', 'ünïcode-1@exämple.customer.example'],
  ])('leaves out an id it cannot write (%s), keeping the thread root', async (_label, messageId) => {
    // Act
    const answer = await answerTo(messageId);
    // Assess: the hub read it, the answer does not name it, and still threads under the root
    expect(answer.read).not.toMatch(/@derived\.switchboard\.invalid$/);
    expect(answer.inReplyTo).toBeUndefined();
    expect(answer.references).toEqual([`<${ROOT}>`, `<${answer.hubId}>`]);
    expect(answer.longestLine).toBeLessThanOrEqual(998);
  });
});

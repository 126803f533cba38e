import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { conversationOfReplyTag, replyTagFor } from '#shared/channels/email/reply-address.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { emailThreadConversationId } from '#shared/contract/ids.ts';

const KEY = LOCAL_DEV_SECRETS.email.replyTagKey;
const CONVERSATION = `conv_${'12'.repeat(16)}`;

const mailTo = (recipient: string): Buffer =>
  Buffer.from(
    [
      'From: Someone <someone@customer.example>',
      `To: ${recipient}`,
      'Subject: hi',
      'Message-ID: <m-1@customer.example>',
      '',
      'hello',
    ].join('\r\n'),
  );

const conversationOf = async (recipient: string, replyTagKey: string | undefined) => {
  const { events } = await normalizeInboundEmail(mailTo(recipient), {
    provider: 'mailgun',
    receivedAt: new Date('2026-11-22T12:00:00.000Z'),
    envelopeRecipients: [recipient],
    replyTagKey,
  });
  return events[0]?.subject;
};

describe('reply addresses', () => {
  it('place a message in the conversation only when the hub signed the tag', async () => {
    // Prepare
    const signed = `reply+${replyTagFor(CONVERSATION, KEY)}@support.example`;
    const bare = `reply+${CONVERSATION}@support.example`;
    const forged = `reply+${CONVERSATION}.0123456789abcdef@support.example`;
    const threadOnly = emailThreadConversationId(
      'reply@support.example',
      'm-1@customer.example',
      'someone@customer.example',
    );
    // Act & Assess
    expect(await conversationOf(signed, KEY)).toBe(CONVERSATION);
    expect(await conversationOf(bare, KEY)).toBe(threadOnly);
    expect(await conversationOf(forged, KEY)).toBe(threadOnly);
    expect(await conversationOf(signed, undefined)).toBe(threadOnly);
    expect(await conversationOf(signed, 'another-key-of-at-least-thirty-two-chars')).toBe(threadOnly);
  });

  it("files a tagged reply's large body under the message, not the tagged conversation the recorder may refuse", async () => {
    // Prepare: a signed tag and a body too large for the event
    const signed = `reply+${replyTagFor(CONVERSATION, KEY)}@support.example`;
    const raw = Buffer.from(
      [
        'From: Someone <someone@customer.example>',
        `To: ${signed}`,
        'Message-ID: <m-2@customer.example>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'long text '.repeat(40_000),
      ].join('\r\n'),
    );
    // Act
    const { events, blobs } = await normalizeInboundEmail(raw, {
      provider: 'mailgun',
      receivedAt: new Date('2026-11-22T12:00:00.000Z'),
      envelopeRecipients: [signed],
      replyTagKey: KEY,
    });
    // Assess: in the tagged conversation, but its object is not under that conversation's prefix
    expect(events[0]?.subject).toBe(CONVERSATION);
    expect(blobs.length).toBeGreaterThan(0);
    for (const blob of blobs) {
      expect(blob.key.startsWith('bodies/email/')).toBe(true);
      expect(blob.key).not.toContain(CONVERSATION);
    }
  });

  it('never accepts a tag whose MAC was altered (property)', () => {
    const tag = replyTagFor(CONVERSATION, KEY);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: tag.length - 1 }),
        fc.constantFrom(...'0123456789abcdef'),
        (index, char) => {
          // Act
          const altered = `${tag.slice(0, index)}${char}${tag.slice(index + 1)}`;
          // Assess
          expect(conversationOfReplyTag(altered, KEY)).toBe(altered === tag ? CONVERSATION : undefined);
        },
      ),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { soleMailboxOf } from '#shared/channels/email/inbound/addressing.ts';
import { signMailgun, verifyMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { stripQuotedHistory } from '#shared/channels/email/inbound/quoting.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

const CONTEXT = {
  provider: 'mailgun' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: ['support@switchboard.example'],
};

/** Byte soup biased towards MIME syntax, so the parser's branches are reached, not just its fallback. */
const mimeish = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .constantFrom(
          'From: a@b.example\r\n',
          'To: support@switchboard.example\r\n',
          'Content-Type: multipart/mixed; boundary=x\r\n',
          'Content-Type: text/html; charset=koi8-r\r\n',
          'Content-Transfer-Encoding: base64\r\n',
          'Message-ID: <\r\n',
          '\r\n--x\r\n',
          '\r\n',
          '=?utf-8?B?4pyT?=',
          '<p>',
        )
        .map((text) => new TextEncoder().encode(text)),
    ),
    { maxLength: 40 },
  )
  .map((chunks) => Uint8Array.from(chunks.flatMap((chunk) => [...chunk])));

describe('e-mail adapter properties', () => {
  it('normalizes any bytes without throwing, always into valid events', async () => {
    await fc.assert(
      fc.asyncProperty(mimeish, async (bytes) => {
        // Act
        const { events } = await normalizeInboundEmail(bytes, CONTEXT);
        // Assess
        expect(events.filter((event) => event.type !== 'switchboard.message.status_updated')).toHaveLength(1);
        for (const event of events) expect(HubEventSchema.safeParse(event).success).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same bytes the same event ids', async () => {
    await fc.assert(
      fc.asyncProperty(mimeish, async (bytes) => {
        // Act
        const first = await normalizeInboundEmail(bytes, CONTEXT);
        const again = await normalizeInboundEmail(bytes, { ...CONTEXT, receivedAt: new Date(0) });
        // Assess
        expect(again.events.map((event) => event.id)).toEqual(first.events.map((event) => event.id));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects any single-byte change to the signed timestamp or token', () => {
    const key = 'property-signing-key';
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{10}$/),
        fc.stringMatching(/^[a-z0-9]{50}$/),
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (timestamp, token, changeTimestamp, position, delta) => {
          // Prepare
          const signature = signMailgun(key, timestamp, token);
          const target = changeTimestamp ? timestamp : token;
          const bytes = Buffer.from(target, 'latin1');
          const index = position % bytes.length;
          bytes[index] = ((bytes[index] ?? 0) + delta) % 256;
          const changed = bytes.toString('latin1');
          // Act
          const accepted = changeTimestamp
            ? verifyMailgun(key, changed, token, signature)
            : verifyMailgun(key, timestamp, changed, signature);
          // Assess
          expect(accepted).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('strips quoted history without throwing and never adds text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        // Act
        const reply = stripQuotedHistory(text);
        // Assess
        expect(reply === undefined || reply.length <= text.length).toBe(true);
      }),
    );
  });
  it('reads a From header as one author only when nothing in it could name another', () => {
    // Two different mailboxes, put together in every way a header can name more than one author
    const local = fc.stringMatching(/^[a-z][a-z0-9.]{0,10}[a-z0-9]$/);
    const domain = fc.stringMatching(/^[a-z]{2,10}\.(eu|com|org)$/);
    const mailbox = fc.tuple(local, domain).map(([name, host]) => `${name}@${host}`);
    const pairs = fc.tuple(mailbox, mailbox).filter(([a, b]) => a !== b);
    fc.assert(
      fc.property(pairs, fc.stringMatching(/^[A-Za-z ]{0,12}$/), ([a, b], name) => {
        // One mailbox, plain or named: that mailbox
        expect(soleMailboxOf(a)).toBe(a);
        expect(soleMailboxOf(`${name.trim() ? `"${name}"` : ''} <${a}>`)).toBe(a);
        // Several authors, a group (even of one), an address in the display name, a bare CR: nobody
        for (const header of [
          `${a}, ${b}`,
          `${b}: ${a};`,
          `${b}:;`,
          `<${a}> <${b}>`,
          `"${b}" <${a}>`,
          `${b}\rFrom: ${a}`,
          // An address only an encoded word spells (postal-mime 4.0.0 read it out of the word)
          `=?utf-8?q?${name.trim().replaceAll(' ', '_')}_=3C${a.replace('@', '=40')}=3E?=`,
          `"=?utf-8?q?=3C${a.replace('@', '=40')}=3E?="`,
          `=?utf-8?B?${Buffer.from(`${name} <${a}>`).toString('base64')}?=`,
        ])
          expect(soleMailboxOf(header)).toBeUndefined();
      }),
      { seed: 20261204, numRuns: 300 },
    );
  });
});

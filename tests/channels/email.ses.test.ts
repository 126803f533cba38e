import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { parseSesReceiptEvent } from '#shared/channels/email/inbound/ses.ts';
import { MAX_BODY_BYTES } from '#shared/channels/inbound.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { issuePaths } from '#shared/validation/schema.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

const sesEvent = JSON.parse(readFileSync(join(EVENTS_DIR, 'email/ses-receipt-event.envelope.json'), 'utf8'));
const plainText = readFileSync(join(EVENTS_DIR, 'email/plain-text.eml'));

describe('SES receipt-rule Lambda event', () => {
  it('yields the message id, S3 key, recipients, From header and verdicts', () => {
    // Act
    const receipts = parseSesReceiptEvent(sesEvent, FIXTURE_RECEIVED_AT);
    // Assess
    expect(receipts).toEqual([
      {
        messageId: 'k7q2m9d3v1c8e0r4t6y5u2i9o1p3a7s0d5f8g2h4',
        objectKey: 'ses-inbound/k7q2m9d3v1c8e0r4t6y5u2i9o1p3a7s0d5f8g2h4',
        recipients: ['support@switchboard.example'],
        source: 'maria.keller@customer.example',
        from: 'Maria Keller <maria.keller@customer.example>',
        verdicts: { spf: 'PASS', dkim: 'GRAY', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
        timestamp: '2026-11-21T08:14:05.123Z',
      },
    ]);
  });

  it('normalizes the stored MIME with the receipt as context', async () => {
    // Prepare
    const [receipt] = parseSesReceiptEvent(sesEvent, FIXTURE_RECEIVED_AT);
    if (!receipt) throw new Error('no receipt');
    // Act
    const { events } = await normalizeInboundEmail(plainText, {
      provider: 'ses',
      receivedAt: FIXTURE_RECEIVED_AT,
      envelopeRecipients: receipt.recipients,
      envelopeSender: receipt.source,
      headerFrom: receipt.from,
      verdicts: receipt.verdicts,
      rawMimeKey: receipt.objectKey,
    });
    // Assess
    const [event] = events;
    if (event?.type !== 'switchboard.message.received') throw new Error('not a message');
    expect(HubEventSchema.safeParse(event).success).toBe(true);
    expect(event.data.provider).toBe('ses');
    expect(event.data.email?.rawMimeKey).toBe(receipt.objectKey);
    expect(event.data.email?.verdicts).toEqual(receipt.verdicts);
    // DMARC PASS on its one From mailbox, the one SES read too: the From's domain vouched for it
    expect(event.data.email?.fromAuthenticated).toBe(true);
  });

  it('reads the receipt timestamps as RFC 3339 date-times on real calendar days, as zod did', () => {
    // Prepare: zod/mini's ISO date-time with offsets, what the hub used before, is the oracle.
    const oracle = z.iso.datetime({ offset: true });
    const days = [
      '2024-02-29',
      '2023-02-29',
      '1900-02-29',
      '2000-02-29',
      '0000-02-29',
      '2026-04-31',
      '2026-04-30',
    ];
    const edges = ['2026-00-10', '2026-13-10', '2026-01-00', '2026-01-32', '2026-12-31'];
    const times = [
      'T08:14:05Z',
      'T08:14:05.123456Z',
      'T23:59:59+14:00',
      'T24:00:00Z',
      'T08:14Z',
      ' 08:14:05Z',
      'T08:14:05+0100',
    ];
    const candidates = [...days, ...edges].flatMap((day) => times.map((time) => `${day}${time}`));
    for (const timestamp of candidates) {
      const event = structuredClone(sesEvent);
      event.Records[0].ses.mail.timestamp = timestamp;
      // Act
      let accepted = true;
      try {
        parseSesReceiptEvent(event, FIXTURE_RECEIVED_AT);
      } catch {
        accepted = false;
      }
      // Assess
      expect(accepted, timestamp).toBe(oracle.safeParse(timestamp).success);
    }
  });

  it.each([
    ['before 1970', '1969-12-31T23:59:59Z'],
    ['before 2000', '1999-12-31T23:59:59.999Z'],
    ['year 0000, with an offset', '0000-01-01T00:30:00+01:00'],
    ['year 9999, with an offset', '9999-12-31T23:30:00-01:00'],
    ['after 2200', '2200-01-01T00:00:00.001Z'],
  ])(
    "takes the hub's invocation time for a receipt time %s, as any implausible provider time",
    (_case, time) => {
      // Prepare
      const event = structuredClone(sesEvent);
      event.Records[0].ses.mail.timestamp = time;
      const invokedAt = new Date('2026-11-21T08:14:06.250Z');
      // Act
      const [receipt] = parseSesReceiptEvent(event, invokedAt);
      // Assess
      expect(receipt?.timestamp).toBe('2026-11-21T08:14:06.250Z');
    },
  );

  it.each([
    ['2000-01-01T00:00:00Z', '2000-01-01T00:00:00.000Z'],
    ['2026-11-21T09:14:05.1+01:00', '2026-11-21T08:14:05.100Z'],
    ['2200-01-01T00:00:00Z', '2200-01-01T00:00:00.000Z'],
  ])('reads a plausible receipt time %s as %s', (time, expected) => {
    // Prepare
    const event = structuredClone(sesEvent);
    event.Records[0].ses.mail.timestamp = time;
    // Act
    const [receipt] = parseSesReceiptEvent(event, FIXTURE_RECEIVED_AT);
    // Assess
    expect(receipt?.timestamp).toBe(expected);
  });

  it('keeps fields AWS may add later', () => {
    // Prepare
    const extended = structuredClone(sesEvent);
    extended.Records[0].ses.receipt.newVerdict = { status: 'PASS' };
    // Act
    const receipts = parseSesReceiptEvent(extended, FIXTURE_RECEIVED_AT);
    // Assess
    expect(receipts).toHaveLength(1);
  });

  it.each([
    ['receipt.recipients', (event: typeof sesEvent) => delete event.Records[0].ses.receipt.recipients],
    ['mail.messageId', (event: typeof sesEvent) => (event.Records[0].ses.mail.messageId = '../../etc')],
    ['spfVerdict', (event: typeof sesEvent) => delete event.Records[0].ses.receipt.spfVerdict],
    ['Records', (event: typeof sesEvent) => (event.Records = [])],
  ])('throws a valibot error naming %s on a malformed event', (field, corrupt) => {
    // Prepare
    const broken = structuredClone(sesEvent);
    corrupt(broken);
    // Act
    const parse = () => parseSesReceiptEvent(broken, FIXTURE_RECEIVED_AT);
    // Assess
    expect(parse).toThrow(v.ValiError);
    try {
      parse();
    } catch (error) {
      const paths = issuePaths((error as v.ValiError<v.GenericSchema>).issues);
      expect(paths.join(' ')).toContain(field.split('.').pop());
    }
  });

  it('turns an e-mail over the size limit into an unsupported event instead of throwing', async () => {
    // Prepare
    const huge = new Uint8Array(MAX_BODY_BYTES.email + 1);
    // Act
    const { events, blobs } = await normalizeInboundEmail(huge, {
      provider: 'ses',
      receivedAt: FIXTURE_RECEIVED_AT,
      envelopeRecipients: ['support@switchboard.example'],
      rawMimeKey: 'ses-inbound/big-one',
    });
    // Assess
    const [event] = events;
    expect(HubEventSchema.parse(event).type).toBe('switchboard.provider.unsupported');
    if (event?.type !== 'switchboard.provider.unsupported') throw new Error('wrong type');
    expect(event.data.providerType).toBe('email.oversize');
    expect(event.data.raw).toMatchObject({
      sizeBytes: MAX_BODY_BYTES.email + 1,
      rawMimeKey: 'ses-inbound/big-one',
    });
    expect(blobs).toEqual([]);
  });

  describe('a From whose address only an encoded word spells (postal-mime 4.0.0 read one out of it)', () => {
    const SUPPORT = 'support@switchboard.example';
    const context = (headerFrom: string) => ({
      provider: 'ses' as const,
      receivedAt: FIXTURE_RECEIVED_AT,
      envelopeRecipients: [SUPPORT],
      ownDomains: ['switchboard.example'],
      headerFrom,
      verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
    });
    const mail = (from: string, to: string) =>
      Buffer.from(
        [
          `From: ${from}`,
          `To: ${to}`,
          'Subject: Re: your order',
          'Message-ID: <encoded-from-1@elsewhere.example>',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'Your refund was cancelled.',
        ].join('\r\n'),
      );

    it.each([
      ['bare', '=?utf-8?q?Maria_=3Cmaria=40customer.example=3E?='],
      ['quoted', '"=?utf-8?q?Maria_=3Cmaria=40customer.example=3E?="'],
      ['base64', '=?utf-8?B?TWFyaWEgPG1hcmlhQGN1c3RvbWVyLmV4YW1wbGU+?='],
    ])('vouches for nobody and names no sender, whatever DMARC said (%s)', async (_form, from) => {
      // Act
      const { events } = await normalizeInboundEmail(mail(from, SUPPORT), context(from));
      // Assess: no verifier judged customer.example, which the raw header never names. postal-mime
      // (4.1.1 on) reads the word as a name, so the mail has no sender and is kept unsupported.
      const [event] = events;
      expect(events).toHaveLength(1);
      expect(event).toMatchObject({
        type: 'switchboard.provider.unsupported',
        data: { providerType: 'email.without_parties' },
      });
      expect(JSON.stringify(event)).not.toContain('maria@customer.example');
    });

    it("is no vouched copy of the business's own mail", async () => {
      // Prepare: the business's own address, spelled only inside an encoded word
      const from = '=?utf-8?q?Support_=3Csupport=40switchboard.example=3E?=';
      // Act
      const { events } = await normalizeInboundEmail(
        mail(from, 'Maria <maria@customer.example>'),
        context(from),
      );
      // Assess: never recorded as the hub's own sent message in the customer's conversation
      expect(events.map((event) => event.type)).not.toContain('switchboard.message.sent');
    });
  });
});

import { describe, expect, it } from 'vitest';
import { normalizeMailgunEvent } from '#shared/channels/email/inbound/mailgun-events-normalize.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { normalizeSesEvent } from '#shared/channels/email/inbound/ses-events.ts';
import { emailRecipientFor } from '#shared/channels/email/outbound/prepare.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { canonicalEmailAddress } from '#shared/domain/email-address.ts';

/*
 * One e-mail address, one identity. The hub answers a customer at an internationalised domain
 * (dora@müller.de) at the IDNA ASCII form of her address (dora@xn--mller-kva.de: SES takes ASCII
 * only), so that is the form SES and Mailgun name in her complaint, her bounce and her delivery,
 * and the form a returned copy of the hub's mail carries; her own mail client may write either.
 * Every e-mail identity the intake builds from a provider's input takes the domain in its Unicode
 * form (canonicalEmailAddress), so all of them name the contact her conversation has. Before
 * 2026-12-06 the delivery events kept the ASCII form: her complaint's opt-out was written under
 * another contact than the one the sender reads, and the next reply went (found by a review).
 */
const DORA = 'dora@müller.de';
const DORA_ASCII = 'dora@xn--mller-kva.de';
const SUPPORT = 'support@acme.example';
const RECEIVED_AT = new Date('2026-11-22T12:00:00.000Z');
const at = (minutes: number): Date => new Date(RECEIVED_AT.getTime() + minutes * 60_000);

type Received = HubEventOf<'switchboard.message.received'>;

const mail = (from: string, messageId: string, headers: readonly string[] = []): Buffer =>
  Buffer.from(
    [
      `From: ${from}`,
      `To: ${SUPPORT}`,
      'Subject: My parcel',
      `Message-ID: <${messageId}>`,
      ...headers,
      `Date: ${at(-30).toUTCString()}`,
      '',
      'Where is it?',
    ].join('\r\n'),
    'utf8',
  );

const receive = async (raw: Buffer, envelopeRecipients: readonly string[] = [SUPPORT]): Promise<HubEvent[]> =>
  (
    await normalizeInboundEmail(raw, {
      provider: 'ses',
      receivedAt: at(-30),
      envelopeRecipients: [...envelopeRecipients],
      replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
      verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
    })
  ).events;

const writes = async (
  from: string,
  messageId: string,
  headers: readonly string[] = [],
): Promise<Received> => {
  const [event] = await receive(mail(from, messageId, headers));
  if (event?.type !== 'switchboard.message.received') throw new Error('no message event');
  return event;
};

/** The address the hub's answer to her goes to (the SES sender's Destination and To). */
const sentTo = (): string => {
  const recipient = emailRecipientFor('ses', DORA);
  if (!recipient.ok) throw new Error(recipient.detail);
  return recipient.address;
};

/** An SES event about the hub's answer in her conversation. */
const sesEvent = (conversationId: string, eventType: string, section: Record<string, unknown>): HubEvent[] =>
  normalizeSesEvent(
    JSON.stringify({
      eventType,
      mail: {
        timestamp: at(-25).toISOString(),
        messageId: '0100019a-idn-000000',
        source: SUPPORT,
        destination: [sentTo()],
        tags: { switchboard_conversation: [conversationId] },
      },
      ...section,
    }),
    at(-20),
    'sns-idn-1',
  );

/** A Mailgun event about the hub's answer in her conversation. */
const mailgunEvent = (
  conversationId: string,
  event: string,
  extra: Record<string, unknown> = {},
): HubEvent[] =>
  normalizeMailgunEvent(
    {
      event,
      id: `mg-idn-${event}`,
      timestamp: at(-20).getTime() / 1000,
      recipient: sentTo(),
      message: { headers: { 'message-id': 'hub-1.0@acme.example', from: SUPPORT } },
      'user-variables': { switchboard_conversation: conversationId },
      ...extra,
    },
    at(-20),
  );

const identitiesOf = (event: HubEvent | undefined) =>
  event !== undefined && 'contact' in event.data ? event.data.contact?.identities : undefined;

describe('canonicalEmailAddress', () => {
  it.each([
    ['an ASCII address, lower-cased and trimmed', '  Kim@Customer.Example ', 'kim@customer.example'],
    ['a Unicode domain as written', 'Dora@Müller.de', DORA],
    ['a punycode domain, in Unicode', DORA_ASCII, DORA],
    ['a punycode domain in capitals, in Unicode', 'DORA@XN--MLLER-KVA.DE', DORA],
    ['only its punycode labels changed', 'a@xn--mller-kva.münchen.de', 'a@müller.münchen.de'],
    ['the local part as written (lower-cased)', 'Jörg@xn--mller-kva.de', 'jörg@müller.de'],
  ])('gives %s', (_case, address, canonical) => {
    // Act
    const result = canonicalEmailAddress(address);
    // Assess
    expect(result).toBe(canonical);
  });

  it.each([
    ['an invalid punycode label', 'a@xn--zz.de'],
    ['an ASCII domain that a URL parser would read as an IPv4 address', 'a@0x7f.1'],
    ['a domain literal', 'a@[192.0.2.1]'],
    ['a URL delimiter in the domain', 'a@xn--mller-kva.de/x'],
    ['a percent escape in the domain', 'a@xn--mller-kva.de%41'],
    ['no @ at all', 'xn--mller-kva.de'],
    ['a domain longer than DNS allows', `a@xn--mller-kva.${'a'.repeat(250)}.de`],
  ])('keeps %s as it is, lower-cased', (_case, address) => {
    // Act
    const result = canonicalEmailAddress(address.toUpperCase());
    // Assess
    expect(result).toBe(address.toLowerCase());
  });

  it('reads a long address in linear time', () => {
    // Prepare: a domain of many labels, each of them punycode
    const address = `a@${'xn--mller-kva.'.repeat(20_000)}de`;
    // Act
    const started = performance.now();
    const result = canonicalEmailAddress(address);
    const elapsed = performance.now() - started;
    // Assess: over the DNS bound, kept as it is, at once
    expect(result).toBe(address);
    expect(elapsed).toBeLessThan(100);
  });
});

describe('an e-mail identity from provider input, at an internationalised domain', () => {
  it('is the Unicode form of a From written in ASCII, in the conversation of the same thread', async () => {
    // Prepare: she writes from one client in Unicode, then answers in the thread from one that writes ASCII
    const first = await writes(DORA, 'dora-1@customer.example');
    // Act
    const second = await writes(DORA_ASCII, 'dora-2@customer.example', [
      'In-Reply-To: <dora-1@customer.example>',
      'References: <dora-1@customer.example>',
    ]);
    // Assess
    expect(second.data.contact.identities).toEqual([{ type: 'email', value: DORA }]);
    expect(second.data.conversationId).toBe(first.data.conversationId);
  });

  it('keeps an ASCII From and a Unicode From as written (lower-cased): their ids do not change', async () => {
    // Act
    const ascii = await writes('Kim <Kim@Customer.Example>', 'kim-1@customer.example');
    const unicode = await writes(DORA, 'dora-1@customer.example');
    // Assess
    expect(ascii.data.contact.identities).toEqual([{ type: 'email', value: 'kim@customer.example' }]);
    expect(unicode.data.contact.identities).toEqual([{ type: 'email', value: DORA }]);
  });

  it('is her conversation contact in an SES complaint naming the address the answer went to', async () => {
    // Prepare
    const first = await writes(DORA, 'dora-1@customer.example');
    // Act
    const [optOut] = sesEvent(first.subject, 'Complaint', {
      complaint: {
        complainedRecipients: [{ emailAddress: sentTo() }],
        timestamp: at(-20).toISOString(),
        feedbackId: 'idn-feedback-1',
        complaintFeedbackType: 'abuse',
      },
    });
    // Assess
    expect(optOut?.type).toBe('switchboard.contact.consent_changed');
    expect(identitiesOf(optOut)).toEqual(first.data.contact.identities);
  });

  it('is her conversation contact in an SES complaint naming no recipient (every destination)', async () => {
    // Prepare
    const first = await writes(DORA, 'dora-1@customer.example');
    // Act
    const [optOut] = sesEvent(first.subject, 'Complaint', {
      complaint: { timestamp: at(-20).toISOString(), feedbackId: 'idn-feedback-2' },
    });
    // Assess
    expect(optOut?.type).toBe('switchboard.contact.consent_changed');
    expect(identitiesOf(optOut)).toEqual(first.data.contact.identities);
  });

  it.each([
    ['Bounce', { bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: DORA_ASCII }] } }],
    ['Delivery', { delivery: { recipients: [DORA_ASCII] } }],
    ['Send', {}],
  ])('is her conversation contact in an SES %s event', async (eventType, section) => {
    // Prepare
    const first = await writes(DORA, 'dora-1@customer.example');
    // Act
    const [status] = sesEvent(first.subject, eventType, section);
    // Assess
    expect(status?.type).toBe('switchboard.message.status_updated');
    expect(identitiesOf(status)).toEqual(first.data.contact.identities);
  });

  it.each([
    ['complained', 'switchboard.contact.consent_changed'],
    ['unsubscribed', 'switchboard.contact.consent_changed'],
    ['delivered', 'switchboard.message.status_updated'],
  ])('is her conversation contact in a Mailgun %s event', async (event, type) => {
    // Prepare
    const first = await writes(DORA, 'dora-1@customer.example');
    // Act
    const [normalized] = mailgunEvent(first.subject, event);
    // Assess
    expect(normalized?.type).toBe(type);
    expect(identitiesOf(normalized)).toEqual(first.data.contact.identities);
  });

  it("is her contact in a bounce report's failed recipient, in her conversation", async () => {
    // Prepare: her mail, then a report returning the hub's answer (sent to the ASCII form) to her
    const first = await writes(DORA, 'dora-1@customer.example');
    const report = Buffer.from(
      [
        'From: Mail Delivery Subsystem <mailer-daemon@mx.provider.eu>',
        `To: ${SUPPORT}`,
        'Subject: Undeliverable',
        `Date: ${at(-10).toUTCString()}`,
        'Message-ID: <dsn-idn-1@mx.provider.eu>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'Not delivered.',
        '--b',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.provider.eu',
        '',
        `Final-Recipient: rfc822; ${DORA_ASCII}`,
        'Action: failed',
        'Status: 5.2.2',
        '--b',
        'Content-Type: text/rfc822-headers',
        '',
        `From: ${SUPPORT}`,
        `To: ${sentTo()}`,
        'Subject: Re: My parcel',
        'Message-ID: <hub-answer-1@acme.example>',
        'In-Reply-To: <dora-1@customer.example>',
        'References: <dora-1@customer.example>',
        '--b--',
        '',
      ].join('\r\n'),
    );
    // Act
    const events = await receive(report);
    // Assess
    const statuses = events.filter((event) => event.type === 'switchboard.message.status_updated');
    expect(statuses).toHaveLength(1);
    expect(identitiesOf(statuses[0])).toEqual(first.data.contact.identities);
    expect(statuses[0]?.subject).toBe(first.data.conversationId);
    expect(events[0]?.subject).toBe(first.data.conversationId);
  });

  it('is the sender of a mail the hub cannot place, in the Unicode form', async () => {
    // Prepare: no business recipient anywhere
    const raw = Buffer.from(
      [`From: ${DORA_ASCII}`, 'Subject: Hello', 'Message-ID: <dora-lost@customer.example>', '', 'Hi'].join(
        '\r\n',
      ),
    );
    // Act
    const [event] = await receive(raw, []);
    // Assess
    expect(event?.type).toBe('switchboard.provider.unsupported');
    expect(identitiesOf(event)).toEqual([{ type: 'email', value: DORA }]);
  });
});

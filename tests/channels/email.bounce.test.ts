import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { replyTagFor } from '#shared/channels/email/reply-address.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import {
  emailThreadConversationId,
  eventIdFor,
  type HubEvent,
  HubEventSchema,
} from '#shared/contract/index.ts';
import { applyEvent, isMessageEvent } from '#shared/domain/conversation.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

const SUPPORT = 'support@switchboard.example';
const CONTEXT = {
  provider: 'ses' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: [SUPPORT],
  replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
};

/** An SES receipt of the business's own copy, which its domain signed: DMARC PASS on the From SES read. */
const copyContext = (from: string) => ({
  ...CONTEXT,
  headerFrom: from,
  verdicts: { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' },
});

const fixture = (variant: string): Buffer => readFileSync(join(EVENTS_DIR, 'email', `${variant}.eml`));

type StatusEvent = Extract<HubEvent, { type: 'switchboard.message.status_updated' }>;

const statusesOf = (events: HubEvent[]): StatusEvent[] =>
  events.filter((event): event is StatusEvent => event.type === 'switchboard.message.status_updated');

/** A minimal RFC 3464 report around the given delivery-status body and returned headers. */
const report = (deliveryStatus: string[], returnedHeaders: string[]): Buffer =>
  Buffer.from(
    [
      'From: Mail Delivery Subsystem <mailer-daemon@mx.customer.example>',
      `To: ${SUPPORT}`,
      'Subject: Undeliverable',
      'Date: Thu, 26 Nov 2026 09:00:00 +0000',
      'Message-ID: <dsn-test@mx.customer.example>',
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
      'Reporting-MTA: dns; mx.customer.example',
      '',
      ...deliveryStatus,
      '--b',
      'Content-Type: text/rfc822-headers',
      '',
      ...returnedHeaders,
      '--b--',
      '',
    ].join('\r\n'),
  );

/** Kim's mail in her thread (kim-1), which the returned original of dsn-threaded-original (hub-sent-2002, To Kim) answers. */
const KIMS_ANSWER = Buffer.from(
  [
    'From: Kim <kim@customer.example>',
    `To: ${SUPPORT}`,
    'Subject: Broken charger',
    'Message-ID: <kim-2@customer.example>',
    'In-Reply-To: <kim-1@customer.example>',
    'References: <kim-1@customer.example>',
    '',
    'Still broken.',
  ].join('\r\n'),
);

describe('e-mail bounces as failed statuses', () => {
  it('puts the status in the conversation the original sent message was given', async () => {
    // Prepare: the returned original is a reply within a customer's thread
    const bounce = await normalizeInboundEmail(fixture('dsn-threaded-original'), CONTEXT);
    const returned = bounce.blobs.find((blob) => blob.contentType === 'message/rfc822');
    if (!returned) throw new Error('the report keeps the original as a blob');
    // Act: the same original normalized as a copy of the business's own mail
    const [sent] = (await normalizeInboundEmail(returned.bytes, copyContext('support@switchboard.example')))
      .events;
    const [status] = statusesOf(bounce.events);
    // Assess
    expect(sent?.type).toBe('switchboard.message.sent');
    expect(status?.data.conversationId).toBe(sent?.subject);
    expect(status?.data.conversationId).toBe(
      emailThreadConversationId(SUPPORT, 'kim-1@customer.example', 'kim@customer.example'),
    );
    expect(status?.data.providerMessageIds).toEqual(['hub-sent-2002@switchboard.example']);
    expect(status?.data.errors).toEqual([{ code: '5.2.1', message: '550 5.2.1 Mailbox disabled' }]);
  });

  it("puts the status of an untagged answer in the conversation of the customer's mail it answered", async () => {
    // Prepare: Kim's mail, which the returned original (hub-sent-2002, To Kim) answers in its thread
    const [kimsMail] = (await normalizeInboundEmail(KIMS_ANSWER, CONTEXT)).events;
    // Act
    const [status] = statusesOf(
      (await normalizeInboundEmail(fixture('dsn-threaded-original'), CONTEXT)).events,
    );
    // Assess
    expect(kimsMail?.type).toBe('switchboard.message.received');
    expect(status?.data.providerMessageIds).toEqual(['hub-sent-2002@switchboard.example']);
    expect(status?.data.conversationId).toBe(kimsMail?.subject);
  });

  it("files the report itself, and the copy it returns, in the conversation of the customer's mail", async () => {
    // Prepare: Kim's mail, which the returned original (hub-sent-2002, To Kim) answers in its thread
    const [kimsMail] = (await normalizeInboundEmail(KIMS_ANSWER, CONTEXT)).events;
    // Act
    const bounce = await normalizeInboundEmail(fixture('dsn-threaded-original'), CONTEXT);
    // Assess: the report is a message of Kim's conversation, not the reporting mailer's, and the
    // returned copy of the business's mail to her is filed under it (erasing Kim reaches it)
    const [message] = bounce.events;
    expect(message?.type).toBe('switchboard.message.received');
    expect(message?.subject).toBe(kimsMail?.subject);
    const returned = bounce.blobs.find((blob) => blob.contentType === 'message/rfc822');
    expect(returned?.key.startsWith(`attachments/${kimsMail?.subject}/`)).toBe(true);
  });

  it('files the report under the customer it is about, so the reporting mailer neither renames nor joins them', async () => {
    // Prepare: Kim's conversation as her mail opens it
    const [kimsMail] = (await normalizeInboundEmail(KIMS_ANSWER, CONTEXT)).events.filter(isMessageEvent);
    if (!kimsMail) throw new Error("Kim's mail is a message");
    const before = applyEvent(undefined, kimsMail).model;
    // Act: the report of the business's answer to her, filed in her conversation
    const [report] = (await normalizeInboundEmail(fixture('dsn-threaded-original'), CONTEXT)).events.filter(
      isMessageEvent,
    );
    if (!report) throw new Error('the report is a message');
    const after = applyEvent(before, report);
    // Assess: still Kim, by her name and her address alone; the mailer stays the mail's From
    expect(report.data.conversationId).toBe(kimsMail.data.conversationId);
    expect(after.model.state.contact).toEqual(before.state.contact);
    expect(after.newIdentities).toEqual([]);
    expect(report.data.email?.from.address).toBe('postmaster@mx.customer.example');
  });

  it('follows the conversation tag of the original’s Reply-To, as the sent copy does', async () => {
    // Prepare
    const conversationId = `conv_${'ab'.repeat(16)}`;
    const original = [
      `From: Support <${SUPPORT}>`,
      'To: lee@customer.example',
      `Reply-To: reply+${replyTagFor(conversationId, LOCAL_DEV_SECRETS.email.replyTagKey)}@switchboard.example`,
      'Message-ID: <hub-tagged-1@switchboard.example>',
    ];
    const raw = report(
      ['Final-Recipient: rfc822; lee@customer.example', 'Action: failed', 'Status: 5.1.1'],
      original,
    );
    // Act
    const [status] = statusesOf((await normalizeInboundEmail(raw, CONTEXT)).events);
    const [sent] = (
      await normalizeInboundEmail(Buffer.from(`${original.join('\r\n')}\r\n\r\nHi\r\n`), copyContext(SUPPORT))
    ).events;
    // Assess
    expect(status?.data.conversationId).toBe(conversationId);
    expect(sent?.subject).toBe(conversationId);
  });

  it('reports only the failed recipient of a report that also delays another', async () => {
    // Act
    const { events } = await normalizeInboundEmail(fixture('dsn-failed-and-delayed'), CONTEXT);
    // Assess
    expect(events[0]?.type).toBe('switchboard.message.received');
    const statuses = statusesOf(events);
    expect(statuses.map((status) => status.data.contact.identities)).toEqual([
      [{ type: 'email', value: 'left.company@customer.example' }],
    ]);
    expect(JSON.stringify(statuses)).not.toContain('busy@customer.example');
  });

  it('gives the same bounce the same event id, whenever and however it arrives', async () => {
    // Prepare
    const raw = fixture('bounce');
    // Act
    const first = statusesOf((await normalizeInboundEmail(raw, CONTEXT)).events);
    const again = statusesOf(
      (await normalizeInboundEmail(raw, { ...CONTEXT, provider: 'mailgun', receivedAt: new Date(0) })).events,
    );
    // Assess
    expect(first).toHaveLength(1);
    expect(again.map((event) => event.id)).toEqual(first.map((event) => event.id));
    expect(first[0]?.id).toBe(
      eventIdFor('email', 'status', 'hub-sent-99@switchboard.example', 'failed', 'gone@customer.example'),
    );
  });

  it('keeps the customer address inside the contact and error data only', async () => {
    // Prepare
    const customer = 'gone@customer.example';
    // Act
    const [status] = statusesOf((await normalizeInboundEmail(fixture('bounce'), CONTEXT)).events);
    if (!status) throw new Error('no status');
    const { data, ...envelope } = status;
    const { contact, errors, ...rest } = data;
    // Assess
    expect(JSON.stringify(envelope)).not.toContain(customer);
    expect(JSON.stringify(rest)).not.toContain(customer);
    expect(contact.identities[0]?.value).toBe(customer);
    expect(errors?.[0]?.code).toBe('5.1.1');
  });

  it('reads a customer’s mail forwarding a bounce as the customer writing: no bounce, no status', async () => {
    // Prepare: the customer forwards (inline, message/rfc822) a report about a mail of their own
    const forwarded = report(
      ['Final-Recipient: rfc822; joao@ferreira-mail.eu', 'Action: failed', 'Status: 5.1.1'],
      [
        'From: Ana <ana@ferreira-mail.eu>',
        'To: joao@ferreira-mail.eu',
        'Subject: order 991',
        'Message-ID: <orig-1@ferreira-mail.eu>',
      ],
    );
    const raw = Buffer.concat([
      Buffer.from(
        [
          'From: Ana <ana@ferreira-mail.eu>',
          `To: ${SUPPORT}`,
          'Subject: Fwd: Undeliverable',
          'Message-ID: <fwd-bounce-1@ferreira-mail.eu>',
          'Content-Type: multipart/mixed; boundary="outer"',
          '',
          '--outer',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'The order confirmation I forwarded to my husband bounced. Can you resend it to him?',
          '--outer',
          'Content-Type: message/rfc822',
          '',
          '',
        ].join('\r\n'),
      ),
      forwarded,
      Buffer.from('\r\n--outer--\r\n'),
    ]);
    // Act
    const { events } = await normalizeInboundEmail(raw, CONTEXT);
    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
    const [message] = events;
    if (message?.type !== 'switchboard.message.received') throw new Error('not a message');
    expect(message.data.email?.isBounce).toBe(false);
    expect(message.data.contact.identities).toEqual([{ type: 'email', value: 'ana@ferreira-mail.eu' }]);
    expect(message.data.email?.replyText).toContain('Can you resend it to him?');
  });

  it('still reads a report that a gateway wrapped in multipart/mixed (with its footer) as a bounce', async () => {
    // Prepare: the report is the mail's own part, one level down
    const wrapped = report(
      ['Final-Recipient: rfc822; gone@customer.example', 'Action: failed', 'Status: 5.1.1'],
      [
        `From: Support <${SUPPORT}>`,
        'To: gone@customer.example',
        'Message-ID: <hub-wrapped-1@switchboard.example>',
      ],
    )
      .toString('latin1')
      .split('\r\n\r\n');
    const [headers, ...body] = wrapped;
    const raw = Buffer.from(
      [
        (headers ?? '').replace(/^Content-Type: .*$/m, 'Content-Type: multipart/mixed; boundary="gw"'),
        '',
        '--gw',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        '',
        body.join('\r\n\r\n'),
        '--gw',
        'Content-Type: text/plain',
        '',
        'Scanned by the gateway.',
        '--gw--',
        '',
      ].join('\r\n'),
      'latin1',
    );
    // Act
    const { events } = await normalizeInboundEmail(raw, CONTEXT);
    // Assess
    const [message] = events;
    if (message?.type !== 'switchboard.message.received') throw new Error('not a message');
    expect(message.data.email?.isBounce).toBe(true);
    expect(statusesOf(events).map((status) => status.data.providerMessageIds)).toEqual([
      ['hub-wrapped-1@switchboard.example'],
    ]);
  });

  it('emits no status when the returned headers lack a Message-ID, and keeps the bounce', async () => {
    // Act
    const { events } = await normalizeInboundEmail(fixture('dsn-without-message-id'), CONTEXT);
    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
  });

  it('reads fields case-insensitively, unfolds them, bounds diagnostics and reports a recipient once', async () => {
    // Prepare
    const block = [
      'FINAL-RECIPIENT: RFC822; <Twice@Customer.example>',
      'action: FAILED',
      'status: 5.7.1',
      `Diagnostic-Code: smtp; 550 5.7.1 rejected`,
      `  ${'x'.repeat(3000)}`,
    ];
    const raw = report(
      [...block, '', ...block, ''],
      [`From: ${SUPPORT}`, 'To: twice@customer.example', 'Message-ID: <hub-x@switchboard.example>'],
    );
    // Act
    const statuses = statusesOf((await normalizeInboundEmail(raw, CONTEXT)).events);
    // Assess
    expect(statuses).toHaveLength(1);
    expect(statuses[0]?.data.contact.identities[0]?.value).toBe('twice@customer.example');
    expect(statuses[0]?.data.providerStatus).toBe('5.7.1');
    expect(statuses[0]?.data.errors?.[0]?.message?.startsWith('550 5.7.1 rejected x')).toBe(true);
    expect(statuses[0]?.data.errors?.[0]?.message?.length).toBe(1000);
  });

  describe('of a mail SES sent, whose Message-ID SES wrote over the hub’s', () => {
    const SES_ID = '0102019a4f5e6d7c-3f1c2b4a-9d8e-4c7b-a6f5-e4d3c2b1a098-000000';
    const HUB_ID = 'msg_0123456789abcdef0123456789abcdef.0@switchboard.example';
    const CUSTOMER = 'maria.keller@customer.example';
    /** A report returning the headers as the mail was delivered: SES's Message-ID, the hub's in References. */
    const reportOf = (returnedMessageId: string) =>
      report(
        [`Final-Recipient: rfc822; ${CUSTOMER}`, 'Action: failed', 'Status: 5.1.1'],
        [
          `From: ${SUPPORT}`,
          `To: ${CUSTOMER}`,
          `Message-ID: <${returnedMessageId}>`,
          `References: <${HUB_ID}>`,
        ],
      );

    it.each([
      ['eu-west-1', `${SES_ID}@eu-west-1.amazonses.com`],
      ['us-east-1', `${SES_ID}@email.amazonses.com`],
      ['GovCloud', `${SES_ID}@us-gov-west-1.amazonses.com`],
      ['a domain in capitals', `${SES_ID}@EU-WEST-1.AmazonSES.com`],
    ])(
      "names SES's MessageId, as SES's own events and the hub's message.sent do (%s)",
      async (_name, returnedMessageId) => {
        // Act
        const [status, ...others] = statusesOf(
          (await normalizeInboundEmail(reportOf(returnedMessageId), CONTEXT)).events,
        );
        // Assess: the status and its event id name the bare SES MessageId; the conversation is
        // still the one the returned headers' thread gives (the hub's own id, References' root)
        expect(others).toEqual([]);
        expect(status?.data.providerMessageIds).toEqual([SES_ID]);
        expect(status?.id).toBe(eventIdFor('email', 'status', SES_ID, 'failed', CUSTOMER));
        expect(status?.data.conversationId).toBe(emailThreadConversationId(SUPPORT, HUB_ID, CUSTOMER));
      },
    );

    it.each([
      ['the hub’s own (a Mailgun send keeps it)', HUB_ID],
      ['a customer’s mail', 'CAOq7=xYz+4k@mail.gmail.com'],
      ['SES’s shape on another domain', `${SES_ID}@eu-west-1.amazonses.com.evil.example`],
      ['SES’s bare domain', `${SES_ID}@amazonses.com`],
      ['a look-alike domain', `${SES_ID}@eu-west-1.evil-amazonses.com`],
      ['a look-alike region', `${SES_ID}@evil-eu-west-1.amazonses.com`],
      ['a longer id', `x${SES_ID}@eu-west-1.amazonses.com`],
      ['another suffix', `${SES_ID}-1@eu-west-1.amazonses.com`],
      ['an id in capitals', `${SES_ID.toUpperCase()}@eu-west-1.amazonses.com`],
    ])('keeps any other Message-ID as it is: %s', async (_name, returnedMessageId) => {
      // Act
      const [status] = statusesOf((await normalizeInboundEmail(reportOf(returnedMessageId), CONTEXT)).events);
      // Assess
      expect(status?.data.providerMessageIds).toEqual([returnedMessageId]);
    });
  });

  it('never loses the bounce whatever the report part holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'grapheme-ascii' }), { maxLength: 20 }),
        fc.array(fc.string({ unit: 'grapheme-ascii' }), { maxLength: 8 }),
        async (statusLines, headerLines) => {
          // Prepare
          const raw = report(statusLines, headerLines);
          // Act
          const { events } = await normalizeInboundEmail(raw, CONTEXT);
          // Assess
          expect(events[0]?.type).toBe('switchboard.message.received');
          for (const event of events) expect(HubEventSchema.safeParse(event).success).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

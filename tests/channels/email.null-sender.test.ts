import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';

/*
 * Mail no one may answer (RFC 3834 §2): a null reverse path (`MAIL FROM:<>`, as the envelope sender
 * or `Return-Path: <>`), which bounces and read receipts come from, and a read receipt itself (RFC
 * 8098). Each is marked an auto-reply, so it starts no wait and is never the message an answer is
 * threaded to. Before, a read receipt counted as the customer writing again.
 */

const mail = (headers: readonly string[], body = 'Thanks, got it.') =>
  Buffer.from(
    [
      'From: Eve <eve@customer.example>',
      'To: support@switchboard.example',
      'Subject: Read: Re: Order 42',
      'Message-ID: <mdn-1@customer.example>',
      'In-Reply-To: <eve-1@customer.example>',
      'References: <eve-1@customer.example>',
      ...headers,
      '',
      body,
      '',
    ].join('\r\n'),
  );

const readReceipt = mail(
  ['Content-Type: multipart/report; report-type=disposition-notification; boundary="r"'],
  [
    '--r',
    'Content-Type: text/plain',
    '',
    'Your message was displayed.',
    '--r',
    'Content-Type: message/disposition-notification',
    '',
    'Final-Recipient: rfc822; eve@customer.example',
    'Original-Message-ID: <eve-1@customer.example>',
    'Disposition: manual-action/MDN-sent-manually; displayed',
    '--r--',
  ].join('\r\n'),
);

const isAutoReplyOf = async (raw: Buffer, envelopeSender?: string): Promise<boolean | undefined> => {
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt: new Date('2026-12-07T10:00:00Z'),
    envelopeRecipients: ['support@switchboard.example'],
    ...(envelopeSender === undefined ? {} : { envelopeSender }),
  });
  const [event] = events;
  return event?.type === 'switchboard.message.received' ? event.data.email?.isAutoReply : undefined;
};

describe('mail from a null reverse path, and read receipts', () => {
  it.each([
    ['an envelope sender of <>', mail(['Content-Type: text/plain']), '<>'],
    ['an empty envelope sender', mail(['Content-Type: text/plain']), ''],
    ['Return-Path: <>', mail(['Return-Path: <>', 'Content-Type: text/plain']), 'eve@customer.example'],
    ['a read receipt (RFC 8098)', readReceipt, 'eve@customer.example'],
  ])('marks %s as an auto-reply', async (_name, raw, envelopeSender) => {
    // Act
    const marked = await isAutoReplyOf(raw, envelopeSender);
    // Assess
    expect(marked).toBe(true);
  });

  it.each([
    ['a customer envelope sender', 'eve@customer.example'],
    ['no envelope sender known', undefined],
  ])('leaves a customer’s mail with %s unmarked', async (_name, envelopeSender) => {
    // Act
    const marked = await isAutoReplyOf(
      mail(['Return-Path: <eve@customer.example>', 'Content-Type: text/plain']),
      envelopeSender,
    );
    // Assess
    expect(marked).toBe(false);
  });
});

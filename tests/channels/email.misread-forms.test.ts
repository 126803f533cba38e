import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * Forms of mail postal-mime 4.0.0 misread and 4.2.0 reads as RFC 5322 and RFC 2046 do: an angle
 * address inside a comment, an address written with obsolete spacing or a route, a header block
 * not ended by a blank line, a boundary parameter ending in a space.
 */

const CONTEXT = {
  provider: 'mailgun' as const,
  receivedAt: FIXTURE_RECEIVED_AT,
  envelopeRecipients: ['support@switchboard.example'],
  rawMimeKey: 'raw/email/misread-forms.eml',
};

const mail = (lines: readonly string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const plainMail = (from: string, body = 'My order has not arrived.'): Buffer =>
  mail([
    `From: ${from}`,
    'To: support@switchboard.example',
    'Subject: My order',
    'Message-ID: <order-1@customer.example>',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
  ]);

type Received = Extract<HubEvent, { type: 'switchboard.message.received' }>;

const messageOf = async (mime: Buffer): Promise<Received> => {
  const { events } = await normalizeInboundEmail(mime, CONTEXT);
  const [event] = events;
  if (event?.type !== 'switchboard.message.received') throw new Error(`not a message: ${event?.type}`);
  return event;
};

const textOf = (message: Received): string =>
  message.data.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

describe('mail postal-mime 4.0.0 misread', () => {
  it("files a From whose angle address holds a comment with another address under the From's own mailbox", async () => {
    // Prepare: 4.0.0 read the mailbox out of the comment, jon@elsewhere.example
    const plain = await messageOf(plainMail('Maria <maria@customer.example>'));
    // Act
    const message = await messageOf(
      plainMail('Maria <maria@customer.example (Jon <jon@elsewhere.example>)>'),
    );
    // Assess: the same person and conversation as her plain From
    expect(message.data.contact.identities).toEqual([{ type: 'email', value: 'maria@customer.example' }]);
    expect(message.data.email?.from).toEqual({ address: 'maria@customer.example', name: 'Maria' });
    expect(message.data.conversationId).toBe(plain.data.conversationId);
  });

  it.each([
    ['spaces around the @ (obsolete CFWS)', 'Maria <maria @ customer.example>'],
    ['a source route (obsolete)', '<@relay.customer.example:maria@customer.example>'],
  ])('reads an address written with %s as the same person', async (_form, from) => {
    // Prepare: 4.0.0 kept `maria @ customer.example` and `@relay…:maria@…` as the address, a second identity
    const plain = await messageOf(plainMail('Maria <maria@customer.example>'));
    // Act
    const message = await messageOf(plainMail(from));
    // Assess
    expect(message.data.contact.identities).toEqual([{ type: 'email', value: 'maria@customer.example' }]);
    expect(message.data.conversationId).toBe(plain.data.conversationId);
  });

  it('reads the text of a mail whose headers no blank line ends', async () => {
    // Prepare: 4.0.0 read the text's first line and all after it as headers; the text was lost
    const mime = mail([
      'From: Maria <maria@customer.example>',
      'To: support@switchboard.example',
      'Subject: No blank line',
      'Message-ID: <no-blank-line@customer.example>',
      'My order has not arrived.',
      'Please look into it.',
    ]);
    // Act
    const message = await messageOf(mime);
    // Assess
    expect(message.data.email?.subject).toBe('No blank line');
    expect(textOf(message)).toContain('My order has not arrived.\nPlease look into it.');
  });

  it('reads the parts of a multipart whose boundary parameter ends in a space', async () => {
    // Prepare: a boundary ends in no space (RFC 2046 5.1.1); 4.0.0 matched no delimiter against
    // `b1 ` and lost the text and the file
    const mime = mail([
      'From: Maria <maria@customer.example>',
      'To: support@switchboard.example',
      'Subject: Boundary with a space',
      'Message-ID: <boundary-space@customer.example>',
      'Content-Type: multipart/mixed; boundary="b1 "',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The invoice is attached.',
      '--b1',
      'Content-Type: application/pdf; name=invoice.pdf',
      'Content-Disposition: attachment; filename=invoice.pdf',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 invoice').toString('base64'),
      '--b1--',
    ]);
    // Act
    const message = await messageOf(mime);
    // Assess
    expect(textOf(message)).toContain('The invoice is attached.');
    expect(message.data.email?.attachments.map((file) => [file.filename, file.size])).toEqual([
      ['invoice.pdf', 16],
    ]);
  });
});

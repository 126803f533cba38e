import type { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import type { MessageEvent } from '#shared/domain/conversation.ts';
import { putMessage } from '#shared/store/messages.ts';
import type { TableContext } from '#shared/store/table.ts';

/*
 * A message record always fits a DynamoDB item (400 KB), whatever a sender puts in an e-mail's
 * headers; one too large to keep the e-mail's details keeps the keys of the objects it stored.
 */

/** The PutItem's item size, as DynamoDB counts it closely enough (attribute names and values). */
const putSizeOf = async (event: MessageEvent): Promise<{ bytes: number; data: string }> => {
  let sent: PutItemCommand | undefined;
  const context = {
    client: {
      send: async (command: PutItemCommand) => {
        sent = command;
        return {};
      },
    },
    tableName: 't',
    now: () => new Date('2026-12-02T10:00:00Z'),
  } as unknown as TableContext;
  await putMessage(context, event);
  const item = sent?.input.Item ?? {};
  const bytes = Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(JSON.stringify(value)),
    0,
  );
  return { bytes, data: String(item.data?.S) };
};

const mail = (attachments: number, contentType: string, text = 'Hello', fromName = '') =>
  Buffer.from(
    [
      `From: ${fromName ? `"${fromName}" ` : ''}<sender@records-test.net>`,
      'Subject: the order',
      'To: support@switchboard.example',
      'Message-ID: <record-size@records-test.net>',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      ...Array.from({ length: attachments }, (_, index) => [
        '--b',
        `Content-Type: ${contentType}`,
        `Content-Disposition: attachment; filename="file-${index}.bin"`,
        '',
        `bytes of file ${index}`,
      ]).flat(),
      '--b--',
      '',
    ].join('\r\n'),
  );

const messageOf = async (raw: Buffer): Promise<MessageEvent> => {
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt: new Date('2026-12-02T10:00:00Z'),
    envelopeRecipients: ['support@switchboard.example'],
    rawMimeKey: 'raw/email/record-size.eml',
  });
  const [event] = events;
  if (event?.type !== 'switchboard.message.received') throw new Error('no message');
  return event as MessageEvent;
};

describe('message records', () => {
  it('fit an item with a hundred attachments whose Content-Type headers run to 5,000 characters', async () => {
    // Prepare
    const event = await messageOf(
      mail(100, `application/x-${'long'.repeat(1_250)}`, 'A paste. '.repeat(9_000)),
    );
    // Act
    const { bytes, data } = await putSizeOf(event);
    // Assess: under the item limit, still naming the raw mail
    expect(bytes).toBeLessThan(400 * 1024);
    expect(data).toContain('raw/email/record-size.eml');
  });

  it('keep the keys of the stored mail, its attachments and its subject when the sender’s name runs to 100,000 characters', async () => {
    // Prepare
    const event = await messageOf(mail(1, 'application/pdf', 'Hello', 'N'.repeat(100_000)));
    const attachmentKey = event.data.email?.attachments[0]?.ref;
    // Act
    const { bytes, data } = await putSizeOf(event);
    // Assess
    expect(bytes).toBeLessThan(400 * 1024);
    expect(data).toContain('raw/email/record-size.eml');
    expect(attachmentKey?.store === 's3' && data.includes(attachmentKey.key)).toBe(true);
    expect(data).toContain('the order');
  });
});

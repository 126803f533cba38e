import { createHash } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookRequest } from '#shared/channels/inbound.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { type Pipeline, startPipeline } from '#tests/pipeline/harness.ts';
import {
  deliver,
  email,
  mailgunRequest,
  messengerText,
  metaRequest,
  twilioRequest,
  whatsappText,
} from '#tests/support/hostile.ts';

const deep = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** Text of about `length` characters that compression leaves as large (hashes in base64). */
const incompressible = (length: number): string =>
  Array.from({ length: Math.ceil(length / 44) }, (_, index) =>
    createHash('sha256').update(String(index)).digest('base64'),
  ).join('');

/** Longer than a line may be (RFC 5322's 998 characters), so no message id: read as a mail without one. */
const LONG_MESSAGE_ID_MAIL = email({ 'Message-ID': `<${'m'.repeat(300_000)}@customer.example>` });

/** Each a request a provider could sign, with sizes and shapes no real one has. */
const HOSTILE: ReadonlyArray<readonly [string, () => WebhookRequest, string]> = [
  [
    'a 450 KB WhatsApp display name',
    () => metaRequest('/webhooks/whatsapp', whatsappText({ name: 'N'.repeat(450_000), id: 'wamid.NAME' })),
    'wamid.NAME',
  ],
  [
    'a 5,000-digit wa_id',
    () => metaRequest('/webhooks/whatsapp', whatsappText({ waId: '3'.repeat(5000), id: 'wamid.WAID' })),
    'oversize',
  ],
  [
    'a 10 KB phone_number_id',
    () =>
      metaRequest(
        '/webhooks/whatsapp',
        whatsappText({ phoneNumberId: '1'.repeat(10_000), id: 'wamid.PNID' }),
      ),
    'oversize',
  ],
  [
    'a 2 MB WhatsApp Business Account id that deflate cannot shrink',
    () => {
      const body = whatsappText({ id: 'wamid.ACCOUNT' });
      const [entry] = body.entry;
      if (entry) entry.id = incompressible(2_000_000);
      return metaRequest('/webhooks/whatsapp', body);
    },
    'oversize',
  ],
  [
    'a 5,000-character PSID',
    () => metaRequest('/webhooks/messenger', messengerText({ psid: '6'.repeat(5000), mid: 'm_psid' })),
    'oversize',
  ],
  [
    'a Messenger item nested 5,000 levels deep beside a valid message',
    () =>
      metaRequest(
        '/webhooks/messenger',
        `{"object":"page","entry":[{"id":"104331798255117","messaging":[{"sender":{"id":"6783425123045219"},"recipient":{"id":"104331798255117"},"timestamp":1795166043000,"message":{"mid":"m_beside_deep","text":"hi"}},{"sender":{"id":"6783425123045219"},"recipient":{"id":"104331798255117"},"timestamp":1795166043001,"weird":${deep(5000)}}]}]}`,
      ),
    'm_beside_deep',
  ],
  [
    'a WhatsApp message field nested 20,000 levels deep beside a valid message',
    () => {
      const body = JSON.stringify(whatsappText({ id: 'wamid.BESIDE' })).replace(
        '"type":"text"',
        `"type":"text","context":${deep(20_000)}`,
      );
      return metaRequest('/webhooks/whatsapp', body);
    },
    'wamid.BESIDE',
  ],
  [
    'a 3,000-character From address',
    () =>
      mailgunRequest(
        email({ From: `${'x'.repeat(3000)}@customer.example`, 'Message-ID': '<from-3000@customer.example>' }),
      ),
    'oversize',
  ],
  [
    'a 450 KB e-mail display name',
    () =>
      mailgunRequest(
        email({
          From: `"${'Ω'.repeat(225_000)}" <n@customer.example>`,
          'Message-ID': '<name-450k@customer.example>',
        }),
      ),
    'name-450k@customer.example',
  ],
  [
    'References of 50 × 12 KB',
    () =>
      mailgunRequest(
        email({
          'Message-ID': '<refs@customer.example>',
          References: Array.from(
            { length: 50 },
            (_, i) => `<${String(i).padStart(3, '0')}${'r'.repeat(12_000)}@x.example>`,
          ).join(' '),
        }),
      ),
    'refs@customer.example',
  ],
  [
    'a 300 KB Message-ID (no id: the mail gets one derived from its bytes)',
    () => mailgunRequest(LONG_MESSAGE_ID_MAIL),
    `${createHash('sha256').update(LONG_MESSAGE_ID_MAIL).digest('hex').slice(0, 32)}@derived.switchboard.invalid`,
  ],
  [
    'a 2,000-character Twilio From',
    () =>
      twilioRequest({
        MessageSid: 'SMhostile01',
        AccountSid: 'AC1',
        From: `+${'1'.repeat(2000)}`,
        To: '+14155550142',
        Body: 'hi',
        NumMedia: '0',
      }),
    'oversize',
  ],
];

describe('nothing a provider can send becomes poison', () => {
  let pipeline: Pipeline;
  let delivered: HubEvent[] = [];
  const statuses: number[] = [];
  beforeAll(async () => {
    pipeline = await startPipeline();
    for (const [, build] of HOSTILE) statuses.push((await deliver(pipeline, build())).statusCode);
    await pipeline.drain();
    delivered = await pipeline.takeHelpdesk();
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('answers every one 2xx', () => {
    expect(statuses).toEqual(HOSTILE.map(() => 200));
  });

  it('sends nothing to the dead-letter queue', async () => {
    // Act
    const output = await pipeline.emulators.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: pipeline.emulators.resources.ingestDlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    // Assess
    expect(Number(output.Attributes?.ApproximateNumberOfMessages)).toBe(0);
    expect(Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible)).toBe(0);
  });

  it.each(HOSTILE.map(([label, , expected]) => [label, expected] as const))(
    'delivers %s to the helpdesk',
    (_label, expected) => {
      if (expected === 'oversize') {
        expect(
          delivered.some(
            (event) =>
              event.type === 'switchboard.provider.unsupported' &&
              event.data.providerType === 'oversize_identifier',
          ),
        ).toBe(true);
        return;
      }
      const message = delivered.find(
        (event) =>
          (event.type === 'switchboard.message.received' || event.type === 'switchboard.message.sent') &&
          event.data.providerMessageId === expected,
      );
      expect(message, expected).toBeDefined();
    },
  );

  it('keeps every delivered event serializable and valid for the official CloudEvents SDK', () => {
    for (const event of delivered) {
      expect(() => JSON.stringify(event)).not.toThrow();
      expect(() => new CloudEvent(event as unknown as Record<string, unknown>, true)).not.toThrow();
    }
  });
});

import { createHash } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookRequest } from '#shared/channels/inbound.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { type Pipeline, startPipeline } from '#tests/pipeline/harness.ts';
import {
  deliverAll,
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
        MessageSid: 'SM00000000000000000000000000000401',
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
  let statuses: number[] = [];
  beforeAll(async () => {
    pipeline = await startPipeline();
    ({ statuses, delivered } = await deliverAll(
      pipeline,
      HOSTILE.map(([, build]) => build()),
    ));
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

/**
 * A signed body of two entries: a change about the account `accountId` that names no phone number
 * (an `account_update`, whose source and subject name the account), then a text message `messageId`
 * to a business number of the usual account.
 */
const accountUpdateBesideText = (accountId: string, event: string, messageId: string) => {
  const text = whatsappText({ id: messageId });
  return {
    ...text,
    entry: [
      { id: accountId, time: 1795166043, changes: [{ field: 'account_update', value: { event } }] },
      ...text.entry,
    ],
  };
};

/**
 * Account ids over the bound, each with the account_update `event` that tells its notice (and the
 * message beside it) apart.
 */
const ACCOUNT_IDS = [
  { label: '1.2 MB that deflate cannot shrink', id: incompressible(1_200_000), event: 'ACCOUNT_1_2_MB' },
  { label: '5,000 characters', id: '7'.repeat(5000), event: 'ACCOUNT_5000' },
] as const;

const isUnsupported = (
  event: HubEvent,
): event is Extract<HubEvent, { type: 'switchboard.provider.unsupported' }> =>
  event.type === 'switchboard.provider.unsupported';

describe('a WhatsApp account id on a change that names no phone number is bounded like one on a message', () => {
  let pipeline: Pipeline;
  let delivered: HubEvent[] = [];
  let statuses: number[] = [];
  let drained: { received: number; failed: number };
  beforeAll(async () => {
    pipeline = await startPipeline();
    // Prepare: each oversize account id in its own POST, a valid message beside it; and one of 320
    // characters, the bound account ids share with endpoint ids.
    const requests = [
      ...ACCOUNT_IDS.map(({ id, event }) =>
        metaRequest('/webhooks/whatsapp', accountUpdateBesideText(id, event, `wamid.BESIDE_${event}`)),
      ),
      metaRequest(
        '/webhooks/whatsapp',
        accountUpdateBesideText('8'.repeat(320), 'ACCOUNT_320', 'wamid.BESIDE_ACCOUNT_320'),
      ),
    ];
    // Act
    ({ statuses, drained, delivered } = await deliverAll(pipeline, requests));
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('answers every POST 2xx and records every event at the first attempt', () => {
    // Assess
    expect(statuses).toEqual([200, 200, 200]);
    expect(drained).toEqual({ received: 6, failed: 0 });
  });

  it('delivers the message beside each account notice', () => {
    // Assess
    const messageIds = delivered.flatMap((event) =>
      event.type === 'switchboard.message.received' ? [event.data.providerMessageId] : [],
    );
    expect(messageIds.sort()).toEqual(
      ['wamid.BESIDE_ACCOUNT_1_2_MB', 'wamid.BESIDE_ACCOUNT_5000', 'wamid.BESIDE_ACCOUNT_320'].sort(),
    );
  });

  it.each(ACCOUNT_IDS)(
    'keeps the notice of an account id of $label as an oversize identifier, id kept in raw',
    ({ id, event: notice }) => {
      // Assess: found by the notice it carries, named by no source or subject of its own.
      const kept = delivered.filter(isUnsupported).find((event) => {
        const raw = event.data.raw as { data?: { raw?: { event?: string } } } | undefined;
        return raw?.data?.raw?.event === notice;
      });
      expect(kept?.data.providerType).toBe('oversize_identifier');
      expect(kept?.source).toBe('switchboard:whatsapp:unknown');
      expect(kept?.subject).toBe('endpoint:whatsapp:unknown');
      const raw = kept?.data.raw as { type?: string; subject?: string; data?: { providerType?: string } };
      expect(raw.type).toBe('switchboard.provider.unsupported');
      expect(raw.data?.providerType).toBe('account_update');
      // The account id is not lost: the event's own subject, kept whole (not printed: it may be 1.2 MB).
      expect(raw.subject === `endpoint:whatsapp:${id}`).toBe(true);
    },
  );

  it('keeps the notice of an account id of 320 characters as it is', () => {
    // Assess
    const kept = delivered
      .filter(isUnsupported)
      .find((event) => (event.data.raw as { event?: string } | undefined)?.event === 'ACCOUNT_320');
    expect(kept?.data.providerType).toBe('account_update');
    expect(kept?.subject).toBe(`endpoint:whatsapp:${'8'.repeat(320)}`);
  });
});

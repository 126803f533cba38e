import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobNotFoundError, InMemoryBlobStore } from '#shared/aws/blob-store.ts';
import type { EventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { parseSesReceiptEvent } from '#shared/channels/email/inbound/ses.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { processSesReceipts } from '#shared/intake/process-ses-email.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { sesReceiptEvent } from '#tests/support/ses-receipt.ts';

const SES_MESSAGE_ID = 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1';
const SES_RECEIVED_AT = '2026-11-21T08:14:05.123Z';
/** When the receipt rule invoked the hub's function, a moment later. */
const INVOKED_AT = new Date('2026-11-21T08:14:05.987Z');

const sesEvent = sesReceiptEvent(SES_MESSAGE_ID, SES_RECEIVED_AT);

const harness = () => {
  const payloads = new InMemoryBlobStore();
  const published: HubEvent[] = [];
  const publisher: EventPublisher = {
    publish: async (events) => {
      published.push(...events);
    },
  };
  const deps = {
    payloads,
    publisher,
    logger: createLogger({ write: () => {} }),
    normalize: normalizeInboundEmail,
    replyTagKey: LOCAL_DEV_SECRETS.email.replyTagKey,
  };
  return { payloads, published, deps };
};

describe('processSesReceipts', () => {
  it('reads the raw MIME the S3 action stored and queues its events with SES context', async () => {
    // Prepare
    const { payloads, published, deps } = harness();
    const objectKey = `${PAYLOAD_BUCKET.prefixes.sesInbound}${SES_MESSAGE_ID}`;
    const rawMime = readFileSync(join(EVENTS_DIR, 'email/plain-text.eml'));
    await payloads.put({ key: objectKey, contentType: 'message/rfc822', bytes: rawMime });
    // Act
    await processSesReceipts(parseSesReceiptEvent(sesEvent, INVOKED_AT), deps);
    // Assess
    const received = published.find((event) => event.type === 'switchboard.message.received');
    expect(received?.data).toMatchObject({
      provider: 'ses',
      receivedAt: SES_RECEIVED_AT,
      email: { rawMimeKey: objectKey, verdicts: expect.objectContaining({ dmarc: 'GRAY' }) },
    });
  });

  it('gives the same events when Lambda retries the invocation', async () => {
    // Prepare
    const first = harness();
    const retry = harness();
    const objectKey = `${PAYLOAD_BUCKET.prefixes.sesInbound}${SES_MESSAGE_ID}`;
    const rawMime = readFileSync(join(EVENTS_DIR, 'email/plain-text.eml'));
    for (const run of [first, retry]) {
      await run.payloads.put({ key: objectKey, contentType: 'message/rfc822', bytes: rawMime });
    }
    // Act
    await processSesReceipts(parseSesReceiptEvent(sesEvent, INVOKED_AT), first.deps);
    await processSesReceipts(parseSesReceiptEvent(sesEvent, INVOKED_AT), retry.deps);
    // Assess
    expect(first.published.length).toBeGreaterThan(0);
    expect(retry.published).toEqual(first.published);
  });

  it('throws when the raw MIME is missing, so Lambda retries, and queues nothing', async () => {
    // Prepare
    const { published, deps } = harness();
    // Act
    const processing = processSesReceipts(parseSesReceiptEvent(sesEvent, INVOKED_AT), deps);
    // Assess
    await expect(processing).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(published).toEqual([]);
  });

  describe('an agent’s mail From another address of the inbound domain, the endpoint in Bcc', () => {
    // Prepare: sales@ answers Maria and copies support@; SES delivers it to support@ alone
    const agentCopy = (dmarc: string) => {
      const event = sesReceiptEvent(SES_MESSAGE_ID, SES_RECEIVED_AT);
      const [record] = event.Records;
      if (!record) throw new Error('no record');
      record.ses.mail.commonHeaders = { from: ['Sales <sales@switchboard.example>'] } as never;
      record.ses.mail.source = 'bounces@switchboard.example';
      record.ses.receipt.dmarcVerdict = { status: dmarc };
      return event;
    };
    const rawMime = Buffer.from(
      [
        'From: Sales <sales@switchboard.example>',
        'To: Maria Keller <maria.keller@customer.example>',
        'Subject: Re: your order',
        'Message-ID: <agent-answer-1@switchboard.example>',
        'Date: Sat, 21 Nov 2026 08:14:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'It ships tomorrow.',
        '',
      ].join('\r\n'),
    );
    const run = async (dmarc: string) => {
      const { payloads, published, deps } = harness();
      await payloads.put({
        key: `${PAYLOAD_BUCKET.prefixes.sesInbound}${SES_MESSAGE_ID}`,
        contentType: 'message/rfc822',
        bytes: rawMime,
      });
      await processSesReceipts(parseSesReceiptEvent(agentCopy(dmarc), INVOKED_AT), deps);
      return published;
    };

    it('is the business’s copy on a DMARC PASS, in sales@’s conversation with the customer', async () => {
      // Act
      const published = await run('PASS');
      // Assess
      const sent = published.find((event) => event.type === 'switchboard.message.sent');
      expect(published.map((event) => event.type)).not.toContain('switchboard.message.received');
      expect(sent?.data).toMatchObject({
        direction: 'outbound',
        endpoint: { id: 'sales@switchboard.example' },
        contact: { identities: [{ type: 'email', value: 'maria.keller@customer.example' }] },
      });
    });

    it('is kept unsupported without a DMARC PASS, never a customer named by the business’s address', async () => {
      // Act
      const published = await run('GRAY');
      // Assess
      expect(published.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
      expect(published[0]?.data).toMatchObject({ providerType: 'email.unauthenticated_own_address' });
      expect(published[0]?.data).not.toHaveProperty('contact');
    });
  });

  it.each([
    '1969-12-31T23:59:59.000Z',
    '0000-01-01T00:30:00+01:00',
    '9999-12-31T23:30:00-01:00',
    '2286-11-20T17:46:40.000Z',
  ])(
    'queues events the contract takes, received when invoked, for an implausible SES time %s',
    async (time) => {
      // Prepare
      const { payloads, published, deps } = harness();
      const objectKey = `${PAYLOAD_BUCKET.prefixes.sesInbound}${SES_MESSAGE_ID}`;
      const rawMime = readFileSync(join(EVENTS_DIR, 'email/plain-text.eml'));
      await payloads.put({ key: objectKey, contentType: 'message/rfc822', bytes: rawMime });
      // Act
      await processSesReceipts(parseSesReceiptEvent(sesReceiptEvent(SES_MESSAGE_ID, time), INVOKED_AT), deps);
      // Assess
      expect(published.length).toBeGreaterThan(0);
      for (const event of published) {
        expect(HubEventSchema.safeParse(event).error).toBeUndefined();
        expect(event.sequence?.startsWith(String(INVOKED_AT.getTime()))).toBe(true);
        expect(event.data).toMatchObject({ receivedAt: INVOKED_AT.toISOString() });
      }
    },
  );
});

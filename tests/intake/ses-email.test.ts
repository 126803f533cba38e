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

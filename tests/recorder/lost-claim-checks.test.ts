import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryBlobStore } from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { BatchEventPublisher } from '#shared/aws/event-publisher.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { readClaimCheck } from '#shared/recorder/wiring.ts';
import { messageEvent, minute, noStore, sqsEvent } from './factories.ts';

/*
 * A claim-checked ingest event whose object is gone (erased with its conversation while queued,
 * or expired) or altered can never be read: the recorder settles it on the first receive and tells
 * the helpdesk with a `provider.unsupported` notice in the conversation, instead of holding the
 * conversation for five receives and sending it to the dead-letter queue. S3's own failures stay
 * retryable.
 */

const s3Mock = mockClient(S3Client);
afterEach(() => s3Mock.reset());

const NOW = new Date('2026-12-03T10:00:00.000Z');

/** The queue bodies the ingest publisher writes for these events, every one claim-checked. */
const queuedAsClaimChecks = async (events: readonly HubEvent[]) => {
  const store = new InMemoryBlobStore();
  const bodies: string[] = [];
  const publisher = new BatchEventPublisher({
    sqs: {
      sendMessageBatch: async ({ Entries }) => {
        bodies.push(...Entries.map((entry) => entry.MessageBody ?? ''));
        return { Successful: Entries.map((entry) => ({ Id: entry.Id })), Failed: [] } as never;
      },
    },
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/000000000000/switchboard-ingest.fifo',
    overflow: { store, bucket: 'payloads' },
    maxMessageBytes: 512,
  });
  await publisher.publish(events);
  return { store, bodies };
};

/** The recorder over a bucket whose reads `getObject` answers, and what it publishes and logs. */
const recorderReading = (s3: S3Client) => {
  const published: HubEvent[] = [];
  const logs: Record<string, unknown>[] = [];
  const recorder = createRecorderService({
    store: noStore,
    publisher: { publish: async (events: readonly HubEvent[]) => void published.push(...events) },
    clock: () => NOW,
    logger: createLogger({ level: 'info', write: (line) => void logs.push(JSON.parse(line)) }),
    resolveBody: (body) => resolveQueueMessageBody(body, (bucket, key) => readClaimCheck(s3, bucket, key)),
  });
  return { recorder, published, logs };
};

const serviceError = (name: string, httpStatusCode: number) =>
  new S3ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message: name,
  });

describe('lost claim checks', () => {
  it('settles an event whose object is gone on the first receive and tells the helpdesk', async () => {
    // Prepare: an e-mail too large for a queue message, its object deleted (NoSuchKey), then a
    // smaller message of the same conversation behind it.
    const big = messageEvent('alice', 'mail-1', minute(1), 'inbound', 'x'.repeat(2000), 'email');
    const next = messageEvent('alice', 'mail-2', minute(2), 'inbound', 'hi', 'email');
    const { bodies } = await queuedAsClaimChecks([big]);
    s3Mock
      .on(GetObjectCommand)
      .rejects(
        new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }),
      );
    const { recorder, published, logs } = recorderReading(new S3Client({ region: 'eu-west-1' }));
    // Act
    const response = await recorder.handleSqsEvent(
      sqsEvent([
        { id: 'r1', group: big.subject, body: bodies[0] ?? '' },
        { id: 'r2', group: big.subject, body: JSON.stringify(next) },
      ]),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const notices = published.filter((event) => event.type === 'switchboard.provider.unsupported');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      subject: big.subject,
      time: NOW.toISOString(),
      data: {
        channel: 'email',
        provider: 'meta',
        conversationId: big.subject,
        providerType: 'claim_check_missing',
        raw: { id: big.id, type: big.type, subject: big.subject },
      },
    });
    expect(published.map((event) => event.id)).toContain(next.id);
    expect(published.map((event) => event.id)).not.toContain(big.id);
    expect(logs.map((record) => record.message)).toContain('claim-checked event lost; the helpdesk is told');
    expect(JSON.stringify(logs)).not.toContain('x'.repeat(50));
  });

  it('tells the same notice at every delivery of the pointer', async () => {
    // Prepare
    const big = messageEvent('bob', 'mail-3', minute(1), 'inbound', 'y'.repeat(2000), 'email');
    const { bodies } = await queuedAsClaimChecks([big]);
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    const { recorder, published } = recorderReading(new S3Client({ region: 'eu-west-1' }));
    // Act: the pointer received, then redriven from the dead-letter queue.
    await recorder.handleSqsEvent(sqsEvent([{ id: 'r1', group: big.subject, body: bodies[0] ?? '' }]));
    await recorder.handleSqsEvent(sqsEvent([{ id: 'r2', group: big.subject, body: bodies[0] ?? '' }]));
    // Assess
    expect(published).toHaveLength(2);
    expect(published[0]?.id).toBe(published[1]?.id);
  });

  it('settles an object that does not match its hash the same way', async () => {
    // Prepare
    const big = messageEvent('carol', 'mail-4', minute(1), 'inbound', 'z'.repeat(2000), 'email');
    const { bodies } = await queuedAsClaimChecks([big]);
    s3Mock.on(GetObjectCommand).resolves({
      Body: { transformToByteArray: async () => new TextEncoder().encode('{"not":"it"}') } as never,
    });
    const { recorder, published } = recorderReading(new S3Client({ region: 'eu-west-1' }));
    // Act
    const response = await recorder.handleSqsEvent(
      sqsEvent([{ id: 'r1', group: big.subject, body: bodies[0] ?? '' }]),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(
      published.map((event) => [event.type, (event.data as { providerType?: string }).providerType]),
    ).toEqual([['switchboard.provider.unsupported', 'claim_check_mismatch']]);
  });

  it.each([
    ['a 503', serviceError('ServiceUnavailable', 503)],
    ['throttling', serviceError('SlowDown', 503)],
    ['a 500', serviceError('InternalError', 500)],
  ])('keeps the record for a retry on %s from S3', async (_label, error) => {
    // Prepare
    const big = messageEvent('dave', 'mail-5', minute(1), 'inbound', 'w'.repeat(2000), 'email');
    const { bodies } = await queuedAsClaimChecks([big]);
    s3Mock.on(GetObjectCommand).rejects(error);
    const { recorder, published } = recorderReading(new S3Client({ region: 'eu-west-1' }));
    // Act
    const response = await recorder.handleSqsEvent(
      sqsEvent([{ id: 'r1', group: big.subject, body: bodies[0] ?? '' }]),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'r1' }]);
    expect(published).toEqual([]);
  });

  it('takes a 403 for a missing object only when listing the key finds nothing', async () => {
    // Prepare: S3 answers a missing key 403 to a reader without s3:ListBucket.
    const big = messageEvent('erin', 'mail-6', minute(1), 'inbound', 'v'.repeat(2000), 'email');
    const { bodies } = await queuedAsClaimChecks([big]);
    s3Mock.on(GetObjectCommand).rejects(serviceError('AccessDenied', 403));
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ KeyCount: 0 })
      .rejectsOnce(serviceError('AccessDenied', 403));
    const { recorder, published } = recorderReading(new S3Client({ region: 'eu-west-1' }));
    // Act: first the listing finds nothing; then the listing is refused too.
    const gone = await recorder.handleSqsEvent(
      sqsEvent([{ id: 'r1', group: big.subject, body: bodies[0] ?? '' }]),
    );
    const refused = await recorder.handleSqsEvent(
      sqsEvent([{ id: 'r2', group: big.subject, body: bodies[0] ?? '' }]),
    );
    // Assess
    expect(gone.batchItemFailures).toEqual([]);
    expect(published.map((event) => (event.data as { providerType?: string }).providerType)).toEqual([
      'claim_check_missing',
    ]);
    expect(refused.batchItemFailures).toEqual([{ itemIdentifier: 'r2' }]);
    const listed = s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input;
    expect(listed).toMatchObject({ Bucket: 'payloads', MaxKeys: 1 });
    expect(listed?.Prefix).toMatch(/^bodies\/events\/conv_[0-9a-f]{32}\/[0-9a-f]{64}\.json$/);
  });

  it('keeps the record for a retry on a 403 when the object is there', async () => {
    // Prepare
    const big = messageEvent('frank', 'mail-7', minute(1), 'inbound', 'u'.repeat(2000), 'email');
    const { bodies } = await queuedAsClaimChecks([big]);
    const pointer = JSON.parse(bodies[0] ?? '{}') as { switchboardClaimCheck: { key: string } };
    s3Mock.on(GetObjectCommand).rejects(serviceError('AccessDenied', 403));
    s3Mock
      .on(ListObjectsV2Command)
      .resolves({ KeyCount: 1, Contents: [{ Key: pointer.switchboardClaimCheck.key }] });
    const { recorder, published } = recorderReading(new S3Client({ region: 'eu-west-1' }));
    // Act
    const response = await recorder.handleSqsEvent(
      sqsEvent([{ id: 'r1', group: big.subject, body: bodies[0] ?? '' }]),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'r1' }]);
    expect(published).toEqual([]);
  });

  it('fails a pointer that names no channel into the dead-letter queue, as before, telling nothing', async () => {
    // Prepare: a pointer as queued before pointers named the event's channel and provider.
    const big = messageEvent('grace', 'mail-8', minute(1), 'inbound', 't'.repeat(2000), 'email');
    const { bodies } = await queuedAsClaimChecks([big]);
    const { channel: _channel, provider: _provider, ...older } = JSON.parse(bodies[0] ?? '{}');
    s3Mock
      .on(GetObjectCommand)
      .rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    const { recorder, published, logs } = recorderReading(new S3Client({ region: 'eu-west-1' }));
    // Act
    const response = await recorder.handleSqsEvent(
      sqsEvent([{ id: 'r1', group: big.subject, body: JSON.stringify(older) }]),
    );
    // Assess
    expect(_channel).toBe('email');
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'r1' }]);
    expect(published).toEqual([]);
    expect(logs.find((record) => record.level === 'error')).toMatchObject({
      errorName: 'ClaimCheckLostError',
    });
  });
});

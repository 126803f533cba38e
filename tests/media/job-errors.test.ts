import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetRuntimeConfig } from '#shared/config/runtime.ts';
import { TransientMediaError } from '#shared/media/failures.ts';
import { createMediaFetcher, type MediaFetcherDeps } from '#shared/media/fetch-service.ts';
import type { MediaJob } from '#shared/media/job.ts';
import type { OpenMedia } from '#shared/media/sources.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { emfLines } from '#tests/support/emf-lines.ts';
import { memoryMediaStore } from '#tests/support/memory-media-store.ts';

/*
 * Media jobs that fail unexpectedly (found by a review): the fetcher runs its job through
 * processFifoBatch, which answers a failed job as a batch item failure, so the invocation succeeds
 * and Lambda counts no Error. A DynamoDB, S3 or SQS error, a job it cannot read or a bug went unseen
 * until the dead-letter queue, some 2.5 hours later. The fetcher now counts them (MediaJobErrors,
 * which the MediaFetcherErrors alarm adds to Lambda's Errors: tests/infra/monitoring.test.ts), as
 * the sender counts CommandErrors; not the retries it makes on purpose (RetryLaterError: a part
 * another fetcher holds, a provider it backs off from).
 */

const GIVE_UP_AT = 5;

const job: MediaJob = {
  hubMessageId: 'msg_1',
  conversationId: 'conv_1',
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: '106540352242922' },
  partIndex: 0,
  part: {
    type: 'media',
    kind: 'image',
    mimeType: 'image/jpeg',
    ref: { store: 'provider_media_id', mediaId: '42' },
  },
};

const record = (body: string, receiveCount = 1): SQSRecord =>
  ({
    messageId: 'job-1',
    receiptHandle: 'r',
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: 'msg_1#0',
      MessageDeduplicationId: 'd',
      SequenceNumber: '1',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111111111111:switchboard-media.fifo',
    awsRegion: 'eu-west-1',
  }) as SQSRecord;

async function* jpeg() {
  yield new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
}

/** A fetcher over memory, recording what it counted as job errors. */
const setup = ({
  open = async () => ({ body: jpeg() }),
  publish = async () => undefined,
  upload = async () => ({ size: 6, sha256: 'x', contentType: 'image/jpeg', mimeType: 'image/jpeg' }),
}: {
  open?: OpenMedia;
  publish?: () => Promise<void>;
  upload?: MediaFetcherDeps['upload'];
} = {}) => {
  const memory = memoryMediaStore();
  const counted: number[] = [];
  const fetcher = createMediaFetcher({
    store: memory.store,
    open,
    upload,
    deleteObject: async () => undefined,
    publisher: { publish },
    retryLater: async () => undefined,
    clock: () => new Date('2026-11-22T09:15:03.000Z'),
    logger: createLogger({ write: () => undefined }),
    maxAttempts: 3,
    backoffSeconds: () => 30,
    staleClaimSeconds: 120,
    downloadTimeoutMs: 10_000,
    giveUpAtReceive: GIVE_UP_AT,
    onJobError: (failed) => void counted.push(failed),
  });
  return { fetcher, memory, counted };
};

const throttled = () =>
  Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });

describe('media job errors', () => {
  it.each([
    [
      'its claim failed (DynamoDB)',
      () => {
        const hub = setup();
        hub.memory.store.claim = async () => Promise.reject(throttled());
        return { hub, body: JSON.stringify(job) };
      },
    ],
    ['its body is not a media job', () => ({ hub: setup(), body: '{"hubMessageId":"msg_1"}' })],
    [
      'its outcome could not be published (SQS)',
      () => ({
        hub: setup({ publish: async () => Promise.reject(new Error('helpdesk queue unavailable')) }),
        body: JSON.stringify(job),
      }),
    ],
  ])('counts a job that failed because %s', async (_why, prepare) => {
    // Prepare
    const { hub, body } = prepare();
    // Act
    const response = await hub.fetcher.handleSqsEvent({ Records: [record(body)] });
    // Assess: reported failed (it comes back), and counted once
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'job-1' }]);
    expect(hub.counted).toEqual([1]);
  });

  it.each([
    [2, 'retried later'],
    [3, 'its last attempt, ended provider_error'],
  ])(
    "counts a download the hub's own S3 upload refused (attempt %i: %s), which no provider failure explains",
    async (attempt, _what) => {
      // Prepare: the bucket refuses every upload (a bucket or key policy gone wrong)
      const hub = setup({
        upload: async () =>
          Promise.reject(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })),
      });
      for (let before = 1; before < attempt; before += 1) {
        await hub.memory.store.claim({
          hubMessageId: job.hubMessageId,
          partIndex: job.partIndex,
          conversationId: job.conversationId,
          key: 'k',
          token: `earlier ${before}`,
          staleAfterSeconds: 120,
        });
        await hub.memory.store.release(job.hubMessageId, job.partIndex, `earlier ${before}`);
      }
      // Act
      await hub.fetcher.handleSqsEvent({ Records: [record(JSON.stringify(job))] });
      // Assess: counted once, so MediaFetcherErrors fires before every attachment ends provider_error unseen
      expect(hub.counted).toEqual([1]);
    },
  );

  it('does not count the retries it makes on purpose: a part another fetcher holds, a provider it backs off from', async () => {
    // Prepare
    const held = setup();
    await held.memory.store.claim({
      hubMessageId: job.hubMessageId,
      partIndex: job.partIndex,
      conversationId: job.conversationId,
      key: 'k',
      token: 'another fetcher',
      staleAfterSeconds: 120,
    });
    const backingOff = setup({
      open: async () => Promise.reject(new TransientMediaError('the media lookup answered HTTP 503')),
    });
    // Act
    const responses = [
      await held.fetcher.handleSqsEvent({ Records: [record(JSON.stringify(job))] }),
      await backingOff.fetcher.handleSqsEvent({ Records: [record(JSON.stringify(job))] }),
    ];
    // Assess: both come back later, neither is an error
    expect(responses.map((response) => response.batchItemFailures)).toEqual([
      [{ itemIdentifier: 'job-1' }],
      [{ itemIdentifier: 'job-1' }],
    ]);
    expect([...held.counted, ...backingOff.counted]).toEqual([]);
  });

  it('counts a job backing off from its provider at its give-up receive whose ending DynamoDB refused: it stays failed', async () => {
    // Prepare: the provider answers 503 (a wait, not an error), and writing the part's end fails
    const hub = setup({
      open: async () => Promise.reject(new TransientMediaError('the media lookup answered HTTP 503')),
    });
    hub.memory.store.end = async () => Promise.reject(throttled());
    // Act
    const response = await hub.fetcher.handleSqsEvent({ Records: [record(JSON.stringify(job), GIVE_UP_AT)] });
    // Assess: it comes back, and its ending's fault is counted once (before 2026-12-07 the wait hid it)
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'job-1' }]);
    expect(hub.counted).toEqual([1]);
  });

  it('does not count a job whose claim failed at its give-up receive: it ends media_failed there', async () => {
    // Prepare: the claim fails once, then works (the part ends without a download)
    const hub = setup();
    const claim = hub.memory.store.claim;
    hub.memory.store.claim = async () => {
      hub.memory.store.claim = claim;
      throw throttled();
    };
    // Act
    const response = await hub.fetcher.handleSqsEvent({ Records: [record(JSON.stringify(job), GIVE_UP_AT)] });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(hub.memory.items.get('msg_1#0')?.outcome).toMatchObject({
      state: 'failed',
      reason: 'provider_error',
    });
    expect(hub.counted).toEqual([]);
  });
});

describe('the media fetcher function', () => {
  beforeAll(() => {
    for (const [name, value] of Object.entries({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_MAX_ATTEMPTS: '1',
      // Nothing listens here: every DynamoDB call fails, as a throttled or denied table's would.
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      SWITCHBOARD_TABLE_NAME: 't',
      SWITCHBOARD_HELPDESK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/h.fifo',
      SWITCHBOARD_MEDIA_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/switchboard-media.fifo',
      SWITCHBOARD_PAYLOAD_BUCKET: 'b',
      SWITCHBOARD_MESSAGE_RETENTION_DAYS: '30',
      SWITCHBOARD_METRICS_NAMESPACE: 'Switchboard',
    }))
      vi.stubEnv(name, value);
    resetRuntimeConfig();
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    resetRuntimeConfig();
  });

  it('writes MediaJobErrors, under its service, for a job whose claim failed', async () => {
    // Prepare
    const stdout = vi.spyOn(process.stdout, 'write');
    const { handler } = await import('../../functions/media-fetcher.ts');
    const event: SQSEvent = { Records: [record(JSON.stringify(job))] };
    // Act
    const response = (await handler(event, {
      awsRequestId: 'req-1',
      getRemainingTimeInMillis: () => 60_000,
    } as Context)) as SQSBatchResponse;
    // Assess: the invocation succeeded (no Lambda Error), the job failed, and the function counted it
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'job-1' }] });
    const counted = emfLines(stdout.mock.calls.map(([chunk]) => chunk)).find(
      (line) => line.MediaJobErrors !== undefined,
    );
    expect(counted?.MediaJobErrors).toBe(1);
    expect(counted?.service).toBe('media-fetcher');
    expect(counted?._aws?.CloudWatchMetrics).toEqual([
      expect.objectContaining({ Namespace: 'Switchboard', Dimensions: [['service']] }),
    ]);
  });
});

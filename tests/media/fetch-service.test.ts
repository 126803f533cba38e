import { createHash } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { HubEvent } from '#shared/contract/types.ts';
import { MediaFailure, TransientMediaError } from '#shared/media/failures.ts';
import { createMediaFetcher, RetryLaterError } from '#shared/media/fetch-service.ts';
import type { MediaJob } from '#shared/media/job.ts';
import type { MediaDownload } from '#shared/media/sources.ts';
import { streamToS3 } from '#shared/media/upload.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { memoryMediaStore } from '#tests/support/memory-media-store.ts';

/** An S3 that keeps objects and counts calls by command. */
const memoryS3 = () => {
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, Buffer[]>();
  const calls: string[] = [];
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name;
    calls.push(name);
    const input = command.input;
    if (name === 'PutObjectCommand') objects.set(String(input.Key), Buffer.from(input.Body as Buffer));
    if (name === 'CreateMultipartUploadCommand') {
      uploads.set('u1', []);
      return { UploadId: 'u1' };
    }
    if (name === 'UploadPartCommand') uploads.get('u1')?.push(Buffer.from(input.Body as Buffer));
    if (name === 'CompleteMultipartUploadCommand')
      objects.set(String(input.Key), Buffer.concat(uploads.get('u1') ?? []));
    return { ETag: '"e"' };
  };
  return { objects, calls, s3: { send } as never };
};

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2_000, 7)]);
const sha256 = (bytes: Buffer, encoding: 'hex' | 'base64' = 'hex') =>
  createHash('sha256').update(bytes).digest(encoding);

const job = (partIndex = 0): MediaJob => ({
  hubMessageId: 'msg_1',
  conversationId: 'conv_1',
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: '106540352242922' },
  partIndex,
  part: {
    type: 'media',
    kind: 'image',
    mimeType: 'image/jpeg',
    sha256: sha256(JPEG, 'base64'),
    ref: { store: 'provider_media_id', mediaId: '42' },
  },
});

async function* chunksOf(bytes: Buffer, size = 700) {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

const setup = (
  open: (job: MediaJob) => Promise<MediaDownload>,
  { partBytes = 5 * 1024 * 1024, failingDeletes = 0 } = {},
) => {
  const memory = memoryMediaStore();
  const s3 = memoryS3();
  const published: HubEvent[] = [];
  const retries: number[] = [];
  const deleted: string[] = [];
  let opens = 0;
  const fetcher = createMediaFetcher({
    store: memory.store,
    open: async (j) => {
      opens++;
      return open(j);
    },
    upload: (body, options) => streamToS3(s3.s3, body, { ...options, bucket: 'payloads', partBytes }),
    deleteObject: async (key) => {
      if (failingDeletes-- > 0) throw new Error('S3 unavailable');
      deleted.push(key);
      s3.objects.delete(key);
    },
    publisher: { publish: async (events) => void published.push(...events) },
    retryLater: async (_record, seconds) => void retries.push(seconds),
    clock: () => new Date('2026-11-22T09:15:03.000Z'),
    logger: createLogger({ write: () => undefined }),
    maxAttempts: 3,
    backoffSeconds: (attempts) => 30 * 2 ** (attempts - 1),
    staleClaimSeconds: 120,
    downloadTimeoutMs: 10_000,
    giveUpAtReceive: GIVE_UP_AT,
  });
  return { fetcher, memory, s3, published, retries, deleted, opens: () => opens };
};

const record = (body: MediaJob, receiveCount = 1): SQSRecord =>
  ({
    messageId: 'm1',
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount), MessageGroupId: 'g' },
  }) as never;

/** The receive at which the fetcher in these tests gives up on a part (the queue's is MEDIA_QUEUE's). */
const GIVE_UP_AT = 5;

describe('media fetcher', () => {
  it('stores an attachment once and tells it once, however often its job arrives', async () => {
    // Prepare
    const hub = setup(async () => ({
      body: chunksOf(JPEG),
      declaredType: 'image/jpeg',
      announcedSha256: sha256(JPEG, 'base64'),
    }));
    // Act
    await hub.fetcher.fetchPart(job());
    await hub.fetcher.fetchPart(job());
    // Assess
    expect(hub.opens()).toBe(1);
    expect(hub.s3.objects.get('attachments/conv_1/msg_1/0')?.equals(JPEG)).toBe(true);
    expect(hub.published.map((event) => event.type)).toEqual([
      'switchboard.message.media_stored',
      'switchboard.message.media_stored',
    ]);
    expect(hub.published[0]?.id).toBe(hub.published[1]?.id);
    expect(hub.published[0]?.data).toMatchObject({
      key: 'attachments/conv_1/msg_1/0',
      sha256: sha256(JPEG),
      size: JPEG.length,
      contentType: 'image/jpeg',
      part: { ref: { store: 's3', key: 'attachments/conv_1/msg_1/0' } },
    });
  });

  it('streams a file larger than a part as a multipart upload', async () => {
    // Prepare
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2_500_000, 1)]);
    const hub = setup(async () => ({ body: chunksOf(big, 65_536), declaredType: 'application/pdf' }), {
      partBytes: 1_000_000,
    });
    // Act
    await hub.fetcher.fetchPart(job());
    // Assess
    expect(hub.s3.calls.filter((call) => call === 'UploadPartCommand')).toHaveLength(3);
    expect(hub.s3.objects.get('attachments/conv_1/msg_1/0')?.equals(big)).toBe(true);
    expect(hub.published[0]?.data).toMatchObject({ contentType: 'application/pdf', sha256: sha256(big) });
  });

  it('takes the type the bytes are over the type the provider declared', async () => {
    // Prepare
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(100),
    ]);
    const hub = setup(async () => ({ body: chunksOf(png), declaredType: 'image/jpeg' }));
    // Act
    await hub.fetcher.fetchPart(job());
    // Assess
    expect(hub.published[0]?.data).toMatchObject({ contentType: 'image/png' });
  });

  it('tells a document stored neutralized by the type it is in the part and by the stored type in contentType', async () => {
    // Prepare: a WhatsApp document declared text/html (found by a security review: stored as active content)
    const html = Buffer.from('<!doctype html><script>fetch("/")</script>');
    const hub = setup(async () => ({ body: chunksOf(html), declaredType: 'text/html' }));
    // Act
    await hub.fetcher.fetchPart(job());
    await hub.fetcher.fetchPart(job());
    // Assess: the same from the recorded outcome when the job comes again
    for (const event of hub.published)
      expect(event.data).toMatchObject({
        contentType: 'application/octet-stream',
        part: { mimeType: 'text/html', ref: { store: 's3' } },
      });
    expect(hub.published).toHaveLength(2);
  });

  it.each([
    [
      'expired',
      async () => Promise.reject(new MediaFailure('expired', 'the media lookup answered HTTP 400')),
    ],
    [
      'forbidden',
      async () => Promise.reject(new MediaFailure('forbidden', 'the media URL answered HTTP 401')),
    ],
    [
      'checksum_mismatch',
      async () => ({ body: chunksOf(JPEG), announcedSha256: sha256(Buffer.from('other')) }),
    ],
    ['too_large', async () => ({ body: chunksOf(Buffer.alloc(101 * 1024 * 1024), 4 * 1024 * 1024) })],
  ] as const)('ends in one media_failed (%s), downloading once, storing nothing', async (reason, open) => {
    // Prepare
    const hub = setup(open as () => Promise<MediaDownload>);
    // Act
    await hub.fetcher.fetchPart(job());
    await hub.fetcher.fetchPart(job());
    // Assess
    expect(hub.opens()).toBe(1);
    expect(hub.s3.objects.size).toBe(0);
    expect(hub.published.map((event) => event.type)).toEqual([
      'switchboard.message.media_failed',
      'switchboard.message.media_failed',
    ]);
    expect(hub.published[0]?.data).toMatchObject({
      reason,
      attempts: 1,
      part: { ref: { store: 'provider_media_id' } },
    });
  });

  it('retries a failing provider with growing backoff, then gives provider_error', async () => {
    // Prepare
    const hub = setup(async () =>
      Promise.reject(new TransientMediaError('the media lookup answered HTTP 503')),
    );
    // Act
    for (let attempt = 0; attempt < 3; attempt++)
      await hub.fetcher.handleSqsEvent({ Records: [record(job())] });
    // Assess
    expect(hub.opens()).toBe(3);
    expect(hub.retries).toEqual([30, 60]);
    expect(hub.published).toHaveLength(1);
    expect(hub.published[0]).toMatchObject({
      type: 'switchboard.message.media_failed',
      data: { reason: 'provider_error', attempts: 3 },
    });
  });

  it('ends a part in media_failed at its give-up receive when its claim failed, never in the dead-letter queue unseen', async () => {
    // Prepare: the claim's write fails once, below the give-up receive and at it
    const failingOnce = () => {
      const hub = setup(async () => ({ body: chunksOf(JPEG) }));
      const claim = hub.memory.store.claim;
      let failed = false;
      hub.memory.store.claim = async (request) => {
        if (failed) return claim(request);
        failed = true;
        throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
      };
      return hub;
    };
    const early = failingOnce();
    const last = failingOnce();
    // Act
    const earlyResponse = await early.fetcher.handleSqsEvent({ Records: [record(job(), GIVE_UP_AT - 1)] });
    const lastResponse = await last.fetcher.handleSqsEvent({ Records: [record(job(), GIVE_UP_AT)] });
    // Assess: before it, the job comes back; at it, the part ends in one event without a download
    expect(earlyResponse.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(early.published).toEqual([]);
    expect(lastResponse.batchItemFailures).toEqual([]);
    expect(last.opens()).toBe(0);
    expect(last.published.map((event) => [event.type, (event.data as { reason?: string }).reason])).toEqual([
      ['switchboard.message.media_failed', 'provider_error'],
    ]);
  });

  it('ends a part whose give-up receive died at the next receive, before any download', async () => {
    // Prepare
    const hub = setup(async () => ({ body: chunksOf(JPEG) }));
    // Act
    const response = await hub.fetcher.handleSqsEvent({ Records: [record(job(), GIVE_UP_AT + 1)] });
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(hub.opens()).toBe(0);
    expect(hub.published).toHaveLength(1);
    expect(hub.published[0]).toMatchObject({
      type: 'switchboard.message.media_failed',
      data: { reason: 'provider_error', attempts: 1, detail: expect.stringContaining('ran out of receives') },
    });
  });

  it('leaves a part another fetcher holds for later, and a part of an erased message alone', async () => {
    // Prepare
    const hub = setup(async () => ({ body: chunksOf(JPEG) }));
    await hub.memory.store.claim({
      hubMessageId: 'msg_1',
      partIndex: 0,
      conversationId: 'conv_1',
      key: 'k',
      token: 'other',
      staleAfterSeconds: 120,
    });
    hub.memory.erased.add('msg_2');
    // Act
    const busy = hub.fetcher.fetchPart(job());
    await hub.fetcher.fetchPart({ ...job(), hubMessageId: 'msg_2' });
    // Assess
    await expect(busy).rejects.toBeInstanceOf(RetryLaterError);
    expect(hub.opens()).toBe(0);
    expect(hub.published).toEqual([]);
  });

  it('leaves the object in place and tells nothing when its claim was taken over during the download', async () => {
    // Prepare: while this fetcher downloads, its claim goes stale and another fetcher takes the part.
    const hub = setup(async () => {
      const item = hub.memory.items.get('msg_1#0');
      if (item) hub.memory.items.set('msg_1#0', { ...item, token: 'the-new-holder', attempts: 2 });
      return { body: chunksOf(JPEG) };
    });
    // Act
    await hub.fetcher.fetchPart(job());
    // Assess
    expect(hub.deleted).toEqual([]);
    expect(hub.s3.objects.get('attachments/conv_1/msg_1/0')?.equals(JPEG)).toBe(true);
    expect(hub.published).toEqual([]);
    expect(hub.memory.items.get('msg_1#0')).toMatchObject({ state: 'fetching', token: 'the-new-holder' });
  });

  it('deletes what it stored when the part was erased during the download', async () => {
    // Prepare
    const hub = setup(async () => {
      hub.memory.items.delete('msg_1#0');
      return { body: chunksOf(JPEG) };
    });
    // Act
    await hub.fetcher.fetchPart(job());
    // Assess
    expect(hub.deleted).toEqual(['attachments/conv_1/msg_1/0']);
    expect(hub.published).toEqual([]);
  });

  it('deletes what it stored at the next delivery when the part was erased during the download and the first delete failed', async () => {
    // Prepare: erasure deletes the claim item and leaves the message's tombstone; S3 refuses one delete.
    const hub = setup(
      async () => {
        hub.memory.items.delete('msg_1#0');
        hub.memory.erased.add('msg_1');
        return { body: chunksOf(JPEG) };
      },
      { failingDeletes: 1 },
    );
    // Act
    const first = await hub.fetcher.fetchPart(job()).catch((error: unknown) => error);
    const storedMeanwhile = hub.s3.objects.has('attachments/conv_1/msg_1/0');
    await hub.fetcher.fetchPart(job());
    // Assess
    expect(first).toBeInstanceOf(Error);
    expect(storedMeanwhile).toBe(true);
    expect(hub.opens()).toBe(1);
    expect(hub.deleted).toEqual(['attachments/conv_1/msg_1/0']);
    expect(hub.s3.objects.has('attachments/conv_1/msg_1/0')).toBe(false);
    expect(hub.published).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MEDIA_FETCHER_PARTITION_PREFIXES,
  MEDIA_FETCHER_TABLE_ACTIONS,
} from '#infra/constructs/media-fetcher.ts';
import { conversationIdFor, type HubEvent, hubMessageIdFor } from '#shared/contract/index.ts';
import { localClients, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { RetryLaterError } from '#shared/media/fetch-service.ts';
import { type MediaJob, mediaObjectKey } from '#shared/media/job.ts';
import { MEDIA_FETCHER } from '#shared/resources/definitions.ts';
import { mediaFetchKey } from '#shared/store/keys.ts';
import { createMediaFetchStore } from '#shared/store/media-fetches.ts';
import {
  type CountingMediaProvider,
  jpegOf,
  type ServedFile,
  sha256Hex,
  startCountingMediaProvider,
} from '#tests/support/counting-media-provider.ts';
import { takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';
import { localMediaFetcher } from '#tests/support/local-media-fetcher.ts';

/*
 * The media claim (shared/store/media-fetches.ts) against the local DynamoDB server: fetchers built
 * by the real wiring (their own DynamoDB, SQS and S3 clients, the local S3 and queues) race for one
 * part, and a counting WhatsApp media host says how often its bytes went out. One part is one
 * download and one media_stored; the one exception is a claim gone stale (its holder presumed
 * dead), whose late holder then stores nothing it could publish.
 */

type Published = HubEvent[];

const T0 = new Date('2026-11-22T12:00:00.000Z');
const STALE_MS = MEDIA_FETCHER.staleClaimSeconds * 1000;
const PHONE_NUMBER_ID = '109384756201938';

const jobFor = (providerMessageId: string, mediaId: string): MediaJob => ({
  hubMessageId: hubMessageIdFor('whatsapp', providerMessageId),
  conversationId: conversationIdFor('whatsapp', PHONE_NUMBER_ID, 'wa_id:491700000001'),
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: PHONE_NUMBER_ID },
  partIndex: 0,
  part: {
    type: 'media',
    kind: 'image',
    mimeType: 'image/jpeg',
    ref: { store: 'provider_media_id', mediaId },
  },
});

const isStored = (event: HubEvent) => event.type === 'switchboard.message.media_stored';

describe('media claim races against the local DynamoDB', () => {
  let emulators: RunningEmulators;
  let provider: CountingMediaProvider;
  const destroyers: (() => void)[] = [];
  /** Every DynamoDB action the fetchers sent, lost claims included. */
  const dynamoActions = new Set<string>();
  /** The partition key of every item those calls named. */
  const dynamoPartitions = new Set<string>();

  /**
   * A media fetcher as the Lambda wires it, at its own clock, recording what it publishes. Given
   * `loseAnswerOf`, the first UpdateItem whose expression it matches is written and its answer lost
   * (inside the SDK's retry loop, which writes it again); `lost()` says whether that happened.
   */
  const fetcherAt = (clock: () => Date, loseAnswerOf?: (updateExpression: string) => boolean) => {
    const clients = localClients(emulators.endpoints);
    destroyers.push(() => {
      for (const client of Object.values(clients)) client.destroy();
    });
    let lost = false;
    if (loseAnswerOf)
      clients.dynamodb.middlewareStack.add(
        ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
          async (args: { input?: { UpdateExpression?: string } }) => {
            const expression = args.input?.UpdateExpression ?? '';
            if (lost || context.commandName !== 'UpdateItemCommand' || !loseAnswerOf(expression))
              return next(args);
            lost = true;
            await next(args);
            throw Object.assign(new Error('answer lost'), {
              name: 'TimeoutError',
              $metadata: { httpStatusCode: 500 },
            });
          }) as never,
        { step: 'deserialize', name: 'loseAnswer' },
      );
    const published: Published = [];
    clients.sqs.middlewareStack.add(
      ((next: (args: { input: { Entries?: { MessageBody?: string }[] } }) => Promise<unknown>) =>
        async (args: { input: { Entries?: { MessageBody?: string }[] } }) => {
          const output = await next(args);
          for (const entry of args.input.Entries ?? [])
            published.push(JSON.parse(entry.MessageBody ?? '{}') as HubEvent);
          return output;
        }) as never,
      { step: 'initialize', name: 'recordPublished' },
    );
    clients.dynamodb.middlewareStack.add(
      ((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => {
        dynamoActions.add(`dynamodb:${(context.commandName ?? '').replace(/Command$/, '')}`);
        const key = (args as { input?: { Key?: { pk?: { S?: string } } } }).input?.Key;
        dynamoPartitions.add(key?.pk?.S ?? '(a call without an item key)');
        return next(args);
      }) as never,
      { step: 'initialize', name: 'recordActions' },
    );
    const fetcher = localMediaFetcher(emulators, clients, provider, { clock });
    return { fetcher, published, lost: () => lost };
  };

  const claimItem = async (job: MediaJob) => {
    const output = await emulators.clients.dynamodb.send(
      new GetItemCommand({
        TableName: emulators.resources.tableName,
        Key: marshall(mediaFetchKey(job.hubMessageId, job.partIndex)),
        ConsistentRead: true,
      }),
    );
    return output.Item ? unmarshall(output.Item) : undefined;
  };

  const storedSha256 = async (job: MediaJob): Promise<string> => {
    const object = await emulators.clients.s3.send(
      new GetObjectCommand({ Bucket: emulators.resources.bucketName, Key: mediaObjectKey(job) }),
    );
    const bytes = await object.Body?.transformToByteArray();
    return createHash('sha256')
      .update(bytes ?? new Uint8Array())
      .digest('hex');
  };

  const serve = (mediaId: string): ServedFile => {
    const file = { bytes: jpegOf(48_000, mediaId), mimeType: 'image/jpeg' };
    provider.serve(mediaId, file);
    return file;
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    provider = await startCountingMediaProvider();
  });
  afterAll(async () => {
    for (const destroy of destroyers) destroy();
    await provider?.close();
    await emulators?.stop();
  });

  it('answers a second fetcher busy while the first downloads, and ended once it stored: one download, one media_stored', async () => {
    // Prepare
    const job = jobFor('wamid.race-busy', 'race-busy');
    const file = serve('race-busy');
    const first = fetcherAt(() => T0);
    const second = fetcherAt(() => new Date(T0.getTime() + 5_000));
    const held = provider.holdNextDownload('race-busy');

    // Act
    const firstRun = first.fetcher.fetchPart(job);
    await held.arrived;
    const whileHeld = await second.fetcher.fetchPart(job).catch((error: unknown) => error);
    const itemWhileHeld = await claimItem(job);
    held.release();
    await firstRun;
    await second.fetcher.fetchPart(job);
    const queued = await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);

    // Assess
    expect(whileHeld).toBeInstanceOf(RetryLaterError);
    expect((whileHeld as RetryLaterError).afterSeconds).toBe(MEDIA_FETCHER.staleClaimSeconds);
    expect(itemWhileHeld).toMatchObject({ state: 'fetching', attempts: 1 });
    expect(provider.lookups('race-busy')).toBe(1);
    expect(provider.downloads('race-busy')).toBe(1);
    // The winner told it; the loser, finding it ended, told the same event again (same id) …
    expect(first.published.filter(isStored)).toHaveLength(1);
    expect(second.published.filter(isStored).map((event) => event.id)).toEqual(
      first.published.map((event) => event.id),
    );
    // … which the FIFO queue drops as a duplicate: the helpdesk hears it once.
    expect(queued.filter(isStored)).toHaveLength(1);
    expect(queued[0]?.data).toMatchObject({ sha256: sha256Hex(file.bytes), size: file.bytes.length });
    expect(await storedSha256(job)).toBe(sha256Hex(file.bytes));
    expect(await claimItem(job)).toMatchObject({ state: 'stored', attempts: 1 });
    expect((await claimItem(job))?.claimToken).toBeUndefined();
  });

  it('downloads each of 12 parts once when two fetchers take every job at the same moment', async () => {
    // Prepare
    const jobs = Array.from({ length: 12 }, (_, index) => {
      serve(`race-both-${index}`);
      return jobFor(`wamid.race-both-${index}`, `race-both-${index}`);
    });
    const [one, two] = [fetcherAt(() => T0), fetcherAt(() => T0)];
    if (!one || !two) throw new Error('two fetchers');

    // Act
    const outcomes = await Promise.all(
      jobs.map((job) => Promise.allSettled([one.fetcher.fetchPart(job), two.fetcher.fetchPart(job)])),
    );
    const queued = await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);

    // Assess
    expect(jobs.map((_, index) => provider.downloads(`race-both-${index}`))).toEqual(jobs.map(() => 1));
    const rejections = outcomes.flat().filter((outcome) => outcome.status === 'rejected');
    for (const rejection of rejections) expect(rejection.reason).toBeInstanceOf(RetryLaterError);
    // Per part one fetcher won the claim; the other was answered busy (retry later) or, arriving
    // after the end, ended (it told the same event again): 12 losers in all.
    const told = [...one.published, ...two.published].filter(isStored);
    expect(rejections.length + (told.length - 12)).toBe(12);
    expect(new Set(told.map((event) => event.id)).size).toBe(12);
    expect(queued.filter(isStored)).toHaveLength(12);
    const items = await Promise.all(jobs.map(claimItem));
    expect(items.map((item) => [item?.state, item?.attempts])).toEqual(jobs.map(() => ['stored', 1]));
  });

  it('lets a claim older than staleAfterSeconds be taken over, and refuses the presumed-dead holder its late end', async () => {
    // Prepare
    const job = jobFor('wamid.race-stale', 'race-stale');
    const file = serve('race-stale');
    const dead = fetcherAt(() => T0);
    const early = fetcherAt(() => new Date(T0.getTime() + STALE_MS - 1_000));
    const late = fetcherAt(() => new Date(T0.getTime() + STALE_MS + 1_000));
    const held = provider.holdNextDownload('race-stale');

    // Act
    const deadRun = dead.fetcher.fetchPart(job);
    await held.arrived;
    const beforeWindow = await early.fetcher.fetchPart(job).catch((error: unknown) => error);
    await late.fetcher.fetchPart(job);
    const afterTakeover = await claimItem(job);
    held.release();
    await deadRun;
    const queued = await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);
    const object = await emulators.clients.s3.send(
      new HeadObjectCommand({ Bucket: emulators.resources.bucketName, Key: mediaObjectKey(job) }),
    );

    // Assess
    expect(beforeWindow).toBeInstanceOf(RetryLaterError);
    expect(early.published).toEqual([]);
    // The takeover is a second claim (attempt 2) and the one case of a second download.
    expect(afterTakeover).toMatchObject({ state: 'stored', attempts: 2 });
    expect(provider.downloads('race-stale')).toBe(2);
    expect(late.published.filter(isStored)).toHaveLength(1);
    // The holder that was presumed dead finished its download but publishes nothing …
    expect(dead.published).toEqual([]);
    expect(queued.filter(isStored)).toHaveLength(1);
    // … and leaves the object the new holder stored and announced in place.
    expect(object.ContentLength).toBe(file.bytes.length);
    expect(await storedSha256(job)).toBe(sha256Hex(file.bytes));
    expect(await claimItem(job)).toMatchObject({ state: 'stored', attempts: 2 });
    // Nothing, on any of these paths, that the fetcher's IAM policy does not allow.
    expect(
      [...dynamoActions].every((action) =>
        (MEDIA_FETCHER_TABLE_ACTIONS as readonly string[]).includes(action),
      ),
    ).toBe(true);
    expect(dynamoActions.has('dynamodb:UpdateItem')).toBe(true);
    // Nor an item outside the partitions it may reach (dynamodb:LeadingKeys).
    expect(
      [...dynamoPartitions].filter(
        (pk) => !MEDIA_FETCHER_PARTITION_PREFIXES.some((prefix) => pk.startsWith(prefix)),
      ),
    ).toEqual([]);
    expect(dynamoPartitions.size).toBeGreaterThan(0);
  });

  it('publishes the part once when the answer to its end is lost and the SDK writes the end again', async () => {
    // Prepare
    const job = jobFor('wamid.race-end-lost', 'race-end-lost');
    const file = serve('race-end-lost');
    const fetcher = fetcherAt(
      () => T0,
      (expression) => expression.includes('outcome = :outcome'),
    );

    // Act
    const run = await fetcher.fetcher.fetchPart(job).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const queued = await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);

    // Assess
    expect(fetcher.lost()).toBe(true);
    expect(run).toBe('resolved');
    expect(provider.downloads('race-end-lost')).toBe(1);
    // The retried end, refused by its own first write, still counts as this fetcher's end.
    expect(fetcher.published.filter(isStored)).toHaveLength(1);
    expect(queued.filter(isStored)).toHaveLength(1);
    expect(queued[0]?.data).toMatchObject({ sha256: sha256Hex(file.bytes), size: file.bytes.length });
    expect(await claimItem(job)).toMatchObject({ state: 'stored', attempts: 1 });
  });

  it('downloads at once when the answer to its claim is lost and the SDK writes the claim again', async () => {
    // Prepare
    const job = jobFor('wamid.race-claim-lost', 'race-claim-lost');
    const file = serve('race-claim-lost');
    const fetcher = fetcherAt(
      () => T0,
      (expression) => expression.includes('claimToken = :token, attempts'),
    );

    // Act
    const run = await fetcher.fetcher.fetchPart(job).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const queued = await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);

    // Assess
    expect(fetcher.lost()).toBe(true);
    // Its own claim, not another fetcher's: no retry after the stale-claim window.
    expect(run).toBe('resolved');
    expect(provider.downloads('race-claim-lost')).toBe(1);
    expect(queued.filter(isStored)).toHaveLength(1);
    expect(queued[0]?.data).toMatchObject({ sha256: sha256Hex(file.bytes), size: file.bytes.length });
    expect(await claimItem(job)).toMatchObject({ state: 'stored', attempts: 1 });
  });

  it('refuses end and release to a token whose claim was taken over, against the table itself', async () => {
    // Prepare
    const job = jobFor('wamid.race-tokens', 'race-tokens');
    const at = (ms: number) => () => new Date(T0.getTime() + ms);
    const context = (ms: number) => ({
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: at(ms),
    });
    const claimOf = (token: string) => ({
      hubMessageId: job.hubMessageId,
      partIndex: 0,
      conversationId: job.conversationId,
      key: mediaObjectKey(job),
      token,
      staleAfterSeconds: MEDIA_FETCHER.staleClaimSeconds,
    });
    const outcome = {
      state: 'stored' as const,
      sha256: 'a'.repeat(64),
      size: 1,
      contentType: 'image/jpeg',
      at: T0.toISOString(),
    };
    const first = await createMediaFetchStore(context(0)).claim(claimOf('token-dead'));
    const lateStore = createMediaFetchStore(context(STALE_MS + 1_000));

    // Act
    const takeover = await lateStore.claim(claimOf('token-alive'));
    await lateStore.release(job.hubMessageId, 0, 'token-dead');
    const afterDeadRelease = await claimItem(job);
    const deadEnd = await lateStore.end(job.hubMessageId, 0, 'token-dead', outcome);
    const aliveEnd = await lateStore.end(job.hubMessageId, 0, 'token-alive', outcome);
    const deadEndAfter = await lateStore.end(job.hubMessageId, 0, 'token-dead', {
      state: 'failed',
      reason: 'expired',
      at: T0.toISOString(),
    });

    // Assess
    expect(first).toEqual({ kind: 'claimed', attempts: 1 });
    expect(takeover).toEqual({ kind: 'claimed', attempts: 2 });
    expect(afterDeadRelease).toMatchObject({ state: 'fetching', claimToken: 'token-alive' });
    expect(deadEnd).toBe('taken');
    expect(aliveEnd).toBe('ended');
    expect(deadEndAfter).toBe('taken');
    expect(await claimItem(job)).toMatchObject({ state: 'stored', attempts: 2 });
    expect(JSON.parse(String((await claimItem(job))?.outcome))).toEqual(outcome);
  });

  it('tells a claim lost to erasure (its item deleted) from one taken over', async () => {
    // Prepare
    const job = jobFor('wamid.race-erased', 'race-erased');
    const store = createMediaFetchStore({
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => T0,
    });
    await store.claim({
      hubMessageId: job.hubMessageId,
      partIndex: 0,
      conversationId: job.conversationId,
      key: mediaObjectKey(job),
      token: 'token-erased',
      staleAfterSeconds: MEDIA_FETCHER.staleClaimSeconds,
    });
    // Erasure deletes the message partition's items, this one among them.
    await emulators.clients.dynamodb.send(
      new DeleteItemCommand({
        TableName: emulators.resources.tableName,
        Key: marshall(mediaFetchKey(job.hubMessageId, 0)),
      }),
    );

    // Act
    const ended = await store.end(job.hubMessageId, 0, 'token-erased', {
      state: 'failed',
      reason: 'expired',
      at: T0.toISOString(),
    });

    // Assess
    expect(ended).toBe('erased');
    expect(await claimItem(job)).toBeUndefined();
  });
});

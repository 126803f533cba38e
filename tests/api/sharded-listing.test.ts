import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeSpreadCursor } from '#shared/api/cursor.ts';
import type { HelpdeskApi } from '#shared/api/router.ts';
import { conversationIdFor } from '#shared/contract/ids.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { attentionEntries, type SpreadPosition } from '#shared/store/helpdesk-queries.ts';
import {
  attentionPartitions,
  conversationKey,
  INDEX_SHARDS,
  indexShardOf,
  statusPartitions,
} from '#shared/store/keys.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * The index partitions every conversation shares (gsi1 STATUS#<status>, gsi4 WAITING) are spread
 * over shards (shared/store/keys.ts INDEX_SHARDS): a listing reads every shard and merges them, and
 * its cursor holds where each shard stands. Pages must hold every conversation once, in the index's
 * order, whatever the shards; an entry of before the sharding (the unsharded partition) included.
 */

const NOW = new Date('2026-11-22T16:00:00.000Z');

interface ListedConversation {
  conversationId: string;
  lastMessageAt: string;
  waitingSince: string | null;
}

describe('conversation listings over the sharded index partitions', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let api: HelpdeskApi;
  let table: TableContext;
  const calls: string[] = [];
  /** Index keys each Query returned. */
  const keysRead: number[] = [];
  /** Rounds of Queries: times a Query started with none in flight. */
  let queryRounds = 0;
  let queriesInFlight = 0;
  const customers = Array.from({ length: 40 }, (_, n) => `shard-${n}`);
  const legacy = 'shard-legacy';

  beforeAll(async () => {
    emulators = await startEmulators();
    const { dynamodb } = emulators.clients;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        const isQuery = context.commandName === 'QueryCommand';
        if (isQuery && queriesInFlight++ === 0) queryRounds += 1;
        try {
          const result = await next(args);
          const output = result.output as { Items?: unknown[] };
          if (isQuery) keysRead.push(output.Items?.length ?? 0);
          return result;
        } finally {
          if (isQuery) queriesInFlight -= 1;
        }
      },
      { step: 'initialize', name: 'countListingCalls' },
    );
    table = { client: dynamodb, tableName: emulators.resources.tableName, now: () => NOW };
    recorder = quietRecorder(table, () => NOW);
    api = quietHelpdeskApi(emulators, table, () => NOW);
    // Prepare: 40 customers over five hours, every fourth of them at the same minute as three others
    // (waits that tie), and one conversation whose index entries are still where the hub wrote them
    // before the sharding.
    for (const [n, customer] of customers.entries()) {
      const at = n % 4 === 0 ? minute(100) : minute(n * 7);
      await recorder.recordEvent(messageEvent(customer, `${customer}-1`, at));
    }
    await recorder.recordEvent(messageEvent(legacy, `${legacy}-1`, minute(33)));
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: emulators.resources.tableName,
        Key: marshall(conversationKey(conversationFor(legacy).conversationId)),
        UpdateExpression: 'SET gsi1pk = :status, gsi4pk = :waiting',
        ExpressionAttributeValues: marshall({ ':status': 'STATUS#open', ':waiting': 'WAITING' }),
      }),
    );
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  beforeEach(() => {
    calls.length = 0;
    keysRead.length = 0;
  });

  /** Conversation ids by shard, in the order found. */
  const idsByShard = new Map<number, string[]>();
  let idsTried = 0;
  /** A conversation id in the given shard (the n-th such), from customers' ids. */
  const idInShard = (shard: number, n = 0): string => {
    const ids = idsByShard.get(shard) ?? [];
    idsByShard.set(shard, ids);
    while (ids.length <= n) {
      const id = conversationIdFor('whatsapp', 'phone-1', `wa_id:shard-test-${idsTried++}`);
      const list = idsByShard.get(indexShardOf(id)) ?? [];
      list.push(id);
      idsByShard.set(indexShardOf(id), list);
    }
    return ids[n] ?? '';
  };
  /** A waiting customer's attention index entry alone (what the sweeper reads first), the day before the others. */
  const putWait = (conversationId: string, at: string) =>
    emulators.clients.dynamodb.send(
      new PutItemCommand({
        TableName: emulators.resources.tableName,
        Item: marshall({
          ...conversationKey(conversationId),
          gsi4pk: `WAITING#${indexShardOf(conversationId)}`,
          gsi4sk: at,
        }),
      }),
    );
  const dayBefore = (minutes: number) => new Date(Date.UTC(2026, 10, 21, 0, minutes)).toISOString();

  /** Every page of a listing, and the calls each made. */
  const everyPage = async (query: Record<string, string>) => {
    const pages: { items: ListedConversation[]; calls: string[]; cursor?: string }[] = [];
    let cursor: string | undefined;
    do {
      calls.length = 0;
      const response = await api({
        method: 'GET',
        path: '/v1/conversations',
        query: { ...query, ...(cursor ? { cursor } : {}) },
        headers: {},
        principal: 'arn:aws:iam::123456789012:user/agent',
      });
      expect(response.status).toBe(200);
      const body = response.body as { items: ListedConversation[]; nextCursor?: string };
      cursor = body.nextCursor;
      pages.push({ items: body.items, calls: [...calls], ...(cursor ? { cursor } : {}) });
    } while (cursor && pages.length < 50);
    return pages;
  };

  const everyone = () => [...customers, legacy].map((customer) => conversationFor(customer).conversationId);

  it('lists every waiting customer once, longest wait first across shards and ties, page by page', async () => {
    // Act
    const pages = await everyPage({ waiting: 'true', limit: '6' });
    // Assess
    const listed = pages.flatMap((page) => page.items);
    expect(listed.map((one) => one.conversationId).sort()).toEqual(everyone().sort());
    const waits = listed.map((one) => one.waitingSince ?? '');
    expect(waits).toEqual([...waits].sort());
    expect(pages).toHaveLength(7);
    // Each page in one round: a Query of every shard (a shard read to its end is read again from its
    // last entry, for what arrived since), and one BatchGetItem.
    for (const page of pages)
      expect(page.calls).toEqual([...attentionPartitions('waiting').map(() => 'Query'), 'BatchGetItem']);
  });

  it('lists every open conversation once, hour by hour newest first, within a page by the exact time', async () => {
    // Act
    const pages = await everyPage({ limit: '7' });
    // Assess
    const listed = pages.flatMap((page) => page.items);
    expect(listed.map((one) => one.conversationId).sort()).toEqual(everyone().sort());
    const hours = listed.map((one) => one.lastMessageAt.slice(0, 13));
    expect(hours).toEqual([...hours].sort().reverse());
    for (const page of pages) {
      const times = page.items.map((one) => one.lastMessageAt);
      expect(times).toEqual([...times].sort().reverse());
    }
  });

  it("reaches a wait that arrives, during a sweeper's pass, in a shard it had read to the end", async () => {
    // Prepare: one wait in shard 0, four in shard 1; the first sweep reads three (its limit)
    await putWait(idInShard(0), dayBefore(0));
    for (const n of [1, 2, 3, 4]) await putWait(idInShard(1, n), dayBefore(n));
    const read = { ascending: true, pageSize: 1, maxEntries: 3 };
    const first = await attentionEntries(table, 'waiting', dayBefore(5), read);
    await putWait(idInShard(0, 1), dayBefore(6));
    // Act: the next sweep reads on from where the first stopped, up to a later time
    const second = await attentionEntries(table, 'waiting', dayBefore(10), {
      ...read,
      maxEntries: 10,
      ...(first.entries.at(-1) ? { after: first.entries.at(-1)?.position } : {}),
    });
    // Assess
    expect(first.entries.map((entry) => entry.at)).toEqual([dayBefore(0), dayBefore(1), dayBefore(2)]);
    expect(first.complete).toBe(false);
    expect(second.entries.map((entry) => entry.at)).toEqual([dayBefore(3), dayBefore(4), dayBefore(6)]);
    expect(second.complete).toBe(true);
  });

  it('reads about as many index keys as it returns, in a few rounds of parallel Queries, however the entries spread', async () => {
    // Prepare: 30 waits in each shard, the day before the others
    for (let shard = 0; shard < INDEX_SHARDS; shard++)
      for (let n = 0; n < 30; n++) await putWait(idInShard(shard, 10 + n), dayBefore(100 + n));
    keysRead.length = 0;
    queryRounds = 0;
    // Act: a sweep's read of all of them, 100 a round
    const found = await attentionEntries(table, 'waiting', dayBefore(200), {
      ascending: true,
      pageSize: 100,
      maxEntries: 1_000,
    });
    // Assess: each shard's Queries read its entries once, 6 a Query (100 a round over 17 partitions)
    // and one entry's look-ahead each; a read that queried every shard for a whole round each time
    // read 12 times what it returned
    const returned = found.entries.filter((entry) => entry.at >= dayBefore(100)).length;
    const read = keysRead.reduce((total, keys) => total + keys, 0);
    expect(returned).toBe(30 * INDEX_SHARDS);
    expect(read).toBeLessThan(returned * 1.25);
    // 480 entries, about 100 a round: the shards, run out together, are read again together (5
    // rounds; read again one shard at a time as each ran out, it took 65)
    expect(queryRounds).toBeLessThan(15);
  });

  it('takes every wait once, in order, over sweeps that stop anywhere, whatever the shards, ties and old entries (property)', async () => {
    // Waits crowded into three shards and the unsharded partition of before (3), so that the
    // partitions hold several each and a sweep stops inside what it read of one
    const waits = fc
      .array(
        fc.record({ partition: fc.integer({ min: 0, max: 3 }), minute: fc.integer({ min: 0, max: 3 }) }),
        {
          minLength: 1,
          maxLength: 40,
        },
      )
      .map((drawn) =>
        drawn.map(({ partition, minute }, n) => ({
          id: idInShard(partition % 3, 100 + n),
          minute,
          unsharded: partition === 3,
        })),
      );
    const limits = fc.record({
      pageSize: fc.integer({ min: 1, max: 80 }),
      maxEntries: fc.integer({ min: 1, max: 8 }),
    });
    const stops = fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true }));
    const at = (minute: number) => new Date(Date.UTC(1999, 0, 1, 0, minute)).toISOString();
    await fc.assert(
      fc.asyncProperty(waits, limits, stops, async (given, { pageSize, maxEntries }, stop) => {
        // Prepare: the waits (some under the unsharded partition of before), in a year of their own
        const { dynamodb } = emulators.clients;
        const tableName = emulators.resources.tableName;
        for (const wait of given)
          await dynamodb.send(
            new PutItemCommand({
              TableName: tableName,
              Item: marshall({
                ...conversationKey(wait.id),
                gsi4pk: wait.unsharded ? 'WAITING' : `WAITING#${indexShardOf(wait.id)}`,
                gsi4sk: at(wait.minute),
              }),
            }),
          );
        // Act: sweeps, each judging a part of what it read (as a sweep's item limit makes it) and
        // reading on from the last entry it judged
        const taken: { id: string; at: string }[] = [];
        let after: SpreadPosition | undefined;
        for (let sweep = 0; sweep < 200; sweep++) {
          const read = await attentionEntries(table, 'waiting', at(10), {
            ascending: true,
            pageSize,
            maxEntries,
            ...(after ? { after } : {}),
          });
          const judged = read.complete
            ? read.entries.length
            : 1 + Math.floor((stop.next().value ?? 0) * read.entries.length * 0.999);
          taken.push(
            ...read.entries.slice(0, judged).map((entry) => ({ id: entry.conversationId, at: entry.at })),
          );
          if (read.complete && judged === read.entries.length) break;
          after = read.entries[judged - 1]?.position ?? after;
        }
        for (const wait of given)
          await dynamodb.send(
            new DeleteItemCommand({ TableName: tableName, Key: marshall(conversationKey(wait.id)) }),
          );
        // Assess
        expect(taken.map((one) => one.id).sort()).toEqual(given.map((wait) => wait.id).sort());
        expect(taken.map((one) => one.at)).toEqual(taken.map((one) => one.at).sort());
      }),
      { numRuns: 25 },
    );
  });

  it('spreads conversations evenly: each shard within a tenth of its share of 16,000 ids', () => {
    // Prepare
    const counts = new Array<number>(INDEX_SHARDS).fill(0);
    // Act
    for (let n = 0; n < 16_000; n++) {
      const shard = indexShardOf(conversationIdFor('whatsapp', 'phone-1', `wa_id:${n}`));
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    // Assess
    const share = 16_000 / INDEX_SHARDS;
    expect(counts.every((count) => Math.abs(count - share) < share / 10)).toBe(true);
  });

  it('keeps a cursor with a position in every shard under the 2,048 characters a cursor may have', () => {
    // Prepare: the longest positions each listing's partitions can hold
    const id = `conv_${'f'.repeat(32)}`;
    const positionIn = (partition: string, index: 'gsi1' | 'gsi4', sort: string) => ({
      ...conversationKey(id),
      [`${index}pk`]: partition,
      [`${index}sk`]: sort,
    });
    const shape = (index: 'gsi1' | 'gsi4', values: string[]) => ({
      queryHash: 'f'.repeat(16),
      partitionName: `${index}pk`,
      partitionValues: values,
      sortName: `${index}sk`,
      sortPrefix: '',
    });
    const open = statusPartitions('open');
    const waiting = attentionPartitions('waiting');
    // Act
    const byStatus = encodeSpreadCursor(
      shape('gsi1', open),
      Object.fromEntries(open.map((value) => [value, positionIn(value, 'gsi1', `2026-11-22T10#${id}`)])),
    );
    const byWait = encodeSpreadCursor(
      shape('gsi4', waiting),
      Object.fromEntries(
        waiting.map((value) => [value, positionIn(value, 'gsi4', '2026-11-22T10:42:07.123Z')]),
      ),
    );
    // Assess
    expect(byStatus.length).toBeLessThanOrEqual(2048);
    expect(byWait.length).toBeLessThanOrEqual(2048);
  });
});

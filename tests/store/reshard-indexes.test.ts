import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest } from '#shared/api/http.ts';
import type { HelpdeskApi } from '#shared/api/router.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { reshardLegacyIndexEntries } from '#shared/store/index-shards.ts';
import { conversationKey, indexShardOf } from '#shared/store/keys.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * Conversations whose by-status (gsi1) and waiting (gsi4) entries are still in the unsharded
 * partitions of before 2026-12-05: `npm run reshard-indexes` moves them into their shards, a
 * by-status listing paged through while one moves there (by itself, or by that move) lists it once,
 * and the waiting list, whose sort keys tie, skips no one.
 */

const NOW = new Date('2026-11-22T16:00:00.000Z');

interface Listed {
  readonly conversationId: string;
}

describe('moving the index entries of before the sharding into their shards', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let api: HelpdeskApi;
  let table: TableContext;
  /** Runs once before the first UpdateItem the migration sends (a conversation moving meanwhile). */
  let beforeFirstUpdate: (() => Promise<void>) | undefined;

  const customers = ['legacy-newest', ...Array.from({ length: 6 }, (_, n) => `reshard-${n}`)];
  const idOf = (customer: string) => conversationFor(customer).conversationId;
  const moving = 'legacy-moving';

  /** Puts a conversation's entries back where the hub wrote them before the sharding. */
  const unshard = (customer: string) =>
    emulators.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: emulators.resources.tableName,
        Key: marshall(conversationKey(idOf(customer))),
        UpdateExpression: 'SET gsi1pk = :status, gsi4pk = :waiting',
        ExpressionAttributeValues: marshall({ ':status': 'STATUS#open', ':waiting': 'WAITING' }),
      }),
    );
  const indexKeysOf = async (customer: string) => {
    const output = await emulators.clients.dynamodb.send(
      new GetItemCommand({
        TableName: emulators.resources.tableName,
        Key: marshall(conversationKey(idOf(customer))),
        ProjectionExpression: 'gsi1pk, gsi4pk',
      }),
    );
    return output.Item ? unmarshall(output.Item) : undefined;
  };
  const request = (method: 'GET' | 'PATCH', path: string, extra: Partial<ApiRequest> = {}) =>
    api(apiRequest(method, path, extra));
  const setStatus = async (conversationId: string, status: string) => {
    const read = await request('GET', `/v1/conversations/${conversationId}`);
    const response = await request('PATCH', `/v1/conversations/${conversationId}`, {
      headers: { 'if-match': read.headers.etag ?? '', 'content-type': 'application/json' },
      body: JSON.stringify({ status }),
    });
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    emulators.clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' && beforeFirstUpdate) {
          const run = beforeFirstUpdate;
          beforeFirstUpdate = undefined;
          await run();
        }
        return next(args);
      },
      { step: 'initialize', name: 'moveBeforeFirstUpdate' },
    );
    table = { client: emulators.clients.dynamodb, tableName: emulators.resources.tableName, now: () => NOW };
    recorder = quietRecorder(table, () => NOW);
    api = quietHelpdeskApi(emulators, table, () => NOW);
    // Prepare: seven waiting customers, the newest of them with its entries still unsharded, and
    // one more unsharded one that moves by itself while the migration runs.
    for (const [n, customer] of customers.entries())
      await recorder.recordEvent(
        messageEvent(customer, `${customer}-1`, minute(n === 0 ? 150 : 20 + 15 * n)),
      );
    await recorder.recordEvent(messageEvent(moving, `${moving}-1`, minute(10)));
    await unshard(customers[0] as string);
    await unshard(moving);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('counts without moving on a dry run, then moves each entry into its shard once, leaving one that moved meanwhile where the hub put it', async () => {
    // Act
    const dry = await reshardLegacyIndexEntries(table, { dryRun: true });
    const stillUnsharded = await indexKeysOf(customers[0] as string);
    beforeFirstUpdate = async () => {
      // The hub moves one of them first (as a status change or a new hour would).
      await emulators.clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: emulators.resources.tableName,
          Key: marshall(conversationKey(idOf(moving))),
          UpdateExpression: 'SET gsi1pk = :status',
          ExpressionAttributeValues: marshall({ ':status': `STATUS#pending#${indexShardOf(idOf(moving))}` }),
        }),
      );
    };
    const run = await reshardLegacyIndexEntries(table);
    const again = await reshardLegacyIndexEntries(table);
    // Assess: two gsi1 and two gsi4 entries found; the moving one's gsi1 entry kept where the hub put it
    expect(dry).toEqual({ found: 4, moved: 0, movedMeanwhile: 0, offsetSnoozes: 0, offsetSnoozesFixed: 0 });
    expect(stillUnsharded).toEqual({ gsi1pk: 'STATUS#open', gsi4pk: 'WAITING' });
    expect(run.found).toBe(4);
    expect(run.moved + run.movedMeanwhile).toBe(4);
    expect(await indexKeysOf(customers[0] as string)).toEqual({
      gsi1pk: `STATUS#open#${indexShardOf(idOf(customers[0] as string))}`,
      gsi4pk: `WAITING#${indexShardOf(idOf(customers[0] as string))}`,
    });
    expect((await indexKeysOf(moving))?.gsi1pk).toBe(`STATUS#pending#${indexShardOf(idOf(moving))}`);
    expect(again).toEqual({ found: 0, moved: 0, movedMeanwhile: 0, offsetSnoozes: 0, offsetSnoozesFixed: 0 });
  });

  /** Every page of a listing (`query`), running `afterFirstPage` once page 1 is read. */
  const pageThrough = async (
    query: Record<string, string>,
    afterFirstPage: () => Promise<unknown> = async () => undefined,
  ) => {
    const listed: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await request('GET', '/v1/conversations', {
        query: { ...query, ...(cursor ? { cursor } : {}) },
      });
      const body = response.body as { items: Listed[]; nextCursor?: string };
      listed.push(...body.items.map((item) => item.conversationId));
      cursor = body.nextCursor;
      if (pages++ === 0) await afterFirstPage();
    } while (cursor && pages < 100);
    return listed;
  };

  it('lists every waiting customer once when waits of before the sharding tie with waits in the same shards', async () => {
    // Prepare: six pairs of customers in the same shard, each pair waiting since the same minute, the
    // one with the lower conversation id (which the merge takes first of a tie) still unsharded
    const byShard = new Map<number, string[]>();
    for (let n = 0; [...byShard.values()].filter((ids) => ids.length >= 2).length < 6; n++) {
      const customer = `tie-${n}`;
      const shard = indexShardOf(idOf(customer));
      byShard.set(shard, [...(byShard.get(shard) ?? []), customer]);
    }
    const pairs = [...byShard.values()]
      .filter((customersOfShard) => customersOfShard.length >= 2)
      .slice(0, 6)
      .map((customersOfShard) =>
        (customersOfShard.slice(0, 2) as [string, string]).sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1)),
      );
    for (const [n, [lower, higher]] of pairs.entries()) {
      for (const customer of [lower, higher])
        await recorder.recordEvent(messageEvent(customer, `${customer}-1`, minute(3 + n)));
      await unshard(lower);
    }
    // Act: the waiting list a page of one at a time
    const listed = await pageThrough({ waiting: 'true', limit: '1' });
    // Assess
    const tied = pairs.flat().map(idOf);
    expect(listed.filter((id) => tied.includes(id)).sort()).toEqual([...tied].sort());
  });

  it.each([
    ['leaves its status and comes back within the hour', 'legacy-round-trip', 200],
    ['is moved by reshard-indexes', 'legacy-resharded', 201],
  ] as const)(
    'lists a conversation of before the sharding once when it %s while a client pages',
    async (_, customer, at) => {
      // Prepare: the newest conversation, its entries still unsharded
      await recorder.recordEvent(messageEvent(customer, `${customer}-1`, minute(at)));
      await unshard(customer);
      // Act: page 1 holds it (from the unsharded partition); then it moves into its shard
      const listed = await pageThrough({ status: 'open', limit: '2' }, async () => {
        if (customer === 'legacy-round-trip') {
          await setStatus(idOf(customer), 'resolved');
          await setStatus(idOf(customer), 'open');
        } else await reshardLegacyIndexEntries(table);
      });
      // Assess
      expect(listed[0]).toBe(idOf(customer));
      expect(listed.filter((id) => id === idOf(customer))).toHaveLength(1);
      expect(new Set(listed).size).toBe(listed.length);
      expect(listed).toEqual(expect.arrayContaining(customers.map(idOf)));
    },
  );
});

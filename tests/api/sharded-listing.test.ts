import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeSpreadCursor } from '#shared/api/cursor.ts';
import { createHelpdeskApi, type HelpdeskApi } from '#shared/api/router.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { conversationIdFor } from '#shared/contract/ids.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import {
  attentionPartitions,
  conversationKey,
  INDEX_SHARDS,
  indexShardOf,
  statusPartitions,
} from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';

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
  const customers = Array.from({ length: 40 }, (_, n) => `shard-${n}`);
  const legacy = 'shard-legacy';

  beforeAll(async () => {
    emulators = await startEmulators();
    const { dynamodb } = emulators.clients;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'countListingCalls' },
    );
    table = { client: dynamodb, tableName: emulators.resources.tableName, now: () => NOW };
    recorder = createRecorderService({
      store: createRecorderStore(table, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => NOW,
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    api = createHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      table,
      publishEvent: async () => undefined,
      enqueueCommand: async () => undefined,
      clock: () => NOW,
      newId: () => 'fixed',
      deleteObjects: async () => undefined,
      media: s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
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
  });

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
    // The first page reads every shard; a later one only the shards with entries left.
    expect(pages[0]?.calls).toEqual([...attentionPartitions('waiting').map(() => 'Query'), 'BatchGetItem']);
    expect(pages.at(-1)?.calls.filter((call) => call === 'Query').length).toBeLessThan(INDEX_SHARDS);
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

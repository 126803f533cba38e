import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ConversationStatusSchema } from '#shared/contract/conversation.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';
import {
  attentionPartitions,
  PENDING_ANNOUNCEMENT_INDEX_PARTITION,
  PENDING_REDACTION_INDEX_PARTITION,
  statusPartitions,
} from '#shared/store/keys.ts';

/** A sharded partition's values (the unsharded one of before last), each under the unsharded name. */
const sharedUnder = (values: readonly string[]): [string, string][] => {
  const name = values.at(-1) ?? '';
  return values.map((value) => [value, name]);
};

/**
 * DynamoDB write units as AWS bills them, measured on the local DynamoDB (which reports none of the
 * index writes): each PutItem, UpdateItem and DeleteItem on the hub's table is bracketed by a
 * consistent read of the item before and after it, through a second client the hub does not use,
 * and priced per the developer guide:
 *
 * - the table: the larger of the item before and after, per started KB (1 at least; a write whose
 *   condition fails is charged too);
 * - each index: an item entering it is a put, leaving it a delete, changing its index key a delete
 *   plus a put; an item that stays with the same key costs the index a write only if the index
 *   projects all attributes and the item changed. Each index write is priced by the entry's size.
 *
 * Item size: attribute names and values in UTF-8, numbers at one byte per two significant digits
 * plus one, lists and maps 3 bytes plus a byte per element.
 */
export interface WriteUnitTally {
  tableWriteUnits: number;
  indexWriteUnits: number;
  /** Index writes the same items would have cost with the meter's `whatIf` indexes instead. */
  whatIfIndexWriteUnits: number;
  /** Index writes by index name. */
  byIndex: Record<string, number>;
  /**
   * Index writes by index partition (indexPartitionOf): the partitions every conversation shares
   * (`gsi1 STATUS#open`, `gsi4 WAITING`…) by name, the per-item ones together (`gsi2 per item`).
   */
  byIndexPartition: Record<string, number>;
  /** The largest item a metered write left, in bytes (what decides whether writes stay at one unit). */
  largestItemBytes: Record<string, number>;
  /** Wall time during which at least one of the meter's own reads was in flight (to leave out of timings). */
  meteringMs: number;
}

export const newWriteUnitTally = (): WriteUnitTally => ({
  tableWriteUnits: 0,
  indexWriteUnits: 0,
  whatIfIndexWriteUnits: 0,
  byIndex: {},
  byIndexPartition: {},
  largestItemBytes: {},
  meteringMs: 0,
});

type Item = Record<string, AttributeValue>;

const valueBytes = (value: AttributeValue): number => {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) {
    const digits = value.N.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((total, one) => total + Buffer.byteLength(one), 0);
  if (value.NS !== undefined) return value.NS.reduce((total, one) => total + valueBytes({ N: one }), 0);
  if (value.L !== undefined) return 3 + value.L.reduce((total, one) => total + 1 + valueBytes(one), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  return 0;
};

/** An item's size as DynamoDB counts it. */
export const itemBytes = (item: Item | undefined): number =>
  item
    ? Object.entries(item).reduce(
        (total, [name, value]) => total + Buffer.byteLength(name, 'utf8') + valueBytes(value),
        0,
      )
    : 0;

const units = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** An index as the meter sees it: its key for an item (none: the item is not in it), and what it projects. */
export interface MeteredIndex {
  readonly indexName: string;
  readonly projection: 'ALL' | 'KEYS_ONLY';
  keyOf(item: Item | undefined): string | undefined;
}

/** The hub table's indexes, keyed by their attributes. */
export const HUB_INDEXES: readonly MeteredIndex[] = HUB_TABLE.globalSecondaryIndexes.map((index) => ({
  indexName: index.indexName,
  projection: index.projection === 'ALL' ? 'ALL' : 'KEYS_ONLY',
  keyOf: (item) => {
    const partition = item?.[index.partitionKey.name]?.S;
    const sort = item?.[index.sortKey?.name ?? '']?.S;
    return partition !== undefined && sort !== undefined ? `${partition}\u0000${sort}` : undefined;
  },
}));

/**
 * The index partitions that every conversation shares, one key each (shared/store/keys.ts): the
 * by-status lists (gsi1), the attention lists and the sweeper's markers (gsi4). Every other index
 * partition holds one conversation's, person's or message's entries.
 */
/** Each shared index partition by name; the shards of one (keys.ts INDEX_SHARDS) under the name they share. */
const SHARED_INDEX_PARTITIONS: ReadonlyMap<string, string> = new Map([
  ...ConversationStatusSchema.options.flatMap((status) => sharedUnder(statusPartitions(status))),
  ...sharedUnder(attentionPartitions('waiting')),
  ...sharedUnder(attentionPartitions('snoozed')),
  [PENDING_ANNOUNCEMENT_INDEX_PARTITION, PENDING_ANNOUNCEMENT_INDEX_PARTITION],
  [PENDING_REDACTION_INDEX_PARTITION, PENDING_REDACTION_INDEX_PARTITION],
]);

/**
 * `gsi1 STATUS#open` for a shared partition (all its shards together: the scale model spreads them,
 * bench/scale.ts), `gsi2 per item` for the others.
 */
const indexPartitionOf = (indexName: string, key: string): string => {
  const partition = key.split('\u0000')[0] ?? '';
  return `${indexName} ${SHARED_INDEX_PARTITIONS.get(partition) ?? 'per item'}`;
};

/**
 * Index write units for one item going from `before` to `after` (either may be absent), by index
 * partition (indexPartitionOf): a delete is charged where the entry was, a put where it goes.
 */
export const indexPartitionWriteUnitsOf = (
  before: Item | undefined,
  after: Item | undefined,
  indexes: readonly MeteredIndex[] = HUB_INDEXES,
): Record<string, number> => {
  const changed = JSON.stringify(before) !== JSON.stringify(after);
  const result: Record<string, number> = {};
  const charge = (indexName: string, key: string, cost: number) => {
    const where = indexPartitionOf(indexName, key);
    result[where] = (result[where] ?? 0) + cost;
  };
  for (const index of indexes) {
    const was = index.keyOf(before);
    const is = index.keyOf(after);
    const entryUnits = (item: Item | undefined) => (index.projection === 'ALL' ? units(itemBytes(item)) : 1);
    if (was !== undefined && is !== undefined && was === is) {
      if (index.projection === 'ALL' && changed) charge(index.indexName, is, entryUnits(after));
    } else {
      if (was !== undefined) charge(index.indexName, was, entryUnits(before));
      if (is !== undefined) charge(index.indexName, is, entryUnits(after));
    }
  }
  return result;
};

/** Index write units for one item going from `before` to `after` (either may be absent), by index. */
export const indexWriteUnitsOf = (
  before: Item | undefined,
  after: Item | undefined,
  indexes: readonly MeteredIndex[] = HUB_INDEXES,
): Record<string, number> => {
  const result: Record<string, number> = {};
  for (const [where, cost] of Object.entries(indexPartitionWriteUnitsOf(before, after, indexes))) {
    const indexName = where.split(' ')[0] ?? where;
    result[indexName] = (result[indexName] ?? 0) + cost;
  }
  return result;
};

type Input = Record<string, unknown>;
type Next = (args: { input: Input }) => Promise<unknown>;

const METERED = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

const keyOf = (commandName: string, input: Input): Item | undefined => {
  if (commandName === 'PutItemCommand') {
    const item = (input as unknown as PutItemCommandInput).Item;
    return item?.pk && item.sk ? { pk: item.pk, sk: item.sk } : undefined;
  }
  return (input as unknown as UpdateItemCommandInput).Key;
};

const sumOf = (costs: Record<string, number>): number =>
  Object.values(costs).reduce((total, cost) => total + cost, 0);

/**
 * Meters every table write `client` sends; `inspector` is another client on the same DynamoDB.
 * `whatIf`: other indexes to price the same writes against (another design's), into
 * `whatIfIndexWriteUnits`.
 */
export const meterWriteUnits = (
  client: DynamoDBClient,
  inspector: DynamoDBClient,
  tally: WriteUnitTally,
  whatIf: readonly MeteredIndex[] = [],
): void => {
  let inFlight = 0;
  let since = 0;
  const read = async (tableName: string, key: Item): Promise<Item | undefined> => {
    if (inFlight++ === 0) since = performance.now();
    try {
      return (
        await inspector.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))
      ).Item;
    } finally {
      if (--inFlight === 0) tally.meteringMs += performance.now() - since;
    }
  };
  client.middlewareStack.add(
    ((next: Next, context: { commandName?: string }) => async (args: { input: Input }) => {
      const commandName = context.commandName ?? '';
      const key = METERED.has(commandName) ? keyOf(commandName, args.input) : undefined;
      const tableName = String(args.input.TableName ?? '');
      if (!key) return next(args);
      const before = await read(tableName, key);
      let result: unknown;
      try {
        result = await next(args);
      } catch (error) {
        tally.tableWriteUnits += units(itemBytes(before));
        throw error;
      }
      const after = await read(tableName, key);
      tally.tableWriteUnits += units(Math.max(itemBytes(before), itemBytes(after)));
      const kind = String(key.sk?.S ?? '').replace(/#.*$/, '');
      tally.largestItemBytes[kind] = Math.max(tally.largestItemBytes[kind] ?? 0, itemBytes(after));
      for (const [where, cost] of Object.entries(indexPartitionWriteUnitsOf(before, after))) {
        const name = where.split(' ')[0] ?? where;
        tally.indexWriteUnits += cost;
        tally.byIndex[name] = (tally.byIndex[name] ?? 0) + cost;
        tally.byIndexPartition[where] = (tally.byIndexPartition[where] ?? 0) + cost;
      }
      if (whatIf.length > 0) tally.whatIfIndexWriteUnits += sumOf(indexWriteUnitsOf(before, after, whatIf));
      return result;
    }) as never,
    { step: 'initialize', name: 'benchWriteUnits' },
  );
};

import { z } from 'zod';
import { CONVERSATION_ID_PATTERN, canonicalJson, stableHash } from '#shared/contract/ids.ts';
import type { ActivityPosition } from '#shared/store/conversations.ts';
import type { ExportPosition } from '#shared/store/erasure.ts';
import type { IndexPosition, SpreadPosition } from '#shared/store/helpdesk-queries.ts';
import { conversationIdOfKey, conversationKey } from '#shared/store/keys.ts';
import { fail } from './http.ts';

/*
 * Opaque cursors: base64url of DynamoDB's own position (LastEvaluatedKey, or an item's keys), bound
 * to the query that made it and to its direction. A cursor is checked against the partition the
 * request will read before it goes anywhere near DynamoDB.
 */

const CursorSchema = z.strictObject({
  v: z.literal(1),
  /** Hash of the query (filters, conversation) the cursor belongs to. */
  q: z.string().regex(/^[0-9a-f]{16}$/),
  d: z.enum(['after', 'before']),
  k: z.record(z.string().max(16), z.string()),
  /**
   * The entry at `k` is part of the page (absent: the page starts past it). Only the way back from
   * a page that read nothing is such a cursor: see listMessages.
   */
  i: z.literal(true).optional(),
});

/**
 * DynamoDB refuses an empty key value and a sort key over 1,024 bytes; no key of the hub's is
 * longer, and none holds a lone surrogate (which has no UTF-8 form).
 */
const MAX_KEY_BYTES = 1024;
const LONE_SURROGATE = /\p{Cs}/u;
const isKeyValue = (value: string): boolean =>
  value.length > 0 && Buffer.byteLength(value, 'utf8') <= MAX_KEY_BYTES && !LONE_SURROGATE.test(value);

type CursorDirection = 'after' | 'before';

/** Where a page of a keyed listing starts: past `position` in `direction`, or at it when `inclusive`. */
export interface CursorAt {
  readonly direction: CursorDirection;
  readonly position: IndexPosition;
  readonly inclusive: boolean;
}

/**
 * A consent ledger's cursor: the time and event id of a page's last change, bound to the person
 * (the ledger is read whole and ordered in memory, so its position is not one of DynamoDB's keys).
 */
const LedgerCursorSchema = z.strictObject({
  v: z.literal(1),
  q: z.string().regex(/^[0-9a-f]{16}$/),
  at: z.string().min(1).max(64),
  e: z.string().min(1).max(512),
});

export const encodeLedgerCursor = (queryHash: string, position: { at: string; eventId: string }): string =>
  Buffer.from(JSON.stringify({ v: 1, q: queryHash, at: position.at, e: position.eventId })).toString(
    'base64url',
  );

/** The 400 every cursor that is not one of its query's gets. */
const invalidCursor = (): never =>
  fail('invalidRequest', 'invalid cursor', {
    errors: [{ field: 'query.cursor', message: 'not a cursor of this query' }],
  });

/** What an opaque cursor holds (base64url of JSON), or the 400 when it is no such thing. */
const cursorJson = (cursor: string): unknown => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return invalidCursor();
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return invalidCursor();
  }
};

/** The ledger position a cursor names, or a 400 when it is not one of this person's ledger cursors. */
export const decodeLedgerCursor = (cursor: string, queryHash: string): { at: string; eventId: string } => {
  const json = cursorJson(cursor);
  const parsed = LedgerCursorSchema.safeParse(json);
  if (!parsed.success || parsed.data.q !== queryHash) return invalidCursor();
  return { at: parsed.data.at, eventId: parsed.data.e };
};

/**
 * A conversation listing's cursor: where each index partition the listing reads stands (a status's
 * and the waiting customers' are spread over shards, keys.ts INDEX_SHARDS), in the order the
 * listing reads them: `[sort key, conversation id]` of the last entry read there (the id left out
 * when the sort key ends with it, as gsi1's does), null when none was. About 60 bytes a partition.
 */
const SpreadCursorSchema = z.strictObject({
  v: z.literal(2),
  q: z.string().regex(/^[0-9a-f]{16}$/),
  p: z
    .array(
      z.union([
        z.null(),
        z.tuple([z.string().min(1).max(256)]),
        z.tuple([z.string().min(1).max(256), z.string().regex(CONVERSATION_ID_PATTERN)]),
      ]),
    )
    .max(64),
});

/** The partitions a conversation listing reads and its index's key names, as its cursor is checked against. */
export interface SpreadShape {
  readonly queryHash: string;
  readonly partitionName: string;
  readonly partitionValues: readonly string[];
  readonly sortName: string;
  /** The index sort key starts with this: the query's `begins_with` condition ('' when it has none). */
  readonly sortPrefix: string;
}

const CONVERSATION_ID_AT_END = /#(conv_[0-9a-f]{32})$/;

export const encodeSpreadCursor = (shape: SpreadShape, position: SpreadPosition): string => {
  const p = shape.partitionValues.map((value) => {
    const at = position[value];
    if (at === undefined) return null;
    const sort = at[shape.sortName] ?? '';
    const conversationId = conversationIdOfKey({ pk: at.pk ?? '', sk: at.sk ?? '' });
    return sort.endsWith(`#${conversationId}`) ? [sort] : [sort, conversationId];
  });
  return Buffer.from(JSON.stringify({ v: 2, q: shape.queryHash, p })).toString('base64url');
};

/** The position a conversation listing's cursor names, or a 400 when it is not one of this query's. */
export const decodeSpreadCursor = (cursor: string, shape: SpreadShape): SpreadPosition => {
  const parsed = SpreadCursorSchema.safeParse(cursorJson(cursor));
  if (
    !parsed.success ||
    parsed.data.q !== shape.queryHash ||
    parsed.data.p.length !== shape.partitionValues.length
  )
    return invalidCursor();
  const position: Record<string, IndexPosition> = {};
  for (const [index, at] of parsed.data.p.entries()) {
    const partition = shape.partitionValues[index] ?? '';
    if (at === null) continue;
    const [sort, named] = at;
    const conversationId = named ?? CONVERSATION_ID_AT_END.exec(sort)?.[1];
    if (conversationId === undefined || !isKeyValue(sort) || !sort.startsWith(shape.sortPrefix))
      return invalidCursor();
    position[partition] = {
      ...conversationKey(conversationId),
      [shape.partitionName]: partition,
      [shape.sortName]: sort,
    };
  }
  return position;
};

/**
 * A person's conversations' cursor: the last activity and id of a page's last conversation, bound
 * to the query (a person's conversations are few, read whole and ordered in memory).
 */
const ActivityCursorSchema = z.strictObject({
  v: z.literal(1),
  q: z.string().regex(/^[0-9a-f]{16}$/),
  at: z.string().min(1).max(64),
  c: z.string().min(1).max(512),
});

export const encodeActivityCursor = (queryHash: string, position: ActivityPosition): string =>
  Buffer.from(JSON.stringify({ v: 1, q: queryHash, at: position.at, c: position.conversationId })).toString(
    'base64url',
  );

/** The position an activity cursor names, or a 400 when it is not one of this query's. */
export const decodeActivityCursor = (cursor: string, queryHash: string): ActivityPosition => {
  const parsed = ActivityCursorSchema.safeParse(cursorJson(cursor));
  if (!parsed.success || parsed.data.q !== queryHash) return invalidCursor();
  return { at: parsed.data.at, conversationId: parsed.data.c };
};

/**
 * An export's cursor: the stage and the hash of the last entry a page held, bound to the person.
 * Only ever compared with the hashes of that person's own entries: no cursor reads anything else.
 */
const ExportCursorSchema = z.strictObject({
  v: z.literal(1),
  q: z.string().regex(/^[0-9a-f]{16}$/),
  s: z.enum(['items', 'objects']),
  a: z.string().regex(/^(?:[0-9a-f]{64})?$/),
});

export const encodeExportCursor = (queryHash: string, position: ExportPosition): string =>
  Buffer.from(JSON.stringify({ v: 1, q: queryHash, s: position.stage, a: position.after })).toString(
    'base64url',
  );

/** The export position a cursor names, or a 400 when it is not one of this person's export cursors. */
export const decodeExportCursor = (cursor: string, queryHash: string): ExportPosition => {
  const parsed = ExportCursorSchema.safeParse(cursorJson(cursor));
  if (!parsed.success || parsed.data.q !== queryHash) return invalidCursor();
  return { stage: parsed.data.s, after: parsed.data.a };
};

export const queryHashOf = (query: unknown): string =>
  stableHash('cursor', canonicalJson(query)).slice(0, 16);

export const encodeCursor = (queryHash: string, { direction, position, inclusive }: CursorAt): string =>
  Buffer.from(
    JSON.stringify({ v: 1, q: queryHash, d: direction, k: position, ...(inclusive ? { i: true } : {}) }),
  ).toString('base64url');

export interface ExpectedPosition {
  readonly queryHash: string;
  /** The index's key names and the partition the request reads. */
  readonly partitionName: string;
  readonly partitionValue: string;
  readonly sortName: string;
  /** Table partition keys of that index's items start with this. */
  readonly pkPrefix: string;
  /** Table sort keys of that index's items start with this. */
  readonly skPrefix: string;
  /** The index sort key starts with this: the query's `begins_with` condition ('' when it has none). */
  readonly sortPrefix: string;
}

/** The position a cursor names, or a 400 when it is not one of this query's cursors. */
export const decodeCursor = (cursor: string, expected: ExpectedPosition): CursorAt => {
  const json = cursorJson(cursor);
  const parsed = CursorSchema.safeParse(json);
  if (!parsed.success || parsed.data.q !== expected.queryHash) return invalidCursor();
  const { k } = parsed.data;
  const names = Object.keys(k).sort();
  const wanted = ['pk', 'sk', expected.partitionName, expected.sortName].sort();
  const fits =
    names.length === wanted.length &&
    names.every((name, index) => name === wanted[index]) &&
    Object.values(k).every(isKeyValue) &&
    k[expected.partitionName] === expected.partitionValue &&
    (k.pk ?? '').startsWith(expected.pkPrefix) &&
    (k.sk ?? '').startsWith(expected.skPrefix) &&
    (k[expected.sortName] ?? '').startsWith(expected.sortPrefix);
  if (!fits) return invalidCursor();
  return { direction: parsed.data.d, position: k, inclusive: parsed.data.i === true };
};

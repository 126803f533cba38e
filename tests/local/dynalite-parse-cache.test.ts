import { createRequire } from 'node:module';
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExpressionParser, memoizeParser } from '#shared/local/dynalite-parse-cache.cjs';
import { type RunningDynamoThread, startDynamoThread } from '#shared/local/dynamo-thread.ts';
import { createTable, localClients } from '#shared/local/emulators.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';

/*
 * The local DynamoDB emulator memoizes its expression parses (dynalite-parse-cache.cjs). A replayed
 * parse must be the parse dynalite would make for that request: the same tree with this request's
 * values, the same names and values marked used, the same refusal. Held against dynalite's own
 * parsers over random expressions, and through the emulator thread with real requests.
 */

const requireHere = createRequire(import.meta.url);
const dynaliteDir = requireHere.resolve('dynalite').replace(/[/\\]index\.js$/, '');
const dynaliteParser = (name: string): ExpressionParser['parse'] =>
  (requireHere(`${dynaliteDir}/db/${name}.js`) as ExpressionParser).parse;

const NAMES = { '#a': 'state', '#b': 'count', '#c': 'items', '#d': 'pk' };
const VALUE_NAMES = [':v0', ':v1', ':v2', ':v3'] as const;
const RESERVED = new Set(['STATUS', 'NAME', 'DATA', 'COUNT']);

const path = fc.constantFrom('#a', '#b', '#c.#d', '#c[0]', 'pk', 'status', 'other');
const value = fc.constantFrom(...VALUE_NAMES);
const attributeValue = fc.constantFrom<Record<string, unknown>>(
  { S: 'text' },
  { S: 'zzz' },
  { N: '1' },
  { N: '-40' },
  { L: [{ S: 'a' }] },
  { M: { k: { N: '2' } } },
  { SS: ['a', 'b'] },
  { BOOL: true },
  { NULL: true },
  { B: 'AAEC' },
);
/** Each value name bound or not, to a value of any type. */
const values = fc.record(
  Object.fromEntries(VALUE_NAMES.map((name) => [name, attributeValue])) as Record<
    (typeof VALUE_NAMES)[number],
    fc.Arbitrary<Record<string, unknown>>
  >,
  { requiredKeys: [':v0', ':v1'] },
);

const operand = fc.oneof(
  value,
  path,
  fc.tuple(path, value).map(([p, v]) => `if_not_exists(${p}, ${v})`),
  fc.tuple(path, value).map(([p, v]) => `${p} + ${v}`),
  fc.tuple(value, value).map(([a, b]) => `${a} - ${b}`),
  fc.tuple(path, value).map(([p, v]) => `list_append(${p}, ${v})`),
);
const updateExpression = fc
  .record(
    {
      set: fc.array(fc.tuple(path, operand), { minLength: 1, maxLength: 3 }),
      remove: fc.array(path, { maxLength: 2 }),
      add: fc.array(fc.tuple(path, value), { maxLength: 1 }),
    },
    { requiredKeys: ['set'] },
  )
  .map(({ set, remove, add }) =>
    [
      `SET ${set.map(([p, o]) => `${p} = ${o}`).join(', ')}`,
      remove?.length ? `REMOVE ${remove.join(', ')}` : '',
      add?.length ? `ADD ${add.map(([p, v]) => `${p} ${v}`).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' '),
  );

const { condition } = fc.letrec<{ condition: string; leaf: string }>((tie) => ({
  leaf: fc.oneof(
    path.map((p) => `attribute_exists(${p})`),
    path.map((p) => `attribute_not_exists(${p})`),
    fc
      .tuple(path, fc.constantFrom('=', '<>', '<', '<=', '>', '>='), fc.oneof(value, path))
      .map(([p, op, o]) => `${p} ${op} ${o}`),
    fc.tuple(path, value).map(([p, v]) => `begins_with(${p}, ${v})`),
    fc.tuple(path, value).map(([p, v]) => `contains(${p}, ${v})`),
    fc.tuple(path, value).map(([p, v]) => `size(${p}) > ${v}`),
    fc.tuple(path, value, value).map(([p, a, b]) => `${p} IN (${a}, ${b})`),
    fc.tuple(path, value, value).map(([p, a, b]) => `${p} BETWEEN ${a} AND ${b}`),
    fc.tuple(path, value).map(([p, v]) => `attribute_type(${p}, ${v})`),
  ),
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `(${a}) AND ${b}`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `${a} OR (${b})`),
    tie('condition').map((c) => `NOT ${c}`),
  ),
}));
const projection = fc.array(path, { minLength: 1, maxLength: 4 }).map((paths) => paths.join(', '));

interface Outcome {
  readonly result?: unknown;
  readonly thrown?: string;
  readonly unusedNames: string[];
  readonly unusedValues: string[];
}

/**
 * One parse as dynalite's validation makes it: every name and value starts out unused but those an
 * earlier expression of the same request used (`alreadyUsed`).
 */
const parseWith = (
  parse: ExpressionParser['parse'],
  input: string,
  bound: Record<string, unknown>,
  isKeyCondition: boolean,
  alreadyUsed: readonly string[] = [],
): Outcome => {
  const unused = (names: string[]) =>
    Object.fromEntries(names.filter((name) => !alreadyUsed.includes(name)).map((name) => [name, true]));
  const context: Record<string, unknown> = {
    attrNames: NAMES,
    attrVals: bound,
    unusedAttrNames: unused(Object.keys(NAMES)),
    unusedAttrVals: unused(Object.keys(bound)),
    isReserved: (name: string) => RESERVED.has(name.toUpperCase()),
    compare: (comparison: string, x: Record<string, string>, y: Record<string, string>) =>
      comparison === 'GT' && JSON.stringify(x) > JSON.stringify(y),
    ...(isKeyCondition ? { isKeyCondition: true } : {}),
  };
  const left = () => ({
    unusedNames: Object.keys(context.unusedAttrNames as object).sort(),
    unusedValues: Object.keys(context.unusedAttrVals as object).sort(),
  });
  try {
    return { result: parse(input, { context }), ...left() };
  } catch (error) {
    return { thrown: (error as Error).message, ...left() };
  }
};

describe('the memo of dynalite expression parses', () => {
  it.each([
    ['updateParser', updateExpression],
    ['conditionParser', condition],
    ['projectionParser', projection],
  ] as const)('replays %s exactly as dynalite parses each request', (parserName, expressions) => {
    // Prepare
    const plain = dynaliteParser(parserName);
    const memoized: ExpressionParser = { parse: plain };
    const stats = memoizeParser(memoized);
    // Act
    fc.assert(
      fc.property(
        expressions,
        values,
        values,
        fc.boolean(),
        fc.array(fc.subarray([...Object.keys(NAMES), ...VALUE_NAMES]), { minLength: 3, maxLength: 3 }),
        (input, first, second, isKey, alreadyUsed) => {
          [first, second, first].forEach((bound, turn) => {
            // Assess
            expect(parseWith(memoized.parse, input, bound, isKey, alreadyUsed[turn])).toStrictEqual(
              parseWith(plain, input, bound, isKey, alreadyUsed[turn]),
            );
          });
        },
      ),
      { seed: 20261203, numRuns: 200 },
    );
    // Assess: most random expressions are refused (types, reserved words, unbound values), and a
    // refusal is never kept; enough of them parse for the replays to be tested
    expect(stats.hits).toBeGreaterThan(10);
  });

  it('parses afresh every time a parse reads a value (BETWEEN, attribute_type)', () => {
    // Prepare
    const plain = dynaliteParser('conditionParser');
    const memoized: ExpressionParser = { parse: plain };
    const stats = memoizeParser(memoized);
    const input = '#b BETWEEN :v0 AND :v1';
    // Act
    const ordered = parseWith(memoized.parse, input, { ':v0': { N: '1' }, ':v1': { N: '2' } }, false);
    const reversed = parseWith(memoized.parse, input, { ':v0': { N: '3' }, ':v1': { N: '2' } }, false);
    // Assess
    expect(ordered.result).toMatchObject({ expression: { type: 'between' } });
    expect(reversed.result).toMatch(/upper bound to be greater than or equal to lower bound/);
    expect(stats).toEqual({ hits: 0, misses: 0, bypassed: 2 });
  });

  it('starts afresh when full, so the expressions met since still replay', () => {
    // Prepare
    const plain = dynaliteParser('projectionParser');
    const memoized: ExpressionParser = { parse: plain };
    const stats = memoizeParser(memoized, { limit: 2 });
    const parse = (input: string) => parseWith(memoized.parse, input, {}, false);
    // Act: three distinct expressions fill a memo of two, then the third comes again
    for (const input of ['#a', '#b', '#a, #b']) parse(input);
    const again = parse('#a, #b');
    // Assess
    expect(again).toStrictEqual(parseWith(plain, '#a, #b', {}, false));
    expect(stats).toEqual({ hits: 1, misses: 3, bypassed: 0 });
  });

  it('never keeps a tree that carries a copy of a value instead of the value itself', () => {
    // Prepare: a parser that copies the value it resolves
    const copying: ExpressionParser = {
      parse: (_input, { context }) => ({
        copy: { ...(context.attrVals as Record<string, object>)[':v0'] },
      }),
    };
    const stats = memoizeParser(copying);
    const parse = (bound: object) => copying.parse('#a = :v0', { context: { attrVals: { ':v0': bound } } });
    // Act
    const first = parse({ S: 'first' });
    const second = parse({ S: 'second' });
    // Assess
    expect(first).toEqual({ copy: { S: 'first' } });
    expect(second).toEqual({ copy: { S: 'second' } });
    expect(stats).toEqual({ hits: 0, misses: 1, bypassed: 1 });
  });
});

describe('the emulator thread with its memoized parses', () => {
  let thread: RunningDynamoThread;
  let client: ReturnType<typeof localClients>['dynamodb'];
  beforeAll(async () => {
    thread = await startDynamoThread({ port: 0 });
    const clients = localClients({
      dynamodb: `http://127.0.0.1:${thread.port}`,
      sqs: 'http://127.0.0.1:1',
      s3: 'http://127.0.0.1:1',
    });
    clients.sqs.destroy();
    clients.s3.destroy();
    client = clients.dynamodb;
    await createTable(client, HUB_TABLE);
  });
  afterAll(async () => {
    client?.destroy();
    await thread?.stop();
  });

  const update = (sk: string, text: string, count: number) =>
    client.send(
      new UpdateItemCommand({
        TableName: HUB_TABLE.name,
        Key: { pk: { S: 'TEST#memo' }, sk: { S: sk } },
        UpdateExpression: 'SET #t = :t, #n = if_not_exists(#n, :zero) + :n',
        ConditionExpression: 'attribute_not_exists(#t) OR #t <> :t',
        ExpressionAttributeNames: { '#t': 'text', '#n': 'count' },
        ExpressionAttributeValues: { ':t': { S: text }, ':n': { N: String(count) }, ':zero': { N: '0' } },
      }),
    );

  it('writes each request its own values when the same expressions come again', async () => {
    // Prepare
    await update('A', 'first', 1);
    // Act
    await update('B', 'second', 5);
    await update('A', 'third', 2);
    const read = async (sk: string) =>
      (
        await client.send(
          new GetItemCommand({ TableName: HUB_TABLE.name, Key: { pk: { S: 'TEST#memo' }, sk: { S: sk } } }),
        )
      ).Item;
    // Assess
    expect(await read('A')).toMatchObject({ text: { S: 'third' }, count: { N: '3' } });
    expect(await read('B')).toMatchObject({ text: { S: 'second' }, count: { N: '5' } });
    await expect(update('B', 'second', 1)).rejects.toThrow(/conditional request failed/i);
  });

  it('accepts an expression alone that it first met behind another one using the same names', async () => {
    // Prepare: the condition's names and values are first used by the update expression before it
    const names = { '#st': 'state' };
    const values = { ':st': { S: 'open' } };
    const key = { pk: { S: 'TEST#memo-shared' }, sk: { S: 'A' } };
    await client.send(
      new UpdateItemCommand({
        TableName: HUB_TABLE.name,
        Key: key,
        UpdateExpression: 'SET #st = :st',
        ConditionExpression: 'attribute_not_exists(#st) OR #st <> :st',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    // Act: the same condition as the request's only expression
    const put = client.send(
      new PutItemCommand({
        TableName: HUB_TABLE.name,
        Item: { ...key, sk: { S: 'B' }, state: { S: 'closed' } },
        ConditionExpression: 'attribute_not_exists(#st) OR #st <> :st',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    // Assess
    await expect(put).resolves.toBeDefined();
  });

  it('refuses a reversed BETWEEN every time, after accepting it in order', async () => {
    // Prepare
    const query = (low: string, high: string) =>
      client.send(
        new QueryCommand({
          TableName: HUB_TABLE.name,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
          ExpressionAttributeValues: { ':pk': { S: 'TEST#memo' }, ':low': { S: low }, ':high': { S: high } },
        }),
      );
    // Act
    const ordered = await query('A', 'B');
    // Assess
    expect(ordered.Count).toBe(2);
    await expect(query('B', 'A')).rejects.toThrow(/upper bound to be greater than or equal to lower bound/);
    await expect(query('C', 'A')).rejects.toThrow(/upper bound to be greater than or equal to lower bound/);
  });
});

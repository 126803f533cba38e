import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  finiteNumber,
  int,
  issuePaths,
  lazily,
  looseObject,
  object,
  strictObject,
  url,
} from '#shared/validation/schema.ts';

/*
 * The webhooks moved from zod/mini to valibot for their cold start; provider input must parse as it
 * did. zod/mini (still installed: classic zod is the contract's) is the oracle here.
 */

/** Objects with keys a provider may send that object code treats specially, arrays, and any JSON. */
const jsonWithOddKeys = fc.oneof(
  fc.object({
    maxDepth: 2,
    key: fc.oneof(
      fc.constantFrom('constructor', 'prototype', '__proto__', 'toString', 'id', 'text'),
      fc.string(),
    ),
    values: [fc.string(), fc.integer(), fc.boolean(), fc.constant(null)],
  }),
  fc.array(fc.jsonValue({ maxDepth: 2 })),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('the shared valibot object schemas', () => {
  it('refuse an array where an object is expected, as zod did', () => {
    // Prepare
    const schemas = [looseObject({}), object({}), strictObject({})];
    // Act
    const results = schemas.map((schema) => v.safeParse(schema, []).success);
    // Assess
    expect(results).toEqual([false, false, false]);
    expect(v.safeParse(v.looseObject({}), []).success).toBe(true); // valibot's own would take it
  });

  it('keep constructor and prototype fields of a loose object in their place, and drop __proto__', () => {
    // Prepare
    const input = JSON.parse('{"b":1,"constructor":"c","id":"x","prototype":2,"__proto__":{"p":1}}');
    // Act
    const parsed = v.parse(looseObject({ id: v.string() }), input);
    // Assess
    expect(JSON.stringify(parsed)).toBe('{"id":"x","b":1,"constructor":"c","prototype":2}');
  });

  it('give the same output and verdict as zod/mini loose objects for any JSON', () => {
    // Prepare
    const ours = looseObject({ id: v.optional(v.string()), text: v.optional(v.string()) });
    const theirs = z.looseObject({ id: z.optional(z.string()), text: z.optional(z.string()) });
    fc.assert(
      fc.property(jsonWithOddKeys, (input) => {
        // Act
        const a = v.safeParse(ours, input);
        const b = theirs.safeParse(input);
        // Assess
        expect(a.success).toBe(b.success);
        if (a.success && b.success) expect(JSON.stringify(a.output)).toBe(JSON.stringify(b.data));
      }),
      { seed: 20261202, numRuns: 2_000 },
    );
  });
});

describe('the shared valibot value rules', () => {
  it('build a lazily declared schema once, on its first parse', () => {
    // Prepare
    let builds = 0;
    const schema = lazily(() => {
      builds += 1;
      return v.string();
    });
    // Act
    const before = builds;
    v.parse(schema, 'a');
    v.parse(schema, 'b');
    // Assess
    expect([before, builds]).toEqual([0, 1]);
  });

  it('read URLs, safe integers and finite numbers as zod did', () => {
    // Prepare
    const cases: Array<[v.GenericSchema, z.ZodMiniType, unknown]> = [
      [url(), z.url(), ' https://example.com/a\tb '],
      [url(), z.url(), 'not a url'],
      [int(), z.int(), JSON.parse('1e400')],
      [int(), z.int(), 2 ** 53],
      [int(), z.int(), 7],
      [finiteNumber(), z.pipe(z.coerce.number(), z.number()), 'Infinity'],
      [finiteNumber(), z.pipe(z.coerce.number(), z.number()), '42'],
    ];
    for (const [ours, theirs, input] of cases) {
      // Act
      const a = v.safeParse(ours, input);
      const b = theirs.safeParse(input);
      // Assess
      expect([a.success, a.success ? a.output : undefined], String(input)).toEqual([
        b.success,
        b.success ? b.data : undefined,
      ]);
    }
  });

  it('name where an input is wrong by path, never by value', () => {
    // Act
    const result = v.safeParse(object({ meta: object({ appSecret: v.string() }) }), {
      meta: { appSecret: 'sk_live_secret_value'.length },
    });
    // Assess
    expect(result.success).toBe(false);
    expect(issuePaths(result.issues ?? [])).toEqual(['meta.appSecret']);
  });
});

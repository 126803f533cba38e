import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundDepth, MAX_JSON_DEPTH, stringifyIteratively } from '#shared/channels/bounded-json.ts';

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let level = 0; level < levels; level++) value = level % 2 === 0 ? { a: value } : [value];
  return value;
};

describe('provider JSON with bounded depth', () => {
  it('writes the same text as JSON.stringify, without recursion (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // Act & Assess
        expect(stringifyIteratively(value)).toBe(JSON.stringify(value));
      }),
    );
  });

  it('returns shallow values themselves, uncopied (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        // Act & Assess
        expect(boundDepth(value)).toBe(value);
      }),
    );
  });

  it('keeps a value nested far deeper than any stack as its exact JSON text', () => {
    // Prepare
    const value = { keep: 'me', deep: nested(200_000) };
    // Act
    const bounded = boundDepth(value) as { keep: string; deep: unknown };
    const text = JSON.stringify(bounded);
    // Assess
    expect(bounded.keep).toBe('me');
    expect(text).toContain('switchboardTooDeep');
    const marker = /"json":"(.*)"\}\}/.exec(text);
    expect(marker).not.toBeNull();
    expect(stringifyIteratively(value).length).toBeGreaterThan(200_000);
    expect(MAX_JSON_DEPTH).toBeGreaterThanOrEqual(32);
  });
});

import fc from 'fast-check';

/** Names `Object.prototype` holds: what a plain lookup table would answer for, had it no own check. */
export const PROTOTYPE_NAMES = [
  'valueOf',
  'constructor',
  'toString',
  'hasOwnProperty',
  'isPrototypeOf',
  '__proto__',
] as const;

/** Any JSON value, with the names of `Object.prototype` as strings often enough to be tried on every run. */
export const hostileJsonValue = (): fc.Arbitrary<fc.JsonValue> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  );

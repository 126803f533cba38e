/**
 * The value a lookup table holds under a key that came from outside, or undefined. Plain indexing
 * would answer `Object.prototype`'s members for keys such as `valueOf` or `constructor`, which any
 * provider can send as a type, status or name.
 */
export const ownValue = <V>(table: Readonly<Record<string, V>>, key: string): V | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

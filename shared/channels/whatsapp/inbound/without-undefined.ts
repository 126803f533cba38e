/**
 * Drops keys whose value is undefined so events serialize the same as their golden files. A loop,
 * not entries/filter/fromEntries: it runs several times per event.
 */
export const withoutUndefined = <T extends object>(value: T): T => {
  const kept: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    if (inner === undefined) continue;
    // Defined, not assigned: a `__proto__` key stays data, as Object.fromEntries kept it.
    if (key === '__proto__') {
      Object.defineProperty(kept, key, {
        value: inner,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else kept[key] = inner;
  }
  return kept as T;
};

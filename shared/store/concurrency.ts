/**
 * `work` on every item, at most `limit` at a time (each worker takes the next item as it finishes
 * one), the results in the items' order whatever order they finish in. Once one fails no further
 * item is started; the call settles when the running ones have, with the first failure: nothing
 * of it is still running once it has settled.
 */
export const mapConcurrently = async <T, R>(
  items: Iterable<T>,
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const all = [...items];
  const results = new Array<R>(all.length);
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < all.length) {
      const index = next++;
      try {
        results[index] = await work(all[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, all.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
};

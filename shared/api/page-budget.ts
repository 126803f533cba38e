/*
 * One rule for every listing whose items can be large (a conversation's messages, a person's export,
 * the consent ledger): a page ends before the first item that would take its answer past a byte
 * budget well under Lambda's response limit, and its cursor goes on from the last item it holds.
 * Lambda refuses a result over 6 MB, counted as the JSON of the whole result, in which the body
 * travels as a string: each item is measured as it is there, its JSON escaped a second time (a
 * quote is 4 bytes, a control character 7), so no text makes a page pass the limit.
 */

/** A page's items at most: 4 MiB of the 6 MB, the rest for the page's own fields, headers and envelope. */
export const PAGE_BUDGET_BYTES = 4 * 1024 * 1024;

/** What one item adds to a Lambda result: its JSON as it appears inside the result's body string, and a comma. */
const resultBytesOf = (value: unknown): number =>
  Buffer.byteLength(JSON.stringify(JSON.stringify(value)), 'utf8') - 1;

export interface PageBudget {
  /**
   * Counts `value` in when it fits, and says so; once one did not fit, none does (a page is a run of
   * items, so a cursor after its last one reaches the rest). The first always fits: one item alone
   * is far below the budget (a stored message at most 64 KB, any item at most DynamoDB's 400 KB).
   */
  readonly fits: (value: unknown) => boolean;
}

export const pageBudget = (bytes: number = PAGE_BUDGET_BYTES): PageBudget => {
  let used = 0;
  let taken = 0;
  let full = false;
  return {
    fits: (value) => {
      if (full) return false;
      const size = resultBytesOf(value);
      if (taken > 0 && used + size > bytes) {
        full = true;
        return false;
      }
      used += size;
      taken += 1;
      return true;
    },
  };
};

/** How many of `values`, in order, one page holds. */
export const countWithinBudget = (values: readonly unknown[], bytes?: number): number => {
  const budget = pageBudget(bytes);
  let count = 0;
  while (count < values.length && budget.fits(values[count])) count += 1;
  return count;
};

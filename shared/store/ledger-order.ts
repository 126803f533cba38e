/** Where a change stands in a consent ledger (consent-ledger.ts): when it happened, and its event. */
export interface LedgerPosition {
  readonly at: string;
  readonly eventId: string;
}

/**
 * The consent ledger's order: newest first, then by event id (code units, so a cursor means the
 * same everywhere). The API's pages (consent-ledger.ts) and the latest change a register stands for
 * (contacts.ts) go by it.
 */
export const newestFirst = (a: LedgerPosition, b: LedgerPosition): number =>
  a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.eventId === b.eventId ? 0 : a.eventId < b.eventId ? 1 : -1;

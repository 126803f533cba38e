import { describe, expect, it, vi } from 'vitest';

/*
 * The console inbox's order across the API's pages. The API's status lists page by the hour of
 * last activity, then by conversation id (gsi1), and order by exact activity within a page only; the
 * inbox reads several pages and lists them newest activity first, as the README promises. Until
 * 2026-12-06 it joined the pages as they came, so with more than 100 conversations active in one hour
 * the newest could sit at row 101 (found by a review).
 */

interface Conv {
  conversationId: string;
  lastMessageAt: string;
  createdAt: string;
  version: number;
}

const hour = '2026-12-06T10';
// 150 conversations all active in the same hour; conversation ids are hashes (conv_<32 hex>).
const all: Conv[] = Array.from({ length: 150 }, (_, n) => ({
  conversationId: `conv_${n.toString(16).padStart(32, '0')}`,
  // conv_…000 is the newest (a customer just wrote); the others a bit older, id order unrelated.
  lastMessageAt: `${hour}:${String(59 - Math.floor(n / 3)).padStart(2, '0')}:00.000Z`,
  createdAt: `${hour}:00:00.000Z`,
  version: 1,
}));

/** The API as handlers.ts answers it for status=open: (hour, id) descending across pages, exact activity within one. */
const apiPage = (cursor: string | null) => {
  const ordered = [...all].sort((a, b) => (a.conversationId < b.conversationId ? 1 : -1)); // same hour: id desc
  const start = cursor ? Number(cursor) : 0;
  const items = ordered
    .slice(start, start + 100)
    .sort((a, b) => (a.lastMessageAt < b.lastMessageAt ? 1 : a.lastMessageAt > b.lastMessageAt ? -1 : 0));
  return { items, ...(start + 100 < ordered.length ? { nextCursor: String(start + 100) } : {}) };
};

vi.mock('../../shared/local/console/static/api.js', () => ({
  call: async (path: string) => apiPage(new URLSearchParams(path.split('?')[1]).get('cursor')),
}));

/** The console's browser module, untyped JavaScript: imported by URL, its one function typed here. */
const INBOX_MODULE = new URL('../../shared/local/console/static/inbox.js', import.meta.url).href;
interface InboxModule {
  readInbox(
    filters: { channel: string; status: string; waiting: boolean; unread: boolean },
    budget: number,
    stopped: () => boolean,
  ): Promise<{ items: Conv[]; more: boolean }>;
}

describe('console inbox order across the API pages', () => {
  it('lists the newest conversation first, and every one after it newest first', async () => {
    // Prepare
    const { readInbox } = (await import(INBOX_MODULE)) as InboxModule;
    // Act
    const read = await readInbox(
      { channel: '', status: 'open', waiting: false, unread: false },
      1000,
      () => false,
    );
    // Assess
    const times = read.items.map((c: Conv) => c.lastMessageAt);
    expect(read.items).toHaveLength(150);
    expect(read.items[0]?.conversationId).toBe(`conv_${'0'.repeat(32)}`);
    expect(times).toEqual([...times].sort().reverse());
  });
});

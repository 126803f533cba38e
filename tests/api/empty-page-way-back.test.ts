import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import type { ApiResponse } from '#shared/api/http.ts';
import { messageKey } from '#shared/store/keys.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * A page of a conversation's messages read from a cursor can come back empty having read nothing at
 * all: the messages it would have held were deleted (TTL, an erasure) after the page before handed
 * out its cursor. The cursor's own message was on that page before, so the way back from the empty
 * page must take it in again: every message still there, once each, in order.
 */

interface MessagePage {
  readonly items: { hubMessageId: string; message: { providerMessageId: string } }[];
  readonly nextCursor?: string;
  readonly previousCursor?: string;
}

describe("paging a conversation's messages back from a page left empty by a deletion", () => {
  const table = useEmulatedTable();
  const api = () => quietHelpdeskApi(table.emulators, table.context, () => new Date(minute(30)));

  /** Five messages of one customer, and the page reader of their conversation (pages of two). */
  const fiveMessages = async (customer: string) => {
    for (const n of [1, 2, 3, 4, 5])
      await table.recorder.recordEvent(messageEvent(customer, `${customer}-${n}`, minute(n)));
    const path = `/v1/conversations/${conversationFor(customer).conversationId}/messages`;
    const page = async (query: Record<string, string>): Promise<MessagePage> => {
      const response: ApiResponse = await api()(apiRequest('GET', path, { query: { limit: '2', ...query } }));
      expect(response.status).toBe(200);
      return response.body as MessagePage;
    };
    const all = await page({ limit: '10' });
    /** Deletes the numbered messages' records, as DynamoDB's TTL deletes an expired one. */
    const deleteMessages = async (...numbers: number[]) => {
      for (const n of numbers) {
        const item = all.items.find((one) => one.message.providerMessageId === `${customer}-${n}`);
        await table.context.client.send(
          new DeleteItemCommand({
            TableName: table.context.tableName,
            Key: marshall(messageKey(item?.hubMessageId ?? '')),
          }),
        );
      }
    };
    /** The messages of every page from `cursor` on, following `way` until a page has none, oldest first. */
    const walk = async (cursor: string | undefined, way: 'nextCursor' | 'previousCursor') => {
      const pages: string[][] = [];
      for (let at = cursor; at !== undefined; ) {
        const read = await page({ cursor: at });
        pages.push(read.items.map((item) => item.message.providerMessageId));
        at = read[way];
      }
      return (way === 'previousCursor' ? pages.reverse() : pages).flat();
    };
    return { page, deleteMessages, walk };
  };

  it('pages back from an empty forward page over every message left, the cursor’s own included', async () => {
    // Prepare: two forward pages, then the messages after them deleted
    const customer = 'way-back-forward';
    const { page, deleteMessages, walk } = await fiveMessages(customer);
    const first = await page({});
    const second = await page({ cursor: String(first.nextCursor) });
    await deleteMessages(5);
    // Act
    const empty = await page({ cursor: String(second.nextCursor) });
    const back = await walk(empty.previousCursor, 'previousCursor');
    // Assess
    expect(second.items.map((item) => item.message.providerMessageId)).toEqual([
      `${customer}-3`,
      `${customer}-4`,
    ]);
    expect(empty.items).toEqual([]);
    expect(empty.nextCursor).toBeUndefined();
    expect(back).toEqual([1, 2, 3, 4].map((n) => `${customer}-${n}`));
  });

  it('pages forward from an empty backward page over every message left, the cursor’s own included', async () => {
    // Prepare: two backward pages from the newest, then the messages before them deleted
    const customer = 'way-back-backward';
    const { page, deleteMessages, walk } = await fiveMessages(customer);
    const newest = await page({ from: 'newest' });
    const older = await page({ cursor: String(newest.previousCursor) });
    await deleteMessages(1);
    // Act
    const empty = await page({ cursor: String(older.previousCursor) });
    const forward = await walk(empty.nextCursor, 'nextCursor');
    // Assess
    expect(older.items.map((item) => item.message.providerMessageId)).toEqual([
      `${customer}-2`,
      `${customer}-3`,
    ]);
    expect(empty.items).toEqual([]);
    expect(empty.previousCursor).toBeUndefined();
    expect(forward).toEqual([2, 3, 4, 5].map((n) => `${customer}-${n}`));
  });

  it('turns back from a page of the way back left empty too without taking in a message twice', async () => {
    // Prepare: forward to an empty page, then every message before it deleted but the cursor's own
    const customer = 'way-back-twice';
    const { page, deleteMessages, walk } = await fiveMessages(customer);
    const first = await page({});
    const second = await page({ cursor: String(first.nextCursor) });
    await deleteMessages(5);
    const empty = await page({ cursor: String(second.nextCursor) });
    await deleteMessages(1, 2, 3);
    // Act: back (the cursor's own message, 4), then forward again from there
    const back = await page({ cursor: String(empty.previousCursor) });
    const forward = await walk(back.nextCursor, 'nextCursor');
    // Assess
    expect(back.items.map((item) => item.message.providerMessageId)).toEqual([`${customer}-4`]);
    expect(forward).toEqual([]);
  });
});

import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { conversationKey } from '#shared/store/keys.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * A listing page reads its conversations with one eventually consistent BatchGetItem and leaves out
 * an item that no longer belongs to the listing (its index entry is stale). The read may be the one
 * behind instead: the index already holds a customer who has just started waiting, the read still
 * returns the conversation before the wait. The local DynamoDB is always consistent, so the test
 * hands the page's eventually consistent read the item as it was before the wait.
 */

describe('a listing page whose eventually consistent read is behind the index', () => {
  const table = useEmulatedTable();

  it('lists a customer who has just started waiting, read again consistently', async () => {
    // Prepare: the customer writes, is answered (the item then), and writes again: waiting now
    const customer = 'read-behind-1';
    const { conversationId } = conversationFor(customer);
    await table.recorder.recordEvent(messageEvent(customer, 'read-behind-1-in', minute(1)));
    await table.recorder.recordEvent(messageEvent(customer, 'read-behind-1-out', minute(2), 'outbound'));
    const client = table.emulators.clients.dynamodb;
    const { tableName } = table.context;
    const before = (
      await client.send(
        new GetItemCommand({ TableName: tableName, Key: marshall(conversationKey(conversationId)) }),
      )
    ).Item;
    await table.recorder.recordEvent(messageEvent(customer, 'read-behind-1-again', minute(3)));
    const pk = marshall(conversationKey(conversationId)).pk;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = args.input as { RequestItems?: Record<string, { ConsistentRead?: boolean }> };
        if (context.commandName !== 'BatchGetItemCommand' || input.RequestItems?.[tableName]?.ConsistentRead)
          return result;
        const output = result.output as { Responses?: Record<string, Record<string, AttributeValue>[]> };
        const items = output.Responses?.[tableName] ?? [];
        for (const [index, item] of items.entries())
          if (before && JSON.stringify(item.pk) === JSON.stringify(pk)) items[index] = before;
        return result;
      },
      { step: 'initialize', name: 'readBehindTheIndex' },
    );
    const api = quietHelpdeskApi(table.emulators, table.context, () => new Date(minute(30)));
    // Act
    const listed = await api(apiRequest('GET', '/v1/conversations', { query: { waiting: 'true' } }));
    client.middlewareStack.remove('readBehindTheIndex');
    // Assess
    expect(before).toBeDefined();
    expect(listed.status).toBe(200);
    expect(
      (listed.body as { items: { conversationId: string }[] }).items.map((item) => item.conversationId),
    ).toEqual([conversationId]);
  });
});

import { readFileSync } from 'node:fs';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelpdeskApi } from '#shared/api/router.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { loadConversation, saveConversation } from '#shared/store/conversations.ts';
import { contactItemKey, conversationKey, type ItemKey } from '#shared/store/keys.ts';
import { reindexLegacyPeople } from '#shared/store/legacy-person-index.ts';
import type { TableContext } from '#shared/store/table.ts';
import { smsReceived } from '#tests/recorder/factories.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * A table upgraded from before 2026-12-01 (8e7ed86 brought contactId and the PERSON# gsi3
 * partition). fixtures/items-e294153.json holds the items the recorder of e294153 (2026-11-30, the
 * last commit before) wrote for events/sms/stop.expected.json's conversation: its conversation item
 * (model without contactId, gsi3pk CONTACT#sms#phone:+14155550123), one message, the channel contact
 * (no gsi3 keys) and the identity item, written by that commit's own code over the local DynamoDB
 * and copied unchanged (expiry moved ahead). Found by a review: today's code shows the conversation
 * under a contactId, but no read of that person found it (GET, export and erasure of the contact
 * answered 404, the list by contact was empty), and an erasure after the customer wrote again
 * answered 200 and left the conversation item behind. `npm run reindex-people` files such items
 * under their person; a save of such a conversation files it in the same write.
 */
const OLD_ITEMS = JSON.parse(
  readFileSync(new URL('./fixtures/items-e294153.json', import.meta.url), 'utf8'),
  (_key, value) =>
    value && typeof value === 'object' && Array.isArray(value.$set) ? new Set(value.$set) : value,
) as Record<string, unknown>[];
const CONVERSATION = 'conv_b42db9ea55b1965ca41690c37b34d6a5';
const CONTACT_KEY = 'sms#phone:+14155550123';
const LEGACY_ENTRY = `CONTACT#${CONTACT_KEY}`;
const PHONE = '+14155550123';
const BUSINESS_NUMBER = '+14155550100';

/** A local table holding the e294153 items, with a hook run once before the next UpdateItem sent. */
const upgradedTable = () => {
  const context: {
    emulators?: RunningEmulators;
    table?: TableContext;
    api?: HelpdeskApi;
    beforeNextUpdate?: () => Promise<void>;
    commands: string[];
  } = { commands: [] };
  beforeAll(async () => {
    const emulators = await startEmulators();
    emulators.clients.dynamodb.middlewareStack.add(
      (next, handlerContext) => async (args) => {
        context.commands.push(handlerContext.commandName ?? '');
        const run = context.beforeNextUpdate;
        if (handlerContext.commandName === 'UpdateItemCommand' && run) {
          context.beforeNextUpdate = undefined;
          await run();
        }
        return next(args);
      },
      { step: 'initialize', name: 'beforeNextUpdate' },
    );
    const table: TableContext = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    Object.assign(context, { emulators, table, api: quietHelpdeskApi(emulators, table, () => new Date()) });
    for (const item of OLD_ITEMS)
      await table.client.send(new PutItemCommand({ TableName: table.tableName, Item: marshall(item) }));
  });
  afterAll(async () => {
    await context.emulators?.stop();
  });
  const table = () => context.table as TableContext;
  const api = (...args: Parameters<typeof apiRequest>) => (context.api as HelpdeskApi)(apiRequest(...args));
  /** The person the API names for the conversation. */
  const contactIdOf = async (): Promise<string> => {
    const conversation = await api('GET', `/v1/conversations/${CONVERSATION}`);
    expect(conversation.status).toBe(200);
    return (conversation.body as { contactId: string }).contactId;
  };
  const itemAt = async (key: ItemKey) => {
    const output = await table().client.send(
      new GetItemCommand({ TableName: table().tableName, Key: marshall(key), ConsistentRead: true }),
    );
    return output.Item ? unmarshall(output.Item) : undefined;
  };
  const listedUnder = async (contactId: string) =>
    (
      (await api('GET', '/v1/conversations', { query: { contact: contactId } })).body as {
        items: { conversationId: string }[];
      }
    ).items.map((conversation) => conversation.conversationId);
  return { context, table, api, contactIdOf, itemAt, listedUnder };
};

describe('npm run reindex-people on a table of before 2026-12-01', () => {
  const { table, contactIdOf, itemAt } = upgradedTable();

  it('counts on a dry run, files the conversation and the channel contact under their person, and finds nothing the second time', async () => {
    // Prepare
    const contactId = await contactIdOf();
    // Act
    const dry = await reindexLegacyPeople(table(), { dryRun: true });
    const afterDryRun = await itemAt(conversationKey(CONVERSATION));
    const run = await reindexLegacyPeople(table());
    const again = await reindexLegacyPeople(table());
    // Assess
    expect(dry).toEqual({
      found: 2,
      foundByKind: { conversation: 1, contact: 1, send: 0, pendingRedaction: 0, countedMarker: 0 },
      moved: 0,
      changedMeanwhile: 0,
      withoutPerson: 0,
    });
    expect(afterDryRun?.gsi3pk).toBe(LEGACY_ENTRY);
    expect(run).toEqual({
      found: 2,
      foundByKind: { conversation: 1, contact: 1, send: 0, pendingRedaction: 0, countedMarker: 0 },
      moved: 2,
      changedMeanwhile: 0,
      withoutPerson: 0,
    });
    expect(again).toEqual({
      found: 0,
      foundByKind: { conversation: 0, contact: 0, send: 0, pendingRedaction: 0, countedMarker: 0 },
      moved: 0,
      changedMeanwhile: 0,
      withoutPerson: 0,
    });
    const conversation = await itemAt(conversationKey(CONVERSATION));
    expect([conversation?.gsi3pk, conversation?.gsi3sk]).toEqual([
      `PERSON#${contactId}`,
      `CONV#${CONVERSATION}`,
    ]);
    // Nothing else of the item moved.
    expect(conversation?.version).toBe(12);
    const contact = await itemAt(contactItemKey(CONTACT_KEY));
    expect([contact?.gsi3pk, contact?.gsi3sk]).toEqual([`PERSON#${contactId}`, `CONTACT#${CONTACT_KEY}`]);
  });
});

describe('npm run reindex-people beside a hub that writes the conversation meanwhile', () => {
  const { context, table, itemAt } = upgradedTable();

  it('leaves an item written between its read and its write as that write left it', async () => {
    // Prepare: a merge files the conversation under someone else (a new version) just before the
    // run's first write
    context.beforeNextUpdate = async () => {
      await table().client.send(
        new UpdateItemCommand({
          TableName: table().tableName,
          Key: marshall(conversationKey(CONVERSATION)),
          UpdateExpression: 'SET gsi3pk = :person, #version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: marshall({ ':person': 'PERSON#ct_survivor', ':version': 13 }),
        }),
      );
    };
    // Act
    const run = await reindexLegacyPeople(table());
    const again = await reindexLegacyPeople(table());
    // Assess
    expect(run).toEqual({
      found: 2,
      foundByKind: { conversation: 1, contact: 1, send: 0, pendingRedaction: 0, countedMarker: 0 },
      moved: 1,
      changedMeanwhile: 1,
      withoutPerson: 0,
    });
    expect((await itemAt(conversationKey(CONVERSATION)))?.gsi3pk).toBe('PERSON#ct_survivor');
    expect(again.found).toBe(0);
  });
});

describe('the person of a conversation of before 2026-12-01, once the table is reindexed', () => {
  const { table, api, contactIdOf, itemAt, listedUnder } = upgradedTable();

  it('is read, listed, exported and erased with the conversation', async () => {
    // Prepare
    await reindexLegacyPeople(table());
    const contactId = await contactIdOf();
    // Act
    const person = await api('GET', `/v1/contacts/${contactId}`);
    const listed = await listedUnder(contactId);
    const exported = await api('GET', `/v1/contacts/${contactId}/export`);
    const erased = await api('DELETE', `/v1/contacts/${contactId}`);
    // Assess (before: 404, nothing listed, 404, 404)
    expect(person.status).toBe(200);
    expect(listed).toContain(CONVERSATION);
    expect(exported.status).toBe(200);
    expect(erased.status).toBe(200);
    expect(await itemAt(conversationKey(CONVERSATION))).toBeUndefined();
    expect(await itemAt(contactItemKey(CONTACT_KEY))).toBeUndefined();
  });
});

describe('a conversation of before 2026-12-01 saved again', () => {
  const { context, table, itemAt } = upgradedTable();

  it('is filed under its person by that save, in its one write', async () => {
    // Prepare
    const stored = await loadConversation(table(), CONVERSATION);
    const previous = stored.model;
    if (!previous) throw new Error('the fixture holds the conversation');
    context.commands.length = 0;
    // Act
    const saved = await saveConversation(table(), {
      model: { ...previous, state: { ...previous.state, version: previous.state.version + 1 } },
      previous,
      ...(stored.personEntry ? { personEntry: stored.personEntry } : {}),
      recentEventIds: stored.recentEventIds,
      lastChange: { eventId: 'evt_self_healing', previousStatus: previous.state.status },
    });
    // Assess
    const commands = [...context.commands];
    const item = await itemAt(conversationKey(CONVERSATION));
    expect(saved).toBe('saved');
    expect([item?.gsi3pk, item?.gsi3sk]).toEqual([
      `PERSON#${previous.state.contactId}`,
      `CONV#${CONVERSATION}`,
    ]);
    expect(commands).toEqual(['UpdateItemCommand']);
    expect(stored.personEntry).toBe(LEGACY_ENTRY);
  });
});

describe('the person of a conversation of before 2026-12-01 after the customer wrote again', () => {
  const { table, api, contactIdOf, itemAt, listedUnder } = upgradedTable();

  it('is listed and erased with the conversation, with no reindexing', async () => {
    // Prepare: today's recorder records the customer's next message in the thread (the fixture's own
    // events again would be redeliveries: no save)
    const next = smsReceived(PHONE, 'SMafter-the-upgrade', '2026-12-06T09:00:00.000Z', {
      endpointId: BUSINESS_NUMBER,
    });
    expect((next.data as { conversationId: string }).conversationId).toBe(CONVERSATION);
    await quietRecorder(table()).recordEvent(next);
    const contactId = await contactIdOf();
    // Act
    const listed = await listedUnder(contactId);
    const erased = await api('DELETE', `/v1/contacts/${contactId}`);
    // Assess (before: nothing listed; 200, with the conversation item, phone number and state, left)
    expect(listed).toContain(CONVERSATION);
    expect(erased.status).toBe(200);
    expect(await itemAt(conversationKey(CONVERSATION))).toBeUndefined();
  });
});

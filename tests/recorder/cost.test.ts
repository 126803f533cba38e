import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { type HubEvent, hubMessageIdFor } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { correlationIdFor } from '#shared/outbound/channel-sender.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { createRecorderStore, type RecorderStore } from '#shared/store/recorder-store.ts';
import { createSendStore } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute, sqsEvent, statusEvent } from './factories.ts';

describe('recorder cost per event', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let table: TableContext;
  let store: RecorderStore;
  const requests: { operation: string; units: number }[] = [];
  const published: HubEvent[][] = [];
  const logLines: string[] = [];
  const recorderOver = (recorderStore: RecorderStore) =>
    createRecorderService({
      store: recorderStore,
      publisher: { publish: async (events) => void published.push([...events]) },
      clock: () => new Date('2026-11-22T12:00:00.000Z'),
      logger: createLogger({ level: 'warn', write: (line) => void logLines.push(line) }),
    });
  beforeAll(async () => {
    emulators = await startEmulators();
    table = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
      onCapacity: (operation, capacity) => requests.push({ operation, units: capacity?.CapacityUnits ?? 0 }),
    };
    store = createRecorderStore(table, localPseudonymKey);
    recorder = recorderOver(store);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const measure = async (event: HubEvent) => {
    requests.length = 0;
    published.length = 0;
    await recorder.recordEvent(event);
    return { requests: [...requests], publishCalls: published.length, published: published.flat().length };
  };

  it('spends 2 reads, 2 writes and 1 publish on a message of a known conversation, every item within 1 KB', async () => {
    // Prepare
    await recorder.recordEvent(messageEvent('cost-1', 'cost-1-a', minute(1)));
    // Act
    const cost = await measure(messageEvent('cost-1', 'cost-1-b', minute(2), 'inbound', 'x'.repeat(300)));
    // Assess
    expect(cost.requests).toEqual([
      { operation: 'GetItem', units: 1 },
      { operation: 'GetItem', units: 1 },
      { operation: 'UpdateItem', units: 1 },
      { operation: 'PutItem', units: 1 },
    ]);
    expect(cost).toMatchObject({ publishCalls: 1, published: 2 });
  });

  it('adds the contact index only when the conversation is new (and, on WhatsApp, looks for the customer under their other identifiers)', async () => {
    // Act
    const cost = await measure(messageEvent('cost-2', 'cost-2-a', minute(1)));
    // Assess
    expect(cost.requests.map((request) => request.operation)).toEqual([
      'GetItem',
      'GetItem',
      // The identity links of the one identity (shared/store/contacts.ts findLinkedConversation),
      // then its claim of the new conversation (claimIdentities).
      'Query',
      'PutItem',
      // Whom a new person stands for after explicit merges (shared/store/person-merges.ts).
      'GetItem',
      'UpdateItem',
      'PutItem',
      'UpdateItem',
      'PutItem',
    ]);
  });

  it('skips a provider retry after one consistent read and spends one write on a status (and, on WhatsApp, a read of whether its id is an alias)', async () => {
    // Act
    const retry = await measure(messageEvent('cost-1', 'cost-1-a', minute(1)));
    const status = await measure(statusEvent('cost-1', 'cost-1-a', 'read', minute(3)));
    // Assess
    expect(retry).toEqual({ requests: [{ operation: 'GetItem', units: 1 }], publishCalls: 0, published: 0 });
    expect(status).toEqual({
      requests: [
        // The conversation id's alias attribute (shared/store/conversations.ts loadConversationAlias).
        { operation: 'GetItem', units: 1 },
        { operation: 'UpdateItem', units: 1 },
      ],
      publishCalls: 1,
      published: 1,
    });
  });

  describe('a batch from the queue', () => {
    const batchOf = (events: readonly HubEvent[]) =>
      sqsEvent(
        events.map((event, index) => ({
          id: `record-${index}`,
          group: 'subject' in event && event.subject ? event.subject : `group-${index}`,
          body: JSON.stringify(event),
        })),
      );
    const operations = () => {
      const counts: Record<string, number> = {};
      for (const { operation } of requests) counts[operation] = (counts[operation] ?? 0) + 1;
      return counts;
    };

    it('reads its messages in one BatchGetItem, then writes; the next message of a conversation starts from the write before it', async () => {
      // Prepare: five known conversations, two new messages each in one batch
      const customers = ['batch-a', 'batch-b', 'batch-c', 'batch-d', 'batch-e'];
      for (const customer of customers)
        await recorder.recordEvent(messageEvent(customer, `${customer}-0`, minute(1)));
      const events = customers.flatMap((customer) => [
        messageEvent(customer, `${customer}-1`, minute(2)),
        messageEvent(customer, `${customer}-2`, minute(3)),
      ]);
      requests.length = 0;
      published.length = 0;
      // Act
      const response = await recorder.handleSqsEvent(batchOf(events));
      // Assess: ten done-markers and five conversations in one request, no read of their own
      expect(response.batchItemFailures).toEqual([]);
      expect(operations()).toEqual({ BatchGetItem: 1, UpdateItem: 10, PutItem: 10 });
      expect(requests.find((request) => request.operation === 'BatchGetItem')?.units).toBe(15);
      const messages = published.flat().filter((event) => event.type === 'switchboard.message.received');
      expect(messages.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
      for (const customer of customers) {
        const stored = await loadConversation(table, conversationFor(customer).conversationId);
        expect(stored.model?.state.version).toBe(3);
      }
    });

    it('skips a redelivered batch on that one read', async () => {
      // Prepare
      const events = ['batch-r1', 'batch-r2'].map((customer) =>
        messageEvent(customer, `${customer}-1`, minute(2)),
      );
      await recorder.handleSqsEvent(batchOf(events));
      requests.length = 0;
      published.length = 0;
      // Act
      const response = await recorder.handleSqsEvent(batchOf(events));
      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(operations()).toEqual({ BatchGetItem: 1 });
      expect(published).toEqual([]);
    });

    it('reads a conversation again when it changed after the batch read, and loses nothing', async () => {
      // Prepare: another writer records a message in between the batch read and the batch's write
      const customer = 'batch-raced';
      await recorder.recordEvent(messageEvent(customer, `${customer}-0`, minute(1)));
      const racing = createRecorderStore(table, localPseudonymKey);
      const raced: RecorderStore = {
        ...racing,
        readForBatch: async (hubMessageIds, conversationIds, sendIds) => {
          const read = await racing.readForBatch(hubMessageIds, conversationIds, sendIds);
          await recorder.recordEvent(messageEvent(customer, `${customer}-other`, minute(2)));
          return read;
        },
      };
      requests.length = 0;
      published.length = 0;
      logLines.length = 0;
      // Act
      const response = await recorderOver(raced).handleSqsEvent(
        batchOf([messageEvent(customer, `${customer}-1`, minute(3))]),
      );
      // Assess: the write over the batch's read conflicted, the conversation was read again, both messages count
      expect(response.batchItemFailures).toEqual([]);
      const batchRequests = requests.slice(
        requests.findIndex((request) => request.operation === 'BatchGetItem'),
      );
      expect(batchRequests.map((request) => request.operation)).toEqual([
        'BatchGetItem',
        // the racing writer's message
        'GetItem',
        'GetItem',
        'UpdateItem',
        'PutItem',
        // the batch's: its write conflicted (a failed condition reports no capacity), read again, written
        'GetItem',
        'UpdateItem',
        'PutItem',
      ]);
      const stored = await loadConversation(table, conversationFor(customer).conversationId);
      expect(stored.model?.state.version).toBe(3);
      expect(stored.recentEventIds).toHaveLength(3);
      expect(logLines.filter((line) => line.includes('conversation changed concurrently'))).toHaveLength(1);
    });

    it('reads the sends and WhatsApp conversations its statuses name in that one read: a status of a send the sender accepted spends only its write', async () => {
      // Prepare: two known conversations, a send to each: one accepted, one whose call went unanswered
      const sends = createSendStore(table);
      const at = minute(1);
      const claimSend = async (customer: string, hubMessageId: string) => {
        await sends.claim({
          hubMessageId,
          conversationId: conversationFor(customer).conversationId,
          commandId: `command-${hubMessageId}`,
          commandHash: 'hash',
          state: 'sending',
          acceptedAt: at,
          messageCount: 1,
          next: 0,
          providerIds: [],
          links: {},
        });
        await sends.startAttempt(hubMessageId, 0, at, `delivery-${hubMessageId}`);
      };
      const accepted = hubMessageIdFor('whatsapp', 'hub-send-accepted');
      const unanswered = hubMessageIdFor('whatsapp', 'hub-send-unanswered');
      for (const customer of ['batch-s1', 'batch-s2'])
        await recorder.recordEvent(messageEvent(customer, `${customer}-0`, at));
      await claimSend('batch-s1', accepted);
      await sends.accept(accepted, 0, 'wamid.batch-accepted', at);
      await claimSend('batch-s2', unanswered);
      const statusOfSend = (
        customer: string,
        hubMessageId: string,
        providerMessageId: string,
        status: 'delivered' | 'read',
        when: string,
      ): HubEvent => {
        const event = statusEvent(customer, providerMessageId, status, when);
        return {
          ...event,
          data: { ...event.data, correlationId: correlationIdFor(hubMessageId, 0) },
        } as HubEvent;
      };
      const events = [
        statusOfSend('batch-s1', accepted, 'wamid.batch-accepted', 'delivered', minute(2)),
        statusOfSend('batch-s1', accepted, 'wamid.batch-accepted', 'read', minute(3)),
        statusOfSend('batch-s2', unanswered, 'wamid.batch-unanswered', 'delivered', minute(2)),
      ];
      requests.length = 0;
      published.length = 0;
      // Act
      const response = await recorder.handleSqsEvent(batchOf(events));
      // Assess: both conversations and both sends in one read; the accepted send's statuses read
      // nothing more (each writes its register); the unanswered one's reads its send and links it
      expect(response.batchItemFailures).toEqual([]);
      expect(operations()).toEqual({ BatchGetItem: 1, GetItem: 1, UpdateItem: 4 });
      expect(requests.find((request) => request.operation === 'BatchGetItem')?.units).toBe(4);
      expect((await sends.get(unanswered))?.links).toEqual({ '0': 'wamid.batch-unanswered' });
      expect((await sends.get(accepted))?.links).toEqual({});
      expect(
        published
          .flat()
          .map((event) => event.id)
          .sort(),
      ).toEqual(events.map((event) => event.id).sort());
    });
  });
});

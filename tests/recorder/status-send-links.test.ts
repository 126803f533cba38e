import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { type HubEvent, hubMessageIdFor } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { correlationIdFor } from '#shared/outbound/channel-sender.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { sendKey } from '#shared/store/keys.ts';
import { createRecorderStore, type RecorderStore } from '#shared/store/recorder-store.ts';
import { createSendStore, type SendRecord } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute, sqsEvent, statusEvent } from './factories.ts';

/**
 * A status of one of the hub's sends links the send (its provider id, for a call that went
 * unanswered) exactly when it would alone, whether its batch's one read took the send
 * (handleSqsEvent: the recorder skips the link when that read says the send can no longer await it)
 * or the status reads it itself (recordEvent), in every state a send can be in.
 */
describe('a status links its send alike in a batch and alone', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let store: RecorderStore;
  let recorder: RecorderService;
  beforeAll(async () => {
    emulators = await startEmulators();
    table = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
    };
    store = createRecorderStore(table, localPseudonymKey);
    recorder = recorderOver(store);
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  const recorderOver = (recorderStore: RecorderStore) =>
    createRecorderService({
      store: recorderStore,
      publisher: { publish: async () => undefined },
      clock: () => new Date('2026-11-22T12:00:00.000Z'),
      logger: createLogger({ level: 'error', write: () => undefined }),
    });
  const batchOf = (events: readonly HubEvent[]) =>
    sqsEvent(
      events.map((event, index) => ({ id: `r-${index}`, group: `g-${index}`, body: JSON.stringify(event) })),
    );
  const statusOf = (
    customer: string,
    hubMessageId: string,
    seq: number,
    pid: string,
    status: 'delivered' | 'read',
  ) => {
    const event = statusEvent(customer, pid, status, minute(5));
    return {
      ...event,
      data: { ...event.data, correlationId: correlationIdFor(hubMessageId, seq) },
    } as HubEvent;
  };
  const base = (customer: string, hubMessageId: string, messageCount = 1): SendRecord => ({
    hubMessageId,
    conversationId: conversationFor(customer).conversationId,
    commandId: `c-${hubMessageId}`,
    commandHash: 'hash',
    state: 'sending',
    acceptedAt: minute(1),
    messageCount,
    next: 0,
    providerIds: [],
    links: {},
  });
  type Setup = (customer: string, id: string) => Promise<void>;
  const sends = () => createSendStore(table);
  const cases: Record<string, { setup: Setup; seq: number; linked: boolean }> = {
    'in flight, unanswered': {
      setup: async (c, id) => {
        await sends().claim(base(c, id));
        await sends().startAttempt(id, 0, minute(1), 'd');
      },
      seq: 0,
      linked: true,
    },
    'failed outcome_unknown on that message': {
      setup: async (c, id) => {
        await sends().claim(base(c, id));
        await sends().startAttempt(id, 0, minute(1), 'd');
        await sends().fail(
          id,
          { reason: 'outcome_unknown', retryable: false, decidedAt: minute(2) },
          { index: 0, attempt: { at: minute(1), by: 'd' } },
        );
      },
      // It went after all: linked for erasure to find (until 2026-12-07 named by no record), the
      // send's outcome unchanged (tests/contacts/failed-send-erasure.test.ts).
      seq: 0,
      linked: true,
    },
    'a later message not yet attempted': {
      setup: async (c, id) => {
        await sends().claim(base(c, id, 2));
        await sends().startAttempt(id, 0, minute(1), 'd');
      },
      seq: 1,
      linked: false,
    },
    'released (throttled), nothing in flight': {
      setup: async (c, id) => {
        await sends().claim(base(c, id));
        await sends().startAttempt(id, 0, minute(1), 'd');
        await sends().release(id, 0, minute(2), 'd', { waits: 0 });
      },
      seq: 0,
      linked: false,
    },
    'already linked by an earlier status': {
      setup: async (c, id) => {
        await sends().claim(base(c, id));
        await sends().startAttempt(id, 0, minute(1), 'd');
        await sends().linkIfAwaited(id, 0, `wamid.${c}`);
      },
      seq: 0,
      linked: true,
    },
    'no send kept': { setup: async () => undefined, seq: 0, linked: false },
  };

  for (const [name, { setup, seq, linked }] of Object.entries(cases)) {
    for (const path of ['batch', 'alone'] as const) {
      it(`${name}: ${path}`, async () => {
        // Prepare
        const customer = `rv-${name.replace(/\W/g, '')}-${path}`;
        await recorder.recordEvent(messageEvent(customer, `${customer}-0`, minute(1)));
        const id = hubMessageIdFor('whatsapp', `hub-${customer}`);
        await setup(customer, id);
        const events = [
          statusOf(customer, id, seq, `wamid.${customer}`, 'delivered'),
          statusOf(customer, id, seq, `wamid.${customer}`, 'read'),
        ];
        // Act
        if (path === 'batch') {
          const response = await recorder.handleSqsEvent(batchOf(events));
          expect(response.batchItemFailures).toEqual([]);
        } else for (const event of events) await recorder.recordEvent(event);
        // Assess
        const after = await sends().get(id);
        expect(after?.links[String(seq)] !== undefined).toBe(linked);
      });
    }
  }

  it('a send item that fails its schema fails the status in a batch, as alone', async () => {
    // Prepare
    const customer = 'rv-corrupt';
    await recorder.recordEvent(messageEvent(customer, `${customer}-0`, minute(1)));
    const id = hubMessageIdFor('whatsapp', `hub-${customer}`);
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: marshall({ ...sendKey(id), state: 'bogus', links: {} }),
      }),
    );
    const event = statusOf(customer, id, 0, 'wamid.corrupt', 'delivered');
    // Act
    const response = await recorder.handleSqsEvent(batchOf([event]));
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'r-0' }]);
    await expect(recorder.recordEvent(event)).rejects.toThrow();
  });

  it('a send accepted between the batch read and the status is not linked (as alone after the accept)', async () => {
    // Prepare
    const customer = 'rv-race';
    await recorder.recordEvent(messageEvent(customer, `${customer}-0`, minute(1)));
    const id = hubMessageIdFor('whatsapp', `hub-${customer}`);
    await sends().claim(base(customer, id));
    await sends().startAttempt(id, 0, minute(1), 'd');
    const racing: RecorderStore = {
      ...store,
      readForBatch: async (...args) => {
        const read = await store.readForBatch(...args);
        await sends().accept(id, 0, 'wamid.rv-race', minute(2));
        return read;
      },
    };
    // Act
    const response = await recorderOver(racing).handleSqsEvent(
      batchOf([statusOf(customer, id, 0, 'wamid.rv-race', 'delivered')]),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await sends().get(id))?.links).toEqual({});
  });
});

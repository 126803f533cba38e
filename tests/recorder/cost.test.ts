import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubEvent } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { messageEvent, minute, statusEvent } from './factories.ts';

describe('recorder cost per event', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  const requests: { operation: string; units: number }[] = [];
  const published: HubEvent[][] = [];
  beforeAll(async () => {
    emulators = await startEmulators();
    const store = createRecorderStore({
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
      onCapacity: (operation, capacity) => requests.push({ operation, units: capacity?.CapacityUnits ?? 0 }),
    });
    recorder = createRecorderService({
      store,
      publisher: { publish: async (events) => void published.push([...events]) },
      clock: () => new Date('2026-11-22T12:00:00.000Z'),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
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

  it('skips a provider retry after one consistent read and spends one write on a status', async () => {
    // Act
    const retry = await measure(messageEvent('cost-1', 'cost-1-a', minute(1)));
    const status = await measure(statusEvent('cost-1', 'cost-1-a', 'read', minute(3)));
    // Assess
    expect(retry).toEqual({ requests: [{ operation: 'GetItem', units: 1 }], publishCalls: 0, published: 0 });
    expect(status).toEqual({
      requests: [{ operation: 'UpdateItem', units: 1 }],
      publishCalls: 1,
      published: 1,
    });
  });
});

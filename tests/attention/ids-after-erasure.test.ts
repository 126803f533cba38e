import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAttentionSweeper, createSweepMemory } from '#shared/attention/sweeper.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { ResponseTargets } from '#shared/config/runtime.ts';
import { type HubEvent, stableHash } from '#shared/contract/index.ts';
import { applyEvent, type MessageEvent } from '#shared/domain/conversation.ts';
import { createTable, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';
import { loadConversation, saveConversation } from '#shared/store/conversations.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';

/*
 * An erasure deletes a conversation, and the customer's next message creates it again under the same
 * id, its versions from 1 again. A response_overdue's id names its wait by the conversation and the
 * version the wait began at, so the new conversation's first wait had the very id of the erased one's
 * first wait, and a helpdesk deduplicating on ids (as the README asks, for 14 days) dropped it (found
 * by a review on 2026-12-06). A conversation names its origin (the message that created it) since,
 * and its waits' ids name it too; one stored before keeps the ids it had. One fresh table per test,
 * against the local DynamoDB.
 */
const TARGETS: ResponseTargets = { messenger: 900, whatsapp: 900, sms: 900, email: 14_400 };
const silent = createLogger({ level: 'error', write: () => {} });

describe('response_overdue of a conversation created again after an erasure', () => {
  let emulators: RunningEmulators;
  let dynamodb: DynamoDBClient;
  let tableCount = 0;
  let table: TableContext;
  let published: HubEvent[];

  beforeAll(async () => {
    emulators = await startEmulators();
    dynamodb = emulators.clients.dynamodb;
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  beforeEach(async () => {
    tableCount += 1;
    const tableName = `erased-ids-${tableCount}`;
    await createTable(dynamodb, { ...HUB_TABLE, name: tableName });
    table = { client: dynamodb, tableName, now: () => new Date(minute(0)) };
    published = [];
  });

  const record = (event: HubEvent) =>
    createRecorderService({
      store: createRecorderStore(table, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(event.time),
      logger: silent,
    }).recordEvent(event);
  const sweepAt = (n: number) =>
    createAttentionSweeper({
      table,
      publishEvent: async (event) => {
        published.push(event);
      },
      targets: TARGETS,
      memory: createSweepMemory(),
      logger: silent,
    }).sweep(new Date(minute(n)));
  const overdueEvents = () =>
    published.filter((event) => event.type === 'switchboard.conversation.response_overdue');
  const erase = async (conversationId: string) => {
    const contactId = (await loadConversation(table, conversationId)).model?.state.contactId ?? '';
    await erasePerson({ pseudonymKey: localPseudonymKey, table, deleteObjects: async () => {} }, contactId);
  };

  it('gives the first wait of the conversation created again an id of its own', async () => {
    // Prepare: the customer waits past the target and is reported; then the person is erased
    const { conversationId } = conversationFor('erased-wait');
    await record(messageEvent('erased-wait', 'w1', minute(0)));
    await sweepAt(16);
    await erase(conversationId);
    expect((await loadConversation(table, conversationId)).model).toBeUndefined();
    // Act: the customer writes again the next day, and waits past the target again
    await record(messageEvent('erased-wait', 'w2', minute(24 * 60)));
    await sweepAt(24 * 60 + 16);
    // Assess: two waits, each at version 1 of its conversation, two reports, two ids
    const [erased, again] = overdueEvents();
    expect(overdueEvents()).toHaveLength(2);
    expect(again?.data).toMatchObject({ conversationId, waitingSince: minute(24 * 60) });
    expect(again?.id).not.toBe(erased?.id);
  });

  it('reports the wait of a conversation created again between a sweep’s report and its note', async () => {
    // Prepare: while the sweep publishes the old wait's report, the person is erased and writes again
    const { conversationId } = conversationFor('erased-mid-sweep');
    await record(messageEvent('erased-mid-sweep', 'm1', minute(0)));
    let interleaved = false;
    const racingSweep = createAttentionSweeper({
      table,
      publishEvent: async (event) => {
        published.push(event);
        if (interleaved) return;
        interleaved = true;
        await erase(conversationId);
        await record(messageEvent('erased-mid-sweep', 'm2', minute(16)));
      },
      targets: TARGETS,
      memory: createSweepMemory(),
      logger: silent,
    });
    await racingSweep.sweep(new Date(minute(16)));
    // Act: the new conversation's customer waits past the target
    await sweepAt(40);
    // Assess: the old wait's report, then the new one's, with the new wait's time
    expect(overdueEvents().map((event) => event.data)).toEqual([
      expect.objectContaining({ conversationId, waitingSince: minute(0) }),
      expect.objectContaining({ conversationId, waitingSince: minute(16) }),
    ]);
  });

  it('keeps the id a wait had for a conversation stored before conversations named their origin', async () => {
    // Prepare: a conversation as stored before 2026-12-06 (no origin), its customer waiting
    const { conversationId } = conversationFor('stored-before');
    const { origin: _none, ...model } = applyEvent(
      undefined,
      messageEvent('stored-before', 'b1', minute(0)) as MessageEvent,
    ).model;
    const saved = await saveConversation(table, {
      model,
      previous: undefined,
      recentEventIds: [],
      lastChange: { eventId: 'evt_stored-before', previousStatus: null },
    });
    expect(saved).toBe('saved');
    // Act
    await sweepAt(16);
    // Assess: the id its report had before (a retry across the deploy repeats it, never a second)
    expect(overdueEvents().map((event) => event.id)).toEqual([
      `evt_${stableHash('event', 'response_overdue', conversationId, '1')}`,
    ]);
  });
});

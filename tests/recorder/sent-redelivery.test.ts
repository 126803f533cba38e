import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { createEventRecorder } from '#shared/recorder/record-event.ts';
import { loadConversation, RECENT_EVENT_LIMIT } from '#shared/store/conversations.ts';
import { createRecorderStore, type RecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute, sqsEvent } from '#tests/recorder/factories.ts';

/*
 * A real crash (Lambda timeout, OOM, a killed process) after the conversation write runs no catch
 * block, so no counted-marker is written. The sender's recording of a reply (outbox queue) is not
 * held behind the customer's messages (ingest queue): eight customer messages before the outbox
 * redelivers the command push the reply out of the conversation's recent event ids, so the hub's
 * sends are remembered apart (RECENT_SEND_LIMIT).
 */
describe('a reply whose recording died after the conversation write', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let store: RecorderStore;
  const published: HubEvent[] = [];
  const logger = createLogger({ level: 'error', write: () => {} });
  const clock = () => new Date('2026-11-22T12:00:00.000Z');
  beforeAll(async () => {
    emulators = await startEmulators();
    table = { client: emulators.clients.dynamodb, tableName: emulators.resources.tableName, now: clock };
    store = createRecorderStore(table, localPseudonymKey);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('counts the reply once when it is recorded again after eight customer messages', async () => {
    // Prepare: the customer writes; the sender records the reply and "crashes" right after the
    // conversation write (the process dies: no counted-marker, no done-marker)
    const customer = 'review-window';
    const { conversationId } = conversationFor(customer);
    const ingest = createRecorderService({
      store,
      publisher: { publish: async (events) => void published.push(...events) },
      clock,
      logger,
    });
    const deliver = async (event: HubEvent) =>
      (
        await ingest.handleSqsEvent(
          sqsEvent([{ id: event.id, group: event.subject ?? event.id, body: JSON.stringify(event) }]),
        )
      ).batchItemFailures.length;
    expect(await deliver(messageEvent(customer, `${customer}-q`, minute(1)))).toBe(0);
    const outbound = messageEvent(customer, `${customer}-reply`, minute(2), 'outbound');
    if (outbound.type !== 'switchboard.message.sent') throw new Error('not a sent message');
    const reply: HubEvent = { ...outbound, data: { ...outbound.data, sentBy: 'hub' } };
    class Crash extends Error {}
    const dying = createEventRecorder({
      store: {
        ...store,
        // the process is gone: nothing after the conversation write happens
        putCountedMarker: async () => {
          throw new Crash('process gone');
        },
      },
      clock,
      logger,
      afterStep: (step) => {
        if (step === 'save-conversation') throw new Crash('process gone');
      },
    });
    const publisher = { publish: async (events: readonly HubEvent[]) => void published.push(...events) };
    await expect(
      dying(reply, publisher, { conversation: await loadConversation(table, conversationId) }),
    ).rejects.toBeInstanceOf(Crash);
    // Meanwhile (before the outbox redelivers the command) the customer writes eight more messages
    for (let index = 0; index < RECENT_EVENT_LIMIT; index++)
      expect(await deliver(messageEvent(customer, `${customer}-more-${index}`, minute(3 + index)))).toBe(0);
    // Act: the outbox redelivers the command and the sender records the reply again, as finishSent does
    const sender = createEventRecorder({ store, clock, logger });
    await sender(reply, publisher, { conversation: await loadConversation(table, conversationId) });
    // Assess: 1 question + 1 reply + 8 messages
    const after = await loadConversation(table, conversationId);
    expect(after.model?.state.messageCount).toBe(1 + 1 + RECENT_EVENT_LIMIT);
  });
});

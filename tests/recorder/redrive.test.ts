import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { isMessageEvent, type MessageEvent } from '#shared/domain/conversation.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { loadConversation, RECENT_EVENT_LIMIT } from '#shared/store/conversations.ts';
import {
  claimMessage,
  getMessage,
  markFor,
  putCountedMarker,
  putMessage,
  readMessageKey,
} from '#shared/store/messages.ts';
import { createRecorderStore, type RecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute, sqsEvent } from './factories.ts';

const message = (...args: Parameters<typeof messageEvent>): MessageEvent => {
  const event = messageEvent(...args);
  if (!isMessageEvent(event)) throw new Error('factory built a non-message');
  return event;
};

describe('recorder: a message redriven after its conversation forgot its event id', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let store: RecorderStore;
  let healthy: RecorderService;
  const published: HubEvent[] = [];
  const recorderOver = (recorderStore: RecorderStore): RecorderService =>
    createRecorderService({
      store: recorderStore,
      publisher: { publish: async (events) => void published.push(...events) },
      clock: () => new Date('2026-11-22T12:00:00.000Z'),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
  beforeAll(async () => {
    emulators = await startEmulators();
    table = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
    };
    store = createRecorderStore(table, localPseudonymKey);
    healthy = recorderOver(store);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** One receive of the event, as the Lambda gets it from the ingest queue; how many records failed. */
  const deliver = async (service: RecorderService, event: HubEvent): Promise<number> => {
    const response = await service.handleSqsEvent(
      sqsEvent([{ id: event.id, group: event.subject ?? event.id, body: JSON.stringify(event) }]),
    );
    return response.batchItemFailures.length;
  };

  /** Every receive the ingest queue allows, each failing: then SQS moves the event to the dead-letter queue. */
  const deadLetter = async (service: RecorderService, event: HubEvent): Promise<void> => {
    for (let receive = 1; receive <= INGEST_QUEUE.maxReceiveCount; receive++)
      expect(await deliver(service, event)).toBe(1);
  };

  /** More messages of the conversation than it remembers event ids, each recorded. */
  const moreThanRemembered = async (customer: string): Promise<void> => {
    for (let index = 0; index < RECENT_EVENT_LIMIT; index++)
      expect(await deliver(healthy, message(customer, `${customer}-later-${index}`, minute(3 + index)))).toBe(
        0,
      );
  };

  const doneMarkerFails = (base: RecorderStore): RecorderStore => ({
    ...base,
    putMessage: async () => {
      throw new Error('done-marker write failed');
    },
  });

  /** The message's mark as its own conversation sees it. */
  const readMark = async (event: MessageEvent) =>
    markFor(await readMessageKey(table, event.data.hubMessageId), event.data.conversationId);
  const stateChanges = (events: readonly HubEvent[]) =>
    events.filter((event) => event.type === 'switchboard.conversation.state_changed');

  it('counts a message once when its done-marker failed on every receive and it is redriven after eight more messages', async () => {
    // Prepare: the message counts in its conversation, then its done-marker fails until it is dead-lettered
    const customer = 'redrive-a';
    const { conversationId } = conversationFor(customer);
    expect(await deliver(healthy, message(customer, `${customer}-0`, minute(1)))).toBe(0);
    const failed = message(customer, `${customer}-1`, minute(2));
    await deadLetter(recorderOver(doneMarkerFails(store)), failed);
    await moreThanRemembered(customer);
    const before = await loadConversation(table, conversationId);
    published.length = 0;
    // Act: the cause is fixed, the dead-letter queue redriven
    const failures = await deliver(healthy, failed);
    // Assess: counted once, no second state change; the message told again and recorded
    expect(failures).toBe(0);
    const after = await loadConversation(table, conversationId);
    expect(after.model?.state).toMatchObject({ messageCount: 10, unreadCount: 10, version: 10 });
    expect(after.model).toEqual(before.model);
    expect(stateChanges(published)).toEqual([]);
    expect(published.map((event) => event.id)).toEqual([failed.id]);
    expect(await getMessage(table, failed.data.hubMessageId)).toMatchObject({
      providerMessageId: `${customer}-1`,
    });
  });

  it('counts it once too when the failing receive could not note it and a later receive did', async () => {
    // Prepare: the first receive also fails to note that the message counted (as after a crash)
    const customer = 'redrive-b';
    const { conversationId } = conversationFor(customer);
    expect(await deliver(healthy, message(customer, `${customer}-0`, minute(1)))).toBe(0);
    const failed = message(customer, `${customer}-1`, minute(2));
    let notes = 0;
    const failing = doneMarkerFails(store);
    await deadLetter(
      recorderOver({
        ...failing,
        putCountedMarker: async (event, claimedBy) => {
          notes++;
          if (notes === 1) throw new Error('counted-marker write failed');
          await failing.putCountedMarker(event, claimedBy);
        },
      }),
      failed,
    );
    await moreThanRemembered(customer);
    published.length = 0;
    // Act
    const failures = await deliver(healthy, failed);
    // Assess: the second receive found the event among the recent ids and noted it; the later ones read the note
    expect(failures).toBe(0);
    const after = await loadConversation(table, conversationId);
    expect(after.model?.state).toMatchObject({ messageCount: 10, unreadCount: 10, version: 10 });
    expect(stateChanges(published)).toEqual([]);
    expect(notes).toBe(2);
  });

  it('counts a message that failed before its conversation took it when it is redriven later', async () => {
    // Prepare: the conversation write fails on every receive (nothing counted, nothing noted)
    const customer = 'redrive-c';
    const { conversationId } = conversationFor(customer);
    expect(await deliver(healthy, message(customer, `${customer}-0`, minute(1)))).toBe(0);
    const failed = message(customer, `${customer}-1`, minute(2));
    await deadLetter(
      recorderOver({
        ...store,
        saveConversation: async () => {
          throw new Error('conversation write failed');
        },
      }),
      failed,
    );
    await moreThanRemembered(customer);
    published.length = 0;
    // Act
    const failures = await deliver(healthy, failed);
    // Assess: counted now, with its state change
    expect(failures).toBe(0);
    const after = await loadConversation(table, conversationId);
    expect(after.model?.state).toMatchObject({ messageCount: 10, unreadCount: 10, version: 10 });
    expect(stateChanges(published)).toHaveLength(1);
  });

  it('lets a claim take the key over an expired counted-marker, whichever conversation it named', async () => {
    // Prepare: a counted-marker of another conversation, expired (a mail sent again past the retention)
    const earlier = message('redrive-e', 'redrive-e-1', minute(1));
    await putCountedMarker(table, earlier, 'conv_another', -1);
    // Act
    const claimed = await claimMessage(table, earlier.data.hubMessageId, earlier.data.conversationId);
    // Assess: claimed, and seen as this conversation's own claim (until 2026-12-05 the expired marker
    // refused the claim while reading as absent, so the delivery failed until TTL deleted the item)
    expect(claimed).toBe(true);
    expect(await readMark(earlier)).toBe('absent');
    expect(markFor(await readMessageKey(table, earlier.data.hubMessageId), 'conv_another')).toBe('elsewhere');
  });

  it('never lets a counted-marker replace a message record, and replaces it with the record', async () => {
    // Prepare
    const recorded = message('redrive-d', 'redrive-d-1', minute(1));
    const noted = message('redrive-d', 'redrive-d-2', minute(2));
    // Act
    await putMessage(table, recorded);
    await putCountedMarker(table, recorded, recorded.data.conversationId);
    await putCountedMarker(table, noted, noted.data.conversationId);
    const notedMark = await readMark(noted);
    await putMessage(table, noted);
    // Assess
    expect(await readMark(recorded)).toBe('recorded');
    expect(await getMessage(table, recorded.data.hubMessageId)).toMatchObject({
      providerMessageId: 'redrive-d-1',
    });
    expect(notedMark).toBe('counted');
    expect(await readMark(noted)).toBe('recorded');
  });
});

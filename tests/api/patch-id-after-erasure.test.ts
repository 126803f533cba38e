import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse } from '#shared/api/http.ts';
import { createHelpdeskApi, type HelpdeskApi } from '#shared/api/router.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { type HubEvent, type HubEventOf, stableHash } from '#shared/contract/index.ts';
import { applyEvent, type MessageEvent } from '#shared/domain/conversation.ts';
import { stateChangedEventId } from '#shared/domain/state-changed.ts';
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
 * A PATCH's state_changed id hashes the conversation, the If-Match version, the change and its actor.
 * An erasure deletes a conversation and the customer's next message creates it again under the same
 * id at version 1, so the same agent making the same change at the same version published the erased
 * conversation's event id, which the helpdesk dropped as a repeat (found by a review on 2026-12-06).
 * The conversation's origin (the message that created it) is part of the cause since; a conversation
 * stored before names none and keeps its ids. One fresh table per test, against the local DynamoDB.
 */
const silent = createLogger({ level: 'error', write: () => {} });
const AGENT = 'arn:aws:iam::123456789012:user/agent-7';
type StateChanged = HubEventOf<'switchboard.conversation.state_changed'>;

describe('a PATCH of a conversation created again after an erasure', () => {
  let emulators: RunningEmulators;
  let dynamodb: DynamoDBClient;
  let tableCount = 0;
  let table: TableContext;
  let api: HelpdeskApi;
  let published: HubEvent[];
  let clock: Date;

  beforeAll(async () => {
    emulators = await startEmulators();
    dynamodb = emulators.clients.dynamodb;
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  beforeEach(async () => {
    tableCount += 1;
    const tableName = `patch-erased-${tableCount}`;
    await createTable(dynamodb, { ...HUB_TABLE, name: tableName });
    clock = new Date(minute(10));
    table = { client: dynamodb, tableName, now: () => clock };
    published = [];
    api = createHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      table,
      publishEvent: async (event) => {
        published.push(event);
      },
      enqueueCommand: async () => undefined,
      clock: () => clock,
      newId: () => 'fixed',
      deleteObjects: async () => undefined,
      media: s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3),
      logger: silent,
    });
  });

  const customerWrites = (customer: string, id: string, n: number) =>
    createRecorderService({
      store: createRecorderStore(table, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(minute(n)),
      logger: silent,
    }).recordEvent(messageEvent(customer, id, minute(n)));
  const pathOf = (customer: string) => `/v1/conversations/${conversationFor(customer).conversationId}`;
  const etagOf = async (customer: string): Promise<string> => {
    const read = await api({ method: 'GET', path: pathOf(customer), query: {}, headers: {}, principal: 'p' });
    return read.headers.etag ?? '';
  };
  const resolve = (customer: string, etag: string): Promise<ApiResponse> =>
    api({
      method: 'PATCH',
      path: pathOf(customer),
      query: {},
      headers: { 'if-match': etag, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'resolved' }),
      principal: AGENT,
    } satisfies ApiRequest);
  const stateChanges = () =>
    published.filter(
      (event): event is StateChanged => event.type === 'switchboard.conversation.state_changed',
    );
  const erase = async (customer: string) => {
    const { conversationId } = conversationFor(customer);
    const contactId = (await loadConversation(table, conversationId)).model?.state.contactId ?? '';
    await erasePerson({ pseudonymKey: localPseudonymKey, table, deleteObjects: async () => {} }, contactId);
  };

  it('publishes the same change of the conversation created again under an id of its own', async () => {
    // Prepare: a conversation resolved by an agent at version 1, then its person erased
    await customerWrites('patch-erased', 'p1', 0);
    expect((await resolve('patch-erased', await etagOf('patch-erased'))).status).toBe(200);
    await erase('patch-erased');
    // Act: the customer writes again the next day; the agent resolves the new conversation at version 1
    clock = new Date(minute(24 * 60 + 10));
    await customerWrites('patch-erased', 'p2', 24 * 60);
    const again = await resolve('patch-erased', await etagOf('patch-erased'));
    // Assess: two changes, two causes, two ids
    const [erased, recreated] = stateChanges();
    expect(again.status).toBe(200);
    expect(stateChanges()).toHaveLength(2);
    expect(recreated?.data.state.version).toBe(erased?.data.state.version);
    expect(recreated?.data.causedBy).not.toBe(erased?.data.causedBy);
    expect(recreated?.id).not.toBe(erased?.id);
  });

  it('answers a retry of that change as the change, publishing its event again under the same id', async () => {
    // Prepare: the conversation created again after an erasure, resolved once
    await customerWrites('patch-retried', 'r1', 0);
    await erase('patch-retried');
    await customerWrites('patch-retried', 'r2', 60);
    const etag = await etagOf('patch-retried');
    expect((await resolve('patch-retried', etag)).status).toBe(200);
    // Act: the same request again (its answer lost)
    const retried = await resolve('patch-retried', etag);
    // Assess
    expect(retried.status).toBe(200);
    expect(stateChanges().map((event) => event.id)).toEqual([stateChanges()[0]?.id, stateChanges()[0]?.id]);
  });

  it('keeps the id of a change to a conversation stored before conversations named their origin', async () => {
    // Prepare: a conversation as stored before 2026-12-06 (no origin), at version 1
    const { conversationId } = conversationFor('patch-before');
    const { origin: _none, ...model } = applyEvent(
      undefined,
      messageEvent('patch-before', 'b1', minute(0)) as MessageEvent,
    ).model;
    await saveConversation(table, {
      model,
      previous: undefined,
      recentEventIds: [],
      lastChange: { eventId: 'evt_patch-before', previousStatus: null },
    });
    // Act
    const answer = await resolve('patch-before', await etagOf('patch-before'));
    // Assess: the cause and id that change had before (a retry across the deploy repeats them)
    const causedBy = `chg_${stableHash('api-change', conversationId, '1', '{"status":"resolved"}', 'agent', AGENT)}`;
    expect(answer.status).toBe(200);
    expect(stateChanges().map((event) => [event.data.causedBy, event.id])).toEqual([
      [causedBy, stateChangedEventId(conversationId, causedBy)],
    ]);
  });
});

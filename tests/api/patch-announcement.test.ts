import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest } from '#shared/api/http.ts';
import { createHelpdeskApi, type HelpdeskApi } from '#shared/api/router.ts';
import { ANY_VERSION_ATTEMPTS } from '#shared/api/schemas.ts';
import { createAttentionSweeper, createSweepMemory } from '#shared/attention/sweeper.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/index.ts';
import { createTable, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { attentionEntries } from '#shared/store/helpdesk-queries.ts';
import { conversationKey } from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';

/*
 * A PATCH whose state_changed could not be queued (review finding): the change is saved, the caller
 * gets a 5xx, and the change is still announced exactly as it was made (who, which fields, its
 * version), by the retry even after another writer came in between (or with `If-Match: *`, or a list
 * naming the version it made, where it finds nothing left to change), or by the attention sweeper
 * when nobody retries. And a PATCH with `If-Match: *` that another writer races between its read and
 * its write is applied again to the version then current. One fresh table per test.
 */

const silent = createLogger({ level: 'error', write: () => {} });
const at = (n: number) => new Date(minute(n));
type StateChanged = HubEventOf<'switchboard.conversation.state_changed'>;

describe('a PATCH whose event could not be queued', () => {
  let emulators: RunningEmulators;
  let dynamodb: DynamoDBClient;
  let tableCount = 0;
  let table: TableContext;
  let api: HelpdeskApi;
  let published: HubEvent[];
  let publishFails: boolean;
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
    const tableName = `announce-${tableCount}`;
    await createTable(dynamodb, { ...HUB_TABLE, name: tableName });
    table = { client: dynamodb, tableName, now: () => clock };
    published = [];
    publishFails = false;
    clock = at(10);
    api = apiOver(table);
  });

  /** The API over `context` (the table, or the table through a client that lets another writer in). */
  const apiOver = (context: TableContext) =>
    createHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      table: context,
      publishEvent: async (event) => {
        if (publishFails) throw new Error('the helpdesk queue refused the message');
        published.push(event);
      },
      enqueueCommand: async () => undefined,
      clock: () => clock,
      newId: () => 'fixed',
      deleteObjects: async () => undefined,
      media: s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3),
      logger: silent,
    });

  const customer = 'announce-customer';
  const conversationId = conversationFor(customer).conversationId;
  const path = `/v1/conversations/${conversationId}`;

  /** The recorder, another writer of the conversation item: a customer's message at minute n. */
  const customerWrites = (id: string, n: number) =>
    createRecorderService({
      store: createRecorderStore(table, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => at(n),
      logger: silent,
    }).recordEvent(messageEvent(customer, id, minute(n)));

  const sweepAt = (n: number) =>
    createAttentionSweeper({
      table,
      publishEvent: async (event) => void published.push(event),
      targets: { messenger: 900, whatsapp: 900, sms: 900, email: 14_400 },
      memory: createSweepMemory(),
      logger: silent,
    }).sweep(at(n));

  const patch = (etag: string, body: unknown, through: HelpdeskApi = api) =>
    through({
      method: 'PATCH',
      path,
      query: {},
      headers: { 'if-match': etag, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      principal: 'arn:aws:iam::123456789012:user/agent-7',
    } satisfies ApiRequest);

  /** The ETag of `version` of the conversation as it stands (its creation marker read from a GET). */
  const tag = async (version: number) => {
    const read = await api({
      method: 'GET',
      path,
      query: {},
      headers: {},
      principal: 'p',
    } satisfies ApiRequest);
    return (read.headers.etag ?? '').replace(/^"\d+/, `"${version}`);
  };

  const stateChanges = () =>
    published.filter(
      (event): event is StateChanged => event.type === 'switchboard.conversation.state_changed',
    );

  const markersDueBy = async (n: number) =>
    (
      await attentionEntries(table, 'unannounced', minute(n), {
        ascending: true,
        pageSize: 100,
        maxEntries: 100,
      })
    ).entries;

  /** The agent's change as it must reach the stream: who, what, and the version it made. */
  const agentChange = {
    previousStatus: 'open',
    changedBy: { kind: 'agent', id: 'arn:aws:iam::123456789012:user/agent-7' },
    changes: ['assignee', 'priority'],
    state: { assignee: 'agent-7', priority: 'urgent', version: 2 },
  };

  it('is announced by its retry after a customer message came in between: 412, and the change published once as it was made', async () => {
    // Prepare: version 1; the PATCH is saved (version 2) but its publish fails
    await customerWrites('m1', 1);
    publishFails = true;
    const failed = await patch(await tag(1), { assignee: 'agent-7', priority: 'urgent' });
    publishFails = false;
    await customerWrites('m2', 11);
    // Act
    const retried = await patch(await tag(1), { assignee: 'agent-7', priority: 'urgent' });
    const afterRetry = stateChanges();
    const sweep = await sweepAt(12);
    // Assess
    expect(failed.status).toBe(500);
    expect(retried.status).toBe(412);
    expect(retried.headers.etag).toBe(await tag(3));
    expect(afterRetry).toHaveLength(1);
    expect(afterRetry[0]?.data).toMatchObject(agentChange);
    // Nothing left to the sweeper, which publishes nothing more and clears the marker
    expect(sweep.changesAnnounced).toBe(0);
    expect(stateChanges()).toHaveLength(1);
    expect((await loadConversation(table, conversationId)).unannounced).toBeUndefined();
    expect(await markersDueBy(60)).toEqual([]);
  });

  it('is announced by the attention sweeper once its marker is due when nobody retries, after another writer too, and only once', async () => {
    // Prepare
    await customerWrites('m1', 1);
    publishFails = true;
    const failed = await patch(await tag(1), { assignee: 'agent-7', priority: 'urgent' });
    publishFails = false;
    await customerWrites('m2', 10.5);
    // Act
    const early = await sweepAt(10.5);
    const due = await sweepAt(11);
    const announced = stateChanges();
    const later = await sweepAt(12);
    // Assess
    expect(failed.status).toBe(500);
    expect(early.changesAnnounced).toBe(0);
    expect(due.changesAnnounced).toBe(1);
    expect(announced).toHaveLength(1);
    expect(announced[0]?.data).toMatchObject(agentChange);
    expect(later.changesAnnounced).toBe(0);
    expect(stateChanges()).toHaveLength(1);
    const stored = await loadConversation(table, conversationId);
    expect(stored.unannounced).toBeUndefined();
    expect(stored.model?.state).toMatchObject({ assignee: 'agent-7', priority: 'urgent', version: 3 });
    expect(await markersDueBy(60)).toEqual([]);
  });

  it('keeps its marker while the sweeper cannot read the conversation item, and is announced once it can', async () => {
    // Prepare: the change is left unpublished; then the item holds a last change from a newer version
    await customerWrites('m1', 1);
    publishFails = true;
    await patch(await tag(1), { assignee: 'agent-7', priority: 'urgent' });
    publishFails = false;
    const setLastChange = (json: string) =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: { pk: { S: conversationKey(conversationId).pk }, sk: { S: 'STATE' } },
          UpdateExpression: 'SET lastChange = :json',
          ExpressionAttributeValues: { ':json': { S: json } },
        }),
      );
    await setLastChange(JSON.stringify({ eventId: 'chg_newer', previousStatus: 'open', changes: ['bogus'] }));
    // Act
    const unreadable = await sweepAt(11);
    const markersWhileUnreadable = await markersDueBy(60);
    await setLastChange(
      JSON.stringify({ eventId: 'chg_newer', previousStatus: 'open', changes: ['assignee'] }),
    );
    const readable = await sweepAt(12);
    // Assess
    expect(unreadable).toMatchObject({ changesAnnounced: 0, unreadable: 1, failed: 1 });
    expect(markersWhileUnreadable.map((entry) => entry.conversationId)).toEqual([conversationId]);
    expect(readable).toMatchObject({ changesAnnounced: 1, unreadable: 0, failed: 0 });
    expect(stateChanges()).toHaveLength(1);
    expect(stateChanges()[0]?.data).toMatchObject(agentChange);
    expect(await markersDueBy(60)).toEqual([]);
  });

  it('is announced first by the next PATCH, before its own change, each once', async () => {
    // Prepare
    await customerWrites('m1', 1);
    publishFails = true;
    await patch(await tag(1), { assignee: 'agent-7', priority: 'urgent' });
    publishFails = false;
    // Act
    const next = await patch(await tag(2), { status: 'resolved' });
    await sweepAt(20);
    // Assess
    expect(next.status).toBe(200);
    expect(stateChanges().map((event) => [event.data.state.version, event.data.changes])).toEqual([
      [2, ['assignee', 'priority']],
      [3, ['status']],
    ]);
    expect(await markersDueBy(60)).toEqual([]);
  });

  it('leaves nothing to announce again when its publish succeeds: one event, no marker', async () => {
    // Prepare
    await customerWrites('m1', 1);
    // Act
    const done = await patch(await tag(1), { assignee: 'agent-7', priority: 'urgent' });
    const sweep = await sweepAt(20);
    // Assess
    expect(done.status).toBe(200);
    expect(sweep.changesAnnounced).toBe(0);
    expect(stateChanges()).toHaveLength(1);
    expect(await markersDueBy(60)).toEqual([]);
    expect((await loadConversation(table, conversationId)).unannounced).toBeUndefined();
  });

  it.each([
    ['If-Match: *', async () => '*'],
    ['a list naming the version it made', async () => `${await tag(1)}, ${await tag(2)}`],
  ])(
    'is announced by its retry with %s before the 200, though the retry finds nothing left to change',
    async (_, retryTag) => {
      // Prepare: version 1; the PATCH is saved (version 2) but its publish fails
      await customerWrites('m1', 1);
      publishFails = true;
      const failed = await patch(await tag(1), { assignee: 'agent-7', priority: 'urgent' });
      publishFails = false;
      // Act
      const retried = await patch(await retryTag(), { assignee: 'agent-7', priority: 'urgent' });
      const whenAnswered = stateChanges();
      const sweep = await sweepAt(12);
      // Assess: when lists and * were first taken (2026-12-06), the retry answered 200 with nothing queued
      expect(failed.status).toBe(500);
      expect(retried.status).toBe(200);
      expect(retried.headers.etag).toBe(await tag(2));
      expect(whenAnswered).toHaveLength(1);
      expect(whenAnswered[0]?.data).toMatchObject(agentChange);
      expect(sweep.changesAnnounced).toBe(0);
      expect(stateChanges()).toHaveLength(1);
      expect((await loadConversation(table, conversationId)).unannounced).toBeUndefined();
      expect(await markersDueBy(60)).toEqual([]);
    },
  );

  /**
   * The API over the table through a client that lets the customer write a message before each of
   * the API's first `races` UpdateItems (its conditional save): the recorder saves in between.
   */
  const racedApi = (races: number) => {
    const raced = { count: 0, conversationReads: 0 };
    const client = {
      send: async (command: unknown) => {
        if (command instanceof GetItemCommand) raced.conversationReads += 1;
        if (command instanceof UpdateItemCommand && raced.count < races) {
          raced.count += 1;
          await customerWrites(`race-${raced.count}`, 1 + raced.count);
        }
        return dynamodb.send(command as never);
      },
    } as unknown as DynamoDBClient;
    return { api: apiOver({ ...table, client }), raced };
  };

  it('with If-Match *, is applied again to the version now current when a customer message is recorded between its read and its write, and announced once', async () => {
    // Prepare: version 1, and a customer message saved once the PATCH has read it
    await customerWrites('m1', 1);
    const { api: racing, raced } = racedApi(1);
    // Act
    const answer = await patch('*', { assignee: 'agent-7', priority: 'urgent' }, racing);
    // Assess: when * was first taken (2026-12-06), this was a 412 though * names any current version
    expect(raced.count).toBe(1);
    expect(answer.status).toBe(200);
    expect(answer.headers.etag).toBe(await tag(3));
    expect(stateChanges()).toHaveLength(1);
    expect(stateChanges()[0]?.data).toMatchObject({
      ...agentChange,
      state: { ...agentChange.state, version: 3 },
    });
    expect((await loadConversation(table, conversationId)).model?.state).toMatchObject({
      assignee: 'agent-7',
      priority: 'urgent',
      version: 3,
    });
  });

  it('with a list naming the version a racing write made, is applied to that version, as with *', async () => {
    // Prepare: version 1; the PATCH names versions 1 and 2, and a customer message (version 2) is
    // saved once the PATCH has read version 1
    await customerWrites('m1', 1);
    const { api: racing, raced } = racedApi(1);
    // Act
    const answer = await patch(`${await tag(1)}, ${await tag(2)}`, { assignee: 'agent-7' }, racing);
    // Assess: until 2026-12-07 a 412, though the list named the version current (RFC 9110 13.1.1);
    // the version read after the conflict is the one the change is applied to (read once, not twice)
    expect(raced.count).toBe(1);
    expect(raced.conversationReads).toBe(2);
    expect(answer.status).toBe(200);
    expect(answer.headers.etag).toBe(await tag(3));
    expect(stateChanges()).toHaveLength(1);
    expect((await loadConversation(table, conversationId)).model?.state).toMatchObject({
      assignee: 'agent-7',
      version: 3,
    });
  });

  it('with a list not naming the version a racing write made, answers 412 with the current ETag, nothing changed', async () => {
    // Prepare
    await customerWrites('m1', 1);
    const { api: racing } = racedApi(1);
    // Act
    const answer = await patch(await tag(1), { assignee: 'agent-7' }, racing);
    // Assess
    expect(answer.status).toBe(412);
    expect(answer.headers.etag).toBe(await tag(2));
    expect(stateChanges()).toEqual([]);
  });

  it(`with If-Match *, gives up after ${ANY_VERSION_ATTEMPTS} attempts each raced by another write: 409, nothing changed, nothing announced`, async () => {
    // Prepare: a customer message before each of the PATCH's saves
    await customerWrites('m1', 1);
    const { api: racing, raced } = racedApi(ANY_VERSION_ATTEMPTS);
    // Act
    const answer = await patch('*', { assignee: 'agent-7' }, racing);
    const sweep = await sweepAt(12);
    // Assess
    expect(raced.count).toBe(ANY_VERSION_ATTEMPTS);
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ type: 'urn:switchboard:problem:conflict' });
    expect(stateChanges()).toEqual([]);
    expect(sweep.changesAnnounced).toBe(0);
    const stored = await loadConversation(table, conversationId);
    expect(stored.model?.state).toMatchObject({ assignee: null, version: 1 + ANY_VERSION_ATTEMPTS });
  });
});

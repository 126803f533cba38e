import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest } from '#shared/api/http.ts';
import { createHelpdeskApi, type HelpdeskApi } from '#shared/api/router.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { createTable, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { attentionEntries } from '#shared/store/helpdesk-queries.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';

/*
 * An erasure deletes a conversation, and the customer's next message creates it again under its id
 * at version 1: a PATCH read before both, whose write comes after, must not land on the new one with
 * the erased conversation's model (its write names the conversation it read, not its version alone:
 * shared/store/conversations.ts, SAME_CONVERSATION). The interleaving holds the PATCH's UpdateItem.
 * Found by a review on 2026-12-06.
 */
const silent = createLogger({ level: 'error', write: () => {} });
const AGENT = 'arn:aws:iam::123456789012:user/agent-7';

describe('a PATCH in flight across an erasure and the customer writing again', () => {
  let emulators: RunningEmulators;
  let dynamodb: DynamoDBClient;
  let tableCount = 0;
  let table: TableContext;
  let api: HelpdeskApi;
  let published: HubEvent[];
  let clock: Date;
  let beforeConditionalWrite: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    emulators = await startEmulators();
    dynamodb = emulators.clients.dynamodb;
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  beforeEach(async () => {
    tableCount += 1;
    const tableName = `patch-across-erasure-${tableCount}`;
    await createTable(dynamodb, { ...HUB_TABLE, name: tableName });
    clock = new Date(minute(10));
    table = { client: dynamodb, tableName, now: () => clock };
    published = [];
    beforeConditionalWrite = undefined;
    // The API's client: holds its first version-conditional UpdateItem while the interleaving runs.
    const heldClient = {
      send: async (command: unknown) => {
        if (
          beforeConditionalWrite &&
          command instanceof UpdateItemCommand &&
          command.input.ConditionExpression?.startsWith('#version = :expected')
        ) {
          const interleave = beforeConditionalWrite;
          beforeConditionalWrite = undefined;
          await interleave();
        }
        return dynamodb.send(command as never);
      },
    } as unknown as DynamoDBClient;
    api = createHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      table: { client: heldClient, tableName, now: () => clock },
      publishEvent: async (event) => void published.push(event),
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

  it('does not write the erased conversation over the one the customer created again meanwhile', async () => {
    // Prepare: the customer's first message (version 1); the agent reads its ETag
    const customer = 'race-erasure';
    const { conversationId } = conversationFor(customer);
    const path = `/v1/conversations/${conversationId}`;
    await customerWrites(customer, 'e1', 0);
    const read = await api({ method: 'GET', path, query: {}, headers: {}, principal: AGENT } as ApiRequest);
    const etag = read.headers.etag ?? '';
    const contactId = (await loadConversation(table, conversationId)).model?.state.contactId ?? '';
    // While the agent's resolve is between its read and its write: the person is erased, and the
    // customer writes again the next day (the conversation created again under its id at version 1)
    beforeConditionalWrite = async () => {
      await erasePerson({ pseudonymKey: localPseudonymKey, table, deleteObjects: async () => {} }, contactId);
      await customerWrites(customer, 'e2', 24 * 60);
    };
    // Act
    const answer = await api({
      method: 'PATCH',
      path,
      query: {},
      headers: { 'if-match': etag, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'resolved' }),
      principal: AGENT,
    } as ApiRequest);
    // Assess: the resolve was of a conversation that no longer exists; the new one stays as the
    // customer's new message left it (open, waiting since that message, in the waiting index)
    const after = (await loadConversation(table, conversationId)).model?.state;
    const waiting = await attentionEntries(table, 'waiting', minute(3 * 24 * 60), {
      ascending: true,
      pageSize: 100,
      maxEntries: 100,
    });
    expect({
      status: answer.status,
      createdAt: after?.createdAt,
      conversationStatus: after?.status,
      waitingSince: after?.waitingSince,
      inWaitingIndex: waiting.entries.some((entry) => entry.conversationId === conversationId),
    }).toEqual({
      status: 412,
      createdAt: minute(24 * 60),
      conversationStatus: 'open',
      waitingSince: minute(24 * 60),
      inWaitingIndex: true,
    });
  });
});

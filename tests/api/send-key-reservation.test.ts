import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import type { ApiRequest, ApiResponse } from '#shared/api/http.ts';
import { createWiredHelpdeskApi } from '#shared/api/wiring.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { SendMessageDataSchema } from '#shared/contract/commands.ts';
import { canonicalJson, type HubCommand, outboundHubMessageId, stableHash } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { peekQueue } from '#shared/local/peek.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { reserveSendKey, SEND_RESERVATION_SECONDS } from '#shared/store/send-reservations.ts';
import { createSendStore } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';

/*
 * The helpdesk API's send reserves its Idempotency-Key with the content's hash before it queues
 * anything: a second body under the key is refused at once, not only once the sender has taken the
 * first command (before, it was answered 202 and dropped by the outbox's deduplication). Against the
 * local DynamoDB and the local SQS outbox, with no sender running.
 */
describe('a send reserves its Idempotency-Key before anything is queued', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let api: (request: ApiRequest) => Promise<ApiResponse>;
  const calls: string[] = [];
  const quiet = createLogger({ level: 'error', write: () => {} });
  const conversationId = conversationFor('reserve-a').conversationId;
  const path = `/v1/conversations/${conversationId}/messages`;
  const reply = (text: string) =>
    JSON.stringify({ parts: [{ type: 'text', text }], sender: { kind: 'agent', id: 'a-1' } });
  const post = (key: string, body: string) =>
    api({
      method: 'POST',
      path,
      query: {},
      headers: { 'idempotency-key': key, 'content-type': 'application/json' },
      body,
      principal: 'arn:aws:iam::123456789012:user/agent',
    });
  /** The send commands on the outbox under a key (read without receiving them). */
  const queuedUnder = async (key: string): Promise<HubCommand[]> =>
    (await peekQueue(emulators.endpoints.sqs, emulators.resources.outboxQueueUrl))
      .map((message) => JSON.parse(message.body) as HubCommand)
      .filter(
        (command) =>
          command.type === 'switchboard.command.send_message' && command.data.idempotencyKey === key,
      );
  const textsOf = (commands: readonly HubCommand[]) =>
    commands.map((command) =>
      command.type === 'switchboard.command.send_message' ? command.data.parts : undefined,
    );
  const bodyOf = (response: ApiResponse) => response.body as Record<string, unknown>;

  beforeAll(async () => {
    emulators = await startEmulators();
    const { clients, resources } = emulators;
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'countSendCalls' },
    );
    table = { client: clients.dynamodb, tableName: resources.tableName, now: () => new Date() };
    // A customer wrote: the conversation exists.
    await createRecorderService({
      store: createRecorderStore(table, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: quiet,
    }).recordEvent(messageEvent('reserve-a', 'reserve-a-1', minute(1)));
    api = createWiredHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      dynamodb: clients.dynamodb,
      sqs: clients.sqs,
      s3: clients.s3,
      tableName: resources.tableName,
      payloadBucket: resources.bucketName,
      helpdeskQueueUrl: resources.helpdeskQueueUrl,
      outboxQueueUrl: resources.outboxQueueUrl,
      logger: quiet,
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('refuses a second body under the key back to back with 422, and the outbox holds only the first', async () => {
    // Prepare: two different replies under one key; no sender runs, so no send record exists
    const key = 'ticket-4711-reply-1';
    // Act
    const first = await post(key, reply('Your refund is on its way.'));
    const second = await post(key, reply('Your refund was refused.'));
    const queued = await queuedUnder(key);
    const sendRecord = await createSendStore(table).get(outboundHubMessageId(conversationId, key));
    // Assess
    expect(first.status).toBe(202);
    expect(second.status).toBe(422);
    expect(bodyOf(second)).toMatchObject({
      type: 'urn:switchboard:problem:idempotency-key-reused',
      status: 422,
    });
    expect(sendRecord).toBeUndefined();
    expect(textsOf(queued)).toEqual([[{ type: 'text', text: 'Your refund is on its way.' }]]);
  });

  it('answers the same body under the key again with the same 202, one conditional UpdateItem, nothing new on the outbox', async () => {
    // Prepare
    const key = 'ticket-4711-reply-2';
    const body = reply('Your address is saved.');
    const first = await post(key, body);
    calls.length = 0;
    // Act
    const again = await post(key, body);
    const againCalls = [...calls];
    const queued = await queuedUnder(key);
    // Assess
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(bodyOf(again)).toEqual(bodyOf(first));
    expect(againCalls.sort()).toEqual(['GetItem', 'GetItem', 'UpdateItem']);
    for (const name of againCalls)
      expect(HELPDESK_API_TABLE_ACTIONS as readonly string[]).toContain(`dynamodb:${name}`);
    expect(textsOf(queued)).toEqual([[{ type: 'text', text: 'Your address is saved.' }]]);
  });

  it('queues a text holding U+FFFE and U+FFFF (SQS refuses them raw) with 202, escaped, and a mark-read naming one too', async () => {
    // Prepare: characters valid in JSON that SQS refuses unescaped (before, a 500 every time, and the key stuck)
    const key = 'ticket-4711-noncharacters';
    const text = 'bad \ufffe and \uffff text';
    // Act
    const sent = await post(key, reply(text));
    const again = await post(key, reply(text));
    const read = await api({
      method: 'POST',
      path: `/v1/conversations/${conversationId}/read`,
      query: {},
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ providerMessageId: 'wamid.\uffff' }),
      principal: 'arn:aws:iam::123456789012:user/agent',
    });
    const queued = await queuedUnder(key);
    // Assess: the same text comes off the queue
    expect([sent.status, again.status, read.status]).toEqual([202, 202, 202]);
    expect(textsOf(queued)).toEqual([[{ type: 'text', text }]]);
  });

  it('accepts other content under a different key, and queues it', async () => {
    // Prepare: a key already holding one reply
    const body = reply('Your parcel left today.');
    await post('ticket-4711-reply-3', body);
    // Act
    const other = await post('ticket-4711-reply-4', reply('Your parcel arrives tomorrow.'));
    const queued = await queuedUnder('ticket-4711-reply-4');
    // Assess
    expect(other.status).toBe(202);
    expect(bodyOf(other)).toMatchObject({
      idempotencyKey: 'ticket-4711-reply-4',
      hubMessageId: outboundHubMessageId(conversationId, 'ticket-4711-reply-4'),
    });
    expect(textsOf(queued)).toEqual([[{ type: 'text', text: 'Your parcel arrives tomorrow.' }]]);
  });

  it('answers the retry of a template without its category, reserved with the utility default before 2026-12-04, with the same 202', async () => {
    // Prepare: the body as reserved before the deploy (the contract filled in category utility)
    const key = 'ticket-4711-template-1';
    const template = { type: 'template', name: 'order_update', language: 'en' };
    const body = (part: Record<string, unknown>) =>
      JSON.stringify({ parts: [part], sender: { kind: 'agent', id: 'a-1' } });
    const first = await post(key, body({ ...template, category: 'utility' }));
    // Act: its retry after the deploy, the category absent; then a marketing template under the key
    const retry = await post(key, body(template));
    const marketing = await post(key, body({ ...template, category: 'marketing' }));
    // Assess
    expect(first.status).toBe(202);
    expect(retry.status).toBe(202);
    expect(bodyOf(retry)).toEqual(bodyOf(first));
    expect(marketing.status).toBe(422);
    expect(await queuedUnder(key)).toHaveLength(1);
  });

  it('answers the retry of a template without its category, reserved or taken by the version that hashed it without one, with 202, and other content under the key with 422', async () => {
    // Prepare: a key reserved and a key its send record holds (the reservation gone), each with the
    // hash of the command's data as parsed (no category), as the version between the two deploys of
    // 2026-12-04 wrote them
    const [reservedKey, takenKey] = ['ticket-4711-template-2', 'ticket-4711-template-3'];
    const template = { type: 'template', name: 'order_update', language: 'en' };
    const sender = { kind: 'agent', id: 'a-1' };
    const body = (part: Record<string, unknown>) => JSON.stringify({ parts: [part], sender });
    const hashedAsParsed = (idempotencyKey: string) =>
      stableHash(
        'command',
        canonicalJson(
          SendMessageDataSchema.parse({ parts: [template], sender, idempotencyKey, conversationId }),
        ),
      );
    const hubMessageIdOf = (key: string) => outboundHubMessageId(conversationId, key);
    await reserveSendKey(table, {
      conversationId,
      hubMessageId: hubMessageIdOf(reservedKey),
      commandHash: hashedAsParsed(reservedKey),
    });
    await createSendStore(table).claim({
      hubMessageId: hubMessageIdOf(takenKey),
      conversationId,
      commandId: 'cmd_taken-before',
      commandHash: hashedAsParsed(takenKey),
      state: 'sending',
      acceptedAt: new Date().toISOString(),
      messageCount: 0,
      next: 0,
      providerIds: [],
      links: {},
    });
    // Act: other content under each key, then each retry (the category still absent)
    const others = [
      await post(reservedKey, body({ ...template, category: 'marketing' })),
      await post(takenKey, body({ ...template, name: 'order_shipped' })),
    ];
    const retries = [await post(reservedKey, body(template)), await post(takenKey, body(template))];
    // Assess
    expect(others.map((response) => response.status)).toEqual([422, 422]);
    expect(retries.map((response) => response.status)).toEqual([202, 202]);
    expect(retries.map((response) => bodyOf(response).hubMessageId)).toEqual([
      hubMessageIdOf(reservedKey),
      hubMessageIdOf(takenKey),
    ]);
    expect(textsOf(await queuedUnder(reservedKey))).toEqual([[template]]);
    expect(textsOf(await queuedUnder(takenKey))).toEqual([[template]]);
  });

  it('refuses other content with the one conditional write when DynamoDB returns the item it failed on', async () => {
    // Prepare: a client answering as DynamoDB does (the local one does not return the item): the
    // key's live reservation holds another hash
    const sent: string[] = [];
    const held = marshall({ commandHash: 'first', expiresAt: Math.floor(Date.now() / 1000) + 86_400 });
    const client = {
      send: async (command: object) => {
        sent.push(command.constructor.name);
        throw Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
          Item: held,
        });
      },
    } as unknown as DynamoDBClient;
    // Act
    const reserved = await reserveSendKey(
      { ...table, client },
      { conversationId, hubMessageId: 'msg_reservation-other', commandHash: 'second' },
    );
    // Assess
    expect(reserved).toBe('taken');
    expect(sent).toEqual(['UpdateItemCommand']);
  });

  it('holds a key until its reservation expires (lazily deleted), then lets it go', async () => {
    // Prepare: a reservation made now; the table's clock a day later (a retry renews it), then past that renewal
    const reservation = { conversationId, hubMessageId: 'msg_reservation-expiry', commandHash: 'first' };
    const at = (seconds: number): TableContext => ({
      ...table,
      now: () => new Date(Date.now() + seconds * 1000),
    });
    await reserveSendKey(table, reservation);
    // Act
    const dayLater = await reserveSendKey(at(86_400), { ...reservation, commandHash: 'second' });
    const sameLater = await reserveSendKey(at(86_400), reservation);
    const expired = await reserveSendKey(at(86_400 + SEND_RESERVATION_SECONDS + 1), {
      ...reservation,
      commandHash: 'second',
    });
    // Assess
    expect(SEND_RESERVATION_SECONDS).toBeGreaterThan(30 * 86_400);
    expect(dayLater).toBe('taken');
    expect(sameLater).toBe('reserved');
    expect(expired).toBe('reserved');
  });
});

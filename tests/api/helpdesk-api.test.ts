import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { toApiRequest } from '#shared/api/apigw.ts';
import { encodeCursor, queryHashOf } from '#shared/api/cursor.ts';
import type { ApiRequest } from '#shared/api/http.ts';
import { API_ROUTES } from '#shared/api/operations.ts';
import type { HelpdeskApi } from '#shared/api/router.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  type BusinessEndpoint,
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubCommand,
  type HubEvent,
  hubMessageIdFor,
  MAX_COMMAND_BYTES,
  outboundHubMessageId,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { forQueue } from '#shared/intake/event-bounds.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { attentionEntries } from '#shared/store/helpdesk-queries.ts';
import { attentionPartitions, conversationKey, messageKey, statusPartitions } from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { commandHashOf, createSendStore } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute, smsReceived } from '#tests/recorder/factories.ts';
import { expectDocumentedAnswer } from '#tests/support/openapi-contract.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { apiRequest } from '#tests/support/requests.ts';

const NOW = new Date('2026-11-22T12:00:00.000Z');

describe('helpdesk API route handlers against the local DynamoDB', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let api: HelpdeskApi;
  let table: TableContext;
  const calls: string[] = [];
  const everyCall = new Set<string>();
  const published: HubEvent[] = [];
  const queued: { command: HubCommand; deduplicationId: string }[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
    const { dynamodb } = emulators.clients;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        everyCall.add(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'countApiCalls' },
    );
    table = { client: dynamodb, tableName: emulators.resources.tableName, now: () => NOW };
    recorder = quietRecorder(table, () => NOW);
    api = quietHelpdeskApi(emulators, table, () => NOW, {
      publishEvent: async (event) => void published.push(event),
      enqueueCommand: async (command, deduplicationId) => void queued.push({ command, deduplicationId }),
    });
    // Three customers: two still waiting (since minute 1 and minute 3), one answered.
    await recorder.recordEvent(messageEvent('api-b', 'b1', minute(3)));
    await recorder.recordEvent(messageEvent('api-a', 'a1', minute(1)));
    for (const n of [2, 4, 6, 8]) await recorder.recordEvent(messageEvent('api-a', `a${n}`, minute(n)));
    await recorder.recordEvent(messageEvent('api-c', 'c1', minute(2)));
    await recorder.recordEvent(messageEvent('api-c', 'c2', minute(5), 'outbound'));
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  beforeEach(() => {
    calls.length = 0;
    published.length = 0;
    queued.length = 0;
  });

  /** Every answer of a routed request must be one the published OpenAPI document describes. */
  const request = async (method: string, path: string, extra: Partial<ApiRequest> = {}) => {
    const response = await api(apiRequest(method, path, extra));
    expectDocumentedAnswer(method, path, response);
    return response;
  };
  const idOf = (customer: string) => conversationFor(customer).conversationId;
  const bodyOf = (response: { body?: unknown }) => response.body as Record<string, unknown>;

  it('lists waiting conversations longest wait first, one Query of each shard and one BatchGetItem a page', async () => {
    // Act
    const first = await request('GET', '/v1/conversations', { query: { waiting: 'true', limit: '1' } });
    const firstCalls = [...calls];
    const second = await request('GET', '/v1/conversations', {
      query: { waiting: 'true', limit: '1', cursor: String(bodyOf(first).nextCursor) },
    });
    const foreign = await request('GET', '/v1/conversations', {
      query: { status: 'resolved', cursor: String(bodyOf(first).nextCursor) },
    });
    // Assess
    expect(first.status).toBe(200);
    expect(
      (bodyOf(first).items as { conversationId: string; waitingSince: string }[]).map((c) => [
        c.conversationId,
        c.waitingSince,
      ]),
    ).toEqual([[idOf('api-a'), minute(1)]]);
    expect(firstCalls).toEqual([...attentionPartitions('waiting').map(() => 'Query'), 'BatchGetItem']);
    expect((bodyOf(second).items as { conversationId: string }[]).map((c) => c.conversationId)).toEqual([
      idOf('api-b'),
    ]);
    expect(foreign.status).toBe(400);
    expect(foreign.headers['content-type']).toBe('application/problem+json');
  });

  it("pages a conversation's messages forward and back, one Query and one BatchGetItem a page", async () => {
    // Act
    calls.length = 0;
    const first = await request('GET', `/v1/conversations/${idOf('api-a')}/messages`, {
      query: { limit: '2' },
    });
    const pageCalls = [...calls];
    const next = await request('GET', `/v1/conversations/${idOf('api-a')}/messages`, {
      query: { limit: '2', cursor: String(bodyOf(first).nextCursor) },
    });
    const back = await request('GET', `/v1/conversations/${idOf('api-a')}/messages`, {
      query: { limit: '2', cursor: String(bodyOf(next).previousCursor) },
    });
    const newest = await request('GET', `/v1/conversations/${idOf('api-a')}/messages`, {
      query: { limit: '2', from: 'newest' },
    });
    const ids = (response: { body?: unknown }) =>
      (bodyOf(response).items as { message: { providerMessageId: string } }[]).map(
        (item) => item.message.providerMessageId,
      );
    // Assess
    expect(pageCalls).toEqual(['Query', 'BatchGetItem']);
    expect(ids(first)).toEqual(['a1', 'a2']);
    expect(bodyOf(first).previousCursor).toBeUndefined();
    expect(ids(next)).toEqual(['a4', 'a6']);
    expect(ids(back)).toEqual(['a1', 'a2']);
    expect(ids(newest)).toEqual(['a6', 'a8']);
    expect(bodyOf(newest).nextCursor).toBeUndefined();
  });

  it('pages past messages that expired but are not deleted yet, both ways', async () => {
    // Prepare: three messages past their expiry (DynamoDB deletes days late), then two live ones
    const table = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => NOW,
    };
    const expired = createRecorderService({
      store: createRecorderStore(table, localPseudonymKey, -100),
      publisher: { publish: async () => undefined },
      clock: () => NOW,
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    for (const n of [1, 2, 3]) await expired.recordEvent(messageEvent('api-ttl', `ttl${n}`, minute(n)));
    for (const n of [4, 5]) await recorder.recordEvent(messageEvent('api-ttl', `ttl${n}`, minute(n)));
    const ids = (response: { body?: unknown }) =>
      (bodyOf(response).items as { message: { providerMessageId: string } }[]).map(
        (item) => item.message.providerMessageId,
      );
    // Act
    const oldest = await request('GET', `/v1/conversations/${idOf('api-ttl')}/messages`, {
      query: { limit: '3' },
    });
    const after = await request('GET', `/v1/conversations/${idOf('api-ttl')}/messages`, {
      query: { limit: '3', cursor: String(bodyOf(oldest).nextCursor) },
    });
    const newest = await request('GET', `/v1/conversations/${idOf('api-ttl')}/messages`, {
      query: { limit: '2', from: 'newest' },
    });
    const before = await request('GET', `/v1/conversations/${idOf('api-ttl')}/messages`, {
      query: { limit: '3', cursor: String(bodyOf(newest).previousCursor) },
    });
    const backAgain = await request('GET', `/v1/conversations/${idOf('api-ttl')}/messages`, {
      query: { limit: '5', cursor: String(bodyOf(before).nextCursor) },
    });
    // Assess: an empty first page still says more lies ahead; the cursor leads to the live ones
    expect(ids(oldest)).toEqual([]);
    expect(bodyOf(oldest).nextCursor).toBeDefined();
    expect(ids(after)).toEqual(['ttl4', 'ttl5']);
    expect(ids(newest)).toEqual(['ttl4', 'ttl5']);
    expect(ids(before)).toEqual([]);
    // An empty page reached by a cursor still leads back the way it came
    expect(ids(backAgain)).toEqual(['ttl4', 'ttl5']);
  });

  it('pages a conversation whose messages fill its pages exactly, both ways, without an empty page or a skip', async () => {
    // Prepare: four messages, pages of two
    for (const n of [1, 2, 3, 4])
      await recorder.recordEvent(messageEvent('api-exact', `exact${n}`, minute(n)));
    const path = `/v1/conversations/${idOf('api-exact')}/messages`;
    const ids = (response: { body?: unknown }) =>
      (bodyOf(response).items as { message: { providerMessageId: string } }[]).map(
        (item) => item.message.providerMessageId,
      );
    const page = (query: Record<string, string>) => request('GET', path, { query: { limit: '2', ...query } });
    // Act: forward from the oldest, then back; backward from the newest, then forward
    const first = await page({});
    const second = await page({ cursor: String(bodyOf(first).nextCursor) });
    const back = await page({ cursor: String(bodyOf(second).previousCursor) });
    const newest = await page({ from: 'newest' });
    const older = await page({ cursor: String(bodyOf(newest).previousCursor) });
    const forward = await page({ cursor: String(bodyOf(older).nextCursor) });
    // Assess
    expect([ids(first), ids(second), ids(back)]).toEqual([
      ['exact1', 'exact2'],
      ['exact3', 'exact4'],
      ['exact1', 'exact2'],
    ]);
    expect(bodyOf(second).nextCursor).toBeUndefined();
    expect([ids(newest), ids(older), ids(forward)]).toEqual([
      ['exact3', 'exact4'],
      ['exact1', 'exact2'],
      ['exact3', 'exact4'],
    ]);
    expect(bodyOf(older).previousCursor).toBeUndefined();
  });

  /** `events` as one provider request the hub received at `at`: that receipt in each, and the intake's arrival sequence. */
  const receivedTogether = (events: readonly HubEvent[], at: string): HubEvent[] =>
    forQueue(
      events.map((event) => ({ ...event, data: { ...event.data, receivedAt: at } }) as HubEvent),
      new Date(at),
    );
  /** The provider message ids of a conversation's messages as one GET lists them, oldest first. */
  const listedProviderIds = async (customer: string) => {
    const response = await request('GET', `/v1/conversations/${idOf(customer)}/messages`);
    return (bodyOf(response).items as { message: { providerMessageId: string } }[]).map(
      (item) => item.message.providerMessageId,
    );
  };

  it("lists a customer's messages of one WhatsApp second in the order the hub received them, one request's in its order", async () => {
    // Prepare: Meta stamps all three 10:40:00 (whole seconds); "Hi" came in one request, two photos
    // in the next; their hub ids sort photo-2, hi, photo-1
    const second = '2026-11-22T10:40:00.000Z';
    const hi = messageEvent('api-order-1', 'wamid.order-hi', second, 'inbound', 'Hi');
    const photos = [1, 2].map((n) => messageEvent('api-order-1', `wamid.order-photo-${n}`, second));
    for (const event of [
      ...receivedTogether([hi], '2026-11-22T10:40:00.300Z'),
      ...receivedTogether(photos, '2026-11-22T10:40:00.900Z'),
    ])
      await recorder.recordEvent(event);
    // Act
    calls.length = 0;
    const listed = await listedProviderIds('api-order-1');
    // Assess
    expect(listed).toEqual(['wamid.order-hi', 'wamid.order-photo-1', 'wamid.order-photo-2']);
    expect(calls).toEqual(['Query', 'BatchGetItem']);
  });

  it("lists a customer's reply stamped in the second of the hub's message after that message when it came in after it, and one received before it before it", async () => {
    // Prepare: the hub's bot writes at 10:41:00.400 (its own clock, to the millisecond); the
    // customer's messages are stamped 10:41:00 by Meta: one received before the bot's, the answer
    // to it received after
    const sent = messageEvent('api-order-2', 'wamid.order-bot', '2026-11-22T10:41:00.400Z', 'outbound');
    const bot = { ...sent, data: { ...sent.data, sentBy: 'hub' } } as HubEvent;
    const stamped = '2026-11-22T10:41:00.000Z';
    const early = messageEvent('api-order-2', 'wamid.order-early', stamped, 'inbound', 'Hello?');
    const reply = messageEvent('api-order-2', 'wamid.order-reply', stamped, 'inbound', 'Yes, 4711');
    await recorder.recordEvent(receivedTogether([early], '2026-11-22T10:41:00.200Z')[0] as HubEvent);
    await recorder.recordEvent(bot);
    await recorder.recordEvent(receivedTogether([reply], '2026-11-22T10:41:01.100Z')[0] as HubEvent);
    // Act
    const listed = await listedProviderIds('api-order-2');
    // Assess
    expect(listed).toEqual(['wamid.order-early', 'wamid.order-bot', 'wamid.order-reply']);
  });

  it('lists a message whose provider time is ahead of its receipt at its receipt, before an answer made after it came in', async () => {
    // Prepare: a sender's clock 10 minutes fast (as an e-mail's Date; believed up to 15 minutes
    // ahead): written no later than 11:00, when the hub received it; the answer went at 11:03
    const question = messageEvent('api-order-3', 'order-fast-clock', '2026-11-22T11:10:00.000Z');
    const answer = messageEvent('api-order-3', 'order-answer', '2026-11-22T11:03:00.000Z', 'outbound');
    await recorder.recordEvent(receivedTogether([question], '2026-11-22T11:00:00.000Z')[0] as HubEvent);
    await recorder.recordEvent(answer);
    // Act
    const listed = await listedProviderIds('api-order-3');
    // Assess
    expect(listed).toEqual(['order-fast-clock', 'order-answer']);
  });

  it('lists and pages a conversation whose older messages keep the key they were listed under before 2026-12-06 (`<time>#<hubMessageId>`)', async () => {
    // Prepare: five messages, two of them (`earlier…`) put back to the earlier key, as written before
    // the change (its time the provider's); of one time, the later key's message lists first
    for (const [id, n] of [
      ['earlier1', 1],
      ['later2', 2],
      ['earlier3', 3],
      ['later3', 3],
      ['later4', 4],
    ] as const)
      await recorder.recordEvent(messageEvent('api-mixed', id, minute(n)));
    for (const [id, n] of [
      ['earlier1', 1],
      ['earlier3', 3],
    ] as const) {
      const hubMessageId = hubMessageIdFor('whatsapp', id);
      await table.client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: marshall(messageKey(hubMessageId)),
          UpdateExpression: 'SET gsi2sk = :sk',
          ExpressionAttributeValues: marshall({ ':sk': `${minute(n)}#${hubMessageId}` }),
        }),
      );
    }
    const path = `/v1/conversations/${idOf('api-mixed')}/messages`;
    const ids = (response: { body?: unknown }) =>
      (bodyOf(response).items as { message: { providerMessageId: string } }[]).map(
        (item) => item.message.providerMessageId,
      );
    const page = (query: Record<string, string>) => request('GET', path, { query: { limit: '2', ...query } });
    // Act: forward from the oldest to the end, then back from the newest to the start
    const forward = [await page({})];
    while (bodyOf(forward.at(-1) ?? {}).nextCursor !== undefined)
      forward.push(await page({ cursor: String(bodyOf(forward.at(-1) ?? {}).nextCursor) }));
    const backward = [await page({ from: 'newest' })];
    while (bodyOf(backward.at(-1) ?? {}).previousCursor !== undefined)
      backward.push(await page({ cursor: String(bodyOf(backward.at(-1) ?? {}).previousCursor) }));
    // Assess: every page answered, each message once, the same order both ways
    expect([...forward, ...backward].map((response) => response.status)).toEqual(
      [...forward, ...backward].map(() => 200),
    );
    const order = ['earlier1', 'later2', 'later3', 'earlier3', 'later4'];
    expect(forward.flatMap(ids)).toEqual(order);
    expect(backward.reverse().flatMap(ids)).toEqual(order);
  });

  /** The API as it answers at `ms` after NOW (a retry a second later, a call days later). */
  const apiAt = (ms: number) =>
    quietHelpdeskApi(emulators, table, () => new Date(NOW.getTime() + ms), {
      publishEvent: async (event) => void published.push(event),
    });

  it('records a consent change once when it is retried with its Idempotency-Key, and twice without one', async () => {
    // Prepare: a retry comes a second later, as after a lost answer
    const { channel, contact, conversationId } = conversationFor('api-consent');
    await recorder.recordEvent(messageEvent('api-consent', 'consent1', minute(1)));
    const contactId = contactIdFor(channel, contact, conversationId);
    const later = apiAt(1_000);
    const consent = (key?: string, consentValue = 'opted_out', evidence = 'told an agent on the phone') => ({
      method: 'POST',
      path: `/v1/contacts/${contactId}/consent`,
      query: {},
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify({ channel: 'whatsapp', consent: consentValue, evidence }),
    });
    const ledger = async () =>
      bodyOf(await request('GET', `/v1/contacts/${contactId}/consent`)).changes as { evidence?: string }[];
    const ledgerSize = async () => (await ledger()).length;
    // Act: the retry carries the same body
    const first = await request('POST', consent('consent-key-1').path, consent('consent-key-1'));
    const retried = await later({ ...consent('consent-key-1'), principal: 'p' } as never);
    const keyedLedger = await ledger();
    const keyed = keyedLedger.length;
    await request('POST', consent().path, consent(undefined, 'opted_in'));
    await later({ ...consent(undefined, 'opted_in'), principal: 'p' } as never);
    // Assess
    expect([first.status, retried.status]).toEqual([200, 200]);
    expect(bodyOf(retried).at).toBe(bodyOf(first).at);
    expect(keyed).toBe(1);
    expect(keyedLedger[0]?.evidence).toBe('told an agent on the phone');
    expect(new Set(published.slice(0, 2).map((event) => event.id)).size).toBe(1);
    expect(await ledgerSize()).toBe(3);
  });

  it('refuses with 422 an Idempotency-Key reused for another consent body, recording nothing, and keeps a later change when the first is retried', async () => {
    // Prepare: a customer who wrote on WhatsApp and by SMS (one number); an opt-out on day 1 under
    // one key, an opt-in on day 2 under another
    await recorder.recordEvent(messageEvent('306912377001', 'wamid.reuse-1', minute(1)));
    await recorder.recordEvent(smsReceived('+306912377001', 'SMreuse-1', minute(2)));
    const contactId = contactIdFor(
      'whatsapp',
      { identities: [{ type: 'wa_id', value: '306912377001' }] },
      '',
    );
    const day = 86_400_000;
    const post = (at: number, key: string, consent: string, evidence: string, onChannel = 'whatsapp') =>
      apiAt(at)({
        method: 'POST',
        path: `/v1/contacts/${contactId}/consent`,
        query: {},
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ channel: onChannel, consent, evidence }),
        principal: 'p',
      });
    const dayOne = await post(0, 'optout-key', 'opted_out', 'phone call day 1: stop');
    const dayTwo = await post(day, 'optin-key', 'opted_in', 'web form day 2: resume');
    published.length = 0;
    // Act: day 3 reuses day 1's key for a new opt-out, and the opt-in's key for another channel; then
    // day 1's call is retried as it was
    const dayThree = await post(2 * day, 'optout-key', 'opted_out', 'phone call day 3: stop again');
    const otherChannel = await post(2 * day, 'optin-key', 'opted_in', 'web form day 2: resume', 'sms');
    const dayThreeEvents = published.length;
    const retried = await post(3 * day, 'optout-key', 'opted_out', 'phone call day 1: stop');
    const person = await request('GET', `/v1/contacts/${contactId}`);
    const ledger = await request('GET', `/v1/contacts/${contactId}/consent`);
    // Assess: before, day 3 answered 200 with day 1's time and the register stayed opted_in
    expect([dayOne.status, dayTwo.status, dayThree.status, otherChannel.status, retried.status]).toEqual([
      200, 200, 422, 422, 200,
    ]);
    expect(bodyOf(dayThree).type).toBe('urn:switchboard:problem:idempotency-key-reused');
    expect(dayThreeEvents).toBe(0);
    expect(bodyOf(retried).at).toBe(bodyOf(dayOne).at);
    // A retry is the same change at its first time: it does not undo the later opt-in.
    expect(
      (bodyOf(person).channels as { channel: string; consent: unknown }[]).find(
        (c) => c.channel === 'whatsapp',
      ),
    ).toMatchObject({ consent: { whatsapp_marketing: { consent: 'opted_in', at: bodyOf(dayTwo).at } } });
    expect(
      (bodyOf(ledger).changes as { consent: string; evidence?: string }[]).map((c) => [
        c.consent,
        c.evidence,
      ]),
    ).toEqual([
      ['opted_in', 'web form day 2: resume'],
      ['opted_out', 'phone call day 1: stop'],
    ]);
  });

  it.each([
    {
      name: 'e-mail (a Mailgun deployment: Mailgun)',
      channel: 'email' as const,
      provider: 'mailgun' as const,
      endpoint: { type: 'email_address' as const, id: 'support@legacy.example' },
      identity: { type: 'email' as const, value: 'legacy-consent@example.com' },
    },
    {
      name: 'WhatsApp on a Twilio number (Twilio)',
      channel: 'whatsapp' as const,
      provider: 'twilio' as const,
      endpoint: {
        type: 'whatsapp_phone_number' as const,
        id: '+14155238886',
        accountId: `AC${'1'.repeat(32)}`,
      },
      identity: { type: 'wa_id' as const, value: '306912377042' },
    },
    {
      name: 'WhatsApp on a Cloud API number (Meta)',
      channel: 'whatsapp' as const,
      provider: 'meta' as const,
      endpoint: { type: 'whatsapp_phone_number' as const, id: '106540352242922' },
      identity: { type: 'wa_id' as const, value: '306912377043' },
    },
  ])(
    "names the sender's provider in the consent event of a conversation kept without one: $name",
    async ({ channel, provider, endpoint, identity }) => {
      // Prepare: a Mailgun deployment's API, and a conversation whose stored state names no provider
      // (as every conversation recorded before 2026-11-30)
      const contact = { identities: [identity] };
      const conversationId = contactConversationId(channel, endpoint, identity);
      await recorder.recordEvent(
        buildEvent(
          'switchboard.message.received',
          eventIdFor(channel, 'message', `legacy-${identity.value}`),
          {
            hubMessageId: hubMessageIdFor(channel, `legacy-${identity.value}`),
            channel,
            provider,
            endpoint,
            contact,
            conversationId,
            direction: 'inbound',
            providerMessageId: `legacy-${identity.value}`,
            providerTimestamp: minute(1),
            receivedAt: minute(1),
            parts: [{ type: 'text', text: 'hello' }],
          },
        ),
      );
      const { model } = await loadConversation(table, conversationId);
      const { provider: _kept, ...legacyState } = model?.state ?? ({} as NonNullable<typeof model>['state']);
      await table.client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: marshall(conversationKey(conversationId)),
          UpdateExpression: 'SET #model = :model',
          ExpressionAttributeNames: { '#model': 'model' },
          ExpressionAttributeValues: marshall({ ':model': JSON.stringify({ ...model, state: legacyState }) }),
        }),
      );
      const mailgunApi = quietHelpdeskApi(emulators, table, () => NOW, {
        publishEvent: async (event) => void published.push(event),
        defaultEmailProvider: 'mailgun',
      });
      const contactId = contactIdFor(channel, contact, conversationId);
      // Act
      const response = await mailgunApi(
        apiRequest('POST', `/v1/contacts/${contactId}/consent`, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ channel, consent: 'opted_out', evidence: 'asked an agent to stop' }),
        }),
      );
      // Assess: the stored state names none, the event the sender's; before 2026-12-06 the e-mail
      // one named SES and the Twilio one Meta, whatever the sender replied through
      expect((await loadConversation(table, conversationId)).model?.state.provider).toBeUndefined();
      expect(response.status).toBe(200);
      const event = published.find((candidate) => candidate.type === 'switchboard.contact.consent_changed');
      expect(event?.data).toMatchObject({ channel, conversationId, provider });
    },
  );

  it.each([
    ['dated a second before it', -1_000],
    ['dated at the same instant', 0],
  ])(
    'refuses with 422 the second of two calls raced with one Idempotency-Key and two consent bodies, the first %s',
    async (_, offset) => {
      // Prepare: a WhatsApp customer; call B reads the ledger and the clock first, then its ledger
      // write is held (a slow round trip) until call A has recorded, published and answered
      const customer = `api-consent-race${offset}`;
      await recorder.recordEvent(messageEvent(customer, `wamid.${customer}`, minute(1)));
      const { channel, contact, conversationId } = conversationFor(customer);
      const contactId = contactIdFor(channel, contact, conversationId);
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let reached: () => void = () => undefined;
      const bLedgerWrite = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const slowLedgerWrites = {
        send: async (command: {
          constructor: { name: string };
          input: { Item?: { sk?: { S?: string } } };
        }) => {
          if (
            command.constructor.name === 'PutItemCommand' &&
            command.input.Item?.sk?.S?.startsWith('CONSENT#')
          ) {
            reached();
            await held;
          }
          return table.client.send(command as never);
        },
      } as unknown as TableContext['client'];
      const callB = quietHelpdeskApi(emulators, { ...table, client: slowLedgerWrites }, () => NOW, {
        publishEvent: async (event) => void published.push(event),
      });
      const callA = apiAt(-offset);
      const post = (consent: string, evidence: string) =>
        apiRequest('POST', `/v1/contacts/${contactId}/consent`, {
          headers: { 'content-type': 'application/json', 'idempotency-key': 'form-42' },
          body: JSON.stringify({ channel: 'whatsapp', consent, evidence }),
        });
      // Act
      const b = callB(post('opted_in', 'web form: resume'));
      await bLedgerWrite;
      const a = await callA(post('opted_out', 'phone call: stop'));
      release();
      const refused = await b;
      const ledger = await request('GET', `/v1/contacts/${contactId}/consent`);
      const person = await request('GET', `/v1/contacts/${contactId}`);
      // Assess: before, both answered 200 and B's opt-in replaced A's opt-out in the ledger and the
      // register, with a second event under A's event id
      expect([a.status, refused.status]).toEqual([200, 422]);
      expectDocumentedAnswer('POST', `/v1/contacts/${contactId}/consent`, refused);
      expect(bodyOf(refused).type).toBe('urn:switchboard:problem:idempotency-key-reused');
      expect(
        (bodyOf(ledger).changes as { consent: string; evidence?: string }[]).map((c) => [
          c.consent,
          c.evidence,
        ]),
      ).toEqual([['opted_out', 'phone call: stop']]);
      expect(
        (bodyOf(person).channels as { channel: string; consent: unknown }[]).find(
          (c) => c.channel === 'whatsapp',
        ),
      ).toMatchObject({ consent: { whatsapp_marketing: { consent: 'opted_out', at: bodyOf(a).at } } });
      expect(published.map((event) => (event.data as { consent?: string }).consent)).toEqual(['opted_out']);
    },
  );

  it('pages a consent ledger newest first, a change recorded between pages skipping and repeating none', async () => {
    // Prepare: five changes recorded by the helpdesk, a minute apart
    const { channel, contact, conversationId } = conversationFor('api-ledger-pages');
    await recorder.recordEvent(messageEvent('api-ledger-pages', 'ledger1', minute(1)));
    const contactId = contactIdFor(channel, contact, conversationId);
    const path = `/v1/contacts/${contactId}/consent`;
    const recordAt = async (at: number, consent: string) => {
      const later = quietHelpdeskApi(emulators, table, () => new Date(NOW.getTime() + at * 60_000), {
        newId: () => `ledger-${at}`,
      });
      const response = await later({
        method: 'POST',
        path,
        query: {},
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'whatsapp', consent, evidence: `change ${at}` }),
        principal: 'p',
      } as never);
      expect(response.status).toBe(200);
    };
    for (const at of [1, 2, 3, 4, 5]) await recordAt(at, at % 2 === 0 ? 'opted_in' : 'opted_out');
    const evidence = (response: { body?: unknown }) =>
      (bodyOf(response).changes as { evidence?: string }[]).map((change) => change.evidence);
    // Act: two pages of two, a sixth change, then the rest; a cursor of another person's ledger
    const first = await request('GET', path, { query: { limit: '2' } });
    const second = await request('GET', path, {
      query: { limit: '2', cursor: String(bodyOf(first).nextCursor) },
    });
    await recordAt(6, 'opted_in');
    const third = await request('GET', path, {
      query: { limit: '2', cursor: String(bodyOf(second).nextCursor) },
    });
    const whole = await request('GET', path);
    const other = conversationFor('api-ledger-other');
    await recorder.recordEvent(messageEvent('api-ledger-other', 'ledger2', minute(1)));
    const otherPath = `/v1/contacts/${contactIdFor(other.channel, other.contact, other.conversationId)}/consent`;
    const foreign = await request('GET', otherPath, { query: { cursor: String(bodyOf(first).nextCursor) } });
    const tooMany = await request('GET', path, { query: { limit: '501' } });
    // Assess
    expect([evidence(first), evidence(second), evidence(third)]).toEqual([
      ['change 5', 'change 4'],
      ['change 3', 'change 2'],
      ['change 1'],
    ]);
    expect(bodyOf(third).nextCursor).toBeUndefined();
    expect(evidence(whole)).toEqual(['change 6', 'change 5', 'change 4', 'change 3', 'change 2', 'change 1']);
    expect(bodyOf(whole).nextCursor).toBeUndefined();
    expect([foreign.status, tooMany.status]).toEqual([400, 400]);
  });

  it('shows a WhatsApp marketing stop sent under the customer’s other identifier on the person and in the ledger', async () => {
    // Prepare: the conversation opened by wa_id learns the BSUID; the stop carries the BSUID alone
    const endpoint: BusinessEndpoint = { type: 'whatsapp_phone_number', id: 'api-identifiers' };
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912349200' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.api-identifiers' };
    const about = (identities: [ChannelIdentity, ...ChannelIdentity[]]) => ({
      channel: 'whatsapp' as const,
      provider: 'meta' as const,
      endpoint,
      contact: { identities },
      conversationId: contactConversationId('whatsapp', endpoint, identities[0]),
    });
    const received = (identities: [ChannelIdentity, ...ChannelIdentity[]], id: string, at: string) =>
      buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', id), {
        ...about(identities),
        hubMessageId: hubMessageIdFor('whatsapp', id),
        direction: 'inbound',
        providerMessageId: id,
        providerTimestamp: at,
        receivedAt: at,
        parts: [{ type: 'text', text: 'hello' }],
      });
    await recorder.recordEvent(received([wa], 'wamid.api-identifiers-1', minute(1)));
    await recorder.recordEvent(received([wa, bsuid], 'wamid.api-identifiers-2', minute(2)));
    await recorder.recordEvent(
      buildEvent('switchboard.contact.consent_changed', 'evt_api_identifiers_stop', {
        ...about([bsuid]),
        providerTimestamp: minute(3),
        receivedAt: minute(3),
        scope: 'whatsapp_marketing',
        consent: 'opted_out',
        trigger: 'stop',
      }),
    );
    const contactId = contactIdFor('whatsapp', { identities: [wa] }, '');
    // Act
    const person = await request('GET', `/v1/contacts/${contactId}`);
    const ledger = await request('GET', `/v1/contacts/${contactId}/consent`);
    // Assess
    expect(bodyOf(person).channels).toEqual([
      expect.objectContaining({
        channel: 'whatsapp',
        consent: { whatsapp_marketing: expect.objectContaining({ consent: 'opted_out', trigger: 'stop' }) },
      }),
    ]);
    expect(bodyOf(ledger).changes).toEqual([
      expect.objectContaining({
        eventId: 'evt_api_identifiers_stop',
        scope: 'whatsapp_marketing',
        consent: 'opted_out',
        at: minute(3),
      }),
    ]);
  });

  it('shows a person known only by a STOP (no conversation), and that STOP beside a later WhatsApp conversation', async () => {
    // Prepare: an SMS STOP to a campaign from someone who never wrote; a second person's STOP, then
    // a WhatsApp message of the same person (the same number)
    const stop = (phone: string, id: string) => {
      const identity: ChannelIdentity = { type: 'phone', value: `+${phone}` };
      const endpoint: BusinessEndpoint = { type: 'phone_number', id: '+14155550199' };
      return buildEvent('switchboard.contact.consent_changed', id, {
        channel: 'sms',
        provider: 'twilio',
        endpoint,
        contact: { identities: [identity] },
        conversationId: contactConversationId('sms', endpoint, identity),
        providerTimestamp: minute(1),
        receivedAt: minute(1),
        scope: 'sms',
        consent: 'opted_out',
        trigger: 'STOP',
      });
    };
    await recorder.recordEvent(stop('306912345601', 'evt_api_stop_only'));
    await recorder.recordEvent(stop('306912345602', 'evt_api_stop_then_whatsapp'));
    await recorder.recordEvent(messageEvent('306912345602', 'wamid.after-stop', minute(2)));
    const onlyStop = contactIdFor('sms', { identities: [{ type: 'phone', value: '+306912345601' }] }, '');
    const both = contactIdFor('whatsapp', { identities: [{ type: 'wa_id', value: '306912345602' }] }, '');
    // Act
    const person = await request('GET', `/v1/contacts/${onlyStop}`);
    const ledger = await request('GET', `/v1/contacts/${onlyStop}/consent`);
    const bothPerson = await request('GET', `/v1/contacts/${both}`);
    const bothLedger = await request('GET', `/v1/contacts/${both}/consent`);
    // Assess: before, 404 for the first, and the second's SMS channel and STOP were missing
    expect([person.status, ledger.status, bothPerson.status, bothLedger.status]).toEqual([
      200, 200, 200, 200,
    ]);
    expect(bodyOf(person).channels).toEqual([
      {
        channel: 'sms',
        identities: [{ type: 'phone', value: '+306912345601' }],
        consent: { sms: expect.objectContaining({ consent: 'opted_out' }) },
      },
    ]);
    expect(bodyOf(ledger).changes).toEqual([expect.objectContaining({ eventId: 'evt_api_stop_only' })]);
    expect((bodyOf(bothPerson).channels as { channel: string }[]).map((c) => c.channel).sort()).toEqual([
      'sms',
      'whatsapp',
    ]);
    expect(bodyOf(bothLedger).changes).toEqual([
      expect.objectContaining({ eventId: 'evt_api_stop_then_whatsapp' }),
    ]);
  });

  it('records consent for a person known only by a STOP (no conversation), as GET shows them, publishing nothing', async () => {
    // Prepare: a campaign STOP from someone who never wrote
    const identity: ChannelIdentity = { type: 'phone', value: '+306912345611' };
    const endpoint: BusinessEndpoint = { type: 'phone_number', id: '+14155550199' };
    await recorder.recordEvent(
      buildEvent('switchboard.contact.consent_changed', 'evt_api_stop_then_consent', {
        channel: 'sms',
        provider: 'twilio',
        endpoint,
        contact: { identities: [identity] },
        conversationId: contactConversationId('sms', endpoint, identity),
        providerTimestamp: minute(1),
        receivedAt: minute(1),
        scope: 'sms',
        consent: 'opted_out',
        trigger: 'STOP',
      }),
    );
    const contactId = contactIdFor('sms', { identities: [identity] }, '');
    const consent = (channel: string) =>
      request('POST', `/v1/contacts/${contactId}/consent`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel, consent: 'opted_in', evidence: 'customer called: resume texts' }),
      });
    // Act
    const recorded = await consent('sms');
    const otherChannel = await consent('whatsapp');
    const person = await request('GET', `/v1/contacts/${contactId}`);
    const ledger = await request('GET', `/v1/contacts/${contactId}/consent`);
    // Assess: before, 404 "the contact has no conversation on sms"
    expect([recorded.status, otherChannel.status]).toEqual([200, 404]);
    expect(bodyOf(recorded)).toMatchObject({ contactId, channel: 'sms', consent: 'opted_in', contacts: 1 });
    expect(bodyOf(person).channels).toEqual([
      expect.objectContaining({
        channel: 'sms',
        consent: { sms: expect.objectContaining({ consent: 'opted_in' }) },
      }),
    ]);
    expect((bodyOf(ledger).changes as { consent: string }[]).map((change) => change.consent)).toEqual([
      'opted_in',
      'opted_out',
    ]);
    expect(published).toEqual([]);
  });

  it('shows the opt-out an erasure kept once the customer writes again, as the sender enforces it', async () => {
    // Prepare: the helpdesk records a WhatsApp marketing opt-out; the person is erased; they write again
    await recorder.recordEvent(messageEvent('306912399001', 'wamid.kept-1', minute(1)));
    const contactId = contactIdFor(
      'whatsapp',
      { identities: [{ type: 'wa_id', value: '306912399001' }] },
      '',
    );
    const recorded = await request('POST', `/v1/contacts/${contactId}/consent`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'whatsapp', consent: 'opted_out', evidence: 'asked on the phone' }),
    });
    const erased = await request('DELETE', `/v1/contacts/${contactId}`);
    await recorder.recordEvent(messageEvent('306912399001', 'wamid.kept-2', minute(30)));
    // Act
    const person = await request('GET', `/v1/contacts/${contactId}`);
    // Assess: before, `consent: {}` while the sender refused marketing
    expect([recorded.status, erased.status, person.status]).toEqual([200, 200, 200]);
    expect(bodyOf(person).channels).toEqual([
      expect.objectContaining({
        channel: 'whatsapp',
        consent: { whatsapp_marketing: expect.objectContaining({ consent: 'opted_out' }) },
      }),
    ]);
  });

  it('records consent and shows every channel of a person with more than 100 conversations, reading every page', async () => {
    // Prepare: one customer writes to 110 WhatsApp business numbers, then to an SMS number whose
    // conversation sorts after all of them in the person's partition (past the first page of 100).
    const phone = '306912349100';
    const whatsapp: ChannelIdentity = { type: 'wa_id', value: phone };
    const sms: ChannelIdentity = { type: 'phone', value: `+${phone}` };
    const received = (
      channel: 'whatsapp' | 'sms',
      endpoint: BusinessEndpoint,
      identity: ChannelIdentity,
      id: string,
    ): HubEvent =>
      buildEvent('switchboard.message.received', eventIdFor(channel, 'message', id), {
        channel,
        provider: channel === 'sms' ? 'twilio' : 'meta',
        endpoint,
        contact: { identities: [identity] },
        conversationId: contactConversationId(channel, endpoint, identity),
        hubMessageId: hubMessageIdFor(channel, id),
        direction: 'inbound',
        providerMessageId: id,
        providerTimestamp: minute(1),
        receivedAt: minute(1),
        parts: [{ type: 'text', text: 'hello' }],
      });
    const whatsappConversations: string[] = [];
    for (let n = 0; n < 110; n++) {
      const endpoint: BusinessEndpoint = { type: 'whatsapp_phone_number', id: `many-numbers-${n}` };
      whatsappConversations.push(contactConversationId('whatsapp', endpoint, whatsapp));
      await recorder.recordEvent(received('whatsapp', endpoint, whatsapp, `wamid.many-${n}`));
    }
    const lastWhatsapp = whatsappConversations.sort().at(-1) ?? '';
    let smsNumber = 0;
    const smsEndpointOf = (n: number): BusinessEndpoint => ({
      type: 'phone_number',
      id: `+1555000${String(n).padStart(4, '0')}`,
    });
    while (contactConversationId('sms', smsEndpointOf(smsNumber), sms) <= lastWhatsapp) smsNumber++;
    await recorder.recordEvent(received('sms', smsEndpointOf(smsNumber), sms, 'SMmany-numbers'));
    const contactId = contactIdFor('sms', { identities: [sms] }, '');
    calls.length = 0;
    // Act
    const recorded = await request('POST', `/v1/contacts/${contactId}/consent`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'sms', consent: 'opted_out', evidence: 'asked on the phone' }),
    });
    const consentCalls = [...calls];
    const person = await request('GET', `/v1/contacts/${contactId}`);
    // Assess
    expect(recorded.status).toBe(200);
    expect(bodyOf(recorded)).toMatchObject({ contactId, channel: 'sms', consent: 'opted_out', contacts: 1 });
    // Whom the id stands for, two pages of the partition (100 and 11) beside the channel contacts
    // listed under the person and the merges into them (none), then the one SMS contact's ledger
    // entry and register.
    expect(consentCalls).toEqual([
      'GetItem',
      'Query',
      'Query',
      'Query',
      'BatchGetItem',
      'Query',
      'BatchGetItem',
      'PutItem',
      'UpdateItem',
    ]);
    expect(person.status).toBe(200);
    const channels = bodyOf(person).channels as { channel: string; consent: Record<string, unknown> }[];
    expect(channels.map(({ channel }) => channel).sort()).toEqual(['sms', 'whatsapp']);
    expect(channels.find(({ channel }) => channel === 'sms')?.consent).toMatchObject({
      sms: { consent: 'opted_out' },
    });
  });

  it('resolves on the current version with one conditional write between a marker and its removal, says who changed what, and refuses a stale version', async () => {
    // Prepare
    const path = `/v1/conversations/${idOf('api-b')}`;
    const read = await request('GET', path);
    const etag = read.headers.etag ?? '';
    const patch = {
      method: 'PATCH',
      headers: { 'if-match': etag, 'content-type': 'application/json' },
      body: '{"status":"resolved"}',
    };
    calls.length = 0;
    // Act
    const resolved = await request('PATCH', path, patch);
    const patchCalls = [...calls];
    const retried = await request('PATCH', path, patch);
    const stale = await request('PATCH', path, { ...patch, body: '{"assignee":"agent-2"}' });
    const missing = await request('PATCH', path, {
      body: '{"status":"open"}',
      headers: { 'content-type': 'application/json' },
    });
    // Assess
    expect(resolved.status).toBe(200);
    // The read, the announcement marker, the conditional write, and once the event is queued the
    // change forgotten and the marker deleted.
    expect(patchCalls).toEqual(['GetItem', 'PutItem', 'UpdateItem', 'UpdateItem', 'DeleteItem']);
    expect(bodyOf(resolved)).toMatchObject({
      status: 'resolved',
      version: Number(/^"(\d+)\./.exec(etag)?.[1]) + 1,
    });
    expect(published[0]?.type).toBe('switchboard.conversation.state_changed');
    expect(published[0]?.data).toMatchObject({
      previousStatus: 'open',
      changedBy: { kind: 'agent', id: 'arn:aws:iam::123456789012:user/agent' },
      changes: ['status'],
    });
    expect(retried.status).toBe(200);
    expect(published[1]?.id).toBe(published[0]?.id);
    expect(stale.status).toBe(412);
    expect(bodyOf(stale).type).toBe('urn:switchboard:problem:version-mismatch');
    expect(missing.status).toBe(428);
  });

  it('refuses with 412 an ETag read before an erasure once the customer writes again (the same id at version 1), and a bare version', async () => {
    // Prepare: a conversation at version 1, its ETag read; the person erased; the customer writes again
    await recorder.recordEvent(messageEvent('306912366001', 'wamid.etag-1', minute(1)));
    const contactId = contactIdFor(
      'whatsapp',
      { identities: [{ type: 'wa_id', value: '306912366001' }] },
      '',
    );
    const path = `/v1/conversations/${idOf('306912366001')}`;
    const before = await request('GET', path);
    const erased = await request('DELETE', `/v1/contacts/${contactId}`);
    await recorder.recordEvent(messageEvent('306912366001', 'wamid.etag-2', minute(40)));
    const after = await request('GET', path);
    const patchWith = (etag: string) =>
      request('PATCH', path, {
        headers: { 'if-match': etag, 'content-type': 'application/json' },
        body: '{"status":"resolved"}',
      });
    // Act
    const stale = await patchWith(before.headers.etag ?? '');
    const bare = await patchWith(`"${String(bodyOf(after).version)}"`);
    const current = await patchWith(after.headers.etag ?? '');
    // Assess: before, the ETag was "1" both times and the stale one resolved the new conversation
    expect(erased.status).toBe(200);
    expect([bodyOf(before).version, bodyOf(after).version]).toEqual([1, 1]);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.headers.etag).toMatch(/^"1\.[0-9a-f]{8}"$/);
    expect([stale.status, bare.status, current.status]).toEqual([412, 412, 200]);
    expect(stale.headers.etag).toBe(after.headers.etag);
  });

  it('takes an If-Match list holding the current ETag, and `*` for any current version; answers a weak ETag, or a list without the current one, 412 with the current ETag', async () => {
    // Prepare
    await recorder.recordEvent(messageEvent('api-if-match', 'im1', minute(1)));
    const path = `/v1/conversations/${idOf('api-if-match')}`;
    const patchWith = async (ifMatch: string, body: string) => {
      const answer = await request('PATCH', path, {
        headers: { 'if-match': ifMatch, 'content-type': 'application/json' },
        body,
      });
      return { status: answer.status, etag: answer.headers.etag };
    };
    const first = (await request('GET', path)).headers.etag ?? '';
    // Act
    const weak = await patchWith(`W/${first}`, '{"priority":"high"}');
    const listed = await patchWith(`"1.00000000", "x", W/"9", ${first}`, '{"priority":"high"}');
    const second = listed.etag ?? '';
    const withoutCurrent = await patchWith(`${first}, W/${second}`, '{"priority":"low"}');
    const any = await patchWith('*', '{"priority":"low"}');
    const malformed = await patchWith(`${second} "1.00000000"`, '{"priority":"low"}');
    const missing = await request('PATCH', `/v1/conversations/conv_${'e'.repeat(32)}`, {
      headers: { 'if-match': '*', 'content-type': 'application/json' },
      body: '{"priority":"low"}',
    });
    // Assess: until 2026-12-06 a list and a weak tag were 400s (one strong tag only)
    expect(weak).toEqual({ status: 412, etag: first });
    expect(listed.status).toBe(200);
    expect(second).not.toBe(first);
    expect(withoutCurrent).toEqual({ status: 412, etag: second });
    expect(any.status).toBe(200);
    expect(any.etag).not.toBe(second);
    expect(malformed.status).toBe(400);
    expect(missing.status).toBe(404);
  });

  it('refuses a query parameter a route does not take with a 400 naming it, before reading anything (an erasure too)', async () => {
    // Prepare: a person who exists, and a conversation
    await recorder.recordEvent(messageEvent('306912366077', 'wamid.query-1', minute(1)));
    const contactId = contactIdFor(
      'whatsapp',
      { identities: [{ type: 'wa_id', value: '306912366077' }] },
      '',
    );
    const conversation = `/v1/conversations/${idOf('306912366077')}`;
    calls.length = 0;
    // Act
    const answers = [
      await request('GET', conversation, { query: { dryRun: 'true' } }),
      await request('DELETE', `/v1/contacts/${contactId}`, { query: { dryRun: 'true' } }),
      await request('POST', `${conversation}/typing`, { query: { dryRun: 'true' } }),
      await request('GET', '/v1/openapi.json', { query: { v: '2' } }),
    ];
    const readBefore = [...calls];
    const person = await request('GET', `/v1/contacts/${contactId}`);
    // Assess: until 2026-12-06 only the listings read their query, and the erasure erased
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400]);
    expect(answers.map((answer) => bodyOf(answer).errors)).toEqual([
      [{ field: 'query', message: expect.stringContaining('dryRun') }],
      [{ field: 'query', message: expect.stringContaining('dryRun') }],
      [{ field: 'query', message: expect.stringContaining('dryRun') }],
      [{ field: 'query', message: expect.stringContaining('"v"') }],
    ]);
    expect(readBefore).toEqual([]);
    expect(person.status).toBe(200);
  });

  it('refuses a query parameter given twice (payload 2.0 joins it with commas) with a 400 naming it, and takes a comma of the value itself', async () => {
    // Prepare: a conversation assigned to a team whose id holds a comma; the events as API Gateway makes them
    await recorder.recordEvent(messageEvent('api-comma', 'cm1', minute(1)));
    const path = `/v1/conversations/${idOf('api-comma')}`;
    const etag = (await request('GET', path)).headers.etag ?? '';
    await request('PATCH', path, {
      headers: { 'if-match': etag, 'content-type': 'application/json' },
      body: JSON.stringify({ assignee: 'Support, EMEA' }),
    });
    const eventOf = (rawQueryString: string) =>
      ({
        version: '2.0',
        routeKey: 'GET /v1/conversations',
        rawPath: '/v1/conversations',
        rawQueryString,
        queryStringParameters: Object.fromEntries(
          [...new URLSearchParams(rawQueryString).keys()].map((name) => [
            name,
            new URLSearchParams(rawQueryString).getAll(name).join(','),
          ]),
        ),
        headers: {},
        isBase64Encoded: false,
        requestContext: {
          requestId: 'q1',
          http: { method: 'GET' },
          authorizer: { iam: { userArn: 'arn:aws:iam::1:user/a' } },
        },
      }) as unknown as APIGatewayProxyEventV2;
    const call = async (rawQueryString: string) => {
      const routed = toApiRequest(eventOf(rawQueryString), undefined);
      return 'principal' in routed ? api(routed) : routed;
    };
    calls.length = 0;
    // Act
    const repeated = await call('assignee=Support&assignee=%20EMEA');
    const repeatedLabel = await call('label=vip&label=billing&limit=5');
    const readBefore = [...calls];
    const comma = await call('assignee=Support%2C%20EMEA');
    // Assess: until 2026-12-06 the first listed the conversations of the assignee "Support, EMEA"
    expect([repeated.status, repeatedLabel.status]).toEqual([400, 400]);
    expect(bodyOf(repeated).errors).toEqual([
      { field: 'query.assignee', message: expect.stringContaining('more than once') },
    ]);
    expect(bodyOf(repeatedLabel).errors).toEqual([
      { field: 'query.label', message: expect.stringContaining('more than once') },
    ]);
    expect(readBefore).toEqual([]);
    expect(comma.status).toBe(200);
    expect((bodyOf(comma).items as { conversationId: string }[]).map((item) => item.conversationId)).toEqual([
      idOf('api-comma'),
    ]);
  });

  it('refuses a JSON body declared in a charset other than UTF-8 with 415 when it holds a character outside ASCII, takes one all ASCII whatever its charset, and takes charset=utf-8 (or its label utf8) in any case, quoted or not', async () => {
    // Prepare
    const path = `/v1/conversations/${idOf('api-c')}/messages`;
    const bodyWith = (text: string) =>
      JSON.stringify({ parts: [{ type: 'text', text }], sender: { kind: 'agent', id: 'a' } });
    const body = bodyWith('Café ouvert');
    const sendAs = (contentType: string, key: string, text = body) =>
      request('POST', path, {
        headers: { 'content-type': contentType, 'idempotency-key': key },
        body: text,
      });
    // Act
    const latin1 = await sendAs('application/json; charset=iso-8859-1', 'charset-latin1');
    const quoted = await sendAs('application/json;charset="windows-1252"', 'charset-quoted');
    const utf8 = await sendAs('application/json; Charset="UTF-8"', 'charset-utf8');
    const plain = await sendAs('application/json;charset=utf-8', 'charset-plain');
    const alias = await sendAs('application/json; charset=utf8', 'charset-alias');
    // All ASCII (an é escaped as \u00e9 too): it reads the same in each of these charsets
    const ascii = await sendAs('application/json; charset=us-ascii', 'charset-ascii', bodyWith('Cafe'));
    const latin1Ascii = await sendAs(
      'application/json; charset=ISO-8859-1',
      'charset-latin1-ascii',
      bodyWith('Café').replace('é', '\\u00e9'),
    );
    // Assess: until 2026-12-06 the charset was not read; that day, an ASCII body in another charset was refused too
    expect([latin1.status, quoted.status, utf8.status, plain.status, alias.status]).toEqual([
      415, 415, 202, 202, 202,
    ]);
    expect(bodyOf(latin1).type).toBe('urn:switchboard:problem:unsupported-media-type');
    expect([ascii.status, latin1Ascii.status]).toEqual([202, 202]);
    expect(queued).toHaveLength(5);
    expect(queued.at(-1)?.command).toMatchObject({ data: { parts: [{ type: 'text', text: 'Café' }] } });
  });

  it('refuses a base64-encoded body (payload 2.0) that is not UTF-8 with 400, never reading it with U+FFFD, and decodes one that is', () => {
    // Prepare: "Grüße" as Latin-1 bytes, and as UTF-8
    const json = JSON.stringify({
      parts: [{ type: 'text', text: 'Grüße' }],
      sender: { kind: 'agent', id: 'a' },
    });
    const eventOf = (bytes: Buffer) =>
      ({
        version: '2.0',
        routeKey: 'POST /v1/conversations/{conversationId}/messages',
        rawPath: `/v1/conversations/${idOf('api-c')}/messages`,
        headers: { 'content-type': 'application/json', 'idempotency-key': 'b64' },
        body: bytes.toString('base64'),
        isBase64Encoded: true,
        requestContext: {
          requestId: 'b1',
          http: { method: 'POST' },
          authorizer: { iam: { userArn: 'arn:aws:iam::1:user/a' } },
        },
      }) as unknown as APIGatewayProxyEventV2;
    // Act
    const latin1 = toApiRequest(eventOf(Buffer.from(json, 'latin1')), undefined);
    const utf8 = toApiRequest(eventOf(Buffer.from(json, 'utf8')), undefined);
    // Assess: until 2026-12-06 the Latin-1 body was decoded as "Gr\uFFFD\uFFFDe"
    expect(latin1).toMatchObject({
      status: 400,
      body: { type: 'urn:switchboard:problem:invalid-request', detail: 'the body is not UTF-8' },
    });
    expect(utf8).toMatchObject({ body: json });
  });

  it("refuses a PATCH actor that names one of the hub's own (switchboard:…), publishing nothing, and takes a helpdesk system's", async () => {
    // Prepare
    const path = `/v1/conversations/${idOf('api-a')}`;
    const patchAs = async (actor: unknown) => {
      const read = await request('GET', path);
      return request('PATCH', path, {
        headers: { 'if-match': read.headers.etag ?? '', 'content-type': 'application/json' },
        body: JSON.stringify({ priority: 'high', actor }),
      });
    };
    // Act
    const impostors = [
      await patchAs({ kind: 'system', id: 'switchboard:snooze-timer' }),
      await patchAs({ kind: 'agent', id: 'switchboard:helpdesk-api' }),
      await patchAs({ kind: 'bot', id: 'Switchboard:snooze-timer' }),
    ];
    const refusedPublished = published.length;
    const helpdeskSystem = await patchAs({ kind: 'system', id: 'acme-helpdesk:auto-close' });
    // Assess
    for (const answer of impostors) {
      expect(answer.status).toBe(400);
      expect(bodyOf(answer).errors).toEqual([expect.objectContaining({ field: 'body.actor.id' })]);
      expect(JSON.stringify(answer.body)).not.toContain('snooze-timer');
    }
    expect(refusedPublished).toBe(0);
    expect(helpdeskSystem.status).toBe(200);
    expect(published.map((event) => event.data)).toEqual([
      expect.objectContaining({ changedBy: { kind: 'system', id: 'acme-helpdesk:auto-close' } }),
    ]);
  });

  it('keeps a snooze given with an offset as the UTC instant, so the sweeper finds it due at that instant', async () => {
    // Prepare: a customer waiting; a snooze to 12:30 UTC written as 21:30 in Tokyo
    await recorder.recordEvent(messageEvent('api-snooze-offset', 's1', minute(7)));
    const path = `/v1/conversations/${idOf('api-snooze-offset')}`;
    const read = await request('GET', path);
    // Act
    const snoozed = await request('PATCH', path, {
      headers: { 'if-match': read.headers.etag ?? '', 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'snoozed', snoozedUntil: '2026-11-22T21:30:00.000+09:00' }),
    });
    const dueAt = (until: string) =>
      attentionEntries(table, 'snoozed', until, { ascending: true, pageSize: 100, maxEntries: 100 });
    const beforeDue = await dueAt('2026-11-22T12:29:59.999Z');
    const whenDue = await dueAt('2026-11-22T12:30:00.000Z');
    // Assess
    expect(snoozed.status).toBe(200);
    expect(bodyOf(snoozed).snoozedUntil).toBe('2026-11-22T12:30:00.000Z');
    expect(published.at(-1)?.data).toMatchObject({ state: { snoozedUntil: '2026-11-22T12:30:00.000Z' } });
    expect(beforeDue.entries.map((entry) => entry.conversationId)).not.toContain(idOf('api-snooze-offset'));
    expect(whenDue.entries).toContainEqual(
      expect.objectContaining({ conversationId: idOf('api-snooze-offset'), at: '2026-11-22T12:30:00.000Z' }),
    );
  });

  it('answers a PATCH whose write lost a race as its retry would: 200 when the same change won, else 412 with the current ETag', async () => {
    // Prepare: before the first UpdateItem of a PATCH, another request does its PATCH from start to end
    await recorder.recordEvent(messageEvent('api-patch-race', 'r1', minute(9)));
    const path = `/v1/conversations/${idOf('api-patch-race')}`;
    const { dynamodb } = emulators.clients;
    const patchRacedBy = async (body: string, racing: string) => {
      const etag = (await request('GET', path)).headers.etag ?? '';
      const patch = { headers: { 'if-match': etag, 'content-type': 'application/json' } };
      let raced: Promise<Awaited<ReturnType<typeof request>>> | undefined;
      dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'UpdateItemCommand' && raced === undefined) {
            raced = request('PATCH', path, { ...patch, body: racing });
            await raced;
          }
          return next(args);
        },
        { step: 'initialize', name: 'racePatch' },
      );
      try {
        const answer = await request('PATCH', path, { ...patch, body });
        return { answer, racing: await raced };
      } finally {
        dynamodb.middlewareStack.remove('racePatch');
      }
    };
    // Act
    const same = await patchRacedBy('{"priority":"high"}', '{"priority":"high"}');
    const sameEvents = published.splice(0);
    const other = await patchRacedBy('{"priority":"low"}', '{"assignee":"agent-9"}');
    // Assess: the same change is one change, answered twice and published twice under one id
    expect(same.racing?.status).toBe(200);
    expect(same.answer.status).toBe(200);
    expect(same.answer.headers.etag).toBe(same.racing?.headers.etag);
    expect(same.answer.body).toEqual(same.racing?.body);
    expect(sameEvents.map((event) => event.id)).toEqual([sameEvents[0]?.id, sameEvents[0]?.id]);
    // Another change won: 412 with the version it made, as for any stale If-Match
    expect(other.racing?.status).toBe(200);
    expect(other.answer.status).toBe(412);
    expect(bodyOf(other.answer).type).toBe('urn:switchboard:problem:version-mismatch');
    expect(other.answer.headers.etag).toBe(other.racing?.headers.etag);
  });

  it("answers a Messenger conversation's read and delivered watermarks on GET and PATCH, as the list does", async () => {
    // Prepare: a Messenger customer's message, then Meta's delivery and read watermarks of the page's answer
    const endpoint: BusinessEndpoint = { type: 'facebook_page', id: 'page-1' };
    const identity: ChannelIdentity = { type: 'psid', value: 'psid-watermarks' };
    const conversationId = contactConversationId('messenger', endpoint, identity);
    const context = {
      channel: 'messenger' as const,
      provider: 'meta' as const,
      endpoint,
      contact: { identities: [identity] },
      conversationId,
      providerTimestamp: minute(10),
      receivedAt: minute(10),
    };
    await recorder.recordEvent(
      buildEvent('switchboard.message.received', eventIdFor('messenger', 'message', 'm-1'), {
        ...context,
        hubMessageId: hubMessageIdFor('messenger', 'm-1'),
        direction: 'inbound',
        providerMessageId: 'm-1',
        parts: [{ type: 'text', text: 'hello' }],
      }),
    );
    for (const [status, watermark] of [
      ['delivered', minute(11)],
      ['read', minute(12)],
    ] as const)
      await recorder.recordEvent(
        buildEvent('switchboard.message.status_updated', eventIdFor('messenger', status, watermark), {
          ...context,
          status,
          providerStatus: status,
          providerMessageIds: [],
          watermark,
        }),
      );
    const watermarks = { readWatermark: minute(12), deliveredWatermark: minute(11) };
    const path = `/v1/conversations/${conversationId}`;
    // Act
    const read = await request('GET', path);
    const patched = await request('PATCH', path, {
      headers: { 'if-match': read.headers.etag ?? '', 'content-type': 'application/json' },
      body: '{"labels":["vip"]}',
    });
    const unchanged = await request('PATCH', path, {
      headers: { 'if-match': patched.headers.etag ?? '', 'content-type': 'application/json' },
      body: '{"labels":["vip"]}',
    });
    const listed = await request('GET', `/v1/contacts/${String(bodyOf(read).contactId)}/conversations`);
    // Assess
    expect(read.status).toBe(200);
    expect(bodyOf(read)).toMatchObject(watermarks);
    expect(patched.status).toBe(200);
    expect(bodyOf(patched)).toMatchObject({ labels: ['vip'], ...watermarks });
    expect(bodyOf(unchanged)).toMatchObject(watermarks);
    expect((bodyOf(listed).items as unknown[])[0]).toMatchObject(watermarks);
  });

  it("queues a reply with the sender's hub message id and a deduplication id from the key", async () => {
    // Prepare
    const path = `/v1/conversations/${idOf('api-c')}/messages`;
    const body = JSON.stringify({
      parts: [{ type: 'text', text: 'Thanks!' }],
      sender: { kind: 'agent', id: 'a-1' },
    });
    calls.length = 0;
    // Act
    const accepted = await request('POST', path, {
      headers: { 'idempotency-key': 'reply-1', 'content-type': 'application/json' },
      body,
    });
    const again = await request('POST', path, {
      headers: { 'idempotency-key': 'reply-1', 'content-type': 'application/json' },
      body,
    });
    const keyless = await request('POST', path, { headers: { 'content-type': 'application/json' }, body });
    // Assess
    expect(accepted.status).toBe(202);
    expect(bodyOf(accepted).hubMessageId).toBe(outboundHubMessageId(idOf('api-c'), 'reply-1'));
    expect(bodyOf(again)).toEqual(bodyOf(accepted));
    expect(queued[0]?.command).toMatchObject({
      type: 'switchboard.command.send_message',
      data: { idempotencyKey: 'reply-1' },
    });
    expect(queued[0]?.deduplicationId).toBe(queued[1]?.deduplicationId);
    expect(calls.slice(0, 1)).toEqual(['GetItem']);
    expect(keyless.status).toBe(400);
    expect(bodyOf(keyless).errors).toEqual([expect.objectContaining({ field: 'header.idempotency-key' })]);
  });

  it('refuses with 422 an Idempotency-Key the sender already took for other content, queueing nothing, and answers a repeat 202', async () => {
    // Prepare: a reply under key reuse-1, taken by the sender (its send record holds the content's hash)
    const path = `/v1/conversations/${idOf('api-c')}/messages`;
    const headers = { 'idempotency-key': 'reuse-1', 'content-type': 'application/json' };
    const first = {
      parts: [{ type: 'text', text: 'Your refund is on its way.' }],
      sender: { kind: 'agent', id: 'a-1' },
    };
    queued.length = 0;
    const accepted = await request('POST', path, { headers, body: JSON.stringify(first) });
    const [taken] = queued;
    if (taken?.command.type !== 'switchboard.command.send_message') throw new Error('nothing queued');
    await createSendStore(table).claim({
      hubMessageId: outboundHubMessageId(idOf('api-c'), 'reuse-1'),
      conversationId: idOf('api-c'),
      commandId: taken.command.id,
      commandHash: commandHashOf(taken.command.data),
      state: 'sending',
      acceptedAt: NOW.toISOString(),
      messageCount: 0,
      next: 0,
      providerIds: [],
      links: {},
    });
    queued.length = 0;
    // Act
    const repeat = await request('POST', path, { headers, body: JSON.stringify(first) });
    const other = await request('POST', path, {
      headers,
      body: JSON.stringify({ ...first, parts: [{ type: 'text', text: 'Your refund was refused.' }] }),
    });
    // Assess
    expect(accepted.status).toBe(202);
    expect(repeat.status).toBe(202);
    expect(bodyOf(repeat)).toEqual(bodyOf(accepted));
    expect(other.status).toBe(422);
    expect(bodyOf(other)).toMatchObject({ type: 'urn:switchboard:problem:idempotency-key-reused' });
    expect(queued.map((entry) => entry.command.data)).toEqual([taken.command.data]);
  });

  it('refuses a send or a PATCH with a field the contract does not name inside a part, sender or actor: a 400 naming it, nothing queued', async () => {
    // Prepare: a misspelled caption, an extra field in `sender`, a media source with both an s3Key and a URL, an actor's extra field
    const json = { 'content-type': 'application/json' };
    const path = `/v1/conversations/${idOf('api-c')}/messages`;
    const sends = [
      {
        parts: [
          { type: 'media', kind: 'image', source: { url: 'https://cdn.example.com/a.png' }, captoin: 'Hi' },
        ],
        sender: { kind: 'agent', id: 'a-1' },
      },
      { parts: [{ type: 'text', text: 'Hi' }], sender: { kind: 'agent', id: 'a-1', name: 'Ann' } },
      {
        parts: [
          {
            type: 'media',
            kind: 'image',
            source: { s3Key: 'attachments/a.png', url: 'https://cdn.example.com/a.png' },
          },
        ],
        sender: { kind: 'agent', id: 'a-1' },
      },
    ];
    queued.length = 0;
    // Act
    const answers = [];
    for (const [index, send] of sends.entries())
      answers.push(
        await request('POST', path, {
          headers: { ...json, 'idempotency-key': `strict-${index}` },
          body: JSON.stringify(send),
        }),
      );
    const read = await request('GET', `/v1/conversations/${idOf('api-c')}`);
    const patch = await request('PATCH', `/v1/conversations/${idOf('api-c')}`, {
      headers: { ...json, 'if-match': read.headers.etag ?? '' },
      body: JSON.stringify({ priority: 'high', actor: { kind: 'agent', id: 'a-1', team: 'x' } }),
    });
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
    expect(bodyOf(answers[0] as never).errors).toEqual([expect.objectContaining({ field: 'body.parts.0' })]);
    expect(JSON.stringify(bodyOf(answers[0] as never).errors)).toContain('captoin');
    expect(JSON.stringify(bodyOf(answers[1] as never).errors)).toContain('name');
    expect(patch.status).toBe(400);
    expect(JSON.stringify(bodyOf(patch).errors)).toContain('team');
    expect(queued).toEqual([]);
    expect(published).toEqual([]);
  });

  it('refuses half a character (an unpaired UTF-16 surrogate) in a PATCH, a merge reason or consent evidence with a 400 naming the field, before reading anything', async () => {
    // Prepare: the text a helpdesk keeps is stored and published as UTF-8, which has no form for it
    const json = { 'content-type': 'application/json' };
    const half = 'Ann \ud83d';
    const read = await request('GET', `/v1/conversations/${idOf('api-c')}`);
    const person = `ct_${'0'.repeat(32)}`;
    calls.length = 0;
    // Act
    const patches = [];
    for (const change of [
      { assignee: half },
      { labels: ['vip', 'half\ud83d'] },
      { priority: 'high', actor: { kind: 'agent', id: half } },
    ])
      patches.push(
        await request('PATCH', `/v1/conversations/${idOf('api-c')}`, {
          headers: { ...json, 'if-match': read.headers.etag ?? '' },
          body: JSON.stringify(change),
        }),
      );
    const merge = await request('POST', `/v1/contacts/${person}/merge`, {
      headers: json,
      body: JSON.stringify({ contactId: `ct_${'1'.repeat(32)}`, reason: half }),
    });
    const consent = await request('POST', `/v1/contacts/${person}/consent`, {
      headers: json,
      body: JSON.stringify({ channel: 'sms', consent: 'opted_out', evidence: half }),
    });
    // Assess
    expect([...patches, merge, consent].map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400]);
    expect(JSON.stringify(bodyOf(patches[0] as never).errors)).toContain('body.assignee');
    expect(JSON.stringify(bodyOf(patches[1] as never).errors)).toContain('body.labels.1');
    expect(JSON.stringify(bodyOf(patches[2] as never).errors)).toContain('body.actor.id');
    expect(JSON.stringify(bodyOf(merge).errors)).toContain('body.reason');
    expect(JSON.stringify(bodyOf(consent).errors)).toContain('body.evidence');
    expect(calls).toEqual([]);
    expect(published).toEqual([]);
  });

  it('credits a PATCH without an actor to the caller, its id cut on a whole character at 256', async () => {
    // Prepare: a principal whose 256th code unit is the first half of an emoji
    const read = await request('GET', `/v1/conversations/${idOf('api-c')}`);
    const principal = `${'a'.repeat(255)}😀`;
    // Act
    const answer = await request('PATCH', `/v1/conversations/${idOf('api-c')}`, {
      headers: { 'content-type': 'application/json', 'if-match': read.headers.etag ?? '' },
      body: JSON.stringify({ labels: ['principal-cut'] }),
      principal,
    });
    // Assess: never half a character, which has no UTF-8 form
    expect(answer.status).toBe(200);
    const changed = published.find((event) => event.type === 'switchboard.conversation.state_changed');
    expect(JSON.stringify(changed?.data)).toContain(`"changedBy":{"kind":"agent","id":"${'a'.repeat(255)}"}`);
  });

  it('refuses a template whose named parameter is called __proto__ with a 400 naming it, queueing nothing, where zod would drop it', async () => {
    // Prepare: a named parameter JavaScript cannot hold as data, beside an ordinary one
    const body =
      '{"parts":[{"type":"template","name":"order_update","language":"en_US","parameters":{"__proto__":"a","b":"c"}}],"sender":{"kind":"agent","id":"a-1"}}';
    queued.length = 0;
    // Act
    const answer = await request('POST', `/v1/conversations/${idOf('api-c')}/messages`, {
      headers: { 'content-type': 'application/json', 'idempotency-key': 'proto-parameter-1' },
      body,
    });
    // Assess: before 2026-12-05 it was dropped, answered 202 and the send failed at the provider
    expect(answer.status).toBe(400);
    expect(bodyOf(answer).errors).toEqual([
      expect.objectContaining({ field: 'body.parts.0.parameters.__proto__' }),
    ]);
    expect(queued).toEqual([]);
  });

  it('refuses with 413 a send whose body fits but whose queued command would be larger than the sender takes, queueing nothing', async () => {
    // Prepare: four long text parts, padded so the body is just under the bound
    const path = `/v1/conversations/${idOf('api-c')}/messages`;
    const bodyWith = (padding: number) =>
      JSON.stringify({
        parts: [
          ...Array.from({ length: 3 }, () => ({ type: 'text', text: 'a'.repeat(65_536) })),
          { type: 'text', text: 'b'.repeat(padding) },
        ],
        sender: { kind: 'agent', id: 'a-1' },
      });
    const overhead = Buffer.byteLength(bodyWith(0), 'utf8');
    const body = bodyWith(MAX_COMMAND_BYTES - 16 - overhead);
    const headers = { 'idempotency-key': 'oversize-1', 'content-type': 'application/json' };
    // Act
    const refused = await request('POST', path, { headers, body });
    // Assess
    expect(Buffer.byteLength(body, 'utf8')).toBe(MAX_COMMAND_BYTES - 16);
    expect(refused.status).toBe(413);
    expect(bodyOf(refused).type).toBe('urn:switchboard:problem:payload-too-large');
    expect(String(bodyOf(refused).detail)).toContain(String(MAX_COMMAND_BYTES));
    expect(JSON.stringify(refused.body)).not.toContain('bbbb');
    expect(queued).toEqual([]);
  });

  it('answers 400 "invalid cursor", reading nothing, for a forged cursor with an empty key, a sort key over 1,024 bytes, or one outside the query', async () => {
    // Prepare: cursors of the open conversations' query (a position per shard of STATUS#open, and of
    // the unsharded partition of before), forged in each way; a contact's listing takes only its own
    // (time, id) cursors
    const read = await request('GET', `/v1/conversations/${idOf('api-a')}`);
    const contactId = String(bodyOf(read).contactId);
    const queryHash = queryHashOf({});
    const shards = statusPartitions('open');
    const spread = (hash: string, p: unknown[]) =>
      Buffer.from(JSON.stringify({ v: 2, q: hash, p })).toString('base64url');
    const at = (entry: unknown) => shards.map((_, index) => (index === 0 ? entry : null));
    const sortKey = `2026-11-22T10#${idOf('api-a')}`;
    const forged = {
      emptySortKey: spread(queryHash, at([''])),
      sortKeyOver1024Bytes: spread(queryHash, at([`2026-11-22T10#${'é'.repeat(600)}`])),
      sortKeyWithoutItsConversation: spread(queryHash, at(['2026-11-22T10'])),
      notAConversationId: spread(queryHash, at(['2026-11-22T10', 'MSG#msg_1'])),
      loneSurrogate: spread(queryHash, at([`2026-11-22T10#${idOf('api-a')}\ud800`])),
      fewerPartitionsThanTheQuery: spread(queryHash, at([sortKey]).slice(1)),
      anotherQuerysPositions: spread(queryHashOf({ status: 'resolved' }), at([sortKey])),
      singlePositionOfBeforeTheShards: encodeCursor(queryHash, {
        direction: 'after',
        position: { pk: `CONV#${idOf('api-a')}`, sk: 'STATE', gsi1pk: 'STATUS#open', gsi1sk: sortKey },
        inclusive: false,
      }),
    };
    const path = `/v1/contacts/${contactId}/conversations`;
    const activityCursor = (hash: string) =>
      Buffer.from(JSON.stringify({ v: 1, q: hash, at: minute(1), c: idOf('api-a') })).toString('base64url');
    // Act
    const genuine = await request('GET', '/v1/conversations', {
      query: { cursor: spread(queryHash, at([sortKey])) },
    });
    const genuineOfContact = await request('GET', path, {
      query: { cursor: activityCursor(queryHashOf({ contact: contactId })) },
    });
    const answers: Record<string, { status: number; detail: unknown; calls: string[] }> = {};
    const cursors = {
      ...forged,
      listCursorOfAContact: spread(queryHashOf({ contact: contactId }), at([sortKey])),
      activityCursorOfTheOpenList: activityCursor(queryHash),
    };
    for (const [name, cursor] of Object.entries(cursors)) {
      calls.length = 0;
      const answer = await request('GET', name.includes('Contact') ? path : '/v1/conversations', {
        query: { cursor },
      });
      answers[name] = { status: answer.status, detail: bodyOf(answer).detail, calls: [...calls] };
    }
    // Assess
    expect([genuine.status, genuineOfContact.status]).toEqual([200, 200]);
    const refused = { status: 400, detail: 'invalid cursor', calls: [] };
    expect(answers).toEqual(Object.fromEntries(Object.keys(cursors).map((name) => [name, refused])));
  });

  it("lists a contact's conversations newest activity first across pages, with sort=activity too", async () => {
    // Prepare: one customer writes to six SMS numbers, 50 minutes apart, the ids in another order
    const phone = '+306912388001';
    for (let n = 0; n < 6; n++)
      await recorder.recordEvent(
        smsReceived(phone, `SMorder-${n}`, minute(n * 50), { endpointId: `+1555000010${n}` }),
      );
    const contactId = contactIdFor('sms', { identities: [{ type: 'phone', value: phone }] }, '');
    const path = `/v1/contacts/${contactId}/conversations`;
    const times = (response: { body?: unknown }) =>
      (bodyOf(response).items as { lastMessageAt: string }[]).map((c) => c.lastMessageAt);
    // Act
    const first = await request('GET', path, { query: { limit: '4' } });
    const second = await request('GET', path, {
      query: { limit: '4', cursor: String(bodyOf(first).nextCursor) },
    });
    const bySort = await request('GET', '/v1/conversations', {
      query: { contact: contactId, sort: 'activity' },
    });
    const waiting = await request('GET', '/v1/conversations', {
      query: { contact: contactId, waiting: 'true' },
    });
    // Assess: before, each page in conversation id order, and sort=activity refused
    const newestFirst = [250, 200, 150, 100, 50, 0].map((m) => minute(m));
    expect([...times(first), ...times(second)]).toEqual(newestFirst);
    expect(bodyOf(second).nextCursor).toBeUndefined();
    expect(times(bySort)).toEqual(newestFirst);
    expect(waiting.status).toBe(400);
  });

  it('answers 404 for unknown conversations and contacts, and reads a person in two GetItems, four Queries and two BatchGetItems', async () => {
    // Act
    const conversation = await request('GET', `/v1/conversations/conv_${'0'.repeat(32)}`);
    const nobody = await request('GET', `/v1/contacts/ct_${'0'.repeat(32)}`);
    const read = await request('GET', `/v1/conversations/${idOf('api-a')}`);
    calls.length = 0;
    const contact = await request('GET', `/v1/contacts/${String(bodyOf(read).contactId)}`);
    const contactCalls = [...calls];
    const theirs = await request('GET', `/v1/contacts/${String(bodyOf(read).contactId)}/conversations`);
    // Assess
    expect(conversation.status).toBe(404);
    expect(nobody.status).toBe(404);
    expect(contact.status).toBe(200);
    // Whom the id stands for (merges), the person's conversations, the contacts listed under them
    // and the merges into them (none, so no person's listed contacts more; none without a
    // conversation here, so no read of their items), consent with the opt-outs an erasure kept (the
    // contact items, then the kept one: a GetItem for one key), the merges into them for the answer.
    expect(contactCalls).toEqual([
      'GetItem',
      'Query',
      'Query',
      'Query',
      'BatchGetItem',
      'BatchGetItem',
      'GetItem',
      'Query',
    ]);
    expect(bodyOf(contact)).toEqual({
      contactId: bodyOf(read).contactId,
      channels: [{ channel: 'whatsapp', identities: [{ type: 'wa_id', value: 'api-a' }], consent: {} }],
      merged: [],
    });
    expect((bodyOf(theirs).items as { conversationId: string }[]).map((c) => c.conversationId)).toEqual([
      idOf('api-a'),
    ]);
  });

  it('takes a JSON body shaped like a response as a body: a 400 naming its fields, never the answer itself', async () => {
    // Prepare: bodies with the fields of the router's own responses (status, headers, body)
    const json = { 'content-type': 'application/json' };
    // Act
    const upload = await request('POST', '/v1/media', {
      headers: json,
      body: JSON.stringify({ status: 599, headers: { 'set-cookie': 'x=y' }, body: 'hi' }),
    });
    const typing = await request('POST', `/v1/conversations/${idOf('api-a')}/typing`, {
      headers: json,
      body: JSON.stringify({ status: 200, headers: {} }),
    });
    // Assess
    for (const answer of [upload, typing]) {
      expect(answer.status).toBe(400);
      expect(answer.headers).toEqual({ 'content-type': 'application/problem+json' });
      expect(bodyOf(answer)).toMatchObject({
        type: 'urn:switchboard:problem:invalid-request',
        detail: 'invalid body',
      });
    }
    expect(queued).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('answers malformed input with a 4xx problem, never a 5xx, and reads nothing before validating (property)', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('', '"1"', 'conv_x', 'true', '-1', '101', '{}', '[]'),
    );
    const requests = fc.record({
      route: fc.constantFrom(...API_ROUTES),
      id: fc.oneof(text, fc.constant(`conv_${'f'.repeat(32)}`)),
      query: fc.dictionary(
        fc.constantFrom('status', 'waiting', 'sort', 'limit', 'cursor', 'label', 'from', 'x'),
        text,
        { maxKeys: 3 },
      ),
      headers: fc.dictionary(fc.constantFrom('if-match', 'idempotency-key', 'content-type'), text, {
        maxKeys: 3,
      }),
      body: fc.option(fc.oneof(text, fc.json({ maxDepth: 3 })), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(requests, async ({ route, id, query, headers, body }) => {
        calls.length = 0;
        const path = route.path.replace(/\{[a-zA-Z]+\}/, encodeURIComponent(id));
        const response = await request(route.method, path, {
          query,
          headers,
          ...(body === undefined ? {} : { body }),
        });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.headers['content-type']).toBe('application/problem+json');
          expect(bodyOf(response).type).toMatch(/^urn:switchboard:problem:/);
        }
        // A refused request never scanned; a valid one made at most a Query of each index partition it
        // lists (the shards of a status, or of the waiting customers) and a BatchGetItem.
        expect(calls).not.toContain('Scan');
        expect(calls.filter((call) => call === 'Query').length).toBeLessThanOrEqual(
          statusPartitions('open').length,
        );
        expect(calls.filter((call) => call !== 'Query').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('answers 405 with Allow for a method a path does not take, and runs no handler for what API Gateway matched to no route', async () => {
    // Act
    const wrongMethod = await request('DELETE', `/v1/conversations/${idOf('api-a')}`);
    calls.length = 0;
    // A path this router matches, come by the catch-all: its route's JWT scope was never asked.
    const unmatched = await api({
      method: 'GET',
      path: '/v1/conversations',
      query: {},
      headers: {},
      principal: 'p',
      unmatched: true,
    });
    // Assess
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers).toMatchObject({
      allow: 'GET, PATCH',
      'content-type': 'application/problem+json',
    });
    expect(unmatched.status).toBe(404);
    expect(calls).toEqual([]);
  });

  it("sends the table nothing the API's IAM policy does not allow (over every call above)", () => {
    // Assess: `everyCall` holds the commands of all the tests in this file
    expect(everyCall.size).toBeGreaterThan(0);
    for (const name of everyCall)
      expect(HELPDESK_API_TABLE_ACTIONS as readonly string[]).toContain(`dynamodb:${name}`);
  });
});

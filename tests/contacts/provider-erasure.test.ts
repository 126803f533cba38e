import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { createWiredHelpdeskApi } from '#shared/api/wiring.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
  outboundHubMessageId,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { localClients, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createProviderErasure } from '#shared/outbound/provider-erasure.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { createSendStore } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';
import { fakeTwilio } from '#tests/support/fake-twilio.ts';
import { takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';
import { createResponseValidator } from '#tests/support/openapi-contract.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * Erasure of a person with Twilio messages, against the local DynamoDB and SQS and a fake Twilio:
 * the customer's inbound SMS and the hub's reply are redacted at Twilio (body emptied, media
 * deleted) while their records still name them, then the hub's erasure runs as always; the API
 * reports what Twilio did, the stream's event does not carry it. When Twilio fails, the hub's
 * erasure still completes and the failures are counted.
 */

const ACCOUNT = LOCAL_DEV_SECRETS.twilio.accountSid ?? '';
const CANARY = 'canary-provider-erasure-5Kd';
const endpoint = { type: 'phone_number' as const, id: '+15550000500', accountId: ACCOUNT };
const sidOf = (n: number) => `SM${String(n).padStart(32, '0')}`;
const MEDIA = `ME${'5'.repeat(32)}`;

const smsFrom = (
  phone: string,
  sid: string,
  direction: 'inbound' | 'outbound' = 'inbound',
): { event: HubEvent; hubMessageId: string } => {
  const identities: [ChannelIdentity] = [{ type: 'phone', value: phone }];
  const conversationId = contactConversationId('sms', endpoint, identities[0]);
  const hubMessageId =
    direction === 'inbound'
      ? hubMessageIdFor('sms', sid)
      : outboundHubMessageId(conversationId, `reply-${sid}`);
  const event = buildEvent(
    direction === 'inbound' ? 'switchboard.message.received' : 'switchboard.message.sent',
    eventIdFor('sms', 'message', sid),
    {
      channel: 'sms',
      provider: 'twilio',
      endpoint,
      contact: { identities },
      conversationId,
      hubMessageId,
      direction,
      providerMessageId: sid,
      ...(direction === 'outbound' ? { sentBy: 'hub' as const, providerMessageIds: [sid] } : {}),
      providerTimestamp: minute(1),
      receivedAt: minute(1),
      parts: [{ type: 'text', text: `${CANARY} ${direction}` }],
    },
  );
  return { event, hubMessageId };
};

describe('erasure of a person with Twilio messages', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  const matchesContract = createResponseValidator();

  /** A person with an inbound SMS (with a picture) and the hub's reply, sent through the outbox. */
  const personWithTwilioMessages = async (phone: string, first: number) => {
    const inbound = smsFrom(phone, sidOf(first));
    const reply = smsFrom(phone, sidOf(first + 1), 'outbound');
    await recorder.recordEvent(inbound.event);
    await recorder.recordEvent(reply.event);
    const sends = createSendStore(context);
    await sends.claim({
      hubMessageId: reply.hubMessageId,
      conversationId: reply.event.subject,
      commandId: `cmd_${first}`,
      commandHash: 'hash',
      state: 'sending',
      acceptedAt: minute(1),
      messageCount: 1,
      next: 0,
      providerIds: [],
      links: {},
      plan: {
        channel: 'sms',
        provider: 'twilio',
        endpoint,
        recipient: { type: 'phone', value: phone },
        withinWindow: true,
        humanAgentTag: false,
      },
    });
    await sends.accept(reply.hubMessageId, 0, sidOf(first + 1));
    return contactIdFor('sms', { identities: [{ type: 'phone', value: phone }] }, '');
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    recorder = quietRecorder(context);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const tableText = async () => {
    const output = await context.client.send(new ScanCommand({ TableName: context.tableName }));
    return JSON.stringify((output.Items ?? []).map((raw) => unmarshall(raw)));
  };

  /** The helpdesk API on the emulators, as `createWiredHelpdeskApi` wires it, without providers. */
  const apiWiring = (dynamodb = emulators.clients.dynamodb) => ({
    pseudonymKey: localPseudonymKey,
    dynamodb,
    sqs: emulators.clients.sqs,
    s3: emulators.clients.s3,
    tableName: context.tableName,
    payloadBucket: emulators.resources.bucketName,
    helpdeskQueueUrl: emulators.resources.helpdeskQueueUrl,
    outboxQueueUrl: emulators.resources.outboxQueueUrl,
    logger: createLogger({ level: 'error', write: () => {} }),
  });

  /** The providers' settings, every call going through `fetch` (the fake Twilio). */
  const providersThrough = (fetch: typeof globalThis.fetch) => ({
    secrets: async () => LOCAL_DEV_SECRETS,
    twilioApiUrl: 'https://api.twilio.test',
    graphApiUrl: 'https://graph.facebook.test',
    graphApiVersion: 'v23.0',
    fetch,
  });

  /** DELETE /v1/contacts/{person}, as an operator. */
  const eraseWith = (api: ReturnType<typeof createWiredHelpdeskApi>, person: string) =>
    api({
      method: 'DELETE',
      path: `/v1/contacts/${person}`,
      query: {},
      headers: {},
      principal: 'operator:test',
    });

  it('redacts both messages at Twilio before the records go, answers the counts, and keeps them off the event', async () => {
    // Prepare
    const person = await personWithTwilioMessages('+306912340501', 501);
    const twilio = fakeTwilio();
    twilio.messages.set(sidOf(501), { accountSid: ACCOUNT, body: `${CANARY} inbound`, media: [MEDIA] });
    twilio.messages.set(sidOf(502), { accountSid: ACCOUNT, body: `${CANARY} outbound`, media: [] });
    let recordsWhenTwilioWasCalled: string | undefined;
    // The API's own client, so only its calls are counted (not this test's scans).
    const { dynamodb } = localClients(emulators.endpoints);
    const tableCalls = new Set<string>();
    dynamodb.middlewareStack.add(
      (next, commandContext) => async (args) => {
        tableCalls.add(`dynamodb:${String(commandContext.commandName).replace(/Command$/, '')}`);
        return next(args);
      },
      { step: 'initialize', name: 'countErasureCalls' },
    );
    const api = createWiredHelpdeskApi({
      ...apiWiring(dynamodb),
      providers: providersThrough(async (input, init) => {
        recordsWhenTwilioWasCalled ??= await tableText();
        return twilio.fetch(input, init);
      }),
    });
    // Act
    const response = await eraseWith(api, person);
    dynamodb.destroy();
    const after = await tableText();
    const events = await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);
    // Assess
    expect(response.status).toBe(200);
    expect(matchesContract('DELETE', '/v1/contacts/{contactId}', 200, response.body)).toBeUndefined();
    expect(response.body).toMatchObject({
      providerRedactions: {
        twilio: { messages: 2, media: 1, failed: 0 },
        whatsapp: { uploads: 0, failed: 0 },
      },
    });
    expect(twilio.messages.get(sidOf(501))).toEqual({ accountSid: ACCOUNT, body: '', media: [] });
    expect(twilio.messages.get(sidOf(502))?.body).toBe('');
    expect(recordsWhenTwilioWasCalled).toContain(CANARY);
    expect(after).not.toContain(CANARY);
    const erased = events.filter((event) => event.type === 'switchboard.contact.erased');
    expect(erased.map((event) => event.subject)).toEqual([person]);
    expect(erased[0]?.data).not.toHaveProperty('providerRedactions');
    for (const action of tableCalls)
      expect(HELPDESK_API_TABLE_ACTIONS as readonly string[]).toContain(action);
  });

  it("completes the hub's erasure when Twilio fails, counting what Twilio may still hold", async () => {
    // Prepare
    const person = await personWithTwilioMessages('+306912340511', 511);
    const twilio = fakeTwilio();
    const failing: typeof fetch = async (input, init) => {
      twilio.answerNext(503);
      return twilio.fetch(input, init);
    };
    const lines: string[] = [];
    // Act
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: async () => undefined,
        redactAtProviders: createProviderErasure({
          secrets: async () => LOCAL_DEV_SECRETS,
          twilioApiUrl: 'https://api.twilio.test',
          graphApiUrl: 'https://graph.facebook.test',
          graphApiVersion: 'v23.0',
          fetch: failing,
          sleep: async () => undefined,
          logger: createLogger({ level: 'warn', write: (line) => lines.push(line) }),
        }),
      },
      person,
    );
    const after = await tableText();
    // Assess
    expect(report?.providerRedactions).toEqual({
      twilio: { messages: 0, media: 0, failed: 2 },
      whatsapp: { uploads: 0, failed: 0 },
    });
    // (its sends are left as tombstones, counted there)
    expect(report?.itemsDeleted).toBeGreaterThan(2);
    expect(after).not.toContain(CANARY);
    expect(after).not.toContain('306912340511');
    expect(twilio.requests.filter((request) => request.method === 'POST')).toHaveLength(6);
    expect(lines.join('\n')).toContain('twilio_20500');
    expect(lines.join('\n')).not.toContain('306912340511');
  });

  it('keeps what Twilio did not redact and redacts it on the next erasure call, with one erased event', async () => {
    // Prepare: Twilio holds both messages and fails every request of the first call
    const person = await personWithTwilioMessages('+306912340521', 521);
    const twilio = fakeTwilio();
    twilio.messages.set(sidOf(521), { accountSid: ACCOUNT, body: `${CANARY} inbound`, media: [MEDIA] });
    twilio.messages.set(sidOf(522), { accountSid: ACCOUNT, body: `${CANARY} outbound`, media: [] });
    let twilioDown = true;
    const api = createWiredHelpdeskApi({
      ...apiWiring(),
      providers: providersThrough(async (input, init) => {
        if (twilioDown) twilio.answerNext(503);
        return twilio.fetch(input, init);
      }),
    });
    const erase = () => eraseWith(api, person);
    // Act
    const first = await erase();
    const kept = await tableText();
    twilioDown = false;
    const second = await erase();
    const third = await erase();
    const after = await tableText();
    const events = await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);
    // Assess
    expect(first.body).toMatchObject({ providerRedactions: { twilio: { messages: 0, failed: 2 } } });
    expect(kept).toContain(sidOf(521));
    expect(kept).not.toContain(CANARY);
    expect(kept).not.toContain('306912340521');
    expect(second.status).toBe(200);
    expect(matchesContract('DELETE', '/v1/contacts/{contactId}', 200, second.body)).toBeUndefined();
    expect(second.body).toMatchObject({
      providerRedactions: {
        twilio: { messages: 2, media: 1, failed: 0 },
        whatsapp: { uploads: 0, failed: 0 },
      },
    });
    expect(twilio.messages.get(sidOf(521))).toEqual({ accountSid: ACCOUNT, body: '', media: [] });
    expect(twilio.messages.get(sidOf(522))?.body).toBe('');
    expect(third.status).toBe(404);
    expect(after).not.toContain(sidOf(521));
    expect(after).not.toContain(sidOf(522));
    const erased = events.filter(
      (event) => event.type === 'switchboard.contact.erased' && event.subject === person,
    );
    expect(erased).toHaveLength(1);
  });

  it.each([
    [
      '1,020 characters: its key was over what DynamoDB takes, every call answered 500',
      1_020,
      '+306912340541',
    ],
    ['100 characters: kept, it was never read again', 100, '+306912340542'],
    ['11 characters: kept, it was refused again at every retry for 30 days', 11, '+306912340543'],
  ])(
    'erases a person whose stored Twilio message id is no Message SID (%s), keeping nothing to retry (found by a review)',
    async (_label, length, phone) => {
      // Prepare: a message recorded before the intake checked the SID's form
      const sid = `SM${'a'.repeat(length - 2)}`;
      await recorder.recordEvent(smsFrom(phone, sid).event);
      const person = contactIdFor('sms', { identities: [{ type: 'phone', value: phone }] }, '');
      const twilio = fakeTwilio();
      const api = createWiredHelpdeskApi({ ...apiWiring(), providers: providersThrough(twilio.fetch) });
      // Act
      const first = await eraseWith(api, person);
      const after = await tableText();
      const second = await eraseWith(api, person);
      // Assess: erased, the message counted failed (Twilio was never asked about that id), nothing kept
      expect(first.status).toBe(200);
      expect(matchesContract('DELETE', '/v1/contacts/{contactId}', 200, first.body)).toBeUndefined();
      expect(first.body).toMatchObject({ providerRedactions: { twilio: { messages: 0, failed: 1 } } });
      expect(twilio.requests).toEqual([]);
      expect(after).not.toContain(sid);
      expect(after).not.toContain(phone.slice(1));
      expect(second.status).toBe(404);
    },
  );

  it('keeps what Twilio did not redact through an erasure call without provider access, reporting it still pending', async () => {
    // Prepare: a first call with Twilio down keeps both messages' SIDs to retry
    const person = await personWithTwilioMessages('+306912340531', 531);
    const twilio = fakeTwilio();
    twilio.messages.set(sidOf(531), { accountSid: ACCOUNT, body: `${CANARY} inbound`, media: [MEDIA] });
    twilio.messages.set(sidOf(532), { accountSid: ACCOUNT, body: `${CANARY} outbound`, media: [] });
    let twilioDown = true;
    const withProviders = createWiredHelpdeskApi({
      ...apiWiring(),
      providers: providersThrough(async (input, init) => {
        if (twilioDown) twilio.answerNext(503);
        return twilio.fetch(input, init);
      }),
    });
    // `npm run erase` without SWITCHBOARD_TWILIO_SECRET_ARN or SWITCHBOARD_META_SECRET_ARN
    const withoutProviders = createWiredHelpdeskApi(apiWiring());
    const erase = (api: typeof withProviders) => eraseWith(api, person);
    await erase(withProviders);
    const kept = await tableText();
    expect(kept).toContain(sidOf(531));
    // Act
    const unasked = await erase(withoutProviders);
    const untouched = await tableText();
    twilioDown = false;
    const retried = await erase(withProviders);
    // Assess: nothing asked and nothing deleted, reported as still pending; a call with access redacts them
    expect(unasked.status).toBe(200);
    expect(matchesContract('DELETE', '/v1/contacts/{contactId}', 200, unasked.body)).toBeUndefined();
    expect(unasked.body).toMatchObject({
      providerRedactions: {
        twilio: { messages: 0, media: 0, failed: 2 },
        whatsapp: { uploads: 0, failed: 0 },
      },
    });
    expect(untouched).toBe(kept);
    expect(retried.body).toMatchObject({ providerRedactions: { twilio: { messages: 2, failed: 0 } } });
    expect(twilio.messages.get(sidOf(531))).toEqual({ accountSid: ACCOUNT, body: '', media: [] });
  });
});

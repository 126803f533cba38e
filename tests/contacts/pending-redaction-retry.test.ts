import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWiredHelpdeskApi } from '#shared/api/wiring.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import {
  createPendingRedactionRetry,
  PENDING_REDACTION_RETRY,
} from '#shared/outbound/pending-redaction-retry.ts';
import { createProviderErasure } from '#shared/outbound/provider-erasure.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { pendingRedactionKey } from '#shared/store/keys.ts';
import {
  isKeepableRedaction,
  pendingRedactionItem,
  pendingRedactionOf,
} from '#shared/store/pending-redactions.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { rememberWhatsAppUpload } from '#shared/store/whatsapp-uploads.ts';
import { minute } from '#tests/recorder/factories.ts';
import { fakeTwilio } from '#tests/support/fake-twilio.ts';
import { takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';

/*
 * The attention sweeper's retry of pending provider redactions, against the local DynamoDB and SQS
 * with a fake Twilio and a fake Graph API: what an erasure could not get the providers to forget is
 * retried without another DELETE once it is due (five minutes after the failure, then less often),
 * a bounded number per run; what is done is deleted, what fails again is rescheduled later, and no
 * second `contact.erased` is published.
 */

const ACCOUNT = LOCAL_DEV_SECRETS.twilio.accountSid ?? '';
const endpoint = { type: 'phone_number' as const, id: '+15550000600', accountId: ACCOUNT };
const waEndpoint = { type: 'whatsapp_phone_number' as const, id: '106540352242922' };
const sidOf = (n: number) => `SM${String(n).padStart(32, '0')}`;
const MINUTE = 60_000;

/** Graph's media node: the ids it holds, DELETE only. */
const fakeGraph = () => {
  const media = new Set<string>();
  const requests: string[] = [];
  const fetch = async (input: string | URL | Request): Promise<Response> => {
    const id = new URL(String(input)).pathname.split('/').at(-1) ?? '';
    requests.push(id);
    return media.delete(id)
      ? new Response(JSON.stringify({ success: true }), { status: 200 })
      : new Response(JSON.stringify({ error: { code: 100, error_subcode: 33 } }), { status: 400 });
  };
  return { fetch, media, requests };
};

describe('the scheduled retry of pending provider redactions', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  const twilio = fakeTwilio();
  const graph = fakeGraph();
  let down = true;
  /** Both providers, by host; every request fails while `down`. */
  const providersFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    if (url.host === 'graph.facebook.test')
      return down ? new Response('unavailable', { status: 503 }) : graph.fetch(input);
    if (down) twilio.answerNext(503);
    return twilio.fetch(input, init);
  };
  const providers = {
    secrets: async () => LOCAL_DEV_SECRETS,
    twilioApiUrl: 'https://api.twilio.test',
    graphApiUrl: 'https://graph.facebook.test',
    graphApiVersion: 'v23.0',
    fetch: providersFetch as typeof fetch,
  };
  const silent = createLogger({ level: 'error', write: () => {} });

  const tableContext = (now: () => Date): TableContext => ({
    client: emulators.clients.dynamodb,
    tableName: emulators.resources.tableName,
    now,
  });
  const retryAt = (at: Date, perRun?: number) =>
    createPendingRedactionRetry({
      table: tableContext(() => at),
      redactAtProviders: createProviderErasure({
        ...providers,
        logger: silent,
        sleep: async () => undefined,
      }),
      logger: silent,
      ...(perRun !== undefined ? { perRun } : {}),
    })();
  const pendingItems = async () => {
    const output = await emulators.clients.dynamodb.send(
      new ScanCommand({ TableName: emulators.resources.tableName }),
    );
    return (output.Items ?? [])
      .map((raw) => unmarshall(raw))
      .filter((item) => String(item.sk).startsWith('REDACT#'));
  };

  /** A person who wrote two SMS (Twilio holds both) and was sent a file uploaded to WhatsApp; erased while the providers fail. */
  const erasedWhileProvidersFail = async (phone: string, first: number) => {
    const identities: [ChannelIdentity] = [{ type: 'phone', value: phone }];
    const conversationId = contactConversationId('sms', endpoint, identities[0]);
    for (const n of [first, first + 1]) {
      await recorder.recordEvent(
        buildEvent('switchboard.message.received', eventIdFor('sms', 'message', sidOf(n)), {
          channel: 'sms',
          provider: 'twilio',
          endpoint,
          contact: { identities },
          conversationId,
          hubMessageId: hubMessageIdFor('sms', sidOf(n)),
          direction: 'inbound',
          providerMessageId: sidOf(n),
          providerTimestamp: minute(1),
          receivedAt: minute(1),
          parts: [{ type: 'text', text: `canary-retry ${n}` }],
        }),
      );
      twilio.messages.set(sidOf(n), { accountSid: ACCOUNT, body: `canary-retry ${n}`, media: [] });
    }
    const mediaId = String(7_000 + first);
    await rememberWhatsAppUpload(
      tableContext(() => new Date()),
      { hubMessageId: hubMessageIdFor('sms', sidOf(first)), mediaId, endpoint: waEndpoint },
    );
    graph.media.add(mediaId);
    const contactId = contactIdFor('sms', { identities }, '');
    const api = createWiredHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      dynamodb: emulators.clients.dynamodb,
      sqs: emulators.clients.sqs,
      s3: emulators.clients.s3,
      tableName: emulators.resources.tableName,
      payloadBucket: emulators.resources.bucketName,
      helpdeskQueueUrl: emulators.resources.helpdeskQueueUrl,
      outboxQueueUrl: emulators.resources.outboxQueueUrl,
      providers,
      logger: silent,
    });
    const erase = () =>
      api({
        method: 'DELETE',
        path: `/v1/contacts/${contactId}`,
        query: {},
        headers: {},
        principal: 'operator:test',
      });
    down = true;
    const erased = await erase();
    return { contactId, mediaId, erased, erase, erasedAt: new Date() };
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    recorder = createRecorderService({
      store: createRecorderStore(
        tableContext(() => new Date()),
        localPseudonymKey,
      ),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: silent,
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('leaves what is not yet due, then redacts and deletes what is, deleting the items and publishing nothing', async () => {
    // Prepare
    const person = await erasedWhileProvidersFail('+306912340601', 601);
    const kept = await pendingItems();
    down = false;
    await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);
    const before = twilio.requests.length + graph.requests.length;
    // Act
    const early = await retryAt(new Date(person.erasedAt.getTime() + MINUTE));
    const requestsWhenEarly = twilio.requests.length + graph.requests.length - before;
    const due = await retryAt(new Date(person.erasedAt.getTime() + 6 * MINUTE));
    const left = await pendingItems();
    const events = await takeHelpdeskEvents(emulators.clients.sqs, emulators.resources.helpdeskQueueUrl);
    const again = await person.erase();
    // Assess
    expect(person.erased.status).toBe(200);
    expect(person.erased.body).toMatchObject({
      providerRedactions: { twilio: { failed: 2 }, whatsapp: { uploads: 0, failed: 1 } },
    });
    expect(kept.map((item) => item.sk).sort()).toEqual(
      [`REDACT#${sidOf(601)}`, `REDACT#${sidOf(602)}`, `REDACT#WAMEDIA#${person.mediaId}`].sort(),
    );
    expect(kept.every((item) => item.gsi4pk === 'REDACT')).toBe(true);
    expect(early).toEqual({ retried: 0, done: 0, left: 0, unreadable: 0, abandoned: 0 });
    expect(requestsWhenEarly).toBe(0);
    expect(due).toEqual({ retried: 3, done: 3, left: 0, unreadable: 0, abandoned: 0 });
    expect(twilio.messages.get(sidOf(601))?.body).toBe('');
    expect(twilio.messages.get(sidOf(602))?.body).toBe('');
    expect(graph.media.has(person.mediaId)).toBe(false);
    expect(left).toEqual([]);
    expect(events).toEqual([]);
    expect(again.status).toBe(404);
  });

  it('reschedules what fails again, later each time, and takes at most its bound per run', async () => {
    // Prepare
    const person = await erasedWhileProvidersFail('+306912340611', 611);
    const at = new Date(person.erasedAt.getTime() + 6 * MINUTE);
    // Act
    const first = await retryAt(at, 2);
    const second = await retryAt(at, 2);
    const third = await retryAt(new Date(at.getTime() + 5 * MINUTE), 2);
    const items = await pendingItems();
    // Assess
    expect(PENDING_REDACTION_RETRY.perRun).toBeGreaterThan(2);
    expect(first).toEqual({ retried: 2, done: 0, left: 2, unreadable: 0, abandoned: 0 });
    expect(second).toEqual({ retried: 1, done: 0, left: 1, unreadable: 0, abandoned: 0 });
    expect(third).toEqual({ retried: 0, done: 0, left: 0, unreadable: 0, abandoned: 0 });
    expect(items).toHaveLength(3);
    for (const item of items) {
      expect(item.attempts).toBe(2);
      expect(item.gsi4sk).toBe(new Date(at.getTime() + 10 * MINUTE).toISOString());
      expect(JSON.stringify(item)).not.toMatch(/canary|306912340611/);
    }
  });

  it('stops trying past 30 days: an expired item is deleted from the index, not retried', async () => {
    // Prepare: a pending redaction whose first failure was 31 days ago (TTL has not deleted it yet).
    const longAgo = new Date(Date.now() - 31 * 24 * 60 * MINUTE);
    const item = pendingRedactionItem(
      'person-expired',
      { provider: 'twilio', providerMessageId: sidOf(699), endpoint, code: 'http_503' },
      undefined,
      longAgo,
    );
    await emulators.clients.dynamodb.send(
      new PutItemCommand({ TableName: emulators.resources.tableName, Item: marshall(item) }),
    );
    const before = twilio.requests.length;
    // Act
    const report = await retryAt(new Date());
    const items = await pendingItems();
    // Assess
    expect(report).toEqual({ retried: 0, done: 0, left: 0, unreadable: 0, abandoned: 0 });
    expect(twilio.requests.length).toBe(before);
    expect(items.map((one) => one.sk)).not.toContain(`REDACT#${sidOf(699)}`);
  });

  it('deletes and counts in the same run what it cannot read, and still retries what is due behind it (found by a review)', async () => {
    // Prepare: a person erased while the providers failed, and before them in the index a run's worth
    // of items written before 2026-12-06 for Twilio ids of 100 characters, which the store never reads
    const person = await erasedWhileProvidersFail('+306912340621', 621);
    down = false;
    const unreadable = Array.from({ length: PENDING_REDACTION_RETRY.perRun }, (_, n) => {
      const sid = `SM${String(n).padStart(98, 'b')}`;
      return {
        ...pendingRedactionKey('person-unreadable', sid),
        provider: 'twilio',
        providerMessageId: sid,
        endpoint,
        code: 'switchboard.invalid_sid',
        attempts: 1,
        firstFailedAt: person.erasedAt.toISOString(),
        expiresAt: Math.floor(person.erasedAt.getTime() / 1000) + 30 * 24 * 3_600,
        gsi4pk: 'REDACT',
        gsi4sk: new Date(person.erasedAt.getTime() + MINUTE + n).toISOString(),
      };
    });
    for (const item of unreadable)
      await emulators.clients.dynamodb.send(
        new PutItemCommand({ TableName: emulators.resources.tableName, Item: marshall(item) }),
      );
    const at = new Date(person.erasedAt.getTime() + 6 * MINUTE);
    // Act
    const first = await retryAt(at);
    const second = await retryAt(at);
    const left = (await pendingItems()).map((item) => String(item.sk));
    // Assess: before, each run took the unreadable items' 25 places and retried nothing, for 30 days
    expect(first).toEqual({
      retried: 3,
      done: 3,
      left: 0,
      unreadable: PENDING_REDACTION_RETRY.perRun,
      abandoned: 0,
    });
    expect(second).toEqual({ retried: 0, done: 0, left: 0, unreadable: 0, abandoned: 0 });
    expect(twilio.messages.get(sidOf(621))?.body).toBe('');
    expect(left.filter((sk) => unreadable.some((item) => item.sk === sk))).toEqual([]);
    expect(left).not.toContain(`REDACT#${sidOf(621)}`);
  });

  it('counts a kept redaction refused for good as abandoned, not done: a Twilio id not in Message SID form (found by a review)', async () => {
    // Prepare: an item kept before 2026-12-06 for an id the redactor now refuses without asking Twilio
    down = false;
    const sid = 'SMnot-a-message-sid';
    const item = pendingRedactionItem(
      'person-abandoned',
      { provider: 'twilio', providerMessageId: sid, endpoint, code: 'http_503' },
      undefined,
      new Date(Date.now() - 10 * MINUTE),
    );
    await emulators.clients.dynamodb.send(
      new PutItemCommand({ TableName: emulators.resources.tableName, Item: marshall(item) }),
    );
    const before = twilio.requests.length;
    // Act
    const report = await retryAt(new Date());
    const items = await pendingItems();
    // Assess: gone, as nothing could ever finish it, but not reported as redacted
    expect(report).toEqual({ retried: 1, done: 0, left: 0, unreadable: 0, abandoned: 1 });
    expect(twilio.requests.length).toBe(before);
    expect(items.map((one) => one.sk)).not.toContain(pendingRedactionKey('person-abandoned', sid).sk);
  });

  it('writes only what it reads back: the builder refuses a Twilio id of more than 64 characters (found by a review)', () => {
    // Prepare
    const unfinished = (sid: string) => ({
      provider: 'twilio' as const,
      providerMessageId: sid,
      endpoint,
      code: 'x',
    });
    const now = new Date();
    // Act
    const built = pendingRedactionItem('person-built', unfinished(sidOf(700)), undefined, now);
    const refused = () =>
      pendingRedactionItem('person-built', unfinished(`SM${'d'.repeat(98)}`), undefined, now);
    // Assess
    expect(pendingRedactionOf(built)).toMatchObject({ providerMessageId: sidOf(700), attempts: 1 });
    expect(refused).toThrow('could not read back');
    expect(isKeepableRedaction(unfinished(sidOf(700)))).toBe(true);
    expect(isKeepableRedaction(unfinished(`SM${'d'.repeat(98)}`))).toBe(false);
    expect(isKeepableRedaction({ ...unfinished(sidOf(700)), code: 'c'.repeat(500) })).toBe(true);
  });
});

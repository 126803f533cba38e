import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse } from '#shared/api/http.ts';
import type { HelpdeskApi } from '#shared/api/router.ts';
import {
  buildEvent,
  conversationIdFor,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { MAX_CONTACT_IDENTITIES } from '#shared/domain/conversation.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { MAX_CONTACT_ITEM_IDENTITIES } from '#shared/store/contacts.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute, sqsEvent } from '#tests/recorder/factories.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * GET /v1/contacts/{contactId} gathers a channel contact's identities from all its conversations
 * (shared/store/helpdesk-queries.ts). Each e-mail thread the customer's From opens keeps up to 16
 * (everyone who answered in it) and conversations never expire, so a sender forging the customer's
 * From grew the person's answer by ~5 KB a thread, past Lambda's 6 MB result after ~1,200 threads
 * (found by a review on 2026-12-06). The view lists at most as many as the contact item does.
 */

const NOW = new Date('2026-11-22T12:00:00.000Z');
const ENDPOINT = 'support@acme.example';
/** A real person's address (a reserved domain such as .example is a placeholder: no person). */
const CUSTOMER = 'dora@customer-mail.de';
const THREADS = 5;

const threadRoot = (thread: number) => `root-${thread}@customer.example`;
const threadConversation = (thread: number) =>
  conversationIdFor('email', ENDPOINT, `thread:${threadRoot(thread)}`);
/** The longest address the intake keeps (320 characters), one per thread and answerer. */
const answerer = (thread: number, index: number): string => {
  const tail = `-${thread}-${index}@other.example`;
  return `${'a'.repeat(320 - tail.length)}${tail}`;
};
const mail = (thread: number, from: string, messageId: string, at: string): HubEvent =>
  buildEvent('switchboard.message.received', eventIdFor('email', 'message', messageId), {
    hubMessageId: hubMessageIdFor('email', messageId),
    channel: 'email',
    provider: 'ses',
    endpoint: { type: 'email_address', id: ENDPOINT },
    contact: { identities: [{ type: 'email', value: from }] },
    conversationId: threadConversation(thread),
    direction: 'inbound',
    providerMessageId: messageId,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text: 'hello' }],
  });
/** A thread the customer opens (forged From), then 15 others answer: what one conversation keeps. */
const thread = (index: number): HubEvent[] => [
  mail(index, CUSTOMER, threadRoot(index), minute(1)),
  ...Array.from({ length: MAX_CONTACT_IDENTITIES - 1 }, (_, reply) =>
    mail(index, answerer(index, reply), `reply-${index}-${reply}@x`, minute(2 + reply)),
  ),
];

describe('GET /v1/contacts/{contactId} of an e-mail customer with many threads', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let recorder: RecorderService;
  let api: HelpdeskApi;
  const contactId = contactIdFor(
    'email',
    { identities: [{ type: 'email', value: CUSTOMER }] },
    threadConversation(0),
  );

  beforeAll(async () => {
    emulators = await startEmulators();
    table = { client: emulators.clients.dynamodb, tableName: emulators.resources.tableName, now: () => NOW };
    recorder = quietRecorder(table, () => NOW);
    api = quietHelpdeskApi(emulators, table, () => NOW);
  }, 120_000);
  afterAll(async () => {
    await emulators?.stop();
  });

  it('lists at most as many identities as the contact item holds, the customer first', async () => {
    // Prepare: five threads the From opened, each answered from 15 other addresses (1 + 5 × 15 identities in all)
    for (let index = 0; index < THREADS; index++) {
      const events = thread(index);
      const result = await recorder.handleSqsEvent(
        sqsEvent(
          events.map((event) => ({ id: event.id, group: event.subject, body: JSON.stringify(event) })),
        ),
      );
      expect(result.batchItemFailures).toEqual([]);
    }
    // Act
    const response = (await api({
      method: 'GET',
      path: `/v1/contacts/${contactId}`,
      query: {},
      headers: {},
      principal: 'arn:aws:iam::123456789012:user/agent',
    } satisfies ApiRequest)) as ApiResponse;
    // Assess
    expect(response.status).toBe(200);
    const body = response.body as { channels: { channel: string; identities: { value: string }[] }[] };
    const email = body.channels.find((one) => one.channel === 'email');
    expect(1 + THREADS * (MAX_CONTACT_IDENTITIES - 1)).toBeGreaterThan(MAX_CONTACT_ITEM_IDENTITIES);
    expect(email?.identities).toHaveLength(MAX_CONTACT_ITEM_IDENTITIES);
    expect(email?.identities[0]?.value).toBe(CUSTOMER);
  }, 120_000);
});

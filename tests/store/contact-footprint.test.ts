import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  conversationIdFor,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
  outboundHubMessageId,
} from '#shared/contract/index.ts';
import { MAX_CONTACT_IDENTITIES } from '#shared/domain/conversation.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import {
  contactFootprint,
  indexContact,
  MAX_CONTACT_ITEM_IDENTITIES,
  readContactConsent,
} from '#shared/store/contacts.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import {
  contactItemKey,
  contactKeyFor,
  IDENTITY_PARTITION_PREFIX,
  ITEM_KINDS,
  identityItemKey,
  kindOfKey,
} from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { DynamoReplayGuard } from '#shared/store/replay-guard.ts';
import { reserveSendKey } from '#shared/store/send-reservations.ts';
import { createSendStore } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';
import { rememberWhatsAppUpload } from '#shared/store/whatsapp-uploads.ts';
import {
  conversationFor,
  messageEvent,
  minute,
  reactionEvent,
  sqsEvent,
  statusEvent,
  unsentSend,
} from '#tests/recorder/factories.ts';

const keyText = (key: { pk: unknown; sk: unknown }) => `${String(key.pk)} ${String(key.sk)}`;

describe('every item of a contact, by the key catalogue', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
    };
    const recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: context.now,
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    // Two customers, each with messages both ways, statuses, a reaction, a send of the hub's that
    // never became a message (its call in flight when its command gave up: no message record
    // shares its partition), a send key the helpdesk API reserved; and a replay-guard item.
    const sends = createSendStore(context);
    for (const customer of ['canary-anna', 'canary-bob']) {
      const { endpoint, conversationId } = conversationFor(customer);
      await sends.claim(unsentSend(customer, `msg_unsent-${customer}`, minute(5)));
      // An Idempotency-Key the helpdesk API reserved in the conversation (its command not taken yet).
      await reserveSendKey(context, {
        conversationId,
        hubMessageId: outboundHubMessageId(conversationId, `reserved-${customer}`),
        commandHash: 'hash',
      });
      // A file the sender uploaded to WhatsApp for that send.
      await rememberWhatsAppUpload(context, {
        hubMessageId: `msg_unsent-${customer}`,
        mediaId: customer === 'canary-anna' ? '1000001' : '1000002',
        endpoint,
      });
      await recorder.recordEvent(
        messageEvent(customer, `${customer}-in-1`, minute(1), 'inbound', `from ${customer}`),
      );
      await recorder.recordEvent(
        messageEvent(customer, `${customer}-out-1`, minute(2), 'outbound', `to ${customer}`),
      );
      await recorder.recordEvent(statusEvent(customer, `${customer}-out-1`, 'read', minute(3)));
      await recorder.recordEvent(reactionEvent(customer, `${customer}-out-1`, '👍', minute(4)));
    }
    await new DynamoReplayGuard({
      putItem: (input) => context.client.send(new PutItemCommand(input)),
      tableName: context.tableName,
      now: context.now,
    }).claim('a mailgun token', 'a content digest', new Date(context.now().getTime() + 60_000));
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const allItems = async (): Promise<Record<string, unknown>[]> => {
    const output = await context.client.send(new ScanCommand({ TableName: context.tableName }));
    return (output.Items ?? []).map((raw) => unmarshall(raw));
  };
  const footprintOf = async (customer: string) => {
    const { channel, contact } = conversationFor(customer);
    return new Set((await contactFootprint(context, contactKeyFor(channel, contact))).map(keyText));
  };

  it('reaches every item that mentions the contact, and nothing of another contact', async () => {
    // Act
    const anna = await footprintOf('canary-anna');
    const bob = await footprintOf('canary-bob');
    const items = await allItems();
    // Assess
    const mentioning = (canary: string) =>
      items.filter((item) =>
        JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v] : v)).includes(canary),
      );
    expect(mentioning('canary-anna').length).toBeGreaterThan(0);
    for (const item of mentioning('canary-anna')) expect(anna).toContain(keyText(item as never));
    for (const item of mentioning('canary-bob')) expect(bob).toContain(keyText(item as never));
    expect([...anna].filter((key) => bob.has(key))).toEqual([]);
  });

  it('accounts for every item of the table: a kind of the catalogue, reached from its contact or personal to no one', async () => {
    // Act
    const reached = new Set([...(await footprintOf('canary-anna')), ...(await footprintOf('canary-bob'))]);
    const items = await allItems();
    // Assess
    for (const item of items) {
      const kind = kindOfKey({ pk: String(item.pk), sk: String(item.sk) });
      expect(kind).toBeDefined();
      if (kind && ITEM_KINDS[kind].personalData) expect(reached).toContain(keyText(item as never));
      else expect(reached).not.toContain(keyText(item as never));
    }
    const kinds = items.map((item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }));
    expect(kinds).toContain('replayGuard');
    expect(kinds).toContain('send');
    expect(kinds).toContain('whatsappUpload');
    expect(kinds).toContain('sendReservation');
  });
});

/*
 * The contact item's identity set is shared by every conversation of its contact key: an e-mail
 * contact is the first From of each of its threads, and everyone answering in any of them joins the
 * thread's contact. MAX_CONTACT_IDENTITIES bounds one conversation, so the item has its own bound
 * (a review found it growing past DynamoDB's 400 KB, then failing every answer in the customer's
 * threads and their opt-out on every delivery).
 */
describe("an e-mail contact's item, shared by many threads", () => {
  const ENDPOINT = 'support@acme.example';
  const CUSTOMER = 'customer@customer.example';
  const NOW = new Date('2026-11-22T12:00:00.000Z');
  const THREADS = 6;
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  const lines: string[] = [];
  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => NOW,
    };
    recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => NOW,
      logger: createLogger({ level: 'warn', write: (line) => void lines.push(line) }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const CUSTOMER_IDENTITY = { type: 'email', value: CUSTOMER } as const;
  const customerKey = contactKeyFor('email', { identities: [CUSTOMER_IDENTITY] });
  const threadRoot = (thread: number) => `root-${thread}@customer.example`;
  /** The longest address the intake keeps (320 characters), one per thread and answerer. */
  const answerer = (thread: number, index: number): string => {
    const tail = `-${thread}-${index}@other.example`;
    return `${'a'.repeat(320 - tail.length)}${tail}`;
  };
  /** An inbound mail in a thread, From `from` (its contact, as the e-mail adapters build it). */
  const mail = (thread: number, from: string, messageId: string, at: string): HubEvent =>
    buildEvent('switchboard.message.received', eventIdFor('email', 'message', messageId), {
      hubMessageId: hubMessageIdFor('email', messageId),
      channel: 'email',
      provider: 'ses',
      endpoint: { type: 'email_address', id: ENDPOINT },
      contact: { identities: [{ type: 'email', value: from }] },
      conversationId: conversationIdFor('email', ENDPOINT, `thread:${threadRoot(thread)}`),
      direction: 'inbound',
      providerMessageId: messageId,
      providerTimestamp: at,
      receivedAt: at,
      parts: [{ type: 'text', text: 'hello' }],
    });
  /** A thread the customer opens, then as many others answer as one conversation keeps. */
  const thread = (index: number): HubEvent[] => [
    mail(index, CUSTOMER, threadRoot(index), minute(1)),
    ...Array.from({ length: MAX_CONTACT_IDENTITIES - 1 }, (_, reply) =>
      mail(index, answerer(index, reply), `reply-${index}-${reply}@x`, minute(2 + reply)),
    ),
  ];
  /** The customer's unsubscribe (an SES complaint), as the SES event adapter builds it. */
  const optOut = (): HubEvent =>
    buildEvent('switchboard.contact.consent_changed', eventIdFor('email', 'consent', CUSTOMER, 'Complaint'), {
      channel: 'email',
      provider: 'ses',
      endpoint: { type: 'email_address', id: ENDPOINT },
      contact: { identities: [{ type: 'email', value: CUSTOMER }] },
      conversationId: conversationIdFor('email', ENDPOINT, `thread:${threadRoot(0)}`),
      providerTimestamp: minute(30),
      receivedAt: minute(30),
      scope: 'email',
      consent: 'opted_out',
      trigger: 'Complaint',
    });
  /** One receive of these events, each thread its own message group: the ids that failed. */
  const receive = async (events: readonly HubEvent[]): Promise<string[]> => {
    const response = await recorder.handleSqsEvent(
      sqsEvent(events.map((event) => ({ id: event.id, group: event.subject, body: JSON.stringify(event) }))),
    );
    return response.batchItemFailures.map((failure) => failure.itemIdentifier);
  };
  const listedIdentities = async (contactKey: string): Promise<string[]> => {
    const output = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: marshall(contactItemKey(contactKey)),
        ConsistentRead: true,
      }),
    );
    const identities = output.Item ? unmarshall(output.Item).identities : undefined;
    return identities instanceof Set ? [...identities].map(String).sort() : [];
  };
  /** The partitions of the identity items that find this contact. */
  const identityItemPartitions = async (contactKey: string): Promise<string[]> => {
    const partitions: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await context.client.send(
        new ScanCommand({
          TableName: context.tableName,
          FilterExpression: 'sk = :sk',
          ExpressionAttributeValues: marshall({ ':sk': identityItemKey(CUSTOMER_IDENTITY, contactKey).sk }),
          ExclusiveStartKey: startKey,
        }),
      );
      partitions.push(...(output.Items ?? []).map((raw) => String(unmarshall(raw).pk)));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return partitions.sort();
  };
  it('keeps its identities at the bound, records every message and still records the opt-out', async () => {
    // Prepare: the customer's threads, each answered by 15 others: 91 identities for one contact key
    const events = Array.from({ length: THREADS }, (_, index) => thread(index)).flat();
    lines.length = 0;
    // Act
    const failed = await receive(events);
    const optOutFailed = await receive([optOut()]);
    // Assess: nothing failed, each thread keeps its own 16 identities, the item stops at its bound
    expect({ failed, optOutFailed }).toEqual({ failed: [], optOutFailed: [] });
    for (let index = 0; index < THREADS; index++) {
      const { model } = await loadConversation(
        context,
        conversationIdFor('email', ENDPOINT, `thread:${threadRoot(index)}`),
      );
      expect(model?.state.messageCount).toBe(MAX_CONTACT_IDENTITIES);
      expect(model?.state.contact.identities).toHaveLength(MAX_CONTACT_IDENTITIES);
    }
    const listed = await listedIdentities(customerKey);
    expect(listed).toHaveLength(MAX_CONTACT_ITEM_IDENTITIES);
    expect(listed).toContain(`email:${CUSTOMER}`);
    const consent = await readContactConsent(context, localPseudonymKey, customerKey);
    expect(consent.emailConsent?.consent).toBe('opted_out');
    // Each identity left out is said, by count and channel, never by address
    const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const full = warnings.filter((entry) => typeof entry.identityCount === 'number');
    expect(full.length).toBe(1 + THREADS * (MAX_CONTACT_IDENTITIES - 1) - MAX_CONTACT_ITEM_IDENTITIES);
    for (const entry of full)
      expect(entry).toMatchObject({ level: 'warn', channel: 'email', identityCount: 1 });
    for (const line of lines) expect(line).not.toMatch(/@|\[email\]|aaaa/);
  });

  it('has an identity item for each identity its item lists, and for no other', async () => {
    // Act (the threads of the test before)
    const listed = await listedIdentities(customerKey);
    const partitions = await identityItemPartitions(customerKey);
    // Assess: erasure finds the identity items from the set, so none may stand outside it
    expect(partitions).toEqual(listed.map((identity) => `${IDENTITY_PARTITION_PREFIX}${identity}`).sort());
    const footprint = new Set((await contactFootprint(context, customerKey)).map(keyText));
    for (const partition of partitions) expect(footprint).toContain(`${partition} CONTACT#${customerKey}`);
  });

  it('on a redelivery, writes the identity items a crash left out for identities it lists, and only those', async () => {
    // Prepare: a full item whose identity item for one listed address was never written (a crash
    // between the set's write and the identity items' puts)
    const contactKey = contactKeyFor('email', {
      identities: [{ type: 'email', value: 'full@customer.example' }],
    });
    const crashed = { type: 'email' as const, value: 'crashed@other.example' };
    const identities = [
      { type: 'email' as const, value: 'full@customer.example' },
      crashed,
      ...Array.from({ length: MAX_CONTACT_ITEM_IDENTITIES - 2 }, (_, index) => ({
        type: 'email' as const,
        value: `listed-${index}@other.example`,
      })),
    ];
    await indexContact(context, 'email', contactKey, identities, 'ct_full');
    await context.client.send(
      new DeleteItemCommand({
        TableName: context.tableName,
        Key: marshall(identityItemKey(crashed, contactKey)),
      }),
    );
    const unlisted = { type: 'email' as const, value: 'late@other.example' };
    // Act: the redelivery, which learns one more address too
    const left = await indexContact(context, 'email', contactKey, [crashed, unlisted], 'ct_full');
    // Assess
    expect(left).toBe(1);
    const listed = await listedIdentities(contactKey);
    expect(listed).toHaveLength(MAX_CONTACT_ITEM_IDENTITIES);
    expect(listed).not.toContain(`email:${unlisted.value}`);
    expect(await identityItemPartitions(contactKey)).toEqual(
      listed.map((identity) => `${IDENTITY_PARTITION_PREFIX}${identity}`).sort(),
    );
  });
});

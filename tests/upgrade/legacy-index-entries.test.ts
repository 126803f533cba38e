import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { hubMessageIdFor, outboundHubMessageId } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import {
  contactsConversationsPartition,
  conversationMarkersKeys,
  conversationSendsKeys,
  type ItemKey,
  messageKey,
  pendingRedactionKey,
  sendKey,
} from '#shared/store/keys.ts';
import { reindexLegacyPeople } from '#shared/store/legacy-person-index.ts';
import { duePendingRedactions } from '#shared/store/pending-redactions.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { tableItems, useEmulatedTable } from '#tests/support/emulated-table.ts';

/*
 * `npm run reindex-people` also gives today's index entries to the items of two upgrade gaps of
 * 2026-11-30/12-01, in its one Scan, and to counted-markers written before they were indexed
 * (found by a review):
 * - a send record claimed between 840a19e (2026-11-30 22:59) and 7a027d0 (2026-12-01 13:31) is
 *   listed in gsi2 under `CONVSENDS#<conversationId>`, which nothing reads since: one that never
 *   became a message (refused, failed) was reached by neither erasure nor export, while it names the
 *   customer (`plan.recipient`) until its expiry;
 * - a pending redaction written between a29d2b5 (2026-12-01 13:44) and de0a1f0 (16:38) has no gsi4
 *   `REDACT` entry, so the attention sweeper never retries it (only another DELETE of the person);
 * - a counted-marker written before 2026-12-06 has no gsi3 `CONVMARKS#` entry, so an erasure of its
 *   conversation does not reach it.
 * The items are written here in the shape those commits' code wrote them (git show 840a19e:
 * shared/store/sends.ts, a29d2b5 and b6022d0: shared/store/pending-redactions.ts).
 */

/** The hub's table, read back one item at a time. */
const itemAt = async (context: TableContext, key: ItemKey) => {
  const output = await context.client.send(
    new GetItemCommand({ TableName: context.tableName, Key: marshall(key), ConsistentRead: true }),
  );
  return output.Item ? unmarshall(output.Item) : undefined;
};

const put = (context: TableContext, item: Record<string, unknown>) =>
  context.client.send(new PutItemCommand({ TableName: context.tableName, Item: marshall(item) }));

const expiresIn = (days: number) => Math.floor(Date.now() / 1000) + days * 86_400;

describe('a send record of the gsi2 era (2026-11-30/12-01)', () => {
  const table = useEmulatedTable();

  it('is filed in gsi3 as a send is today, so the export lists it and the erasure deletes it', async () => {
    // Prepare: the customer's conversation, and a refused send in it as 840a19e wrote it
    const customer = '306912349911';
    const { endpoint, contact, conversationId } = conversationFor(customer);
    const { recorder, context } = table;
    await recorder.recordEvent(messageEvent(customer, 'wamid.legacy-in', minute(1), 'inbound', 'hello'));
    const hubMessageId = outboundHubMessageId(conversationId, 'legacy-refused');
    const acceptedAt = minute(2);
    await put(context, {
      ...sendKey(hubMessageId),
      gsi2pk: `CONVSENDS#${conversationId}`,
      gsi2sk: `${acceptedAt}#${hubMessageId}`,
      hubMessageId,
      conversationId,
      commandId: 'cmd_legacy',
      commandHash: 'h',
      state: 'failed',
      acceptedAt,
      messageCount: 0,
      next: 0,
      providerIds: [],
      links: {},
      plan: JSON.stringify({
        channel: 'whatsapp',
        provider: 'meta',
        endpoint,
        recipient: { type: 'wa_id', value: customer },
        withinWindow: false,
        humanAgentTag: false,
      }),
      failure: JSON.stringify({ reason: 'window_closed', retryable: false, decidedAt: acceptedAt }),
      published: true,
      expiresAt: expiresIn(29),
    });
    const person = contactIdFor('whatsapp', contact, conversationId);
    // Act
    const dry = await reindexLegacyPeople(context, { dryRun: true });
    const afterDryRun = await itemAt(context, sendKey(hubMessageId));
    const run = await reindexLegacyPeople(context);
    const again = await reindexLegacyPeople(context);
    const moved = await itemAt(context, sendKey(hubMessageId));
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, person);
    const report = await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      person,
    );
    // Assess: counted, then filed as today's sends are (no gsi2 entry left), found once only; the
    // export lists it and nothing naming the customer is left after the erasure
    expect(dry).toMatchObject({ found: 1, moved: 0, foundByKind: { send: 1 } });
    expect(afterDryRun?.gsi2pk).toBe(`CONVSENDS#${conversationId}`);
    expect(afterDryRun?.gsi3pk).toBeUndefined();
    expect(run).toMatchObject({ found: 1, moved: 1, changedMeanwhile: 0, foundByKind: { send: 1 } });
    expect(again.found).toBe(0);
    expect(moved).toMatchObject(conversationSendsKeys(conversationId, acceptedAt, hubMessageId));
    expect(moved).not.toHaveProperty('gsi2pk');
    expect(moved).not.toHaveProperty('gsi2sk');
    expect(moved?.plan).toBe(afterDryRun?.plan);
    expect(exported?.items.map(({ kind }) => kind)).toContain('send');
    expect(report).toBeDefined();
    const left = (await tableItems(context)).filter((item) => JSON.stringify(item).includes(customer));
    expect(left.map((item) => `${String(item.pk)} ${String(item.sk)}`)).toEqual([]);
  });
});

describe('a pending redaction of before its gsi4 entry (2026-12-01)', () => {
  const table = useEmulatedTable();

  it('is given its REDACT entry as the erasure writes it today, so the attention sweeper retries it', async () => {
    // Prepare: a Twilio message (as a29d2b5 wrote it) and a WhatsApp upload (as b6022d0 wrote it)
    // an erasure left, and one of today (in gsi4 already)
    const { context } = table;
    const person = 'ct_0123456789abcdef0123456789abcdef';
    const endpoint = { type: 'phone_number' as const, id: '+14155550100' };
    const failedAt = '2026-12-01T14:00:00.000Z';
    const twilio = pendingRedactionKey(person, 'SM0123456789abcdef0123456789abcdef');
    const whatsapp = pendingRedactionKey(person, 'WAMEDIA#1000000001');
    const common = { code: '20009', firstFailedAt: failedAt, expiresAt: expiresIn(25) };
    await put(context, {
      ...twilio,
      provider: 'twilio',
      providerMessageId: 'SM0123456789abcdef0123456789abcdef',
      endpoint,
      attempts: 1,
      ...common,
    });
    await put(context, {
      ...whatsapp,
      provider: 'whatsapp',
      mediaId: '1000000001',
      endpoint: { type: 'whatsapp_phone_number', id: 'phone-legacy' },
      attempts: 3,
      ...common,
    });
    const today = pendingRedactionKey(person, 'SMfedcba9876543210fedcba9876543210');
    await put(context, {
      ...today,
      provider: 'twilio',
      providerMessageId: 'SMfedcba9876543210fedcba9876543210',
      endpoint,
      attempts: 1,
      ...common,
      gsi4pk: 'REDACT',
      gsi4sk: '2026-12-06T08:00:00.000Z',
    });
    const dueBefore = await duePendingRedactions(context, 25);
    // Act
    const dry = await reindexLegacyPeople(context, { dryRun: true });
    const run = await reindexLegacyPeople(context);
    const again = await reindexLegacyPeople(context);
    const due = await duePendingRedactions(context, 25);
    // Assess: before, the sweeper found only today's; after, each legacy one is due when today's code
    // would have made it due after its attempts (5 minutes after the first failure, doubling)
    expect(dueBefore.due.map(({ item }) => item.sk)).toEqual([today.sk]);
    expect(dry).toMatchObject({ found: 2, moved: 0, foundByKind: { pendingRedaction: 2 } });
    expect(run).toMatchObject({
      found: 2,
      moved: 2,
      changedMeanwhile: 0,
      foundByKind: { pendingRedaction: 2 },
    });
    expect(again.found).toBe(0);
    expect(await itemAt(context, twilio)).toMatchObject({
      gsi4pk: 'REDACT',
      gsi4sk: '2026-12-01T14:05:00.000Z',
    });
    expect(await itemAt(context, whatsapp)).toMatchObject({
      gsi4pk: 'REDACT',
      gsi4sk: '2026-12-01T14:20:00.000Z',
    });
    // (one BatchGetItem reads them: in no order)
    expect(due.due.map(({ item }) => item.sk).sort()).toEqual([twilio.sk, whatsapp.sk, today.sk].sort());
    expect(due.due.every(({ contactId }) => contactId === person)).toBe(true);
    expect(due.due.map(({ item }) => item.pk)).toEqual(Array(3).fill(contactsConversationsPartition(person)));
  });
});

describe('a counted-marker of before 2026-12-06', () => {
  const table = useEmulatedTable();

  it('is filed under its conversation, so an erasure replaces it by the tombstone', async () => {
    // Prepare: a conversation, and a counted-marker of one of its messages as the recorder wrote it
    // before (no index keys)
    const customer = '306912349922';
    const { contact, conversationId } = conversationFor(customer);
    const { recorder, context } = table;
    await recorder.recordEvent(messageEvent(customer, 'wamid.marker-1', minute(1), 'inbound', 'hello'));
    const counted = messageEvent(customer, 'wamid.marker-2', minute(2));
    const hubMessageId = hubMessageIdFor('whatsapp', 'wamid.marker-2');
    await put(context, {
      ...messageKey(hubMessageId),
      eventId: counted.id,
      counted: true,
      claimedBy: conversationId,
      expiresAt: expiresIn(30),
    });
    // Act
    const run = await reindexLegacyPeople(context);
    const indexed = await itemAt(context, messageKey(hubMessageId));
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      contactIdFor('whatsapp', contact, conversationId),
    );
    // Assess
    expect(run).toMatchObject({ found: 1, moved: 1, foundByKind: { countedMarker: 1 } });
    expect(indexed).toMatchObject({
      counted: true,
      ...conversationMarkersKeys(conversationId, hubMessageId),
    });
    expect(Object.keys((await itemAt(context, messageKey(hubMessageId))) ?? {}).sort()).toEqual([
      'erased',
      'expiresAt',
      'pk',
      'sk',
    ]);
  });
});

describe('the legacy index entries beside a hub that writes meanwhile', () => {
  const table = useEmulatedTable();

  it('leaves an item written or deleted between its read and its write as that write left it', async () => {
    // Prepare: a legacy send and a legacy pending redaction; between the run's read and its first
    // write the send expires (TTL deletes it), and the redaction is retried by an erasure call,
    // which writes it again as today's code does
    const { context, emulators } = table;
    const conversationId = conversationFor('306912349933').conversationId;
    const hubMessageId = outboundHubMessageId(conversationId, 'legacy-expired');
    await put(context, {
      ...sendKey(hubMessageId),
      gsi2pk: `CONVSENDS#${conversationId}`,
      gsi2sk: `${minute(1)}#${hubMessageId}`,
      hubMessageId,
      conversationId,
      state: 'sent',
      acceptedAt: minute(1),
      expiresAt: expiresIn(1),
    });
    const redaction = pendingRedactionKey(
      'ct_fedcba9876543210fedcba9876543210',
      'SM00000000000000000000000000000001',
    );
    const pending = {
      ...redaction,
      provider: 'twilio',
      providerMessageId: 'SM00000000000000000000000000000001',
      endpoint: { type: 'phone_number', id: '+14155550100' },
      code: '20009',
      firstFailedAt: '2026-12-01T14:00:00.000Z',
      expiresAt: expiresIn(25),
    };
    await put(context, { ...pending, attempts: 1 });
    let meanwhile: (() => Promise<unknown>) | undefined = async () => {
      await context.client.send(
        new DeleteItemCommand({ TableName: context.tableName, Key: marshall(sendKey(hubMessageId)) }),
      );
      await put(context, { ...pending, attempts: 2, gsi4pk: 'REDACT', gsi4sk: '2026-12-06T10:00:00.000Z' });
    };
    emulators.clients.dynamodb.middlewareStack.add(
      (next, handlerContext) => async (args) => {
        const run = meanwhile;
        if (handlerContext.commandName === 'UpdateItemCommand' && run) {
          meanwhile = undefined;
          await run();
        }
        return next(args);
      },
      { step: 'initialize', name: 'legacyIndexMeanwhile' },
    );
    // Act
    const run = await reindexLegacyPeople(context);
    // Assess: neither written over; the deleted send not written again as a bare item
    expect(run).toMatchObject({ found: 2, moved: 0, changedMeanwhile: 2 });
    expect(await itemAt(context, sendKey(hubMessageId))).toBeUndefined();
    expect(await itemAt(context, redaction)).toMatchObject({
      attempts: 2,
      gsi4sk: '2026-12-06T10:00:00.000Z',
    });
  });
});

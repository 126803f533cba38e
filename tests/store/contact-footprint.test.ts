import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { outboundHubMessageId } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { contactFootprint } from '#shared/store/contacts.ts';
import { contactKeyFor, ITEM_KINDS, kindOfKey } from '#shared/store/keys.ts';
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
  statusEvent,
  unsentSend,
} from '#tests/recorder/factories.ts';

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
  const keyText = (key: { pk: unknown; sk: unknown }) => `${String(key.pk)} ${String(key.sk)}`;
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

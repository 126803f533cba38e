import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { buildEvent } from '#shared/contract/build.ts';
import type { HubEventOf } from '#shared/contract/types.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { contactKeyFor, legacySuppressionKey, suppressionKey } from '#shared/store/keys.ts';
import type { TableContext } from '#shared/store/table.ts';
import { consentEvent, conversationFor, messageEvent, minute } from '../recorder/factories.ts';
import { outcomesOf, sendCommand, useOutboundHarness } from './harness.ts';

/*
 * A customer who stopped WhatsApp marketing, was erased and writes again: the sender still refuses
 * them a marketing template (and sends a utility one), whether the erasure kept the opt-out under
 * the keyed key or an earlier version kept it under the plain SHA-256 of the contact key; the
 * sender then moves that one to the keyed key.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

describe('an opt-out kept through erasure', () => {
  const hub = useOutboundHarness();
  let table: TableContext;

  beforeAll(async () => {
    const { clients, resources } = hub.pipeline.emulators;
    table = { client: clients.dynamodb, tableName: resources.tableName, now: () => hub.now };
  });

  const itemAt = async (key: { pk: string; sk: string }) =>
    (
      await table.client.send(
        new GetItemCommand({ TableName: table.tableName, Key: marshall(key), ConsistentRead: true }),
      )
    ).Item;

  /** What the previous version kept: the keyed item put back under the plain SHA-256 of its contact key. */
  const keptByPreviousVersion = async (contactKey: string): Promise<void> => {
    const keyed = suppressionKey(await localPseudonymKey(), contactKey);
    const item = await itemAt(keyed);
    if (!item) throw new Error('nothing kept under the keyed key');
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: { ...item, ...marshall(legacySuppressionKey(contactKey)) },
      }),
    );
    await table.client.send(new DeleteItemCommand({ TableName: table.tableName, Key: marshall(keyed) }));
  };

  /** A customer who wrote, stopped marketing, was erased (kept as `kept` says) and wrote again. */
  const stoppedErasedAndBack = async (wa: string, kept: 'keyed' | 'legacy') => {
    const { contact, conversationId } = conversationFor(wa);
    await hub.pipeline.ingest([messageEvent(wa, `wamid.kept-${wa}-1`, minute(100))]);
    const sms = consentEvent(
      wa,
      'opted_out',
      minute(101),
      'STOP',
    ) as HubEventOf<'switchboard.contact.consent_changed'>;
    await hub.pipeline.ingest([
      buildEvent('switchboard.contact.consent_changed', `evt_kept_marketing_stop_${wa}`, {
        ...sms.data,
        ...conversationFor(wa),
        provider: 'meta',
        scope: 'whatsapp_marketing',
      }),
    ]);
    await hub.pipeline.drain();
    const report = await erasePerson(
      { table, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
      contactIdFor('whatsapp', contact, ''),
    );
    const contactKey = contactKeyFor('whatsapp', contact);
    if (kept === 'legacy') await keptByPreviousVersion(contactKey);
    await hub.pipeline.ingest([messageEvent(wa, `wamid.kept-${wa}-2`, minute(110))]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    return { conversationId, contactKey, report };
  };

  it.each(['keyed', 'legacy'] as const)(
    'still refuses marketing templates, kept under the %s key, and sends utility ones',
    async (kept) => {
      // Prepare
      const wa = kept === 'keyed' ? '491555077001' : '491555077002';
      const { conversationId, contactKey, report } = await stoppedErasedAndBack(wa, kept);
      const legacyBefore = await itemAt(legacySuppressionKey(contactKey));
      // Act
      await hub.enqueue(
        sendCommand(conversationId, `promo-${kept}`, [
          { type: 'template', name: 'sale', language: 'en', category: 'marketing' },
        ]),
      );
      await hub.enqueue(
        sendCommand(conversationId, `receipt-${kept}`, [
          { type: 'template', name: 'receipt', language: 'en', category: 'utility' },
        ]),
      );
      await hub.runOutbox();
      // Assess
      const events = outcomesOf(await hub.pipeline.takeHelpdesk());
      expect(report).toMatchObject({ optOutsKept: 1 });
      expect(legacyBefore !== undefined).toBe(kept === 'legacy');
      expect(events.map((event) => event.type)).toEqual([
        'switchboard.message.send_failed',
        'switchboard.message.sent',
      ]);
      expect((events[0] as Failed).data).toMatchObject({ reason: 'opted_out', failedField: 'parts.0' });
      expect(hub.provider.calls.map((call) => call.message.part.type)).toEqual(['template']);
      // Filed under the keyed key now, whichever it was kept under.
      expect(await itemAt(suppressionKey(await localPseudonymKey(), contactKey))).toBeDefined();
      expect(await itemAt(legacySuppressionKey(contactKey))).toBeUndefined();
    },
  );
});

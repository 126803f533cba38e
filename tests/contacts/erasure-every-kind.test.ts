import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { hubMessageIdFor, outboundHubMessageId } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { kindOfKey, messageKey } from '#shared/store/keys.ts';
import { createMediaFetchStore } from '#shared/store/media-fetches.ts';
import { putAnnouncementMarker } from '#shared/store/pending-announcements.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { reserveSendKey } from '#shared/store/send-reservations.ts';
import { createSendStore } from '#shared/store/sends.ts';
import { rememberWhatsAppUpload } from '#shared/store/whatsapp-uploads.ts';
import {
  conversationFor,
  messageEvent,
  minute,
  reactionEvent,
  statusEvent,
  unsentSend,
} from '#tests/recorder/factories.ts';
import { tableItems, useEmulatedTable } from '#tests/support/emulated-table.ts';

/*
 * Erasure through erasePerson, as the API and `npm run erase` call it, over a conversation holding
 * every kind of item a conversation's traffic writes: a scan of the table afterwards finds nothing
 * that names the conversation, the customer or their texts (a review's canary, 2026-12-05). The
 * registers of a message the hub never recorded are left out: they are not reached (README,
 * DynamoDB design).
 */
describe('erasure of a conversation holding every kind of item', () => {
  const table = useEmulatedTable();

  it('leaves nothing naming the conversation, the customer or their texts', async () => {
    // Prepare
    const customer = '306912348800';
    const { endpoint, contact, conversationId } = conversationFor(customer);
    const { recorder, context } = table;
    await recorder.recordEvent(messageEvent(customer, 'wamid.in-1', minute(1), 'inbound', 'canary-in'));
    await recorder.recordEvent(messageEvent(customer, 'wamid.out-1', minute(2), 'outbound', 'canary-out'));
    await recorder.recordEvent(statusEvent(customer, 'wamid.out-1', 'read', minute(3)));
    await recorder.recordEvent(reactionEvent(customer, 'wamid.out-1', '👍', minute(4)));
    const unsent = outboundHubMessageId(conversationId, 'unsent');
    await createSendStore(context).claim(unsentSend(customer, unsent, minute(5)));
    await rememberWhatsAppUpload(context, { hubMessageId: unsent, mediaId: '1000009', endpoint });
    await reserveSendKey(context, {
      conversationId,
      hubMessageId: outboundHubMessageId(conversationId, 'reserved'),
      commandHash: 'hash',
    });
    await putAnnouncementMarker(context, conversationId, new Date());
    await createMediaFetchStore(context).claim({
      hubMessageId: hubMessageIdFor('whatsapp', 'wamid.in-1'),
      partIndex: 0,
      conversationId,
      key: `attachments/${conversationId}/in-1/0`,
      token: 'token',
      staleAfterSeconds: 60,
    });
    const names = (item: Record<string, unknown>) => {
      const text = JSON.stringify(item, (_key, value) => (value instanceof Set ? [...value] : value));
      return text.includes(conversationId) || text.includes(customer) || text.includes('canary');
    };
    const kindOf = (item: Record<string, unknown>) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) });
    // (the block's table holds this test's items alone)
    const kindsBefore = new Set((await tableItems(context)).map(kindOf));
    // Act
    const report = await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      contactIdFor('whatsapp', contact, conversationId),
    );
    // Assess: every kind was there, and nothing names them after
    expect(report).toBeDefined();
    expect([...kindsBefore].sort()).toEqual(
      expect.arrayContaining([
        'contact',
        'conversation',
        'identity',
        'identityClaim',
        'mediaFetch',
        'message',
        'messageState',
        'pendingAnnouncement',
        'send',
        'sendReservation',
        'whatsappUpload',
      ]),
    );
    const after = await tableItems(context);
    expect(after.filter(names)).toEqual([]);
    expect(after.filter((item) => kindOf(item) === 'whatsappUpload')).toEqual([]);
  });
});

/*
 * A delivery that fails after its conversation counted the message leaves a counted-marker at the
 * message's record key (`claimedBy`: the conversation, which the recorder needs to tell its own marker
 * from another conversation's) until a retry records it. An erasure meanwhile (the event waiting for a
 * retry, or on the dead-letter queue) reaches it from the conversation (gsi3) and leaves the
 * message's tombstone in its place: nothing names the conversation, and a later redrive of the event
 * is a duplicate that brings nothing back (found by a review: the marker had no index keys).
 */
describe('erasure of a conversation whose message left a counted-marker', () => {
  const table = useEmulatedTable();

  it('replaces the marker by the tombstone, so nothing names the conversation, and a redrive records nothing', async () => {
    // Prepare: the second message's publish fails once its conversation counted it
    const customer = '306912347733';
    const { contact, conversationId } = conversationFor(customer);
    const { context, recorder } = table;
    const second = messageEvent(customer, 'wamid.counted-2', minute(2), 'inbound', 'canary-counted');
    await recorder.recordEvent(
      messageEvent(customer, 'wamid.counted-1', minute(1), 'inbound', 'canary-first'),
    );
    const failing = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: {
        publish: async () => {
          throw new Error('helpdesk queue down');
        },
      },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    await failing.recordEvent(second).catch(() => undefined);
    const recordKey = messageKey(hubMessageIdFor('whatsapp', 'wamid.counted-2'));
    const atKey = async () =>
      (await tableItems(context)).filter((item) => item.pk === recordKey.pk && item.sk === recordKey.sk);
    const marker = await atKey();
    // Act: the erasure, then the event redriven from the dead-letter queue
    const report = await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      contactIdFor('whatsapp', contact, conversationId),
    );
    const afterErasure = await tableItems(context);
    await recorder.recordEvent(second);
    const afterRedrive = await tableItems(context);
    // Assess
    expect(marker).toEqual([expect.objectContaining({ counted: true, claimedBy: conversationId })]);
    expect(report).toBeDefined();
    const naming = (items: Record<string, unknown>[]) =>
      items
        .filter(
          (item) => JSON.stringify(item).includes(conversationId) || JSON.stringify(item).includes('canary'),
        )
        .map((item) => `${String(item.pk)} ${String(item.sk)}`);
    expect(naming(afterErasure)).toEqual([]);
    expect(Object.keys((await atKey())[0] ?? {}).sort()).toEqual(['erased', 'expiresAt', 'pk', 'sk']);
    expect(naming(afterRedrive)).toEqual([]);
  });
});

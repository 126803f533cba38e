import { describe, expect, it } from 'vitest';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { epochSeconds } from '#shared/store/item-rules.ts';
import { sendKey } from '#shared/store/keys.ts';
import { SEND_RESERVATION_SECONDS } from '#shared/store/send-reservations.ts';
import { messageEvent, minute } from '#tests/recorder/factories.ts';
import { tableItems } from '#tests/support/emulated-table.ts';
import { eraseFrom } from '#tests/support/erased-customer.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { useSendKeyRig } from '#tests/support/send-key-rig.ts';

/*
 * POST /v1/conversations/{id}/messages retried with its Idempotency-Key after the customer was
 * erased and wrote again (the conversation is back under its id). The erasure deletes the key's
 * reservation and leaves a tombstone of the send the sender took: a retry of the same body is
 * answered as the first request was and queued no more, for as long as the reservation would have
 * held it back. Until 2026-12-07 the erasure deleted both, the retry was queued again, and the sender
 * sent it a second time (found by a review).
 */
describe('a send retried under its key after its customer was erased', () => {
  const start = new Date('2026-11-22T12:00:00.000Z');
  const customer = '306900000884';
  const rig = useSendKeyRig(customer, start);
  const { contact, conversationId, post, onDay, queuedUnder, sentByTheSender } = rig;
  const writes = (n: number) =>
    quietRecorder(rig.table, () => rig.clock).recordEvent(
      messageEvent(customer, `after-erasure-${n}`, minute(n)),
    );

  it('answers the retry as the first request, queues nothing, and refuses other content under the key', async () => {
    // Prepare: the customer writes, the helpdesk answers and the sender sends; the customer is
    // erased and writes again
    onDay(0);
    await writes(1);
    const first = await post('ticket-88-reply-1');
    await sentByTheSender('ticket-88-reply-1', first);
    const hubMessageId = String((first.body as { hubMessageId: string }).hubMessageId);
    await eraseFrom(rig.table, contactIdFor('whatsapp', contact, conversationId));
    await writes(130);
    // Act: the helpdesk retries the request, then reuses the key for other content, and retries
    // once more on day 40 (past the send record's 30 days, within the reservation's 58)
    onDay(1);
    const retried = await post('ticket-88-reply-1');
    const other = await post('ticket-88-reply-1', 'Your refund was refused.');
    onDay(40);
    const late = await post('ticket-88-reply-1');
    const tombstone = (await tableItems(rig.table)).find(
      (item) => item.pk === sendKey(hubMessageId).pk && item.sk === 'SEND',
    );
    // Assess
    expect(first.status).toBe(202);
    expect([retried.status, other.status, late.status]).toEqual([202, 422, 202]);
    expect(retried.body).toEqual(first.body);
    expect(late.body).toEqual(first.body);
    expect(queuedUnder('ticket-88-reply-1')).toHaveLength(1);
    // The tombstone lasts as the reservation would have (58 days after the last request before the erasure)
    expect(tombstone?.expiresAt).toBe(epochSeconds(start) + SEND_RESERVATION_SECONDS);
    expect(JSON.stringify(tombstone)).not.toContain(conversationId);
  });
});

import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { epochSeconds } from '#shared/store/item-rules.ts';
import { sendReservationKey } from '#shared/store/keys.ts';
import { SEND_REQUEUE_SECONDS, SEND_RESERVATION_SECONDS } from '#shared/store/send-reservations.ts';
import { commandHashOf, createSendStore } from '#shared/store/sends.ts';
import { messageEvent, minute } from '#tests/recorder/factories.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { useSendKeyRig } from '#tests/support/send-key-rig.ts';

/*
 * "The same Idempotency-Key never sends twice" (POST /v1/conversations/{id}/messages), for as long
 * as the key's reservation lasts (58 days). The sender's send record stops a second send only while
 * it lasts (the message retention, at least 29 days after its claim), and an expired one is claimed
 * anew. So once a reservation is older than the send record can be relied on for, a retry of its
 * content is answered as the first was and queued no more. Within that window a retry is still
 * queued: the first one's queueing may have failed (a 5xx). Found by a review
 * (tests/_review/api-send-retry-after-record-expiry.test.ts).
 */
describe('a send retried under its key once its send record may be gone', () => {
  const day = 86_400_000;
  const start = new Date('2026-11-22T12:00:00.000Z');
  const rig = useSendKeyRig('306900000882', start);
  const { conversationId, post, onDay, queuedUnder, sentByTheSender } = rig;

  beforeAll(async () => {
    await quietRecorder(rig.table, () => rig.clock).recordEvent(
      messageEvent('306900000882', 'replay-1', minute(1)),
    );
  });

  it('answers a retry 31 days after the sent first (its record gone) with the first 202, and queues nothing', async () => {
    // Prepare: the first request on day 0, which the sender takes and sends
    onDay(0);
    const first = await post('ticket-77-reply-1');
    await sentByTheSender('ticket-77-reply-1', first);
    // Act: the helpdesk replays the request on day 31, past the send record, within the reservation
    onDay(31);
    const retried = await post('ticket-77-reply-1');
    const record = await createSendStore(rig.table).get(
      String((first.body as { hubMessageId: string }).hubMessageId),
    );
    // Assess
    expect(31 * day).toBeLessThan(SEND_RESERVATION_SECONDS * 1000);
    expect(record).toBeUndefined();
    expect(first.status).toBe(202);
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual(first.body);
    expect(queuedUnder('ticket-77-reply-1')).toHaveLength(1);
  });

  it('counts from the first request, not from a retry that renewed the reservation', async () => {
    // Prepare: the first request on day 0, sent; a retry on day 20 (queued, the record holds it)
    onDay(0);
    const first = await post('ticket-77-reply-2');
    await sentByTheSender('ticket-77-reply-2', first);
    onDay(20);
    const renewing = await post('ticket-77-reply-2');
    // Act: another retry on day 31
    onDay(31);
    const late = await post('ticket-77-reply-2');
    // Assess
    expect([renewing.status, late.status]).toEqual([202, 202]);
    expect(late.body).toEqual(first.body);
    expect(queuedUnder('ticket-77-reply-2')).toHaveLength(2);
  });

  it('still queues a retry of a request whose queueing failed (5xx) within the window, and then answers later retries without queueing', async () => {
    // Prepare: the first request on day 0, its reservation written and the outbox refusing it
    onDay(0);
    rig.refuseQueueing = true;
    const failed = await post('ticket-77-reply-3').catch(() => 'thrown' as const);
    rig.refuseQueueing = false;
    // Act: the helpdesk retries on day 27.9 (nothing was queued), and once more on day 31
    onDay(27.9);
    const retried = await post('ticket-77-reply-3');
    await sentByTheSender('ticket-77-reply-3', retried);
    onDay(31);
    const late = await post('ticket-77-reply-3');
    // Assess
    expect(failed === 'thrown' || failed.status >= 500).toBe(true);
    expect([retried.status, late.status]).toEqual([202, 202]);
    expect(queuedUnder('ticket-77-reply-3')).toHaveLength(1);
    expect(27.9 * day).toBeLessThan(SEND_REQUEUE_SECONDS * 1000);
  });

  it('refuses other content under the key as before, on either side of the window', async () => {
    // Prepare
    onDay(0);
    await post('ticket-77-reply-4');
    // Act
    onDay(1);
    const early = await post('ticket-77-reply-4', 'Your refund was refused.');
    onDay(31);
    const late = await post('ticket-77-reply-4', 'Your refund was refused.');
    // Assess
    expect([early.status, late.status]).toEqual([422, 422]);
    expect(queuedUnder('ticket-77-reply-4')).toHaveLength(1);
  });

  it('takes a key whose reservation expired (not yet deleted) as new: its retry is queued, and its clock starts again', async () => {
    // Prepare: a request on day 0, long forgotten
    onDay(0);
    await post('ticket-77-reply-5');
    // Act: the key used again after the reservation expired, then retried a day later
    onDay(SEND_RESERVATION_SECONDS / 86_400 + 1);
    const anew = await post('ticket-77-reply-5');
    onDay(SEND_RESERVATION_SECONDS / 86_400 + 2);
    const retried = await post('ticket-77-reply-5');
    // Assess: both queued (the second one to the sender, whose new record holds it)
    expect([anew.status, retried.status]).toEqual([202, 202]);
    expect(queuedUnder('ticket-77-reply-5')).toHaveLength(3);
  });

  it('dates a reservation written before it knew its first request by its last one, and keeps that date', async () => {
    // Prepare: the first request on day 0, its reservation rewritten as an earlier version wrote it
    // (no reservedAt; it expires 58 days after the last request with the key)
    onDay(0);
    const first = await post('ticket-77-reply-6');
    const [command] = queuedUnder('ticket-77-reply-6');
    if (command?.type !== 'switchboard.command.send_message') throw new Error('no send queued');
    const hubMessageId = String((first.body as { hubMessageId: string }).hubMessageId);
    await rig.table.client.send(
      new PutItemCommand({
        TableName: rig.table.tableName,
        Item: marshall({
          ...sendReservationKey(conversationId, hubMessageId),
          commandHash: commandHashOf(command.data),
          expiresAt: epochSeconds(rig.clock) + SEND_RESERVATION_SECONDS,
        }),
      }),
    );
    // Act: retries on day 31 and right after
    onDay(31);
    const late = await post('ticket-77-reply-6');
    onDay(31.01);
    const later = await post('ticket-77-reply-6');
    // Assess
    expect([late.status, later.status]).toEqual([202, 202]);
    expect(queuedUnder('ticket-77-reply-6')).toHaveLength(1);
  });
});

import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { sendReservationKey, uploadReferenceKey, uploadReferencesPartition } from '#shared/store/keys.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * A reply sent through the API with a file the helpdesk uploaded notes the file's reference in its
 * conversation before the command is queued: an erasure of another recipient of the same file while
 * this command still waits for the sender (a busy outbox) then leaves the file
 * (shared/store/upload-refs.ts). Without it the sender's own note came too late, and the send ended
 * `content_invalid`, "no such file".
 */
describe('a reply with an upload, queued through the API', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  const clock = () => new Date('2026-11-22T12:00:00.000Z');
  const { conversationId } = conversationFor('306900000883');
  const upload = 'media/outbound/0123456789abcdef0123456789abcdef/file.pdf';
  let queuedCount = 0;
  let api: ReturnType<typeof quietHelpdeskApi>;

  beforeAll(async () => {
    emulators = await startEmulators();
    table = { client: emulators.clients.dynamodb, tableName: emulators.resources.tableName, now: clock };
    await quietRecorder(table, clock).recordEvent(messageEvent('306900000883', 'upload-ref-1', minute(1)));
    api = quietHelpdeskApi(emulators, table, clock, {
      enqueueCommand: async () => {
        queuedCount++;
      },
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('notes the file in its conversation before queueing it', async () => {
    // Prepare: a reply naming the upload
    const body = {
      parts: [{ type: 'media', kind: 'file', source: { s3Key: upload }, filename: 'price-list.pdf' }],
      sender: { kind: 'agent', id: 'a-1' },
    };
    // Act
    const response = await api(
      apiRequest('POST', `/v1/conversations/${conversationId}/messages`, {
        headers: { 'content-type': 'application/json', 'idempotency-key': 'price-list' },
        body: JSON.stringify(body),
      }),
    );
    // Assess: queued once, and the file's references name this conversation
    expect(response.status).toBe(202);
    expect(queuedCount).toBe(1);
    const references = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': uploadReferencesPartition(upload) }),
        ConsistentRead: true,
      }),
    );
    expect((references.Items ?? []).map((item) => unmarshall(item).sk)).toEqual([
      uploadReferenceKey(upload, conversationId).sk,
    ]);
    // … and the key's reservation names the file, so an erasure finds it even if the command is never queued
    const hubMessageId = String((response.body as { hubMessageId: string }).hubMessageId);
    const reservation = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: marshall(sendReservationKey(conversationId, hubMessageId)),
        ConsistentRead: true,
      }),
    );
    expect(unmarshall(reservation.Item ?? {})).toMatchObject({
      conversationId,
      uploads: [{ s3Key: upload }],
    });
  });

  it("keeps the reference for the deployment's message retention, as the send record that will name it", async () => {
    // Prepare: an API kept for 90 days of message retention (messageRetentionDays), and a reply naming another upload
    const days90 = 90 * 86_400;
    const kept = quietHelpdeskApi(emulators, table, clock, { retentionSeconds: days90 });
    const longKept = 'media/outbound/fedcba9876543210fedcba9876543210/terms.pdf';
    // Act
    const response = await kept(
      apiRequest('POST', `/v1/conversations/${conversationId}/messages`, {
        headers: { 'content-type': 'application/json', 'idempotency-key': 'terms' },
        body: JSON.stringify({
          parts: [{ type: 'media', kind: 'file', source: { s3Key: longKept }, filename: 'terms.pdf' }],
          sender: { kind: 'agent', id: 'a-1' },
        }),
      }),
    );
    // Assess: the reference expires 90 days on, not after the 30 days of the default retention
    expect(response.status).toBe(202);
    const reference = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: marshall(uploadReferenceKey(longKept, conversationId)),
        ConsistentRead: true,
      }),
    );
    expect(unmarshall(reference.Item ?? {}).expiresAt).toBe(Math.floor(clock().getTime() / 1000) + days90);
  });
});

import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { epochSeconds } from '#shared/store/item-rules.ts';
import { kindOfKey, pendingRedactionKey, whatsappUploadKey } from '#shared/store/keys.ts';
import {
  pendingRedactionItem,
  pendingRedactionOf,
  pendingRedactionRef,
} from '#shared/store/pending-redactions.ts';
import type { TableContext } from '#shared/store/table.ts';
import {
  rememberWhatsAppUpload,
  whatsappUploadItem,
  whatsappUploadOf,
} from '#shared/store/whatsapp-uploads.ts';

/*
 * The hub's WhatsApp uploads in the table: the item the sender writes per upload (in the send's
 * partition, expiring with Meta's 30 days), and the pending item an erasure leaves for an upload
 * Meta did not delete (beside the pending Twilio redactions, under the person).
 */

const endpoint = { type: 'whatsapp_phone_number' as const, id: '106540352242922' };
const NOW = new Date('2026-12-01T10:00:00.000Z');
const DAY = 24 * 3_600;

describe('WhatsApp upload items', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => NOW,
    };
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it("is written in the send's partition with the media id and the endpoint, expiring after 30 days", async () => {
    // Prepare
    const key = whatsappUploadKey('msg_upload-1', '987654321');
    // Act
    await rememberWhatsAppUpload(context, { hubMessageId: 'msg_upload-1', mediaId: '987654321', endpoint });
    // Assess
    const output = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        ConsistentRead: true,
      }),
    );
    const item = unmarshall(output.Item ?? {});
    expect(key).toEqual({ pk: 'MSG#msg_upload-1', sk: 'UPLOAD#987654321' });
    expect(kindOfKey(key)).toBe('whatsappUpload');
    expect(whatsappUploadOf(item)).toEqual({
      mediaId: '987654321',
      endpoint,
      uploadedAt: NOW.toISOString(),
    });
    expect(item.expiresAt).toBe(epochSeconds(NOW) + 30 * DAY);
  });

  it('reads no upload from another kind of item or a malformed one, and refuses an id that could leave its path', () => {
    // Prepare
    const upload = whatsappUploadItem('msg_upload-2', '42', endpoint, NOW);
    // Act
    const send = whatsappUploadOf({ ...upload, sk: 'SEND' });
    const noEndpoint = whatsappUploadOf({ ...upload, endpoint: undefined });
    const unsafe = () => whatsappUploadItem('msg_upload-2', '../42', endpoint, NOW);
    // Assess
    expect(whatsappUploadOf(upload)?.mediaId).toBe('42');
    expect(send).toBeUndefined();
    expect(noEndpoint).toBeUndefined();
    expect(unsafe).toThrow();
  });

  it('keeps an upload Meta did not delete under the person, apart from a Twilio message, with the first failure kept on a retry', () => {
    // Prepare
    const unfinished = { provider: 'whatsapp' as const, mediaId: '555', endpoint, code: 'http_500' };
    const first = pendingRedactionItem('person-1', unfinished, undefined, NOW);
    const later = new Date(NOW.getTime() + 3_600_000);
    // Act
    const retried = pendingRedactionItem(
      'person-1',
      { ...unfinished, code: 'graph_4' },
      pendingRedactionOf(first),
      later,
    );
    // Assess
    expect(first).toMatchObject(pendingRedactionKey('person-1', 'WAMEDIA#555'));
    expect(kindOfKey({ pk: String(first.pk), sk: String(first.sk) })).toBe('pendingRedaction');
    expect(pendingRedactionOf(retried)).toEqual({
      provider: 'whatsapp',
      mediaId: '555',
      endpoint,
      code: 'graph_4',
      attempts: 2,
      firstFailedAt: NOW.toISOString(),
    });
    expect(retried.expiresAt).toBe(epochSeconds(NOW) + 30 * DAY);
    expect(
      pendingRedactionRef({ provider: 'twilio', providerMessageId: 'SM1', endpoint, code: 'x' }),
    ).not.toBe(pendingRedactionRef(unfinished));
  });
});

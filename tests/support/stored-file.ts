import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildEvent, contactConversationId, eventIdFor, hubMessageIdFor } from '#shared/contract/index.ts';
import type { LocalHub } from '#shared/local/hub.ts';
import { inboundMediaBytes } from '#shared/local/simulators/inbound-media.ts';
import { quietRecorder } from './quiet-recorder.ts';

/*
 * A WhatsApp customer's PDF or photo as the hub holds it once copied: the message recorded straight into a
 * local hub's table (no webhook, so a file name the adapters would clean today stays as given, as
 * in a record stored before they did) and the file in its bucket under the part's key.
 */

const ENDPOINT = { type: 'whatsapp_phone_number' as const, id: 'phone-1' };
const FILES = {
  pdf: { kind: 'file', mimeType: 'application/pdf', bytes: new TextEncoder().encode('%PDF-1.7\n') },
  // A JPEG a browser shows (the simulated providers' photo).
  jpeg: { kind: 'image', mimeType: 'image/jpeg', bytes: inboundMediaBytes('stored-photo.jpg') },
} as const;

export interface StoredFile {
  readonly conversationId: string;
  readonly hubMessageId: string;
}

/** Records `customer`'s message `providerMessageId` holding one stored file named `filename`, written now. */
export const recordStoredFile = async (
  hub: LocalHub,
  customer: string,
  providerMessageId: string,
  filename: string,
  type: keyof typeof FILES = 'pdf',
): Promise<StoredFile> => {
  const { kind, mimeType, bytes } = FILES[type];
  const identity = { type: 'wa_id' as const, value: customer };
  const conversationId = contactConversationId('whatsapp', ENDPOINT, identity);
  const hubMessageId = hubMessageIdFor('whatsapp', providerMessageId);
  const key = `attachments/${providerMessageId.replace(/[^a-z0-9]/gi, '')}/0`;
  const at = new Date().toISOString();
  const event = buildEvent(
    'switchboard.message.received',
    eventIdFor('whatsapp', 'message', providerMessageId),
    {
      channel: 'whatsapp',
      provider: 'meta',
      endpoint: ENDPOINT,
      contact: { identities: [identity] },
      conversationId,
      hubMessageId,
      direction: 'inbound',
      providerMessageId,
      providerTimestamp: at,
      receivedAt: at,
      parts: [{ type: 'media', kind, mimeType, filename, ref: { store: 's3', key } }],
    },
  );
  const connection = { endpoint: hub.endpoints.dynamodb, region: hub.region, credentials: hub.credentials };
  const dynamodb = new DynamoDBClient(connection);
  const s3 = new S3Client({ ...connection, endpoint: hub.endpoints.s3, forcePathStyle: true });
  try {
    await quietRecorder({
      client: dynamodb,
      tableName: hub.resources.tableName,
      now: () => new Date(),
    }).recordEvent(event);
    await s3.send(
      new PutObjectCommand({
        Bucket: hub.resources.bucketName,
        Key: key,
        Body: bytes,
        ContentType: mimeType,
      }),
    );
  } finally {
    dynamodb.destroy();
    s3.destroy();
  }
  return { conversationId, hubMessageId };
};

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest } from '#shared/api/http.ts';
import { createHelpdeskApi, type HelpdeskApi } from '#shared/api/router.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { buildEvent, contactConversationId, eventIdFor, hubMessageIdFor } from '#shared/contract/index.ts';
import { createTable, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { HUB_TABLE } from '#shared/resources/definitions.ts';
import type { TableContext } from '#shared/store/table.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * A file's name as the helpdesk API lists it: cleaned as the adapters clean names now, though the
 * message was recorded with the name as the customer sent it (a record from before 2026-12-05, when
 * the adapters began cleaning). Until 2026-12-07 the listing passed the stored name on, a
 * right-to-left override and a path included; only the download answer cleaned it.
 */

const ENDPOINT = { type: 'whatsapp_phone_number' as const, id: 'phone-1' };
const STORED_NAME = '..\\..\\AppData\\invoice\u202Efdp.exe\r\n';

describe('a stored file name in the messages listing', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let api: HelpdeskApi;

  beforeAll(async () => {
    emulators = await startEmulators();
    await createTable(emulators.clients.dynamodb, { ...HUB_TABLE, name: 'stored-file-names' });
    table = { client: emulators.clients.dynamodb, tableName: 'stored-file-names', now: () => new Date() };
    api = createHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      table,
      publishEvent: async () => undefined,
      enqueueCommand: async () => undefined,
      clock: () => new Date(),
      newId: () => 'fixed',
      deleteObjects: async () => undefined,
      media: s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('is listed as the adapters clean it now: no path, no control or bidirectional character', async () => {
    // Prepare: a customer's document recorded with its name as sent, and a photo without a name
    const identity = { type: 'wa_id' as const, value: '491701112233' };
    const conversationId = contactConversationId('whatsapp', ENDPOINT, identity);
    const at = new Date().toISOString();
    await quietRecorder(table).recordEvent(
      buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', 'wamid.old-name'), {
        channel: 'whatsapp',
        provider: 'meta',
        endpoint: ENDPOINT,
        contact: { identities: [identity] },
        conversationId,
        hubMessageId: hubMessageIdFor('whatsapp', 'wamid.old-name'),
        direction: 'inbound',
        providerMessageId: 'wamid.old-name',
        providerTimestamp: at,
        receivedAt: at,
        parts: [
          {
            type: 'media',
            kind: 'file',
            mimeType: 'application/pdf',
            filename: STORED_NAME,
            ref: { store: 's3', key: 'attachments/oldname/0' },
          },
          {
            type: 'media',
            kind: 'image',
            mimeType: 'image/jpeg',
            filename: '\u202E',
            ref: { store: 's3', key: 'attachments/oldname/1' },
          },
        ],
      }),
    );
    // Act
    const answer = await api({
      method: 'GET',
      path: `/v1/conversations/${conversationId}/messages`,
      query: {},
      headers: {},
      principal: 'arn:aws:iam::123456789012:user/agent-7',
    } satisfies ApiRequest);
    // Assess: the name as displayFileName gives it; none where nothing is left of it
    expect(answer.status).toBe(200);
    const [message] = (answer.body as { items: { message: { parts: Record<string, unknown>[] } }[] }).items;
    expect(message?.message.parts.map((part) => part.filename)).toEqual(['invoicefdp.exe', undefined]);
    expect(message?.message.parts[1]).not.toHaveProperty('filename');
  });
});

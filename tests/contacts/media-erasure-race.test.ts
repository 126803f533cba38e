import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePayloadObjects, deletePayloadObjectsUnder } from '#shared/aws/blob-store.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { localClients, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { mediaJobsFor } from '#shared/media/job.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { mediaFetchKey } from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import {
  type CountingMediaProvider,
  jpegOf,
  startCountingMediaProvider,
} from '#tests/support/counting-media-provider.ts';
import { localMediaFetcher } from '#tests/support/local-media-fetcher.ts';

/*
 * An attachment the media fetcher claimed before an erasure and finishes while it runs, against the
 * local DynamoDB and S3: whenever its upload completes, nothing of it is left in the bucket (the
 * erasure lists the conversation's attachments only once the part's claim is gone, and a fetcher
 * that finds its claim gone deletes what it stored), and no media_stored is told for it.
 */

const silent = createLogger({ level: 'error', write: () => undefined });
const PHONE = '306912340777';
const PHONE_NUMBER_ID = 'phone-media-race';
const MEDIA_ID = 'media-race-erased';

const imageMessage = (): HubEvent => {
  const identities: [ChannelIdentity] = [{ type: 'wa_id', value: PHONE }];
  const endpoint = { type: 'whatsapp_phone_number' as const, id: PHONE_NUMBER_ID };
  const at = '2026-11-22T12:00:00.000Z';
  return buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', 'wamid.media-race'), {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint,
    contact: { identities },
    conversationId: contactConversationId('whatsapp', endpoint, identities[0]),
    hubMessageId: hubMessageIdFor('whatsapp', 'wamid.media-race'),
    direction: 'inbound',
    providerMessageId: 'wamid.media-race',
    providerTimestamp: at,
    receivedAt: at,
    parts: [
      {
        type: 'media',
        kind: 'image',
        mimeType: 'image/jpeg',
        ref: { store: 'provider_media_id', mediaId: MEDIA_ID },
      },
    ],
  });
};

describe('a media job finishing while its person is erased', () => {
  let emulators: RunningEmulators;
  let provider: CountingMediaProvider;
  let context: TableContext;
  const destroyers: (() => void)[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
    provider = await startCountingMediaProvider();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
  });
  afterAll(async () => {
    for (const destroy of destroyers) destroy();
    await provider?.close();
    await emulators?.stop();
  });

  it('leaves no object of the part and tells no media_stored when the upload completes after the erasure listed the attachments', async () => {
    // Prepare: the message recorded, its image claimed by a fetcher whose download is held.
    const event = imageMessage();
    await createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: silent,
    }).recordEvent(event);
    const [job] = mediaJobsFor(event as Parameters<typeof mediaJobsFor>[0]);
    if (!job) throw new Error('the message has no media job');
    provider.serve(MEDIA_ID, { bytes: jpegOf(48_000, MEDIA_ID), mimeType: 'image/jpeg' });
    const clients = localClients(emulators.endpoints);
    destroyers.push(() => {
      for (const client of Object.values(clients)) client.destroy();
    });
    const published: HubEvent[] = [];
    clients.sqs.middlewareStack.add(
      ((next: (args: { input: { Entries?: { MessageBody?: string }[] } }) => Promise<unknown>) =>
        async (args: { input: { Entries?: { MessageBody?: string }[] } }) => {
          for (const entry of args.input.Entries ?? [])
            published.push(JSON.parse(entry.MessageBody ?? '{}') as HubEvent);
          return next(args);
        }) as never,
      { step: 'initialize', name: 'recordPublished' },
    );
    const fetcher = localMediaFetcher(emulators, clients, provider, { clock: () => new Date() });
    const held = provider.holdNextDownload(MEDIA_ID);
    const fetching = fetcher.fetchPart(job);
    await held.arrived;
    const bucket = emulators.resources.bucketName;
    const attachments = `${PAYLOAD_BUCKET.prefixes.attachments}${job.conversationId}/`;

    // Act: the download completes right after the erasure listed the conversation's attachments.
    const report = await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: (keys) => deletePayloadObjects(emulators.clients.s3, bucket, keys),
        deleteObjectsUnder: async (prefix) => {
          const deleted = await deletePayloadObjectsUnder(emulators.clients.s3, bucket, prefix);
          if (prefix === attachments) {
            held.release();
            await fetching;
          }
          return deleted;
        },
      },
      contactIdFor('whatsapp', { identities: [{ type: 'wa_id', value: PHONE }] }, ''),
    );
    const left = await emulators.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: attachments }),
    );
    const claim = await emulators.clients.dynamodb.send(
      new GetItemCommand({
        TableName: emulators.resources.tableName,
        Key: marshall(mediaFetchKey(job.hubMessageId, job.partIndex)),
        ConsistentRead: true,
      }),
    );

    // Assess
    expect(report?.tombstones).toBeGreaterThan(0);
    expect(provider.downloads(MEDIA_ID)).toBe(1);
    expect(left.Contents ?? []).toEqual([]);
    expect(claim.Item).toBeUndefined();
    expect(published.filter((queued) => queued.type === 'switchboard.message.media_stored')).toEqual([]);
  });
});

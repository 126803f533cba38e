import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
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
import { type MediaJob, mediaJobsFor } from '#shared/media/job.ts';
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
const PHONE_NUMBER_ID = 'phone-media-race';

/** A customer (`phone`) whose message carries one image (`mediaId`). */
interface Customer {
  readonly phone: string;
  readonly mediaId: string;
}

const imageMessage = ({ phone, mediaId }: Customer): HubEvent => {
  const identities: [ChannelIdentity] = [{ type: 'wa_id', value: phone }];
  const endpoint = { type: 'whatsapp_phone_number' as const, id: PHONE_NUMBER_ID };
  const at = '2026-11-22T12:00:00.000Z';
  const wamid = `wamid.${mediaId}`;
  return buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', wamid), {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint,
    contact: { identities },
    conversationId: contactConversationId('whatsapp', endpoint, identities[0]),
    hubMessageId: hubMessageIdFor('whatsapp', wamid),
    direction: 'inbound',
    providerMessageId: wamid,
    providerTimestamp: at,
    receivedAt: at,
    parts: [
      {
        type: 'media',
        kind: 'image',
        mimeType: 'image/jpeg',
        ref: { store: 'provider_media_id', mediaId },
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

  /** The customer's message recorded; a fetcher for its image, whose next download is held; what is published. */
  const recorded = async (customer: Customer) => {
    const event = imageMessage(customer);
    await createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: silent,
    }).recordEvent(event);
    const [job] = mediaJobsFor(event as Parameters<typeof mediaJobsFor>[0]);
    if (!job) throw new Error('the message has no media job');
    provider.serve(customer.mediaId, { bytes: jpegOf(48_000, customer.mediaId), mimeType: 'image/jpeg' });
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
    const held = provider.holdNextDownload(customer.mediaId);
    const attachments = `${PAYLOAD_BUCKET.prefixes.attachments}${job.conversationId}/`;
    return { job, fetcher, held, published, attachments };
  };

  const bucket = () => emulators.resources.bucketName;
  const erase = (phone: string, overrides: Partial<Parameters<typeof erasePerson>[0]> = {}) =>
    erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: context,
        deleteObjects: (keys) => deletePayloadObjects(emulators.clients.s3, bucket(), keys),
        deleteObjectsUnder: (prefix) => deletePayloadObjectsUnder(emulators.clients.s3, bucket(), prefix),
        ...overrides,
      },
      contactIdFor('whatsapp', { identities: [{ type: 'wa_id', value: phone }] }, ''),
    );
  /** What is left of the part: its objects and its claim item. */
  const leftOf = async ({ job, attachments }: { job: MediaJob; attachments: string }) => {
    const objects = await emulators.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket(), Prefix: attachments }),
    );
    const claim = await emulators.clients.dynamodb.send(
      new GetItemCommand({
        TableName: emulators.resources.tableName,
        Key: marshall(mediaFetchKey(job.hubMessageId, job.partIndex)),
        ConsistentRead: true,
      }),
    );
    return { objects: objects.Contents ?? [], claim: claim.Item ? unmarshall(claim.Item) : undefined };
  };
  const stored = (published: readonly HubEvent[]) =>
    published.filter((queued) => queued.type === 'switchboard.message.media_stored');

  it('leaves no object of the part and tells no media_stored when the upload completes after the erasure listed the attachments', async () => {
    // Prepare: the message recorded, its image claimed by a fetcher whose download is held.
    const customer = { phone: '306912340777', mediaId: 'media-race-erased' };
    const part = await recorded(customer);
    const fetching = part.fetcher.fetchPart(part.job);
    await part.held.arrived;

    // Act: the download completes right after the erasure listed the conversation's attachments.
    const report = await erase(customer.phone, {
      deleteObjectsUnder: async (prefix) => {
        const deleted = await deletePayloadObjectsUnder(emulators.clients.s3, bucket(), prefix);
        if (prefix === part.attachments) {
          part.held.release();
          await fetching;
        }
        return deleted;
      },
    });
    const left = await leftOf(part);

    // Assess
    expect(report?.tombstones).toBeGreaterThan(0);
    expect(provider.downloads(customer.mediaId)).toBe(1);
    expect(left.objects).toEqual([]);
    expect(left.claim).toBeUndefined();
    expect(stored(part.published)).toEqual([]);
  });

  it('leaves no object and tells no media_stored for a part first claimed after the erasure read the person, its claim keeping neither', async () => {
    // Prepare: the message recorded; its job's first delivery comes while the erasure runs, after
    // the erasure read the person's items (it waits on the providers' redactions)
    const customer = { phone: '306912340778', mediaId: 'media-race-first-claim' };
    const part = await recorded(customer);
    let fetching: Promise<void> | undefined;

    // Act: the download completes once the erasure is done
    const report = await erase(customer.phone, {
      redactAtProviders: async () => {
        fetching = part.fetcher.fetchPart(part.job);
        await part.held.arrived;
        return {
          twilio: { redacted: 0, failed: 0 },
          whatsapp: { deleted: 0, failed: 0 },
          unfinished: [],
        } as never;
      },
    });
    part.held.release();
    await fetching;
    const left = await leftOf(part);

    // Assess: until 2026-12-07 the object and a stored claim stayed, and media_stored was told
    expect(report?.tombstones).toBeGreaterThan(0);
    expect(provider.downloads(customer.mediaId)).toBe(1);
    expect(left.objects).toEqual([]);
    expect(left.claim).not.toHaveProperty('conversationId');
    expect(left.claim).not.toHaveProperty('object');
    expect(stored(part.published)).toEqual([]);
  });
});

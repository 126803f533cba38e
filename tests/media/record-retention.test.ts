import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationIdFor, hubMessageIdFor } from '#shared/contract/index.ts';
import { localClients, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { MediaJob } from '#shared/media/job.ts';
import { mediaFetchKey } from '#shared/store/keys.ts';
import { MESSAGE_RETENTION_SECONDS } from '#shared/store/messages.ts';
import {
  type CountingMediaProvider,
  jpegOf,
  startCountingMediaProvider,
} from '#tests/support/counting-media-provider.ts';
import { localMediaFetcher } from '#tests/support/local-media-fetcher.ts';

/*
 * An attachment's record (shared/store/media-fetches.ts) is how the helpdesk API finds a stored file
 * (`GET /v1/messages/{id}/media/{n}`): it is kept as long as the message's record
 * (SWITCHBOARD_MESSAGE_RETENTION_DAYS), not a fixed 30 days. Before 2026-12-05 the media fetcher was
 * never told the retention, so with 365 days the files of a message older than 30 days could no
 * longer be found (found by a review).
 */

const T0 = new Date('2026-11-22T12:00:00.000Z');
const PHONE_NUMBER_ID = '109384756201938';

const jobFor = (mediaId: string): MediaJob => ({
  hubMessageId: hubMessageIdFor('whatsapp', `wamid.${mediaId}`),
  conversationId: conversationIdFor('whatsapp', PHONE_NUMBER_ID, 'wa_id:491700000002'),
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: PHONE_NUMBER_ID },
  partIndex: 0,
  part: {
    type: 'media',
    kind: 'image',
    mimeType: 'image/jpeg',
    ref: { store: 'provider_media_id', mediaId },
  },
});

describe("an attachment's record is kept as long as its message's", () => {
  let emulators: RunningEmulators;
  let provider: CountingMediaProvider;
  const destroyers: (() => void)[] = [];

  const fetchWithRetention = async (mediaId: string, retentionSeconds?: number) => {
    provider.serve(mediaId, { bytes: jpegOf(4_000, mediaId), mimeType: 'image/jpeg' });
    const clients = localClients(emulators.endpoints);
    destroyers.push(() => {
      for (const client of Object.values(clients)) client.destroy();
    });
    const fetcher = localMediaFetcher(emulators, clients, provider, {
      clock: () => T0,
      ...(retentionSeconds === undefined ? {} : { retentionSeconds }),
    });
    const job = jobFor(mediaId);
    await fetcher.fetchPart(job);
    const output = await emulators.clients.dynamodb.send(
      new GetItemCommand({
        TableName: emulators.resources.tableName,
        Key: marshall(mediaFetchKey(job.hubMessageId, job.partIndex)),
        ConsistentRead: true,
      }),
    );
    return output.Item ? unmarshall(output.Item) : undefined;
  };

  beforeAll(async () => {
    emulators = await startEmulators();
    provider = await startCountingMediaProvider();
  });
  afterAll(async () => {
    for (const destroy of destroyers) destroy();
    await provider?.close();
    await emulators?.stop();
  });

  it('expires with the retention the fetcher is given, and after the default one without', async () => {
    // Act
    const year = await fetchWithRetention('retention-365', 365 * 86_400);
    const standard = await fetchWithRetention('retention-default');
    // Assess
    const t0 = Math.floor(T0.getTime() / 1000);
    expect(year).toMatchObject({ state: 'stored', expiresAt: t0 + 365 * 86_400 });
    expect(standard).toMatchObject({ state: 'stored', expiresAt: t0 + MESSAGE_RETENTION_SECONDS });
  });
});

import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { localClients, RunningEmulators } from '#shared/local/emulators.ts';
import { createMediaFetcherService, type MediaFetcherWiring } from '#shared/media/wiring.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { CountingMediaProvider } from './counting-media-provider.ts';

/**
 * A media fetcher as the Lambda wires it, over `clients` (its own, so a test can watch or fault
 * them) and the local emulators' resources, fetching from the counting WhatsApp media host: what
 * the media tests share. `options` adds the clock, the retention or anything else of the wiring.
 */
export const localMediaFetcher = (
  emulators: RunningEmulators,
  clients: ReturnType<typeof localClients>,
  provider: CountingMediaProvider,
  options: Partial<MediaFetcherWiring> = {},
) =>
  createMediaFetcherService({
    dynamodb: clients.dynamodb,
    sqs: clients.sqs,
    s3: clients.s3,
    bucket: emulators.resources.bucketName,
    tableName: emulators.resources.tableName,
    helpdeskQueueUrl: emulators.resources.helpdeskQueueUrl,
    mediaQueueUrl: emulators.resources.mediaQueueUrl,
    secrets: async () => LOCAL_DEV_SECRETS,
    graphApiUrl: provider.graphApiUrl,
    graphApiVersion: provider.graphApiVersion,
    twilioApiUrl: 'http://127.0.0.1:9',
    logger: createLogger({ level: 'error', write: () => undefined }),
    ...options,
  });

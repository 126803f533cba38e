import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { BatchEventPublisher } from '#shared/aws/event-publisher.ts';
import { SignedSqsClient } from '#shared/aws/signed/sqs.ts';
import type { WebhookRequest } from '#shared/channels/inbound.ts';
import { processWebhook } from '#shared/intake/process-webhook.ts';
import { awsCommandCounts, resetAwsCommandCounts } from '#shared/local/aws-command-counter.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startEmulators } from '#shared/local/emulators.ts';
import { whatsappImageFrom, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { median, percentile, round } from './stats.ts';
import { adapterFor, signSample } from './webhook-path.ts';

/**
 * The WhatsApp webhook's answer with an image part against the same webhook with text, in one
 * process: the deployed path (processWebhook, the adapter, the SDK-free signed SendMessageBatch to
 * the local ingest queue), each request a new message, the two kinds alternating request by request
 * so the machine's load hits both alike. The download happens later on the media queue, so the
 * ratio should be about 1; the AWS calls per answer and any provider request during it are counted.
 */

export interface LatencySummary {
  readonly medianMs: number;
  readonly p95Ms: number;
}

export interface MediaAckResult {
  readonly requestsEach: number;
  readonly withoutMedia: LatencySummary;
  readonly withMedia: LatencySummary;
  /** With an image over without, of the medians and of the 95th percentiles. */
  readonly medianRatio: number;
  readonly p95Ratio: number;
  /** AWS commands per answer, each kind. */
  readonly awsCallsPerAck: {
    readonly withoutMedia: Readonly<Record<string, number>>;
    readonly withMedia: Readonly<Record<string, number>>;
  };
  /** HTTP requests through `fetch` (how the fetcher reaches providers) while the webhooks answered. */
  readonly providerRequests: number;
}

const WARMUP_EACH = 40;
const COUNTED_EACH = 10;

const perAck = (counts: Record<string, number>, requests: number): Record<string, number> =>
  Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, round(count / requests, 2)]));

export const runMediaAck = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<MediaAckResult> => {
  const requestsEach = quick ? 200 : 1000;
  const total = WARMUP_EACH + COUNTED_EACH + requestsEach;
  const emulators = await startEmulators();
  const { resources } = emulators;
  const publisher = new BatchEventPublisher({
    sqs: new SignedSqsClient({
      endpoint: emulators.endpoints.sqs,
      env: {
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      },
    }),
    queueUrl: resources.ingestQueueUrl,
    overflow: {
      store: new S3BlobStore(emulators.clients.s3, resources.bucketName),
      bucket: resources.bucketName,
    },
  });
  const logger = createLogger({ level: 'info', write: () => undefined }).child({ channel: 'whatsapp' });
  // Every request is another customer's new message, signed up front (signing is the provider's work).
  const requests = Array.from({ length: total }, (_, index) => {
    const customer = `4915900${String(index).padStart(6, '0')}`;
    return {
      text: signSample(whatsappTextFrom(customer, `ack-text-${index}`)).request,
      image: signSample(whatsappImageFrom(customer, `ack-image-${index}`, `77200000${index}`)).request,
    };
  });
  const adapter = adapterFor('whatsapp', 'https://hub.example.com/webhooks/whatsapp');
  const answer = async (request: WebhookRequest): Promise<number> => {
    const start = performance.now();
    const response = await processWebhook(request, adapter, {
      blobStore: new S3BlobStore(emulators.clients.s3, resources.bucketName),
      publisher,
      logger: logger.child({ route: request.path }),
    });
    const elapsed = performance.now() - start;
    if (response.statusCode !== 200) throw new Error(`the webhook answered ${response.statusCode}`);
    return elapsed;
  };

  const realFetch = globalThis.fetch;
  let providerRequests = 0;
  globalThis.fetch = (input, init) => {
    providerRequests += 1;
    return realFetch(input, init);
  };
  try {
    let next = 0;
    for (; next < WARMUP_EACH; next++) {
      const pair = requests[next];
      if (pair) await Promise.all([answer(pair.text), answer(pair.image)]);
    }
    progress(`  AWS calls per answer (${COUNTED_EACH} each)`);
    const counted = requests.slice(next, next + COUNTED_EACH);
    next += COUNTED_EACH;
    resetAwsCommandCounts();
    for (const pair of counted) await answer(pair.text);
    const withoutCalls = perAck(awsCommandCounts(), COUNTED_EACH);
    resetAwsCommandCounts();
    for (const pair of counted) await answer(pair.image);
    const withCalls = perAck(awsCommandCounts(), COUNTED_EACH);

    progress(`  ${requestsEach} answers each, alternating`);
    const without: number[] = [];
    const withImage: number[] = [];
    for (const [index, pair] of requests.slice(next).entries()) {
      // Which kind goes first alternates too: neither always follows the other's queue write.
      if (index % 2 === 0) {
        without.push(await answer(pair.text));
        withImage.push(await answer(pair.image));
      } else {
        withImage.push(await answer(pair.image));
        without.push(await answer(pair.text));
      }
    }
    const summary = (values: number[]): LatencySummary => ({
      medianMs: round(median(values), 3),
      p95Ms: round(percentile(values, 0.95), 3),
    });
    const withoutMedia = summary(without);
    const withMedia = summary(withImage);
    return {
      requestsEach,
      withoutMedia,
      withMedia,
      medianRatio: round(median(withImage) / median(without), 2),
      p95Ratio: round(percentile(withImage, 0.95) / percentile(without, 0.95), 2),
      awsCallsPerAck: { withoutMedia: withoutCalls, withMedia: withCalls },
      providerRequests,
    };
  } finally {
    globalThis.fetch = realFetch;
    await emulators.stop();
  }
};

import { startEmulators } from '#shared/local/emulators.ts';
import { MEDIA_FETCHER } from '#shared/resources/definitions.ts';
import { startCountingMediaProvider } from '#tests/support/counting-media-provider.ts';
import { costOf, type DesignCost, design } from './aws-cost.ts';
import { AWS_DURATIONS, lambdaDollars } from './aws-functions.ts';
import { type MediaAckResult, runMediaAck } from './media-ack.ts';
import { type MediaMemoryResult, runMediaMemory } from './media-memory.ts';
import {
  MEDIA_ATTACHMENT,
  type MediaCallCounts,
  type MediaPathUsage,
  measureMediaPath,
  mediaCallsPerAttachment,
} from './media-path.ts';
import { PRICES } from './prices.ts';
import { round } from './stats.ts';

/**
 * Inbound media (`npm run bench -- --only=media`): what a customer message with one image costs in
 * AWS (the media path's calls counted over the emulators and priced), the webhook's answer with and
 * without an image, and the fetcher's resident memory for a 100 MB document.
 */

/** The fetcher's duration in AWS, stated with the scale model's (bench/scale.ts). */
const MEDIA_FETCH_AWS_MS = AWS_DURATIONS.mediaFetchMs;
const IMAGE_BYTES = 200 * 1024;
const GIB = 1024 ** 3;

export interface MediaCostResult {
  readonly messages: number;
  readonly imageBytes: number;
  readonly usage: MediaPathUsage;
  readonly perAttachment: MediaCallCounts;
  /** The counts above are tests/bench/media-attachment-counts.test.ts's committed row. */
  readonly matchesCommittedCounts: boolean;
  readonly fetcherMs: {
    readonly measuredMedian: number;
    readonly statedForAws: number;
    readonly priced: number;
  };
  /** What the media path adds to a message with one image. */
  readonly media: DesignCost;
  /** The message itself, costed from the same run as the AWS section's inbound chat message. */
  readonly message: {
    readonly httpApi: number;
    readonly functionUrls: number;
    readonly lines: DesignCost['lines'];
  };
  readonly total: { readonly httpApi: number; readonly functionUrls: number };
  /** Kept for the payload bucket's 30 days (one month): per million images, per month. */
  readonly storage: {
    readonly s3GbPerMillion: number;
    readonly s3DollarsPerMillion: number;
    readonly claimItemBytes: number;
    readonly dynamoDollarsPerMillion: number;
  };
}

export interface MediaBenchResult {
  readonly cost: MediaCostResult;
  readonly ack: MediaAckResult;
  readonly memory: MediaMemoryResult;
}

const costMedia = (usage: MediaPathUsage): MediaCostResult => {
  const perAttachment = mediaCallsPerAttachment(usage);
  const { fetcher, pipeline, messages } = usage;
  const jobs = Math.max(1, fetcher.jobs);
  const mediaQueue = pipeline.recorder.mediaQueue ?? { requests: 0, entries: 0, chunks: 0 };
  const priced = Math.max(fetcher.medianDurationMs, MEDIA_FETCH_AWS_MS);
  const media = design([
    ['recorder: jobs to the media queue (SQS FIFO)', mediaQueue.chunks / messages, PRICES.sqsFifoPerRequest],
    [
      'media queue: receive + delete by the event source',
      (2 * fetcher.invocations) / jobs,
      PRICES.sqsFifoPerRequest,
    ],
    [
      `fetcher Lambda (request + ${Math.round(priced)} ms at ${MEDIA_FETCHER.memoryMb} MB)`,
      fetcher.invocations / jobs,
      lambdaDollars(1, priced, MEDIA_FETCHER.memoryMb),
    ],
    ['DynamoDB read units (erasure tombstone)', perAttachment.readUnits, PRICES.dynamoPerReadUnit],
    ['DynamoDB write units (claim, outcome)', perAttachment.writeUnits, PRICES.dynamoPerWriteUnit],
    ['S3 PUT-class requests', perAttachment.putObject + perAttachment.multipartRequests, PRICES.s3PerPut],
    ['SQS FIFO: media_stored to the helpdesk queue', fetcher.sqsChunks / jobs, PRICES.sqsFifoPerRequest],
  ]);
  // The message as the AWS section costs an inbound chat message; its media jobs are priced above.
  const messageCost = costOf(
    {
      ...pipeline,
      recorder: { ...pipeline.recorder, sqsChunks: pipeline.recorder.sqsChunks - mediaQueue.chunks },
    },
    ['whatsapp'],
  );
  const message = {
    httpApi: messageCost.switchboard.dollarsPerMillion,
    functionUrls: messageCost.switchboardFunctionUrls.dollarsPerMillion,
    lines: messageCost.switchboard.lines,
  };
  const s3GbPerMillion = (usage.attachmentBytes * 1e6) / GIB;
  return {
    messages,
    imageBytes: usage.attachmentBytes,
    usage,
    perAttachment,
    matchesCommittedCounts: JSON.stringify(perAttachment) === JSON.stringify(MEDIA_ATTACHMENT),
    fetcherMs: {
      measuredMedian: round(fetcher.medianDurationMs, 1),
      statedForAws: MEDIA_FETCH_AWS_MS,
      priced: Math.round(priced),
    },
    media,
    message,
    total: {
      httpApi: round(message.httpApi + media.dollarsPerMillion, 2),
      functionUrls: round(message.functionUrls + media.dollarsPerMillion, 2),
    },
    storage: {
      s3GbPerMillion: round(s3GbPerMillion, 1),
      s3DollarsPerMillion: round(s3GbPerMillion * PRICES.s3StandardPerGbMonth, 2),
      claimItemBytes: usage.claimItemBytes,
      dynamoDollarsPerMillion: round(((usage.claimItemBytes * 1e6) / GIB) * PRICES.dynamoPerGbMonth, 2),
    },
  };
};

export const runMedia = async (
  quick: boolean,
  progress: (line: string) => void,
): Promise<MediaBenchResult> => {
  const messages = quick ? 30 : 100;
  progress(
    `  cost: ${messages} WhatsApp messages with a ${IMAGE_BYTES / 1024} KB image, webhook to media_stored`,
  );
  const emulators = await startEmulators();
  const provider = await startCountingMediaProvider();
  let cost: MediaCostResult;
  try {
    cost = costMedia(await measureMediaPath(emulators, provider, { messages, imageBytes: IMAGE_BYTES }));
  } finally {
    await provider.close();
    await emulators.stop();
  }
  progress(
    `  $${cost.total.httpApi}/M with the image ($${cost.message.httpApi} the message + $${cost.media.dollarsPerMillion} its media path)`,
  );
  progress('  webhook answer with and without an image');
  const ack = await runMediaAck(quick, progress);
  progress(`  median ${ack.medianRatio}×, p95 ${ack.p95Ratio}×`);
  progress('  fetcher memory');
  const memory = await runMediaMemory(progress);
  return { cost, ack, memory };
};

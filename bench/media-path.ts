import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import {
  awsCommandCounts,
  countCommandsOf,
  resetAwsCommandCounts,
} from '#shared/local/aws-command-counter.ts';
import { localClients, type RunningEmulators } from '#shared/local/emulators.ts';
import { toSqsRecord } from '#shared/local/event-source.ts';
import { createMediaFetcherService } from '#shared/media/wiring.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { MEDIA_FETCHER } from '#shared/resources/definitions.ts';
import {
  type CountingMediaProvider,
  jpegOf,
  whatsappImageServedBy,
} from '#tests/support/counting-media-provider.ts';
import { newTally, tallySqs } from './aws-usage.ts';
import { type PipelineUsage, runPipeline } from './pipeline.ts';
import { median } from './stats.ts';

/**
 * The media path of customer messages with one image each, over the emulators with every AWS
 * command counted: the real webhook path and recorder (which enqueues a job per media part on the
 * media queue), then the real media fetcher (functions/media-fetcher.ts's wiring) invoked once per
 * job, as the event source does with batches of MEDIA_FETCHER.batchSize, downloading from a
 * counting WhatsApp media host and storing in the local S3. The event source's own receive and
 * delete are not the function's commands; they are modelled per batch where the calls are priced.
 */

export interface FetcherUsage {
  readonly jobs: number;
  readonly invocations: number;
  /** The fetcher's AWS commands over all jobs, by name. */
  readonly commands: Readonly<Record<string, number>>;
  /** Units as the local DynamoDB reports them. */
  readonly readUnits: number;
  readonly writeUnits: number;
  /** SQS billing units (64 KB) of what the fetcher publishes to the helpdesk queue. */
  readonly sqsChunks: number;
  readonly stored: number;
  readonly failed: number;
  /** Downloads the provider served whole. */
  readonly downloads: number;
  /** Per invocation, on this machine (emulators and provider on loopback). */
  readonly medianDurationMs: number;
}

export interface MediaPathUsage {
  readonly messages: number;
  readonly attachmentBytes: number;
  readonly pipeline: PipelineUsage;
  readonly fetcher: FetcherUsage;
  /** One attachment's claim item as DynamoDB sizes it (attribute names and values). */
  readonly claimItemBytes: number;
}

const MESSAGES_PER_CONVERSATION = 5;
const silent = createLogger({ level: 'error', write: () => undefined });

/** DynamoDB's item size: each attribute's name plus its value (numbers about 1 byte per 2 digits). */
const valueBytes = (value: AttributeValue): number => {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\./g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  if (value.L !== undefined) return 3 + value.L.reduce((total, inner) => total + 1 + valueBytes(inner), 0);
  return 1;
};
const itemBytes = (item: Record<string, AttributeValue>): number =>
  Object.entries(item).reduce(
    (total, [name, value]) => total + Buffer.byteLength(name) + valueBytes(value),
    0,
  );

const claimItemBytesIn = async (emulators: RunningEmulators): Promise<number> => {
  const output = await emulators.clients.dynamodb.send(
    new ScanCommand({
      TableName: emulators.resources.tableName,
      FilterExpression: 'begins_with(sk, :media)',
      ExpressionAttributeValues: { ':media': { S: 'MEDIA#' } },
    }),
  );
  const [item] = output.Items ?? [];
  if (!item) throw new Error('no claim item in the table');
  return itemBytes(item);
};

/** Runs the fetcher over every job on the media queue, one invocation per batch. */
const runFetcher = async (
  emulators: RunningEmulators,
  provider: CountingMediaProvider,
  mediaIds: readonly string[],
): Promise<FetcherUsage> => {
  const { resources } = emulators;
  const clients = localClients(emulators.endpoints);
  countCommandsOf(clients.dynamodb);
  countCommandsOf(clients.sqs);
  countCommandsOf(clients.s3);
  const tally = newTally();
  tallySqs(clients.sqs, tally);
  const capacity = { read: 0, write: 0 };
  const outcomes = { stored: 0, failed: 0 };
  const fetcher = createMediaFetcherService({
    dynamodb: clients.dynamodb,
    sqs: clients.sqs,
    s3: clients.s3,
    bucket: resources.bucketName,
    tableName: resources.tableName,
    helpdeskQueueUrl: resources.helpdeskQueueUrl,
    mediaQueueUrl: resources.mediaQueueUrl,
    secrets: async () => LOCAL_DEV_SECRETS,
    graphApiUrl: provider.graphApiUrl,
    graphApiVersion: provider.graphApiVersion,
    twilioApiUrl: 'http://127.0.0.1:9',
    logger: silent,
    onOutcome: (outcome) => {
      outcomes[outcome.state] += 1;
    },
    onCapacity: (operation, consumed) => {
      // dynalite reports only the total; which kind it is follows from the operation.
      if (operation === 'GetItem') capacity.read += consumed?.CapacityUnits ?? 0;
      else capacity.write += consumed?.CapacityUnits ?? 0;
    },
  });
  const poller = emulators.clients.sqs;
  const arn =
    (
      await poller.send(
        new GetQueueAttributesCommand({ QueueUrl: resources.mediaQueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn ?? '';
  resetAwsCommandCounts();
  const durations: number[] = [];
  let jobs = 0;
  for (let emptyPolls = 0; emptyPolls < 2; ) {
    const { Messages = [] } = await poller.send(
      new ReceiveMessageCommand({
        QueueUrl: resources.mediaQueueUrl,
        MaxNumberOfMessages: MEDIA_FETCHER.batchSize,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) {
      emptyPolls += 1;
      continue;
    }
    emptyPolls = 0;
    const start = performance.now();
    const response = await fetcher.handleSqsEvent({
      Records: Messages.map((message) => toSqsRecord(message, arn, 'us-east-1')),
    });
    durations.push(performance.now() - start);
    if (response.batchItemFailures.length > 0) throw new Error('the media fetcher failed a job');
    jobs += Messages.length;
    for (const message of Messages)
      await poller.send(
        new DeleteMessageCommand({ QueueUrl: resources.mediaQueueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
  }
  const commands = awsCommandCounts();
  for (const client of Object.values(clients)) client.destroy();
  return {
    jobs,
    invocations: durations.length,
    commands,
    readUnits: capacity.read,
    writeUnits: capacity.write,
    sqsChunks: tally.sqsChunks,
    stored: outcomes.stored,
    failed: outcomes.failed,
    downloads: mediaIds.reduce((total, id) => total + provider.downloads(id), 0),
    medianDurationMs: median(durations),
  };
};

/**
 * `messages` WhatsApp image messages (five per conversation, as the AWS section's scenarios) of
 * `imageBytes` each, from webhook to `media_stored`.
 */
export const measureMediaPath = async (
  emulators: RunningEmulators,
  provider: CountingMediaProvider,
  { messages, imageBytes, runId = 'bench' }: { messages: number; imageBytes: number; runId?: string },
): Promise<MediaPathUsage> => {
  const file = { bytes: jpegOf(imageBytes, `${runId}-image`), mimeType: 'image/jpeg' };
  const conversations = Math.max(1, Math.floor(messages / MESSAGES_PER_CONVERSATION));
  const mediaIds = Array.from({ length: messages }, (_, index) => `${runId}-image-${index}`);
  const samples = mediaIds.map((mediaId, index) => {
    provider.serve(mediaId, file);
    const customer = `49170${String(index % conversations).padStart(7, '0')}`;
    return whatsappImageServedBy(customer, `${runId}-${index}`, mediaId, file);
  });
  const pipeline = await runPipeline(emulators, samples, {
    mediaQueueUrl: emulators.resources.mediaQueueUrl,
  });
  const fetcher = await runFetcher(emulators, provider, mediaIds);
  return {
    messages,
    attachmentBytes: imageBytes,
    pipeline,
    fetcher,
    claimItemBytes: await claimItemBytesIn(emulators),
  };
};

/** The calls one attachment adds to its message (one image per message), as the scale rows state them. */
export interface MediaCallCounts {
  readonly mediaQueueSendMessageBatch: number;
  readonly getItem: number;
  readonly updateItem: number;
  readonly putObject: number;
  readonly multipartRequests: number;
  readonly helpdeskSendMessageBatch: number;
  readonly changeMessageVisibility: number;
  readonly readUnits: number;
  readonly writeUnits: number;
}

export const mediaCallsPerAttachment = (usage: MediaPathUsage): MediaCallCounts => {
  const { fetcher } = usage;
  const per = (value: number | undefined) => (value ?? 0) / Math.max(1, fetcher.jobs);
  const command = (name: string) => per(fetcher.commands[name]);
  return {
    mediaQueueSendMessageBatch: (usage.pipeline.recorder.mediaQueue?.requests ?? 0) / usage.messages,
    getItem: command('GetItem'),
    updateItem: command('UpdateItem'),
    putObject: command('PutObject'),
    multipartRequests:
      command('CreateMultipartUpload') + command('UploadPart') + command('CompleteMultipartUpload'),
    helpdeskSendMessageBatch: command('SendMessageBatch'),
    changeMessageVisibility: command('ChangeMessageVisibility'),
    readUnits: per(fetcher.readUnits),
    writeUnits: per(fetcher.writeUnits),
  };
};

/**
 * Counted by tests/bench/media-attachment-counts.test.ts (an image under 8 MiB): the recorder's one
 * SendMessageBatch of the message's jobs; the fetcher's consistent reads of the message's erasure
 * tombstone before its claim and again before its outcome (since 2026-12-07: an erasure that began
 * before the claim does not know of it), its claim and its outcome (items under 1 KB), one
 * PutObject, and media_stored.
 */
export const MEDIA_ATTACHMENT: MediaCallCounts = {
  mediaQueueSendMessageBatch: 1,
  getItem: 2,
  updateItem: 2,
  putObject: 1,
  multipartRequests: 0,
  helpdeskSendMessageBatch: 1,
  changeMessageVisibility: 0,
  readUnits: 2,
  writeUnits: 2,
};

import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { processWebhook } from '#shared/intake/process-webhook.ts';
import {
  awsCommandCounts,
  countCommandsOf,
  resetAwsCommandCounts,
} from '#shared/local/aws-command-counter.ts';
import { localClients, type RunningEmulators } from '#shared/local/emulators.ts';
import { toSqsRecord } from '#shared/local/event-source.ts';
import { type Sample, signedRequestFor } from '#shared/local/samples.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorder } from '#shared/recorder/wiring.ts';
import { DynamoReplayGuard } from '#shared/store/replay-guard.ts';
import { newTally, STRAIGHTFORWARD_INDEXES, tallySqs, type UsageTally } from './aws-usage.ts';
import { SQS_CHUNK_BYTES } from './prices.ts';
import { median } from './stats.ts';
import { adapterFor, BENCH_BASE_URL, BENCH_SECRETS, toWebhookRequest } from './webhook-path.ts';
import { meterWriteUnits, newWriteUnitTally, type WriteUnitTally } from './write-units.ts';

/**
 * The webhook path and the recorder in this process, over the emulators, with the same clients,
 * publisher, store and replay guard as in Lambda: every AWS command they send is counted, and every
 * table write priced as AWS bills it (bench/write-units.ts: item sizes, each index's puts, deletes,
 * key moves and rewrites). The meter's reads around each write (through a client that is not
 * counted) are left out of the measured durations: the time any of them was in flight is subtracted.
 */

export interface SideUsage {
  readonly commands: Readonly<Record<string, number>>;
  readonly sqsChunks: number;
  readonly readUnits: number;
  /** Table write units, metered. */
  readonly writeUnits: number;
  /** Index write units, metered. */
  readonly gsiWriteUnits: number;
  /** What an exact-time, all-attributes by-status index would have cost (the straightforward design). */
  readonly exactIndexGsiWriteUnits: number;
  /**
   * Index write units by index partition (bench/write-units.ts indexPartitionOf: `gsi1 STATUS#open`,
   * `gsi4 WAITING`, `gsi2 per item`…). Absent from runs before 2026-12-05.
   */
  readonly indexPartitionWriteUnits?: Readonly<Record<string, number>>;
  /** The largest item a write left, by kind (the sort key's first segment), in bytes. */
  readonly largestItemBytes: Readonly<Record<string, number>>;
}

export interface PipelineUsage {
  readonly requests: number;
  readonly ingestEvents: number;
  readonly webhook: SideUsage & { readonly medianDurationMs: number };
  readonly recorder: SideUsage & {
    readonly batches: number;
    readonly medianBatchDurationMs: number;
    /** Events sent to the helpdesk queue. */
    readonly publishedEvents: number;
    /** With a media queue: the recorder's SendMessageBatch calls to it (in `commands` and `sqsChunks` too). */
    readonly mediaQueue?: MediaQueueTally;
  };
}

export interface MediaQueueTally {
  requests: number;
  /** Jobs enqueued. */
  entries: number;
  /** SQS billing units (64 KB of payload each, one at least per request). */
  chunks: number;
}

export interface PipelineOptions {
  /** The recorder enqueues a job per media part there, as deployed with the media fetcher. */
  readonly mediaQueueUrl?: string;
}

type Input = Record<string, unknown>;

/** Counts the SendMessageBatch requests a client sends to one queue. */
const tallyQueue = (client: SQSClient, queueUrl: string, tally: MediaQueueTally): void => {
  client.middlewareStack.add(
    ((next: (args: { input: Input }) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: Input }) => {
        if (context.commandName === 'SendMessageBatchCommand' && args.input.QueueUrl === queueUrl) {
          const entries = (args.input.Entries as { MessageBody?: string }[] | undefined) ?? [];
          const bytes = entries.reduce(
            (total, entry) => total + Buffer.byteLength(entry.MessageBody ?? '', 'utf8'),
            0,
          );
          tally.requests += 1;
          tally.entries += entries.length;
          tally.chunks += Math.max(1, Math.ceil(bytes / SQS_CHUNK_BYTES));
        }
        return next(args);
      }) as never,
    { step: 'initialize', name: 'benchMediaQueue' },
  );
};

const silent = createLogger({ level: 'error', write: () => undefined });

export const runPipeline = async (
  emulators: RunningEmulators,
  samples: readonly Sample[],
  options: PipelineOptions = {},
): Promise<PipelineUsage> => {
  const { resources } = emulators;
  const clients = localClients(emulators.endpoints);
  const tally: UsageTally = newTally();
  const capacity = { read: 0 };
  countCommandsOf(clients.sqs);
  countCommandsOf(clients.s3);
  countCommandsOf(clients.dynamodb);
  tallySqs(clients.sqs, tally);
  const writes: WriteUnitTally = newWriteUnitTally();
  meterWriteUnits(clients.dynamodb, emulators.clients.dynamodb, writes, STRAIGHTFORWARD_INDEXES);
  /** The writes metered since the last call. */
  const takeWrites = () => {
    const taken = {
      writeUnits: writes.tableWriteUnits,
      gsiWriteUnits: writes.indexWriteUnits,
      exactIndexGsiWriteUnits: writes.whatIfIndexWriteUnits,
      indexPartitionWriteUnits: { ...writes.byIndexPartition },
      largestItemBytes: { ...writes.largestItemBytes },
    };
    Object.assign(writes, newWriteUnitTally());
    return taken;
  };

  const blobStore = new S3BlobStore(clients.s3, resources.bucketName);
  const publisher = new SqsEventPublisher({
    client: clients.sqs,
    queueUrl: resources.ingestQueueUrl,
    overflow: { store: blobStore, bucket: resources.bucketName },
  });
  const replayGuard = new DynamoReplayGuard({
    putItem: (input) => clients.dynamodb.send(new PutItemCommand(input)),
    tableName: resources.tableName,
    now: () => new Date(),
  });

  resetAwsCommandCounts();
  const webhookDurations: number[] = [];
  for (const sample of samples) {
    const outgoing = signedRequestFor(sample, { targetBaseUrl: BENCH_BASE_URL, secrets: BENCH_SECRETS });
    const request = toWebhookRequest(outgoing, new Date());
    const adapter = adapterFor(sample.channel, outgoing.url, replayGuard);
    const start = performance.now();
    const metering = writes.meteringMs;
    const response = await processWebhook(request, adapter, { blobStore, publisher, logger: silent });
    webhookDurations.push(performance.now() - start - (writes.meteringMs - metering));
    if (response.statusCode !== 200) throw new Error(`${sample.name} answered ${response.statusCode}`);
  }
  const webhook = {
    commands: awsCommandCounts(),
    sqsChunks: tally.sqsChunks,
    readUnits: 0,
    // The replay guard's conditional put.
    ...takeWrites(),
    medianDurationMs: median(webhookDurations),
  };

  resetAwsCommandCounts();
  const mediaQueue: MediaQueueTally = { requests: 0, entries: 0, chunks: 0 };
  if (options.mediaQueueUrl) tallyQueue(clients.sqs, options.mediaQueueUrl, mediaQueue);
  tally.sqsChunks = 0;
  tally.sqsMessages = 0;
  const recorder = createRecorder({
    dynamodb: clients.dynamodb,
    sqs: clients.sqs,
    payloads: { s3: clients.s3, bucket: resources.bucketName },
    tableName: resources.tableName,
    helpdeskQueueUrl: resources.helpdeskQueueUrl,
    ingestDlqUrl: resources.ingestDlqUrl,
    ...(options.mediaQueueUrl ? { mediaQueueUrl: options.mediaQueueUrl } : {}),
    pseudonymKey: localPseudonymKey,
    logger: silent,
    // Reads as the local DynamoDB reports them (writes are metered above).
    onCapacity: (operation, consumed) => {
      if (!consumed) return;
      capacity.read += consumed.ReadCapacityUnits ?? 0;
      // dynalite reports only the total; which kind it is follows from the operation.
      if (
        consumed.ReadCapacityUnits === undefined &&
        (operation === 'GetItem' || operation === 'BatchGetItem')
      )
        capacity.read += consumed.CapacityUnits ?? 0;
    },
  });
  // The event source mapping's own polling (uncounted client here); modelled below as 1 receive + 1 delete per batch.
  const poller = emulators.clients.sqs;
  const arn =
    (
      await poller.send(
        new GetQueueAttributesCommand({ QueueUrl: resources.ingestQueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn ?? '';
  const batchDurations: number[] = [];
  let recorded = 0;
  let emptyPolls = 0;
  while (emptyPolls < 2) {
    const received = await poller.send(
      new ReceiveMessageCommand({
        QueueUrl: resources.ingestQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) {
      emptyPolls += 1;
      continue;
    }
    emptyPolls = 0;
    const records = messages.map((message) => toSqsRecord(message, arn, 'us-east-1'));
    const start = performance.now();
    const metering = writes.meteringMs;
    const outcome = await recorder.handleSqsEvent({ Records: records });
    batchDurations.push(performance.now() - start - (writes.meteringMs - metering));
    if (outcome.batchItemFailures.length > 0) throw new Error('recorder failed a batch');
    recorded += records.length;
    await poller.send(
      new DeleteMessageBatchCommand({
        QueueUrl: resources.ingestQueueUrl,
        Entries: messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? '',
        })),
      }),
    );
  }
  for (const client of Object.values(clients)) client.destroy();
  return {
    requests: samples.length,
    ingestEvents: recorded,
    webhook,
    recorder: {
      commands: awsCommandCounts(),
      sqsChunks: tally.sqsChunks,
      readUnits: capacity.read,
      ...takeWrites(),
      batches: batchDurations.length,
      publishedEvents: tally.sqsMessages,
      medianBatchDurationMs: median(batchDurations),
      ...(options.mediaQueueUrl ? { mediaQueue } : {}),
    },
  };
};

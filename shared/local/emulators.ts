import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  MessageNotInflight,
  ReceiptHandleIsInvalid,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { z } from 'zod';
import {
  HUB_TABLE,
  PAYLOAD_BUCKET,
  QUEUES,
  type QueueDefinition,
  type TableDefinition,
} from '#shared/resources/definitions.ts';
import { type RunningDynamoThread, startDynamoThread } from './dynamo-thread.ts';
import { allowSupplementaryCharactersInFauxqs } from './fauxqs-fidelity.ts';
import { guardFauxqs } from './fauxqs-guard.ts';
import { createFauxqsStores, openFauxqsPersistence } from './fauxqs-persistence.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_SIGNING_ENV } from './local-aws.ts';
import { guardServer } from './origin-guard.ts';
import { usePlaceholderSigning } from './placeholder-signing.ts';
import { type LocalQueueCalls, localQueueCalls } from './queue-client.ts';
import { serveObjectsAsFiles } from './s3-object-headers.ts';
import { observeSentMessages, type SentMessage } from './sent-messages.ts';

export { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_SIGNING_ENV };

export interface LocalEndpoints {
  readonly dynamodb: string;
  /** SQS and S3 are both served by fauxqs. */
  readonly sqs: string;
  readonly s3: string;
}

export interface LocalResources {
  readonly tableName: string;
  readonly ingestQueueUrl: string;
  readonly ingestDlqUrl: string;
  readonly helpdeskQueueUrl: string;
  readonly helpdeskDlqUrl: string;
  readonly outboxQueueUrl: string;
  readonly outboxDlqUrl: string;
  readonly mediaQueueUrl: string;
  readonly mediaDlqUrl: string;
  readonly bucketName: string;
}

export interface RunningEmulators {
  readonly endpoints: LocalEndpoints;
  readonly resources: LocalResources;
  readonly clients: { readonly dynamodb: DynamoDBClient; readonly sqs: SQSClient; readonly s3: S3Client };
  /** The local Lambda service's SQS calls: its event sources' polls and settling (queue-client.ts). */
  readonly queues: LocalQueueCalls;
  /**
   * Makes every message in flight on the queue visible again, oldest last so a FIFO group keeps its
   * order. For a queue whose only consumer is gone (a hub killed mid-batch): its messages would
   * otherwise wait out their visibility timeout. Returns how many came back.
   */
  releaseInFlight(queueUrl: string): Promise<number>;
  /**
   * When each of these messages in flight on the queue becomes visible again (epoch milliseconds),
   * by receipt handle (absent: not in flight): what a consumer's ChangeMessageVisibility left, read
   * from the emulator's store without receiving anything.
   */
  inFlightDeadlines(queueUrl: string, receiptHandles: readonly string[]): ReadonlyMap<string, number>;
  /** CPU microseconds DynamoDB's emulator thread has used (undefined when it runs on this thread). */
  dynamoCpuMicros(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface StartEmulatorsOptions {
  /** Folder for DynamoDB's LevelDB files; in memory when absent. */
  readonly dynamoDataDir?: string;
  /** Folder for fauxqs' SQLite file (queues with their messages, buckets with their objects); in memory when absent. */
  readonly sqsDataDir?: string;
  /** 0 (default) picks free ports. */
  readonly dynamoPort?: number;
  readonly sqsPort?: number;
  /** Told of every message the SQS emulator accepts (see sent-messages.ts); nothing is consumed. */
  readonly onMessagesSent?: (messages: readonly SentMessage[]) => void;
  /**
   * Run DynamoDB's emulator in a worker thread of its own (`dynamo-thread.ts`), off the thread that
   * serves SQS, S3 and the hub's HTTP API. `false` keeps it on the calling thread, as the hub ran it
   * before: only for the benchmark's same-run baseline.
   * @default true
   */
  readonly dynamoInThread?: boolean;
  /**
   * The returned clients of DynamoDB and SQS send a placeholder signature (placeholder-signing.ts).
   * @default false
   */
  readonly placeholderSigning?: boolean;
}

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

const signedAs = <C>(client: C, placeholder: boolean): C => {
  if (placeholder) usePlaceholderSigning(client);
  return client;
};

export const localClients = (
  endpoints: LocalEndpoints,
  options: { readonly placeholderSigning?: boolean } = {},
) => {
  const placeholder = options.placeholderSigning ?? false;
  return {
    dynamodb: signedAs(
      new DynamoDBClient({
        endpoint: endpoints.dynamodb,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      }),
      placeholder,
    ),
    // fauxqs names queue URLs after a host that does not resolve: the explicit endpoint wins.
    sqs: signedAs(
      new SQSClient({ endpoint: endpoints.sqs, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
      placeholder,
    ),
    s3: new S3Client({
      endpoint: endpoints.s3,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
    }),
  };
};

/**
 * Creates the hub's table from its definition. A table left by an earlier run is kept; when it
 * lacks an index the definition has gained since, it is rebuilt with its items (the local DynamoDB
 * server cannot add an index to a table), so a data dir survives upgrades of the hub.
 */
export const createTable = async (client: DynamoDBClient, table: TableDefinition): Promise<void> => {
  await createTableIfAbsent(client, table);
  const description = await client.send(new DescribeTableCommand({ TableName: table.name }));
  const existing = new Set((description.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  if (table.globalSecondaryIndexes.every((index) => existing.has(index.indexName))) return;
  const items = await scanAll(client, table.name);
  await client.send(new DeleteTableCommand({ TableName: table.name }));
  await waitUntilDeleted(client, table.name);
  await createTableIfAbsent(client, table);
  for (let start = 0; start < items.length; start += 25) {
    let pending: Record<string, WriteRequest[]> | undefined = {
      [table.name]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })),
    };
    while (pending && Object.keys(pending).length > 0) {
      pending = (await client.send(new BatchWriteItemCommand({ RequestItems: pending }))).UnprocessedItems;
    }
  }
};

/**
 * Polls the table's status (`gone` once DescribeTable finds no such table) until `reached` holds:
 * dynalite creates and deletes tables on a later tick, even with createTableMs and deleteTableMs 0.
 */
const waitForTable = async (
  client: DynamoDBClient,
  tableName: string,
  reached: (status: string) => boolean,
  failure: string,
): Promise<void> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    let status: string;
    try {
      status =
        (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus ?? '';
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      status = 'gone';
    }
    if (reached(status)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} ${failure}`);
};

/** DeleteTable answers DELETING; a CreateTable before the name is free is refused as in use. */
const waitUntilDeleted = (client: DynamoDBClient, tableName: string): Promise<void> =>
  waitForTable(client, tableName, (status) => status === 'gone', 'was not deleted');

const scanAll = async (
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, AttributeValue>[]> => {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
};

const createTableIfAbsent = async (client: DynamoDBClient, table: TableDefinition): Promise<void> => {
  const keyAttributes = [
    table.partitionKey,
    table.sortKey,
    ...table.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keyAttributes.map((key) => ({
          AttributeName: key.name,
          AttributeType: key.type,
        })),
        KeySchema: [
          { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: table.sortKey.name, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: table.globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitForTable(client, table.name, (status) => status === 'ACTIVE', 'did not become active');
};

const throughputAttributes = (queue: QueueDefinition): Record<string, string> => ({
  DeduplicationScope: queue.throughput.deduplicationScope,
  FifoThroughputLimit: queue.throughput.fifoThroughputLimit,
});

/**
 * Creates a FIFO queue and its dead-letter queue with the same attributes the CDK app sets. fauxqs
 * records the throughput mode but deduplicates across the whole queue whatever the scope: stricter
 * than SQS (an id repeated in two conversations within five minutes is dropped locally), which the
 * hub's own ids, unique across conversations, never notice. A queue kept in a data directory from
 * before keeps the mode it was created with (fauxqs cannot change it), to the same effect.
 */
/** Attributes SetQueueAttributes may change on a queue that exists (not its FIFO nature, not its throughput mode here). */
const CHANGEABLE_QUEUE_ATTRIBUTES: readonly string[] = [
  'MaximumMessageSize',
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'RedrivePolicy',
];

/**
 * Creates a queue, or brings one a data directory kept from an earlier version of the hub to the
 * definition's attributes: SQS (and fauxqs) refuse to create a queue whose name exists with other
 * attributes (`QueueNameExists`), so a changed `maxReceiveCount` or timeout would otherwise stop
 * `npm start` on an existing `.switchboard-data` (before 2026-12-04 it did; found by a review).
 */
const createOrUpdateQueue = async (
  client: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> => {
  try {
    return (
      (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl ?? ''
    );
  } catch (error) {
    if (
      !(error instanceof Error) ||
      !/QueueNameExists|QueueAlreadyExists/.test(`${error.name} ${error.message}`)
    )
      throw error;
    const queueUrl = (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
    await client.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: Object.fromEntries(
          Object.entries(attributes).filter(([attribute]) => CHANGEABLE_QUEUE_ATTRIBUTES.includes(attribute)),
        ),
      }),
    );
    return queueUrl;
  }
};

export const createQueueWithDlq = async (
  client: SQSClient,
  queue: QueueDefinition,
): Promise<{ queueUrl: string; dlqUrl: string }> => {
  const dlqUrl = await createOrUpdateQueue(client, queue.deadLetterQueue.name, {
    FifoQueue: 'true',
    ...throughputAttributes(queue),
    MaximumMessageSize: String(queue.maximumMessageSizeBytes),
    MessageRetentionPeriod: String(queue.deadLetterQueue.retentionPeriodSeconds),
  });
  const dlqAttributes = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueUrl = await createOrUpdateQueue(client, queue.name, {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'false',
    ...throughputAttributes(queue),
    MaximumMessageSize: String(queue.maximumMessageSizeBytes),
    VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(queue.retentionPeriodSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlqAttributes.Attributes?.QueueArn,
      maxReceiveCount: queue.maxReceiveCount,
    }),
  });
  return { queueUrl, dlqUrl };
};

/** fauxqs' inspection endpoint (`GET /_fauxqs/queues/<name>`), as far as it is read here. */
const QueueInspectionSchema = z.looseObject({
  messages: z.looseObject({
    inflight: z.array(
      z.looseObject({
        receiptHandle: z.string(),
        message: z.looseObject({ sequenceNumber: z.string().optional(), sentTimestamp: z.number() }),
      }),
    ),
  }),
});

const queueNameOf = (queueUrl: string): string => new URL(queueUrl).pathname.split('/').pop() ?? '';

const releaseInFlight = async (sqs: SQSClient, endpoint: string, queueUrl: string): Promise<number> => {
  const name = queueNameOf(queueUrl);
  const response = await fetch(`${endpoint}/_fauxqs/queues/${encodeURIComponent(name)}`);
  if (!response.ok) throw new Error(`fauxqs could not describe queue ${name} (${response.status})`);
  const inFlight = QueueInspectionSchema.parse(await response.json()).messages.inflight;
  // fauxqs puts a FIFO message made visible at the front of its group: newest first keeps the order.
  const newestFirst = [...inFlight].sort((a, b) => {
    const order = (entry: (typeof inFlight)[number]) =>
      BigInt(entry.message.sequenceNumber ?? entry.message.sentTimestamp);
    return order(b) > order(a) ? 1 : order(b) < order(a) ? -1 : 0;
  });
  let released = 0;
  for (const entry of newestFirst) {
    try {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: entry.receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      released += 1;
    } catch (error) {
      // Deleted or visible again since the inspection: nothing to release.
      if (!(error instanceof MessageNotInflight || error instanceof ReceiptHandleIsInvalid)) throw error;
    }
  }
  return released;
};

/** dynalite in its own thread, or (the baseline) on this one. */
const startDynamo = async (options: StartEmulatorsOptions): Promise<RunningDynamoThread> => {
  const port = options.dynamoPort ?? 0;
  if (options.dynamoInThread !== false)
    return startDynamoThread({ port, ...(options.dynamoDataDir ? { path: options.dynamoDataDir } : {}) });
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dynamoDataDir ? { path: options.dynamoDataDir } : {}),
  });
  // As in its thread (dynamo-thread.ts): web pages get nothing from it.
  guardServer(server, { origin: 'none' });
  return {
    port: await listen(server, port),
    // On this thread its CPU is the hub's own.
    cpuMicros: async () => undefined,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/**
 * Starts a DynamoDB-compatible server (dynalite) and an SQS/S3-compatible server (fauxqs), both on
 * 127.0.0.1 only and both refusing web pages (origin-guard.ts), and creates the hub's table, queues
 * and bucket from the shared definitions.
 */
export const startEmulators = async (options: StartEmulatorsOptions = {}): Promise<RunningEmulators> => {
  // Every use of the emulator, not only the hub's, accepts what SQS accepts (emoji among it).
  await allowSupplementaryCharactersInFauxqs();
  const dynamo = await startDynamo(options);

  // fauxqs' own start helper binds 0.0.0.0; its app listens wherever we tell it to.
  const persistence = options.sqsDataDir ? await openFauxqsPersistence(options.sqsDataDir) : undefined;
  // The stores are the hub's own, so it can read a message's visibility without the inspection
  // route (which serializes the whole queue).
  const stores = persistence ? persistence.stores : await createFauxqsStores();
  const sqsApp = buildApp({ logger: false, stores });
  guardFauxqs(sqsApp);
  serveObjectsAsFiles(sqsApp);
  if (options.onMessagesSent) observeSentMessages(sqsApp, options.onMessagesSent);
  let restored: Promise<void> = Promise.resolve();
  if (persistence) {
    // Nothing is answered before the stored state is back (it needs the port, known once listening).
    sqsApp.addHook('onRequest', async () => restored);
    sqsApp.addHook('onClose', async () => persistence.close());
  }
  await sqsApp.listen({ port: options.sqsPort ?? 0, host: '127.0.0.1' });
  const sqsAddress = sqsApp.server.address() as AddressInfo;
  if (persistence) {
    restored = persistence.load(sqsAddress.port);
    try {
      await restored;
    } catch (error) {
      await sqsApp.close();
      await dynamo.stop();
      throw error;
    }
  }

  const endpoints: LocalEndpoints = {
    dynamodb: `http://127.0.0.1:${dynamo.port}`,
    sqs: `http://127.0.0.1:${sqsAddress.port}`,
    s3: `http://127.0.0.1:${sqsAddress.port}`,
  };
  const clients = localClients(endpoints, { placeholderSigning: options.placeholderSigning ?? false });

  await createTable(clients.dynamodb, HUB_TABLE);
  const [ingest, helpdesk, outbox, media] = await Promise.all(
    QUEUES.map((queue) => createQueueWithDlq(clients.sqs, queue)),
  );
  await clients.s3.send(new CreateBucketCommand({ Bucket: PAYLOAD_BUCKET.name })).catch((error: unknown) => {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  });

  const resources: LocalResources = {
    tableName: HUB_TABLE.name,
    ingestQueueUrl: ingest?.queueUrl ?? '',
    ingestDlqUrl: ingest?.dlqUrl ?? '',
    helpdeskQueueUrl: helpdesk?.queueUrl ?? '',
    helpdeskDlqUrl: helpdesk?.dlqUrl ?? '',
    outboxQueueUrl: outbox?.queueUrl ?? '',
    outboxDlqUrl: outbox?.dlqUrl ?? '',
    mediaQueueUrl: media?.queueUrl ?? '',
    mediaDlqUrl: media?.dlqUrl ?? '',
    bucketName: PAYLOAD_BUCKET.name,
  };

  return {
    endpoints,
    resources,
    clients,
    queues: localQueueCalls(endpoints.sqs, { placeholderSigning: options.placeholderSigning ?? false }),
    releaseInFlight: (queueUrl) => releaseInFlight(clients.sqs, endpoints.sqs, queueUrl),
    inFlightDeadlines: (queueUrl, receiptHandles) => {
      const inFlight = stores.sqsStore.getQueueByName(queueNameOf(queueUrl))?.inflightMessages;
      return new Map(
        receiptHandles.flatMap((handle) => {
          const entry = inFlight?.get(handle);
          return entry ? [[handle, entry.visibilityDeadline] as const] : [];
        }),
      );
    },
    dynamoCpuMicros: () => dynamo.cpuMicros(),
    async stop() {
      for (const client of Object.values(clients)) client.destroy();
      await sqsApp.close();
      await dynamo.stop();
    },
  };
};

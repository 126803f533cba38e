import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PAYLOAD_BUCKET, RECORDER } from '#shared/resources/definitions.ts';
import { IDENTITY_PARTITION_PREFIX } from '#shared/store/keys.ts';
import {
  addQueueTrigger,
  grantGetPayloads,
  grantIndexQuery,
  grantKeptOptOutDeletes,
  grantListPayloads,
  grantPartitionQuery,
  grantPutPayloads,
  grantReadSecret,
  grantSendMessage,
  grantTableItems,
} from './grants.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

/**
 * What the recorder's store sends to the table itself, Queries apart: items read (a batch's messages
 * together, BatchGetItem) and written; no scan, and no delete but of a legacy kept opt-out it moves
 * (grantKeptOptOutDeletes). Its Queries are granted apart: on the table, of the partitions in
 * RECORDER_QUERY_PARTITION_PREFIXES only; of the indexes, gsi3 alone (grantIndexQuery): a
 * conversation's recent sends, where an echo of the hub's own app without its correlation id is
 * looked for (shared/store/sends.ts, sendOfProviderMessage).
 * tests/contacts/whatsapp-identifiers.test.ts checks the store's calls against it.
 */
export const RECORDER_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

/**
 * The partitions the recorder queries on the table itself: a WhatsApp customer's identifiers'
 * (`IDENT#…`: their links to contacts, read when a conversation opens under an id the hub has not
 * seen, to join the one open under another identifier: shared/store/contacts.ts,
 * findLinkedConversation). It reads no consent ledger (those Queries are the sender's and the
 * helpdesk API's). Until 2026-12-05 the recorder might Query any partition (found by a review).
 * tests/contacts/whatsapp-identifiers.test.ts checks its Queries against it.
 */
export const RECORDER_QUERY_PARTITION_PREFIXES = [IDENTITY_PARTITION_PREFIX] as const;

export interface RecorderProps {
  readonly storage: HubStorage;
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * Messages per invocation (FIFO event sources accept at most 10).
   * @default RECORDER.batchSize from shared/resources/definitions.ts
   */
  readonly batchSize?: number;
  /**
   * Upper bound on concurrent recorder invocations from the queue (2–1000). FIFO ordering already
   * limits it to the number of active conversations.
   * @default none (Lambda's default scaling)
   */
  readonly maxConcurrency?: number;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The ingest queue's consumer: records conversation state in the table and publishes events to the
 * helpdesk queue. Partial batch responses are on, so one bad message does not replay its batch.
 */
export class Recorder extends Construct {
  public readonly function: HubFunction;
  public readonly trigger: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: RecorderProps) {
    super(scope, id);
    const { storage } = props;

    this.function = new HubFunction(this, 'Function', {
      entryName: 'recorder',
      description: 'Switchboard recorder: ingest queue → table → helpdesk queue',
      runtimeEnvironment: {
        ...props.runtimeEnvironment,
        // Each attachment of a recorded message becomes a job for the media fetcher.
        SWITCHBOARD_MEDIA_QUEUE_URL: storage.media.queue.queueUrl,
        // An event still failing at its give-up receive is moved here by the recorder itself.
        SWITCHBOARD_INGEST_DLQ_URL: storage.ingest.deadLetterQueue.queueUrl,
        // A consent event of an erased contact is checked against its kept opt-outs.
        SWITCHBOARD_PSEUDONYM_KEY_ARN: storage.pseudonymKey.secretArn,
      },
      memorySize: props.memorySize ?? RECORDER.memoryMb,
      timeout: Duration.seconds(RECORDER.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });

    this.trigger = addQueueTrigger(this.function, storage.ingest.queue, {
      batchSize: props.batchSize ?? RECORDER.batchSize,
      maxConcurrency: props.maxConcurrency,
    });

    // Exactly what the recorder's store calls (shared/store/recorder-store.ts), on the table only.
    grantTableItems(this.function, storage.table, RECORDER_TABLE_ACTIONS, storage.dataKey);
    // A WhatsApp customer's identity links, when a conversation opens: their partitions only.
    grantPartitionQuery(this.function, storage.table, RECORDER_QUERY_PARTITION_PREFIXES, storage.dataKey);
    // An echo from the hub's app without its correlation id: the conversation's sends (keys only).
    grantIndexQuery(this.function, storage.table, 'gsi3', storage.dataKey);
    // Kept opt-outs, for consent events (shared/store/consent-ledger.ts): the pseudonym key they are
    // filed under (read on the first consent event) and deleting a legacy one once moved.
    grantReadSecret(this.function, storage.pseudonymKey, storage.dataKey);
    grantKeptOptOutDeletes(this.function, storage.table, storage.dataKey);
    grantSendMessage(this.function, storage.helpdesk.queue, storage.dataKey);
    grantSendMessage(this.function, storage.media.queue, storage.dataKey);
    grantSendMessage(this.function, storage.ingest.deadLetterQueue, storage.dataKey);
    // Large events arrive as claim checks; the recorder fetches them, and claim-checks the ones it
    // publishes to the helpdesk queue the same way.
    grantGetPayloads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.claimCheckPrefix]);
    grantPutPayloads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.claimCheckPrefix]);
    // A missing claim check reads as 403 without s3:ListBucket: listing its key (claim checks only)
    // tells a gone object, whose event is settled at once, from a refusal, which is retried.
    grantListPayloads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.claimCheckPrefix]);
  }
}

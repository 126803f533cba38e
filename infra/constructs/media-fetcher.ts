import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  CORE_FUNCTION_SECRET_SECTIONS,
  MEDIA_FETCHER,
  PAYLOAD_BUCKET,
} from '#shared/resources/definitions.ts';
import { MESSAGE_PARTITION_PREFIX } from '#shared/store/keys.ts';
import {
  addQueueTrigger,
  grantAbortUploads,
  grantDeletePayloads,
  grantPutPayloads,
  grantSendMessage,
  grantTableItems,
} from './grants.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

/**
 * What the fetcher's store sends to the table (shared/store/media-fetches.ts): the message's
 * tombstone read, and the claim, outcome and release of an attachment's item. No query, no delete.
 * tests/bench/media-attachment-counts.test.ts and tests/media/claim-race.test.ts check the calls against it.
 */
export const MEDIA_FETCHER_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/**
 * The partitions those calls reach (dynamodb:LeadingKeys): the message's, where its tombstone and
 * its attachments' claim items are (messageKey, mediaFetchKey). tests/media/claim-race.test.ts checks
 * the keys of the calls against it.
 */
export const MEDIA_FETCHER_PARTITION_PREFIXES = [MESSAGE_PARTITION_PREFIX] as const;

export interface MediaFetcherProps {
  readonly storage: HubStorage;
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * Fetcher invocations at once (2–1000): downloads in parallel, each bounded in memory.
   * @default MEDIA_FETCHER.maxConcurrency from shared/resources/definitions.ts
   */
  readonly maxConcurrency?: number;
  /**
   * One part of an upload (8 MiB) and the SDKs: a 100 MB document stays well inside.
   * @default MEDIA_FETCHER.memoryMb
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
 * The media queue's consumer: copies each inbound attachment from its provider into the payload
 * bucket (under `attachments/`) and ends it in one event on the helpdesk queue. It reads the
 * channel secret for the providers' credentials; nothing downstream ever needs them.
 */
export class MediaFetcher extends Construct {
  public readonly function: HubFunction;
  public readonly trigger: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: MediaFetcherProps) {
    super(scope, id);
    const { storage } = props;

    this.function = new HubFunction(this, 'Function', {
      entryName: 'media-fetcher',
      description: 'Switchboard media fetcher: media queue → providers → payload bucket → helpdesk queue',
      runtimeEnvironment: {
        ...props.runtimeEnvironment,
        SWITCHBOARD_MEDIA_QUEUE_URL: storage.media.queue.queueUrl,
      },
      memorySize: props.memorySize ?? MEDIA_FETCHER.memoryMb,
      timeout: Duration.seconds(MEDIA_FETCHER.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });

    this.trigger = addQueueTrigger(this.function, storage.media.queue, {
      batchSize: MEDIA_FETCHER.batchSize,
      maxConcurrency: props.maxConcurrency ?? MEDIA_FETCHER.maxConcurrency,
      changesVisibility: true,
    });

    grantTableItems(this.function, storage.table, MEDIA_FETCHER_TABLE_ACTIONS, storage.dataKey, {
      leadingKeyPrefixes: MEDIA_FETCHER_PARTITION_PREFIXES,
    });
    // The event source's consume grant includes sqs:ChangeMessageVisibility, with which a failing
    // provider's job is made to come back after its backoff.
    grantSendMessage(this.function, storage.helpdesk.queue, storage.dataKey);
    // Attachments (multipart uploads are PutObject in IAM, but for their abort), their deletion when
    // the message was erased during the download, and claim checks of the events it publishes.
    grantPutPayloads(this.function, storage.payloadBucket, [
      PAYLOAD_BUCKET.prefixes.attachments,
      PAYLOAD_BUCKET.claimCheckPrefix,
    ]);
    grantAbortUploads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.prefixes.attachments]);
    grantDeletePayloads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.prefixes.attachments]);
    storage.readChannelSecrets(this.function, CORE_FUNCTION_SECRET_SECTIONS['media-fetcher']);
  }
}

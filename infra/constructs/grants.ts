import { Aws, Names, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { SUPPRESSION_PARTITION_PREFIX } from '#shared/store/keys.ts';

/**
 * Narrow grants. The CDK's `grant*` helpers add actions a function never calls (GetQueueUrl,
 * DescribeSecret, every DynamoDB write); these give exactly what the hub's code uses.
 */

const addStatement = (grantee: iam.IGrantable, actions: string[], resources: string[]): void => {
  iam.Grant.addToPrincipal({ grantee, actions, resourceArns: resources });
};

/** The AWS services that use the customer-managed data key for the hub's functions and consumers. */
export type KeyUsingService = 'sqs' | 'dynamodb' | 'secretsmanager';

/**
 * Key actions on the customer-managed data key, only through `service` (`kms:ViaService`): no hub
 * code calls KMS itself, so a role may use the key only as SQS, DynamoDB or Secrets Manager use it
 * for that role's own calls, never decrypt with it directly (until 2026-12-07 every grant allowed
 * direct `kms:Decrypt` on the one key of the table, the queues and every secret, the webhooks' and
 * the helpdesk's policy included; found by a review, tests/infra/customer-managed-key.test.ts).
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
export const grantKeyThrough = (
  grantee: iam.IGrantable,
  key: kms.IKey | undefined,
  service: KeyUsingService,
  actions: readonly string[],
): void => {
  if (!key) return;
  iam.Grant.addToPrincipal({
    grantee,
    actions: [...actions],
    resourceArns: [key.keyArn],
    conditions: keyThrough(service),
  });
};

/** The condition of a data-key statement: the key used through `service` in the stack's region. */
export const keyThrough = (service: KeyUsingService): Record<string, Record<string, string>> => ({
  StringEquals: { 'kms:ViaService': `${service}.${Aws.REGION}.amazonaws.com` },
});

/** Sends to a queue: SendMessage, plus the key calls SQS makes for an SSE-KMS queue. */
export const grantSendMessage = (grantee: iam.IGrantable, queue: sqs.IQueue, key?: kms.IKey): void => {
  addStatement(grantee, ['sqs:SendMessage'], [queue.queueArn]);
  grantKeyThrough(grantee, key, 'sqs', ['kms:GenerateDataKey', 'kms:Decrypt']);
};

export interface QueueTriggerOptions {
  readonly batchSize: number;
  readonly maxConcurrency?: number | undefined;
  /** The function's code makes records visible again itself (a backoff): ChangeMessageVisibility on the queue. */
  readonly changesVisibility?: boolean;
}

/**
 * Lambda's SQS trigger, reporting batch item failures, with the role's least for it: ReceiveMessage, DeleteMessage and
 * GetQueueAttributes (what the event source mapping calls with the function's role), and Decrypt on an SSE-KMS queue's
 * own key. CDK's `SqsEventSource` grants GetQueueUrl and ChangeMessageVisibility too, which no hub function without
 * `changesVisibility` calls. The mapping keeps the id `SqsEventSource` gave it, so a deployed stack keeps its mapping
 * (Lambda refuses a second mapping of one queue to one function, so a replacement would fail).
 */
export const addQueueTrigger = (
  fn: lambda.Function,
  queue: sqs.IQueue,
  options: QueueTriggerOptions,
): lambda.EventSourceMapping => {
  const mapping = fn.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(queue.node)}`, {
    eventSourceArn: queue.queueArn,
    batchSize: options.batchSize,
    reportBatchItemFailures: true,
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
  });
  addStatement(
    fn,
    [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      ...(options.changesVisibility ? ['sqs:ChangeMessageVisibility'] : []),
    ],
    [queue.queueArn],
  );
  grantKeyThrough(fn, queue.encryptionMasterKey, 'sqs', ['kms:Decrypt']);
  return mapping;
};

/** Reads one secret (the channel secret, the pseudonym key): GetSecretValue only (no DescribeSecret, no ListSecrets). */
export const grantReadSecret = (
  grantee: iam.IGrantable,
  secret: secretsmanager.ISecret,
  key?: kms.IKey,
): void => {
  addStatement(grantee, ['secretsmanager:GetSecretValue'], [secret.secretArn]);
  grantKeyThrough(grantee, key, 'secretsmanager', ['kms:Decrypt']);
};

/** Nag appliesTo entry for an object wildcard under a bucket prefix. */
const objectWildcard = (bucket: s3.IBucket, prefix: string): string => {
  const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
  return `Resource::<${Stack.of(bucket).getLogicalId(cfnBucket)}.Arn>/${prefix}*`;
};

const suppressObjectWildcards = (
  grantee: iam.IGrantable,
  bucket: s3.IBucket,
  prefixes: readonly string[],
  what: string,
): void => {
  const role = grantee.grantPrincipal;
  if (!(role instanceof iam.Role) || prefixes.length === 0) return;
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        // One reason per role survives in the nag report, so it names no single action: each object
        // action the role has (${what} among them) is granted under the prefixes its function uses only.
        reason: `Object keys are per payload; every object action of this role (here ${what}) is limited to the prefixes its function uses.`,
        appliesTo: prefixes.map((prefix) => objectWildcard(bucket, prefix)),
      },
    ],
    true,
  );
};

/** One S3 object action on payload objects under the given prefixes only. */
const grantPayloadObjects = (
  grantee: iam.IGrantable,
  bucket: s3.IBucket,
  prefixes: readonly string[],
  action: 's3:PutObject' | 's3:GetObject' | 's3:DeleteObject' | 's3:AbortMultipartUpload',
  what: string,
): void => {
  if (prefixes.length === 0) return;
  addStatement(
    grantee,
    [action],
    prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
  );
  suppressObjectWildcards(grantee, bucket, prefixes, what);
};

/** Writes payload objects under the given prefixes only (the bucket uses S3-managed keys). */
export const grantPutPayloads = (
  grantee: iam.IGrantable,
  bucket: s3.IBucket,
  prefixes: readonly string[],
): void => grantPayloadObjects(grantee, bucket, prefixes, 's3:PutObject', 'writing');

/** Reads payload objects under the given prefixes only. */
export const grantGetPayloads = (
  grantee: iam.IGrantable,
  bucket: s3.IBucket,
  prefixes: readonly string[],
): void => grantPayloadObjects(grantee, bucket, prefixes, 's3:GetObject', 'reading');

/** Deletes payload objects under the given prefixes only (erasure). */
export const grantDeletePayloads = (
  grantee: iam.IGrantable,
  bucket: s3.IBucket,
  prefixes: readonly string[],
): void => grantPayloadObjects(grantee, bucket, prefixes, 's3:DeleteObject', 'deleting');

/**
 * Aborts multipart uploads under the given prefixes only: Create, UploadPart and Complete are
 * s3:PutObject in IAM, AbortMultipartUpload is its own action (a failed upload's parts go with it,
 * not a day later with the lifecycle rule).
 */
export const grantAbortUploads = (
  grantee: iam.IGrantable,
  bucket: s3.IBucket,
  prefixes: readonly string[],
): void => grantPayloadObjects(grantee, bucket, prefixes, 's3:AbortMultipartUpload', 'aborting uploads');

/**
 * Lists payload objects under the given prefixes only (ListObjectsV2 with `Prefix`): s3:ListBucket
 * on the bucket, conditioned on `s3:prefix` (erasure finds a conversation's claim checks this way).
 */
export const grantListPayloads = (
  grantee: iam.IGrantable,
  bucket: s3.IBucket,
  prefixes: readonly string[],
): void => {
  if (prefixes.length === 0) return;
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:ListBucket'],
    resourceArns: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
  });
};

/**
 * Lists the bucket's multipart uploads (ListMultipartUploads with `Prefix`): s3:ListBucketMultipartUploads
 * on the bucket. IAM documents no `s3:prefix` key for this action (only for ListBucket and
 * ListBucketVersions), so a prefix condition would refuse every call: the grant is the bucket's, and
 * what it shows is keys and upload ids of uploads in progress (only the media fetcher's, under
 * `attachments/`). Aborting stays per prefix (grantAbortUploads).
 */
export const grantListUploads = (grantee: iam.IGrantable, bucket: s3.IBucket): void => {
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:ListBucketMultipartUploads'],
    resourceArns: [bucket.bucketArn],
  });
};

/** Item-level table access without the index wildcard (the replay guard's conditional put). */
export const grantTableItems = (
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  actions: readonly string[],
  key?: kms.IKey,
  options: {
    /** Limit the items to partition keys starting with one of these (dynamodb:LeadingKeys). */
    readonly leadingKeyPrefixes?: readonly string[];
  } = {},
): void => {
  iam.Grant.addToPrincipal({
    grantee,
    actions: [...actions],
    resourceArns: [table.tableArn],
    ...(options.leadingKeyPrefixes
      ? {
          conditions: {
            'ForAllValues:StringLike': {
              'dynamodb:LeadingKeys': options.leadingKeyPrefixes.map((prefix) => `${prefix}*`),
            },
          },
        }
      : {}),
  });
  grantKeyThrough(grantee, key, 'dynamodb', ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
};

/**
 * Deletes of kept opt-outs only (`SUPPRESS#…` items): a reader that finds one under its legacy key
 * moves it to the keyed one (shared/store/suppressions.ts), putting the new item (PutItem, granted
 * with the function's other writes) and deleting the old.
 */
export const grantKeptOptOutDeletes = (
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  key?: kms.IKey,
): void =>
  grantTableItems(grantee, table, ['dynamodb:DeleteItem'], key, {
    leadingKeyPrefixes: [SUPPRESSION_PARTITION_PREFIX],
  });

/** Queries of the table's partitions whose keys start with one of `prefixes`, and of no other. */
export const grantPartitionQuery = (
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  prefixes: readonly string[],
  key?: kms.IKey,
): void => grantTableItems(grantee, table, ['dynamodb:Query'], key, { leadingKeyPrefixes: prefixes });

/** Queries of one index of the table (no Scan, no other index). */
export const grantIndexQuery = (
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  indexName: string,
  key?: kms.IKey,
): void => {
  addStatement(grantee, ['dynamodb:Query'], [`${table.tableArn}/index/${indexName}`]);
  grantKeyThrough(grantee, key, 'dynamodb', ['kms:Decrypt']);
};

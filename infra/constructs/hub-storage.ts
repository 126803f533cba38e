import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct, DependencyGroup } from 'constructs';
import { BROWSER_UPLOAD_HEADERS } from '#shared/aws/media-objects.ts';
import { SECRET_SECTIONS, type SecretSection } from '#shared/channels/registry.ts';
import { SECRET_PLACEHOLDER_TEMPLATE, sectionSecretVariable } from '#shared/config/secrets.ts';
import {
  DEFAULT_NAME_PREFIX,
  HELPDESK_QUEUE,
  HUB_TABLE,
  INGEST_QUEUE,
  MEDIA_QUEUE,
  OUTBOX_QUEUE,
  PAYLOAD_BUCKET,
  type QueueDefinition,
  type TableDefinition,
} from '#shared/resources/definitions.ts';
import { grantReadSecret } from './grants.ts';

export interface HubStorageProps {
  /**
   * Replaces the `switchboard` at the start of each definition's name, so two hubs can share an
   * account and region.
   * @default DEFAULT_NAME_PREFIX ('switchboard')
   */
  readonly namePrefix?: string;
  /**
   * Deletion protection on the table and RETAIN on the table, queues, bucket and secret.
   * @default false
   */
  readonly production?: boolean;
  /**
   * Days after which payload objects (every prefix in PAYLOAD_BUCKET) expire.
   * @default 30
   */
  readonly payloadRetentionDays?: number;
  /**
   * Days the S3 server access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * One customer-managed KMS key for queues, table and secret instead of AWS-managed keys (the
   * payload bucket stays on S3-managed keys).
   * @default false
   */
  readonly customerManagedKey?: boolean;
  /**
   * Web origins (`https://helpdesk.example.com`) whose pages may upload to and download from the
   * payload bucket with `fetch`, through the helpdesk API's presigned URLs: a CORS rule for GET,
   * HEAD and PUT from exactly these origins. The URLs still carry their own authority; CORS only
   * lets those pages read the answers.
   * @default none: no CORS rule, no browser origin may read an answer of the bucket
   */
  readonly browserOrigins?: readonly string[];
  /**
   * The providers whose credentials this deployment uses (its switched-on connectors' sections):
   * `readChannelSecrets` grants no other section, whatever a function could read in another
   * deployment. Every section's secret is created either way.
   * @default every section
   */
  readonly usedSecretSections?: readonly SecretSection[];
}

export interface QueuePair {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/** The definitions' FIFO mode as CDK's enums (their values are the CloudFormation strings). */
const throughputProps = (
  throughput: QueueDefinition['throughput'],
): Pick<sqs.QueueProps, 'deduplicationScope' | 'fifoThroughputLimit'> => ({
  deduplicationScope:
    throughput.deduplicationScope === 'messageGroup'
      ? sqs.DeduplicationScope.MESSAGE_GROUP
      : sqs.DeduplicationScope.QUEUE,
  fifoThroughputLimit:
    throughput.fifoThroughputLimit === 'perMessageGroupId'
      ? sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID
      : sqs.FifoThroughputLimit.PER_QUEUE,
});

/**
 * What a helpdesk page on one of `origins` may do with the presigned URLs: download (GET, HEAD) and
 * upload (PUT with the headers the URL signs), and read the answer's type, name, length and ETag.
 */
const browserAccessRule = (origins: readonly string[]): s3.CorsRule => ({
  allowedOrigins: [...origins],
  allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD, s3.HttpMethods.PUT],
  allowedHeaders: [...BROWSER_UPLOAD_HEADERS],
  exposedHeaders: ['ETag', 'Content-Type', 'Content-Length', 'Content-Disposition'],
  maxAge: 3600,
});

/** Maps a definition's name onto the deployment's prefix ('switchboard-ingest.fifo' → '<prefix>-ingest.fifo'). */
const prefixedName = (definitionName: string, namePrefix: string): string =>
  definitionName.replace(/^switchboard/, namePrefix);

/**
 * The hub's state, built from shared/resources/definitions.ts (the same definitions the local hub
 * creates on its emulators): the DynamoDB table, the ingest and helpdesk FIFO queues with their
 * dead-letter queues, the payload bucket (with an access-log bucket), the channel secret and the
 * pseudonym key.
 */
export class HubStorage extends Construct {
  public readonly table: dynamodb.Table;
  public readonly ingest: QueuePair;
  public readonly helpdesk: QueuePair;
  /** Helpdesk → sender commands. */
  public readonly outbox: QueuePair;
  /** Recorder → media fetcher: one job per inbound attachment. */
  public readonly media: QueuePair;
  public readonly payloadBucket: s3.Bucket;
  public readonly accessLogBucket: s3.Bucket;
  /**
   * One secret per provider's credentials (each section's schema in shared/config/secrets/), each created
   * with a generated placeholder and readable only by the functions given it (`readChannelSecrets`).
   */
  public readonly channelSecrets: Readonly<Record<SecretSection, secretsmanager.Secret>>;
  /**
   * The one secret that held every section before the per-provider secrets. No function reads it:
   * the deploy copies its sections into their own secrets once (ChannelSecretUpgrade). Kept, with
   * its construct id, so an upgrade neither deletes nor replaces it.
   */
  public readonly legacyChannelSecret: secretsmanager.Secret;
  /**
   * What every function reading a section secret waits for in the deployment: the copy of the
   * legacy secret's sections (ChannelSecretUpgrade adds itself).
   */
  public readonly channelSecretsReady = new DependencyGroup();
  /**
   * The pseudonym key (shared/aws/pseudonym-key.ts): 64 random characters generated at creation,
   * which key the hash kept opt-outs are filed under. Never rotated or replaced: the items are
   * found only under the key they were filed with.
   */
  public readonly pseudonymKey: secretsmanager.Secret;
  /** Present when `customerManagedKey` is on; consumers of the data need kms:Decrypt on it. */
  public readonly dataKey?: kms.Key;

  private readonly removalPolicy: RemovalPolicy;
  private readonly namePrefix: string;
  private readonly usedSecretSections: ReadonlySet<SecretSection>;

  constructor(scope: Construct, id: string, props: HubStorageProps = {}) {
    super(scope, id);
    this.namePrefix = props.namePrefix ?? DEFAULT_NAME_PREFIX;
    this.usedSecretSections = new Set(props.usedSecretSections ?? SECRET_SECTIONS);
    this.removalPolicy = props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    if (props.customerManagedKey) {
      this.dataKey = new kms.Key(this, 'DataKey', {
        description: `${this.namePrefix} hub data (queues, table, channel secret)`,
        enableKeyRotation: true,
        removalPolicy: this.removalPolicy,
      });
    }

    this.table = this.buildTable(HUB_TABLE, props.production ?? false);
    this.ingest = this.buildQueue('Ingest', INGEST_QUEUE);
    this.helpdesk = this.buildQueue('Helpdesk', HELPDESK_QUEUE);
    this.outbox = this.buildQueue('Outbox', OUTBOX_QUEUE);
    this.media = this.buildQueue('Media', MEDIA_QUEUE);
    this.accessLogBucket = this.buildAccessLogBucket(props.accessLogRetentionDays ?? 90);
    this.payloadBucket = this.buildPayloadBucket(
      props.payloadRetentionDays ?? 30,
      props.browserOrigins ?? [],
    );
    this.legacyChannelSecret = this.buildLegacySecret();
    this.channelSecrets = Object.fromEntries(
      SECRET_SECTIONS.map((section) => [section, this.buildSectionSecret(section)]),
    ) as Record<SecretSection, secretsmanager.Secret>;
    this.pseudonymKey = this.buildPseudonymKey();
  }

  private buildTable(definition: TableDefinition, production: boolean): dynamodb.Table {
    const attribute = (key: TableDefinition['partitionKey']): dynamodb.Attribute => ({
      name: key.name,
      type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
    });
    const table = new dynamodb.Table(this, 'Table', {
      tableName: prefixedName(definition.name, this.namePrefix),
      partitionKey: attribute(definition.partitionKey),
      sortKey: attribute(definition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: definition.timeToLiveAttribute,
      deletionProtection: production,
      removalPolicy: this.removalPolicy,
      ...(this.dataKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.dataKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    });
    for (const index of definition.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType:
          index.projection === 'KEYS_ONLY' ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
      });
    }
    return table;
  }

  private queueEncryption(): Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey' | 'dataKeyReuse'> {
    return this.dataKey
      ? {
          encryption: sqs.QueueEncryption.KMS,
          encryptionMasterKey: this.dataKey,
          // Fewer KMS calls (and cost) per message; five minutes is the SQS default reuse period.
          dataKeyReuse: Duration.minutes(5),
        }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };
  }

  private buildQueue(id: string, definition: QueueDefinition): QueuePair {
    const deadLetterQueue = new sqs.Queue(this, `${id}DeadLetterQueue`, {
      queueName: prefixedName(definition.deadLetterQueue.name, this.namePrefix),
      fifo: true,
      ...throughputProps(definition.throughput),
      maxMessageSizeBytes: definition.maximumMessageSizeBytes,
      retentionPeriod: Duration.seconds(definition.deadLetterQueue.retentionPeriodSeconds),
      enforceSSL: true,
      removalPolicy: this.removalPolicy,
      ...this.queueEncryption(),
    });
    const queue = new sqs.Queue(this, `${id}Queue`, {
      queueName: prefixedName(definition.name, this.namePrefix),
      fifo: true,
      // Deduplication is by event id (MessageDeduplicationId), never by body.
      contentBasedDeduplication: false,
      // High throughput (shared/resources/definitions.ts): deduplication and quota per message group.
      ...throughputProps(definition.throughput),
      maxMessageSizeBytes: definition.maximumMessageSizeBytes,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionPeriodSeconds),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
      enforceSSL: true,
      removalPolicy: this.removalPolicy,
      ...this.queueEncryption(),
    });
    return { queue, deadLetterQueue };
  }

  private buildAccessLogBucket(retentionDays: number): s3.Bucket {
    // Not logged itself (logging the log bucket would loop); cdk-nag accepts a log target bucket.
    return new s3.Bucket(this, 'AccessLogBucket', {
      // S3 server access logging delivers only to buckets encrypted with S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: this.removalPolicy,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(retentionDays) }],
    });
  }

  private buildPayloadBucket(retentionDays: number, browserOrigins: readonly string[]): s3.Bucket {
    const expiry = Duration.days(retentionDays);
    return new s3.Bucket(this, 'PayloadBucket', {
      ...(browserOrigins.length > 0 ? { cors: [browserAccessRule(browserOrigins)] } : {}),
      // S3-managed keys even with a customer-managed key: the blob store asks for AES256 on every
      // put (shared/aws/blob-store.ts), and SES's S3 action needs no key grant this way.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // Keys are deterministic and written once per payload; the events are the record, and
      // versions would only keep expired copies alive.
      versioned: false,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'payload-bucket/',
      removalPolicy: this.removalPolicy,
      lifecycleRules: [
        ...Object.entries(PAYLOAD_BUCKET.prefixes).map(([name, prefix]) => ({
          id: `expire-${name}`,
          prefix,
          expiration: expiry,
        })),
        // An upload whose media fetcher was killed; an erasure aborts its conversation's at once.
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }

  /**
   * Lets `grantee` read the named sections' secrets that this deployment uses, and tells it where
   * they are (`SWITCHBOARD_<SECTION>_SECRET_ARN`): a function can read no other provider's
   * credentials. It is deployed after the legacy secret's sections were copied (`channelSecretsReady`).
   */
  public readChannelSecrets(grantee: lambda.Function, sections: readonly SecretSection[]): void {
    for (const section of new Set(sections)) {
      if (!this.usedSecretSections.has(section)) continue;
      const secret = this.channelSecrets[section];
      grantee.addEnvironment(sectionSecretVariable(section), secret.secretArn);
      grantReadSecret(grantee, secret, this.dataKey);
    }
    grantee.node.addDependency(this.channelSecretsReady);
  }

  /** A credentials secret holding the placeholder until the operator puts its value. */
  private buildCredentialsSecret(
    id: string,
    secretName: string,
    description: string,
    removalPolicy: RemovalPolicy = this.removalPolicy,
  ): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      secretName,
      description,
      // A random placeholder the functions read as no credentials: an unconfigured provider's traffic is refused.
      generateSecretString: {
        secretStringTemplate: JSON.stringify(SECRET_PLACEHOLDER_TEMPLATE),
        generateStringKey: 'placeholder',
        excludePunctuation: true,
      },
      encryptionKey: this.dataKey,
      removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Holds credentials issued by Meta, Twilio and Mailgun (or a key the operator chooses); they are rotated in those consoles, which a rotation Lambda cannot do.',
      },
    ]);
    return secret;
  }

  private buildSectionSecret(section: SecretSection): secretsmanager.Secret {
    const id = `${section[0]?.toUpperCase() ?? ''}${section.slice(1)}Secret`;
    return this.buildCredentialsSecret(
      id,
      `${this.namePrefix}/channel-secrets/${section}`,
      `Switchboard ${section} credentials: JSON of the ${section} section of shared/config/secrets.ts. Replace the placeholder after deploy.`,
      // Kept in production, except when the deploy that creates it fails: a kept secret's name
      // would make the next deploy's create fail (an upgrade whose copy failed, for one).
      this.removalPolicy === RemovalPolicy.RETAIN
        ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
        : this.removalPolicy,
    );
  }

  private buildLegacySecret(): secretsmanager.Secret {
    // Construct id and name as before the per-provider secrets: an upgrade keeps the secret in place.
    return this.buildCredentialsSecret(
      'ChannelSecret',
      `${this.namePrefix}/channel-secrets`,
      `Switchboard channel credentials before the per-provider secrets: no function reads it. The deploy copied its sections into ${this.namePrefix}/channel-secrets/<section>; change those.`,
    );
  }

  private buildPseudonymKey(): secretsmanager.Secret {
    // Its construct id, name and generateSecretString are pinned (tests/infra/pseudonym-key.test.ts):
    // a change to any replaces the secret or regenerates its value, and every kept opt-out is lost.
    const secret = new secretsmanager.Secret(this, 'PseudonymKey', {
      secretName: `${this.namePrefix}/pseudonym-key`,
      description:
        'Switchboard pseudonym key: keys the hash kept opt-outs are filed under (shared/aws/pseudonym-key.ts). Never change it: kept opt-outs are found only under it.',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      encryptionKey: this.dataKey,
      // Kept with the table it keys, whatever happens to the stack in production.
      removalPolicy: this.removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Keys the hash every kept opt-out is filed under; a new value would lose them all unless each item were moved to it, which a rotation Lambda does not do.',
      },
    ]);
    return secret;
  }

  /** Every dead-letter queue, for alarms. */
  public get deadLetterQueues(): sqs.Queue[] {
    return [
      this.ingest.deadLetterQueue,
      this.helpdesk.deadLetterQueue,
      this.outbox.deadLetterQueue,
      this.media.deadLetterQueue,
    ];
  }

  /** Object ARN pattern for a payload prefix, e.g. `arn:…:bucket/attachments/*`. */
  public objectsUnder(prefix: string): string {
    return this.payloadBucket.arnForObjects(`${prefix}*`);
  }
}

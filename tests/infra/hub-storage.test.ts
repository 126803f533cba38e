import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { HubStorage } from '#infra/constructs/hub-storage.ts';
import { PRESIGNED_PUT_HEADERS } from '#shared/aws/media-objects.ts';
import { SECRET_SECTIONS } from '#shared/channels/registry.ts';
import { SECRET_PLACEHOLDER_TEMPLATE } from '#shared/config/secrets.ts';
import {
  HELPDESK_QUEUE,
  HIGH_THROUGHPUT_FIFO,
  HUB_TABLE,
  INGEST_QUEUE,
  PAYLOAD_BUCKET,
  QUEUES,
} from '#shared/resources/definitions.ts';
import { bareStack, logicalId } from './support.ts';

// Prepare (once per file): a development and a production deployment of the construct alone.
const build = (props: ConstructorParameters<typeof HubStorage>[2]) => {
  const stack = bareStack();
  const storage = new HubStorage(stack, 'Storage', props);
  return { storage, template: Template.fromStack(stack) };
};
const dev = build({ payloadRetentionDays: 21 });
const prod = build({ production: true, customerManagedKey: true, namePrefix: 'acme' });

const resourcesOf = (template: Template, type: string) => Object.values(template.findResources(type));
const queueNamed = (template: Template, name: string) => {
  const queue = resourcesOf(template, 'AWS::SQS::Queue').find(
    (resource) => resource.Properties.QueueName === name,
  );
  if (!queue) throw new Error(`no queue ${name}`);
  return queue;
};

describe('HubStorage table', () => {
  it('has the keys, indexes and TTL attribute of HUB_TABLE', () => {
    // Act
    const [table] = resourcesOf(dev.template, 'AWS::DynamoDB::Table');
    // Assess
    expect(table?.Properties.TableName).toBe(HUB_TABLE.name);
    expect(table?.Properties.KeySchema).toEqual([
      { AttributeName: HUB_TABLE.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: HUB_TABLE.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(table?.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: HUB_TABLE.timeToLiveAttribute,
      Enabled: true,
    });
    const indexes = table?.Properties.GlobalSecondaryIndexes as Array<Record<string, unknown>>;
    expect(
      indexes.map((index) => ({
        name: index.IndexName,
        keys: index.KeySchema,
        projection: index.Projection,
      })),
    ).toEqual(
      HUB_TABLE.globalSecondaryIndexes.map((index) => ({
        name: index.indexName,
        keys: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        projection: { ProjectionType: index.projection },
      })),
    );
    const declared = HUB_TABLE.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]);
    expect(table?.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining(
        [HUB_TABLE.partitionKey, HUB_TABLE.sortKey, ...declared].map((key) => ({
          AttributeName: key.name,
          AttributeType: key.type,
        })),
      ),
    );
  });

  it('is on demand, encrypted, with point-in-time recovery, destroyable in development', () => {
    // Assess
    dev.template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: false,
      },
      DeletionPolicy: 'Delete',
    });
  });

  it('is deletion-protected, retained and under the customer-managed key in production', () => {
    // Assess
    prod.template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TableName: 'acme-hub',
        DeletionProtectionEnabled: true,
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(prod.storage.dataKey ?? prod.storage), 'Arn'] },
        },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});

describe('HubStorage queues', () => {
  it.each(QUEUES.map((definition) => [definition.name, definition] as const))(
    '%s matches its definition, with its dead-letter queue',
    (_name, definition) => {
      // Act
      const queue = queueNamed(dev.template, definition.name);
      const dlq = queueNamed(dev.template, definition.deadLetterQueue.name);
      // Assess
      expect(queue.Properties).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        MaximumMessageSize: definition.maximumMessageSizeBytes,
        VisibilityTimeout: definition.visibilityTimeoutSeconds,
        MessageRetentionPeriod: definition.retentionPeriodSeconds,
        SqsManagedSseEnabled: true,
      });
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(definition.maxReceiveCount);
      const dlqId = Object.entries(dev.template.findResources('AWS::SQS::Queue')).find(
        ([, resource]) => resource.Properties.QueueName === definition.deadLetterQueue.name,
      )?.[0];
      expect(queue.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [dlqId, 'Arn'] });
      expect(dlq.Properties).toMatchObject({
        FifoQueue: true,
        MaximumMessageSize: definition.maximumMessageSizeBytes,
        MessageRetentionPeriod: definition.deadLetterQueue.retentionPeriodSeconds,
        SqsManagedSseEnabled: true,
      });
    },
  );

  it('puts every queue and dead-letter queue in high-throughput FIFO mode, as its definition says', () => {
    // Act
    const queues = resourcesOf(dev.template, 'AWS::SQS::Queue');
    // Assess
    expect(QUEUES.every((definition) => definition.throughput === HIGH_THROUGHPUT_FIFO)).toBe(true);
    expect(queues).toHaveLength(2 * QUEUES.length);
    for (const queue of queues) {
      expect(queue.Properties).toMatchObject({
        FifoQueue: true,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
      });
    }
  });

  it('sets the 1 MiB message size explicitly (SQS would default to 256 KiB)', () => {
    // Act
    const sizes = resourcesOf(dev.template, 'AWS::SQS::Queue').map(
      (queue) => queue.Properties.MaximumMessageSize,
    );
    // Assess
    // ingest, helpdesk, outbox and media, each with its dead-letter queue
    expect(sizes).toEqual(Array.from({ length: 8 }, () => 1_048_576));
    expect(INGEST_QUEUE.maximumMessageSizeBytes).toBe(1_048_576);
    expect(HELPDESK_QUEUE.maximumMessageSizeBytes).toBe(1_048_576);
  });

  it('denies non-TLS access to every queue', () => {
    // Act
    const policies = resourcesOf(dev.template, 'AWS::SQS::QueuePolicy');
    // Assess
    expect(policies).toHaveLength(8);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('uses the customer-managed key and the name prefix in production', () => {
    // Act
    const queue = queueNamed(prod.template, 'acme-ingest.fifo');
    // Assess
    expect(queue.Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [logicalId(prod.storage.dataKey ?? prod.storage), 'Arn'],
    });
    expect(queue.DeletionPolicy).toBe('Retain');
    expect(queueNamed(prod.template, 'acme-helpdesk-dlq.fifo').Properties.KmsMasterKeyId).toBeDefined();
    prod.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('HubStorage payload bucket', () => {
  const payloadBucket = () =>
    dev.template.findResources('AWS::S3::Bucket')[logicalId(dev.storage.payloadBucket)];

  it('is encrypted, private, unversioned and logs access to the access-log bucket', () => {
    // Act
    const bucket = payloadBucket();
    // Assess
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(dev.storage.accessLogBucket) } },
    });
    expect(bucket?.Properties.VersioningConfiguration).toBeUndefined();
  });

  it('has no CORS rule unless browser origins are named', () => {
    // Act
    const bucket = payloadBucket();
    // Assess
    expect(bucket?.Properties.CorsConfiguration).toBeUndefined();
  });

  it('lets the named browser origins, and no other, fetch and upload through presigned URLs', () => {
    // Prepare
    const origins = ['https://helpdesk.example.com', 'http://localhost:5173'];
    const withOrigins = build({ browserOrigins: origins });
    // Act
    const bucket =
      withOrigins.template.findResources('AWS::S3::Bucket')[logicalId(withOrigins.storage.payloadBucket)];
    // Assess
    expect(bucket?.Properties.CorsConfiguration).toEqual({
      CorsRules: [
        {
          AllowedOrigins: origins,
          AllowedMethods: ['GET', 'HEAD', 'PUT'],
          // Exactly what a presigned PUT signs and a browser may set: the type, the name, the encryption.
          AllowedHeaders: ['content-type', 'content-disposition', ...Object.keys(PRESIGNED_PUT_HEADERS)],
          ExposedHeaders: ['ETag', 'Content-Type', 'Content-Length', 'Content-Disposition'],
          MaxAge: 3600,
        },
      ],
    });
    const accessLogs =
      withOrigins.template.findResources('AWS::S3::Bucket')[logicalId(withOrigins.storage.accessLogBucket)];
    expect(accessLogs?.Properties.CorsConfiguration).toBeUndefined();
  });

  it('expires every payload prefix after the configured days and aborts stale uploads', () => {
    // Act
    const rules = payloadBucket()?.Properties.LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
    // Assess
    for (const prefix of Object.values(PAYLOAD_BUCKET.prefixes)) {
      expect(rules).toContainEqual(
        expect.objectContaining({ Prefix: prefix, ExpirationInDays: 21, Status: 'Enabled' }),
      );
    }
    expect(rules).toContainEqual(
      expect.objectContaining({
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        Status: 'Enabled',
      }),
    );
  });

  it('denies non-TLS access on both buckets', () => {
    // Act
    const policies = resourcesOf(dev.template, 'AWS::S3::BucketPolicy');
    // Assess
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('keeps the buckets in production', () => {
    // Assess
    for (const bucket of resourcesOf(prod.template, 'AWS::S3::Bucket'))
      expect(bucket.DeletionPolicy).toBe('Retain');
  });
});

describe('HubStorage channel secrets', () => {
  const secretNamed = (template: Template, name: string) =>
    resourcesOf(template, 'AWS::SecretsManager::Secret').find(
      (resource) => resource.Properties.Name === name,
    );

  it('creates one secret per provider, each with a generated placeholder, never a value from code', () => {
    for (const section of SECRET_SECTIONS) {
      // Act
      const secret = secretNamed(dev.template, `switchboard/channel-secrets/${section}`);
      // Assess
      expect(secret, section).toBeDefined();
      expect(secret?.Properties.SecretString).toBeUndefined();
      // The placeholder the functions read as no credentials (shared/config/secrets.ts).
      expect(secret?.Properties.GenerateSecretString).toMatchObject({
        SecretStringTemplate: JSON.stringify(SECRET_PLACEHOLDER_TEMPLATE),
        GenerateStringKey: 'placeholder',
      });
    }
  });

  it('keeps the legacy one secret in place, as it was created before the per-provider secrets', () => {
    // Act
    const legacy = secretNamed(dev.template, 'switchboard/channel-secrets');
    // Assess: same construct id (logical id) and generated value, so an upgrade neither replaces
    // nor regenerates it: the deploy copies its sections (ChannelSecretUpgrade).
    expect(logicalId(dev.storage.legacyChannelSecret)).toMatch(/^StorageChannelSecret[0-9A-F]{8}$/);
    expect(legacy?.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{"replaceMe":true}',
      GenerateStringKey: 'placeholder',
      ExcludePunctuation: true,
    });
  });

  it('keeps the per-provider secrets in production, except when the deploy creating them fails', () => {
    // Act
    const sections = SECRET_SECTIONS.map((section) =>
      secretNamed(prod.template, `acme/channel-secrets/${section}`),
    );
    // Assess: a kept secret from a failed first deploy would make the next one's create fail on its name.
    for (const secret of sections) expect(secret?.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(secretNamed(prod.template, 'acme/channel-secrets')?.DeletionPolicy).toBe('Retain');
  });

  it('are under the customer-managed key in production', () => {
    // Assess
    for (const name of [
      'acme/channel-secrets',
      ...SECRET_SECTIONS.map((section) => `acme/channel-secrets/${section}`),
    ]) {
      prod.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: name,
        KmsKeyId: { 'Fn::GetAtt': [logicalId(prod.storage.dataKey ?? prod.storage), 'Arn'] },
      });
    }
  });
});

describe('HubStorage pseudonym key', () => {
  const pseudonymKeyOf = (template: Template, name: string) =>
    resourcesOf(template, 'AWS::SecretsManager::Secret').find(
      (resource) => resource.Properties.Name === name,
    );

  it('is a secret of its own, 64 random characters generated at creation, never a value from code', () => {
    // Act
    const secret = pseudonymKeyOf(dev.template, 'switchboard/pseudonym-key');
    // Assess
    // The legacy channel secret, one per provider, and the pseudonym key.
    expect(resourcesOf(dev.template, 'AWS::SecretsManager::Secret')).toHaveLength(2 + SECRET_SECTIONS.length);
    expect(secret?.Properties.SecretString).toBeUndefined();
    expect(secret?.Properties.GenerateSecretString).toEqual({
      PasswordLength: 64,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    // No rotation: every kept opt-out is found only under the key it was filed with.
    dev.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('is under the customer-managed key and kept in production', () => {
    // Act
    const secret = pseudonymKeyOf(prod.template, 'acme/pseudonym-key');
    // Assess
    expect(secret?.Properties.KmsKeyId).toEqual({
      'Fn::GetAtt': [logicalId(prod.storage.dataKey ?? prod.storage), 'Arn'],
    });
    expect(secret?.DeletionPolicy).toBe('Retain');
    expect(pseudonymKeyOf(dev.template, 'switchboard/pseudonym-key')?.DeletionPolicy).toBe('Delete');
  });
});

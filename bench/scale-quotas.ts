import { WEBHOOK_STAGE_THROTTLE } from '#infra/constructs/hub-api.ts';

/**
 * The AWS quotas the scale model weighs each resource against: default values for a new account in
 * us-east-1 (the region `bench/prices.ts` prices), each with the page that documents it. Checked
 * against the AWS documentation in November 2026; regions differ where noted.
 */
export interface Quota {
  readonly name: string;
  readonly limit: number;
  readonly unit: string;
  /** Whether a quota increase (or a setting of ours) can raise it. */
  readonly raise: string;
  readonly source: string;
  /** The stack's alarm (infra/constructs/monitoring.ts) that fires first when it runs out. */
  readonly warnedBy: string;
  /** A launch condition rather than a ceiling: it lifts itself as the table scales. */
  readonly transient?: true;
}

export const QUOTAS = {
  apiGatewayAccount: {
    name: 'API Gateway throttle, per account and region (all APIs)',
    limit: 10_000,
    unit: 'requests/s (burst 5,000)',
    raise: 'quota increase (L-8A5B8E43); 2,500 in some newer regions',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
    warnedBy: "Webhook4xxRate (429s), then providers' retries",
  },
  apiGatewayStage: {
    name: "HTTP API $default stage throttle (this stack's own brake)",
    limit: WEBHOOK_STAGE_THROTTLE.rateLimit,
    unit: `requests/s (burst ${WEBHOOK_STAGE_THROTTLE.burstLimit.toLocaleString('en-US')})`,
    raise: 'HubApi rateLimit/burstLimit (infra/constructs/hub-api.ts), within the account throttle',
    source: 'infra/constructs/hub-api.ts',
    warnedBy: "Webhook4xxRate (429s), then providers' retries",
  },
  lambdaConcurrency: {
    name: 'Lambda concurrent executions, per account and region (all functions)',
    limit: 1_000,
    unit: 'concurrent executions',
    raise: 'quota increase, to tens of thousands',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/limits.html',
    warnedBy: 'RecorderThrottles, WebhookThrottles (function URLs), Webhook5xxRate',
  },
  lambdaScalingRate: {
    name: 'Lambda scaling rate, per function',
    limit: 1_000,
    unit: 'new execution environments per 10 s',
    raise: 'none (a burst beyond it is throttled, the provider retries)',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html',
    warnedBy: 'Webhook5xxRate / WebhookThrottles',
  },
  sqsFifoHighThroughputPerAction: {
    name: 'SQS FIFO high throughput, per queue and API action',
    limit: 70_000,
    unit: 'calls/s (×10 messages with batching)',
    raise: 'none; us-east-1, us-west-2, eu-west-1 (other regions lower: see the page)',
    source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html',
    warnedBy: 'Webhook5xxRate (503 after the publisher gives up)',
  },
  sqsFifoPerMessageGroup: {
    name: 'SQS FIFO, one message group (one partition)',
    limit: 300,
    unit: 'calls/s per action (3,000 messages with batching)',
    raise: 'none',
    source:
      'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html',
    warnedBy: 'Webhook5xxRate (503 after the publisher gives up)',
  },
  dynamoTableOnDemand: {
    name: 'DynamoDB on-demand, per table',
    limit: 40_000,
    unit: 'write request units/s',
    raise: 'quota increase',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    warnedBy: 'IngestBacklogAge (the recorder retries throttled writes)',
  },
  dynamoTableOnDemandRead: {
    name: 'DynamoDB on-demand, per table',
    limit: 40_000,
    unit: 'read request units/s',
    raise: 'quota increase',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    warnedBy: 'IngestBacklogAge',
  },
  dynamoNewTableWarm: {
    name: 'DynamoDB new on-demand table, instant capacity (warm throughput)',
    limit: 4_000,
    unit: 'write units/s before it scales up',
    raise: 'set warm throughput before launch, or ramp traffic',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html',
    warnedBy: 'IngestBacklogAge',
    transient: true,
  },
  dynamoNewTableWarmRead: {
    name: 'DynamoDB new on-demand table, instant capacity (warm throughput)',
    limit: 12_000,
    unit: 'read units/s before it scales up',
    raise: 'set warm throughput before launch, or ramp traffic',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html',
    warnedBy: 'IngestBacklogAge',
    transient: true,
  },
  dynamoPartitionWrite: {
    name: 'DynamoDB, one partition',
    limit: 1_000,
    unit: 'write units/s (3,000 read)',
    raise: 'none (key design)',
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html',
    warnedBy: 'IngestBacklogAge',
  },
  s3PutPerPrefix: {
    name: 'S3, per prefix',
    limit: 3_500,
    unit: 'PUT/s (5,500 GET/s)',
    raise: 'more prefixes',
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html',
    warnedBy: 'Webhook5xxRate (503: e-mail not stored)',
  },
  secretsManagerGet: {
    name: 'Secrets Manager GetSecretValue',
    limit: 10_000,
    unit: 'calls/s',
    raise: 'none needed (cached 5 minutes per execution environment)',
    source: 'https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html',
    warnedBy: 'Webhook5xxRate (503: dependencies unavailable)',
  },
  kmsSymmetric: {
    name: 'KMS cryptographic operations (symmetric), shared',
    limit: 10_000,
    unit: 'calls/s (20,000 or more in the larger regions)',
    raise: 'quota increase',
    source: 'https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html',
    warnedBy: 'Webhook5xxRate, RecorderErrors',
  },
} as const satisfies Record<string, Quota>;

export type QuotaId = keyof typeof QUOTAS;

import { WEBHOOK_STAGE_THROTTLE } from '#infra/constructs/hub-api.ts';
import { MEDIA_FETCHER, SENDER } from '#shared/resources/definitions.ts';

/**
 * The quotas the scale model weighs each resource against: AWS's default values for an account in
 * us-east-1 (the region `bench/prices.ts` prices), each with the page that documents it, and the
 * caps this stack sets itself (the sender's and the media fetcher's maxConcurrency, the stage
 * throttle) with the file that sets them. A new account may start below the defaults: "New AWS
 * accounts have reduced concurrency and memory quotas. AWS raises these quotas automatically based
 * on your usage." (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), so
 * its Lambda concurrency can be far under 1,000 until it has run a while (check the account's
 * Service Quotas page). Checked against the AWS documentation in November 2026 and again on
 * 2026-12-05 (KMS, DynamoDB per index, Lambda's synchronous invocation rate); regions differ where
 * noted.
 */
export interface Quota {
  readonly name: string;
  readonly limit: number;
  readonly unit: string;
  /** Whether a quota increase (or a setting of ours) can raise it. */
  readonly raise: string;
  readonly source: string;
  /**
   * The stack's alarm (infra/constructs/monitoring.ts) that fires first when it runs out; a load may
   * name its own (one quota, several queues).
   */
  readonly warnedBy: string;
  /** A launch condition rather than a ceiling: it lifts itself as the table scales. */
  readonly transient?: true;
}

/**
 * A DynamoDB throttle the SDK's retries do not absorb fails the recorder's message (RecorderErrors,
 * any failure in 5 minutes); the messages waiting behind raise IngestRecordAge (a message older
 * than 300 s in 1 of 5 minutes) before IngestBacklogAge (3 of 5).
 */
const RECORDER_WRITES_THROTTLED =
  'RecorderErrors (a write still throttled after the SDK retries), then IngestRecordAge (an ingest message older than 300 s in 1 of 5 minutes)';

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
    // CDK's HttpStage `throttle` becomes the stage's DefaultRouteSettings: "default route throttling
    // limits", applied to each route on its own
    // (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html), so the
    // busiest webhook route is weighed against it, every route together against the account's.
    name: "HTTP API $default stage, default route throttle, per route (this stack's own brake)",
    limit: WEBHOOK_STAGE_THROTTLE.rateLimit,
    unit: `requests/s per route (burst ${WEBHOOK_STAGE_THROTTLE.burstLimit.toLocaleString('en-US')})`,
    raise: 'HubApi rateLimit/burstLimit (infra/constructs/hub-api.ts), within the account throttle',
    source: 'infra/constructs/hub-api.ts',
    warnedBy: "Webhook4xxRate (429s), then providers' retries",
  },
  helpdeskApiRoute: {
    // The helpdesk API's own HTTP API (HelpdeskApi: rateLimit 50, burstLimit 100, its stage's default
    // route throttle, so per route): its send route alone takes 50 requests/s.
    name: 'Helpdesk HTTP API, default route throttle, per route (with helpdeskApi)',
    limit: 50,
    unit: 'requests/s per route (burst 100)',
    raise:
      'HelpdeskApi rateLimit/burstLimit (infra/constructs/helpdesk-api.ts; no context key: a code change), within the account throttle; or put the sends straight on the outbox',
    source: 'infra/constructs/helpdesk-api.ts',
    warnedBy: 'none of the stack: a 429 is not a 5xx (HelpdeskApi5xxRate); the caller sees 429 and retries',
  },
  lambdaConcurrency: {
    name: 'Lambda concurrent executions, per account and region (all functions)',
    limit: 1_000,
    unit: 'concurrent executions',
    raise: 'quota increase, to tens of thousands (a new account may start lower: AWS raises it with usage)',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    warnedBy:
      'RecorderThrottles, WebhookThrottles (function URLs), Webhook5xxRate, AttentionSweeperNotRunning (the sweeper, after 15 minutes)',
  },
  lambdaSyncPerFunction: {
    name: 'Lambda synchronous invocations, one webhook function with function-URL ingress',
    // "Each instance of your execution environment can serve up to 10 requests per second. In other
    // words, the total invocation limit is 10 times your concurrency limit." A webhook with function
    // URLs has reserved concurrency (webhookReservedConcurrency, infra/config.ts, default 50), so
    // 10 × 50: the model sets the limit from the deployment's reservation.
    limit: 500,
    unit: 'requests/s (10 per execution environment × reserved concurrency)',
    raise: 'webhookReservedConcurrency (context key, infra/config.ts), within the account concurrency',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    warnedBy: 'WebhookThrottles (any throttle in 5 minutes: providers get 429 and retry)',
  },
  senderCapacity: {
    name: "Sender, the outbox event source's maxConcurrency (this stack's cap)",
    // The model sets the limit: maxConcurrency × batch ÷ the batch's time (bench/scale.ts).
    limit: SENDER.maxConcurrency,
    unit: 'sends/s (maxConcurrency × batch of 10 ÷ batch time)',
    raise:
      "senderMaxConcurrency (CDK context, default SENDER.maxConcurrency), and more WhatsApp numbers: each environment paces a number at its rate ÷ maxConcurrency, so one number's sends stay under its rate whatever the concurrency",
    source: 'infra/constructs/sender.ts',
    warnedBy:
      'OutboxCommandAge (a command older than 120 s in 1 of 5 minutes; OutboxBacklogAge needs 3 of 3)',
  },
  fetcherCapacity: {
    name: "Media fetcher, the media event source's maxConcurrency (this stack's cap)",
    // The model sets the limit: maxConcurrency × one job ÷ the fetch's time (bench/scale.ts).
    limit: MEDIA_FETCHER.maxConcurrency,
    unit: 'attachments/s (maxConcurrency × 1 job ÷ fetch time)',
    raise: 'mediaFetcherMaxConcurrency (CDK context, default MEDIA_FETCHER.maxConcurrency)',
    source: 'infra/constructs/media-fetcher.ts',
    warnedBy: 'MediaBacklogAge (a job older than 900 s in 3 of 5 minutes)',
  },
  whatsappNumber: {
    name: 'WhatsApp Cloud API throughput, one business number (Meta)',
    // "By default, each phone number has an MPS of 80. Meta can increase your MPS to 1,000" (AWS End
    // User Messaging Social); Meta: "up to 80 messages per second (mps) by default, and up to 1,000
    // mps by automatic upgrade. Throughput is inclusive of inbound and outbound messages"
    // (https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput).
    // The sender paces each number at whatsappNumberRate (CDK context; SENDER.endpointRatesPerSecond.whatsapp, 80).
    limit: SENDER.endpointRatesPerSecond.whatsapp,
    unit: 'messages/s in and out (1,000 after Meta upgrades the number)',
    raise:
      "more business numbers, or Meta's automatic upgrade to 1,000 (then whatsappNumberRate, CDK context, raised to match)",
    source: 'https://docs.aws.amazon.com/social-messaging/latest/userguide/increase-message-throughput.html',
    warnedBy: 'OutboxCommandAge (sends wait their turn or back off from 130429, then age past 120 s)',
  },
  whatsappPairRate: {
    name: 'WhatsApp pair rate, one business number to one user (Meta)',
    // Error 131056: "too many messages sent from the sender phone number to the same recipient phone
    // number in a short period of time", about one message per 6 s
    // (shared/channels/whatsapp/outbound/classify.ts backs off 6 s, 24 s, 96 s… on it).
    limit: 1 / 6,
    unit: 'messages/s to one user (about one per 6 s)',
    raise: "none: spread a conversation's sends out in time (the sender backs off 131056 at least 6 s · 4ⁿ)",
    source: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes',
    warnedBy:
      "OutboxCommandAge (the user's sends back off 6 s, 24 s, 96 s… and the conversation's later commands wait behind them in its FIFO group, until one is older than 120 s)",
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
    warnedBy: "per queue: its producer's alarm (each load names it)",
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
  // "For on-demand capacity mode tables and GSIs, the table-level quota is the maximum read and
  // write capacity units that are available for any table, or any individual GSI within that
  // table": the table's units and each index's are weighed apart.
  dynamoTableOnDemand: {
    name: 'DynamoDB on-demand, per table (its indexes not included)',
    limit: 40_000,
    unit: 'write request units/s',
    raise: 'quota increase',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    warnedBy: RECORDER_WRITES_THROTTLED,
  },
  dynamoIndexOnDemand: {
    name: 'DynamoDB on-demand, per global secondary index',
    limit: 40_000,
    unit: 'write request units/s',
    raise: 'quota increase',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    warnedBy: RECORDER_WRITES_THROTTLED,
  },
  dynamoTableOnDemandRead: {
    name: 'DynamoDB on-demand, per table',
    limit: 40_000,
    unit: 'read request units/s',
    raise: 'quota increase',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    warnedBy: RECORDER_WRITES_THROTTLED,
  },
  dynamoNewTableWarm: {
    name: 'DynamoDB new on-demand table, instant capacity (warm throughput)',
    limit: 4_000,
    unit: 'write units/s before it scales up',
    raise: 'set warm throughput before launch, or ramp traffic',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html',
    warnedBy: RECORDER_WRITES_THROTTLED,
    transient: true,
  },
  dynamoNewTableWarmRead: {
    name: 'DynamoDB new on-demand table, instant capacity (warm throughput)',
    limit: 12_000,
    unit: 'read units/s before it scales up',
    raise: 'set warm throughput before launch, or ramp traffic',
    source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html',
    warnedBy: RECORDER_WRITES_THROTTLED,
    transient: true,
  },
  dynamoPartitionWrite: {
    name: 'DynamoDB, one partition',
    limit: 1_000,
    unit: 'write units/s (3,000 read)',
    raise: 'none (key design)',
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html',
    warnedBy: RECORDER_WRITES_THROTTLED,
  },
  // "DynamoDB enforces specific throughput limits at the partition level for both table and global
  // secondary index (GSI)" (the page below): an index partition has a table partition's 1,000
  // write units. Split for heat does not lift one partition key whose sort key only grows: "split for
  // heat cannot split within an item collection if there's an LSI present or if the split is
  // determined to not be beneficial, such as when writing an ever-increasing sort key"
  // (https://aws.amazon.com/blogs/database/part-2-scaling-dynamodb-how-partitions-hot-keys-and-split-for-heat-impact-performance/),
  // and every put here lands at the top of its key's range (the current hour under STATUS#, the
  // present under WAITING). The ids after the hour are random, so a split within the current hour
  // might help some: the model does not count on it.
  dynamoIndexPartitionWrite: {
    name: 'DynamoDB, one shard of an index partition every conversation shares',
    limit: 1_000,
    unit: 'write units/s',
    raise:
      'none: key design (spread over INDEX_SHARDS partitions by conversation id, shared/store/keys.ts; more shards lift it, and every list page queries each)',
    source:
      'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html',
    warnedBy: RECORDER_WRITES_THROTTLED,
  },
  s3PutPerPrefix: {
    name: 'S3, per prefix',
    limit: 3_500,
    unit: 'PUT/s (5,500 GET/s)',
    raise: 'more prefixes',
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html',
    warnedBy: 'Webhook5xxRate (503: e-mail not stored); MediaFetcherErrors for attachments',
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
    // The quota counts the requests AWS services make on the account's behalf under its AWS managed
    // keys (aws/secretsmanager for every secret read as built) as under its customer managed ones
    // (the page's "Requests made on your behalf"): the hub makes KMS calls with or without
    // customerManagedKey.
    name: 'KMS cryptographic operations (symmetric), shared: customer managed and AWS managed keys',
    // "100,000 (shared) in the following Regions: US East (N. Virginia), us-east-1, US West
    // (Oregon), us-west-2, Europe (Ireland), eu-west-1"; 20,000 in us-east-2, ap-southeast-1,
    // ap-southeast-2, ap-northeast-1, eu-central-1, eu-west-2; 10,000 elsewhere.
    limit: 100_000,
    unit: 'calls/s in us-east-1, us-west-2, eu-west-1 (20,000 in six other regions, 10,000 elsewhere)',
    raise: 'quota increase',
    source: 'https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html',
    warnedBy: 'Webhook5xxRate, RecorderErrors',
  },
} as const satisfies Record<string, Quota>;

export type QuotaId = keyof typeof QUOTAS;

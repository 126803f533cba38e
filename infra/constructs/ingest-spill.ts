import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { INGEST_SPILL_DRAIN, PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import {
  grantDeletePayloads,
  grantGetPayloads,
  grantListPayloads,
  grantPutPayloads,
  grantSendMessage,
} from './grants.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

export interface IngestSpillProps {
  readonly storage: HubStorage;
  /** The drain's environment (the payload bucket, the ingest queue, the metrics namespace). */
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * How often the drain runs: a spilled event is queued within about this.
   * @default Duration.minutes(INGEST_SPILL_DRAIN.intervalMinutes) (one minute)
   */
  readonly interval?: Duration;
  /**
   * @default 256
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
 * The ingest spill: where webhooks whose provider does not retry (the registry's
 * `spillOnPublishFailure`) keep the events the ingest queue refused (`spill/` in the payload bucket,
 * S3-managed encryption like every payload object), and the drain that queues them every minute
 * (shared/intake/spill-drain.ts). `allowSpill` lets a webhook write there and nowhere else new.
 */
export class IngestSpill extends Construct {
  public readonly function: HubFunction;
  public readonly rule: events.Rule;
  /** How often the rule invokes the drain: the heartbeat alarm's window follows it (monitoring.ts). */
  public readonly interval: Duration;
  private readonly storage: HubStorage;

  constructor(scope: Construct, id: string, props: IngestSpillProps) {
    super(scope, id);
    const { storage } = props;
    this.storage = storage;
    this.interval = props.interval ?? Duration.minutes(INGEST_SPILL_DRAIN.intervalMinutes);

    this.function = new HubFunction(this, 'Function', {
      entryName: 'ingest-spill-drain',
      description:
        'Switchboard spill drain: queues the events webhooks kept when SQS refused them (every minute)',
      runtimeEnvironment: props.runtimeEnvironment,
      memorySize: props.memorySize ?? 256,
      timeout: Duration.seconds(INGEST_SPILL_DRAIN.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    // A failed run is not retried: the next one, a minute later, is its retry (an object is deleted
    // only once its events are queued, and a repeat is dropped by SQS or the recorder).
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Switchboard ingest spill drain',
      schedule: events.Schedule.rate(this.interval),
      targets: [new targets.LambdaFunction(this.function, { maxEventAge: Duration.minutes(2) })],
    });

    // Exactly what the drain calls: ListObjectsV2 under spill/, GetObject and DeleteObjects of its
    // objects, SendMessageBatch to the ingest queue, and PutObject of the claim check of an event
    // too large for a queue message (the webhooks' publisher: shared/intake/wiring.ts).
    const spill = [PAYLOAD_BUCKET.prefixes.spill];
    grantListPayloads(this.function, storage.payloadBucket, spill);
    grantGetPayloads(this.function, storage.payloadBucket, spill);
    grantDeletePayloads(this.function, storage.payloadBucket, spill);
    grantPutPayloads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.claimCheckPrefix]);
    grantSendMessage(this.function, storage.ingest.queue, storage.dataKey);
  }

  /** Lets a webhook write spill objects (s3:PutObject on `spill/*` only; the bucket uses S3-managed keys). */
  public allowSpill(webhook: iam.IGrantable): void {
    grantPutPayloads(webhook, this.storage.payloadBucket, [PAYLOAD_BUCKET.prefixes.spill]);
  }
}

import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { grantPutPayloads, grantSendMessage } from './grants.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

export interface EmailDeliveryEventsProps {
  readonly storage: HubStorage;
  /** The configuration set every SES send of the hub goes through. */
  readonly configurationSet: ses.ConfigurationSet;
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the topic's key, the function's log group and the failed-events queue when the
   * stack goes (production: RETAIN, as every other data and log resource).
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The SES events that become statuses and consent changes (opens and clicks would only track people). */
const PUBLISHED_EVENTS = [
  ses.EmailSendingEvent.SEND,
  ses.EmailSendingEvent.DELIVERY,
  ses.EmailSendingEvent.BOUNCE,
  ses.EmailSendingEvent.COMPLAINT,
  ses.EmailSendingEvent.REJECT,
  ses.EmailSendingEvent.DELIVERY_DELAY,
  ses.EmailSendingEvent.RENDERING_FAILURE,
];

/**
 * SES delivery events of the hub's e-mail: the configuration set publishes them to an encrypted SNS
 * topic, whose subscriber (functions/email-ses-events.ts) turns them into statuses and consent
 * changes on the ingest queue, naming the hub message by its tags. Deliveries that fail every
 * retry land in `failedEvents`.
 */
export class EmailDeliveryEvents extends Construct {
  public readonly topic: sns.Topic;
  public readonly function: HubFunction;
  public readonly failedEvents: sqs.Queue;

  constructor(scope: Construct, id: string, props: EmailDeliveryEventsProps) {
    super(scope, id);
    const { storage } = props;
    const key = storage.dataKey;

    // SES may publish to an encrypted topic only with a key whose policy lets it: a key of our own.
    const topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Switchboard SES delivery events',
      enableKeyRotation: true,
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSesToPublish',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Switchboard SES delivery events',
      masterKey: topicKey,
      enforceSSL: true,
    });
    props.configurationSet.addEventDestination('ToHub', {
      destination: ses.EventDestination.snsTopic(this.topic),
      events: PUBLISHED_EVENTS,
    });

    this.failedEvents = new sqs.Queue(this, 'FailedEvents', {
      retentionPeriod: Duration.days(14),
      ...(props.removalPolicy ? { removalPolicy: props.removalPolicy } : {}),
      enforceSSL: true,
      ...(key
        ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }
        : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    });
    this.function = new HubFunction(this, 'Function', {
      entryName: 'email-ses-events',
      description: 'Switchboard SES delivery events: SNS → statuses on the ingest queue',
      runtimeEnvironment: props.runtimeEnvironment,
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      ...(props.removalPolicy ? { logRemovalPolicy: props.removalPolicy } : {}),
      deadLetterQueue: this.failedEvents,
      retryAttempts: 2,
    });
    this.topic.addSubscription(new subscriptions.LambdaSubscription(this.function));
    grantSendMessage(this.function, storage.ingest.queue, key);
    // An event too large for a queue message (never, in practice) travels as a claim check.
    grantPutPayloads(this.function, storage.payloadBucket, [PAYLOAD_BUCKET.claimCheckPrefix]);
  }
}

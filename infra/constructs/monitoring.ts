import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  /** Queues whose every message is a failure to look at (dead-letter and failed-event queues). */
  readonly deadLetterQueues: ReadonlyArray<{ readonly name: string; readonly queue: sqs.IQueue }>;
  /** The HTTP API stage the webhooks are served from. */
  readonly apiStage: apigwv2.IHttpStage;
  /** The queue whose backlog age shows the recorder falling behind. */
  readonly ingestQueue: sqs.IQueue;
  readonly recorderFunction: lambda.IFunction;
  /**
   * Address subscribed to the alarm topic.
   * @default none
   */
  readonly alarmEmail?: string;
  /**
   * Alarm when more than this percentage of webhook requests get a 4xx (bad signatures, a wrong
   * verify token or secret) over three five-minute periods.
   * @default 10
   */
  readonly clientErrorRatePercent?: number;
  /**
   * Alarm when more than this percentage of webhook requests get a 5xx in five minutes.
   * @default 1
   */
  readonly serverErrorRatePercent?: number;
  /**
   * Alarm when the oldest ingest message is older than this.
   * @default Duration.minutes(5)
   */
  readonly maxIngestAge?: Duration;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Alarms for what needs a person, published to one encrypted SNS topic: any dead-letter message,
 * webhook 4xx and 5xx rates, ingest backlog age, recorder errors and throttles.
 */
export class Monitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly topicKey: kms.Key;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    // CloudWatch cannot publish to a topic under the AWS-managed SNS key; a key of our own can let it.
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Switchboard alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Switchboard alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    for (const { name, queue } of props.deadLetterQueues) {
      this.add(`${name}NotEmpty`, {
        alarmDescription: `${name}: messages failed every retry and wait for a person (inspect, fix, then redrive).`,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    const period = Duration.minutes(5);
    const requests = props.apiStage.metricCount({ period, statistic: cloudwatch.Stats.SUM });
    const errorRate = (errors: cloudwatch.IMetric, label: string) =>
      new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { errors, requests },
        label,
        period,
      });

    this.add('Webhook4xxRate', {
      alarmDescription:
        'Many webhook requests are rejected (4xx): check the channel secret (app secret, verify token, auth token, signing key) and the public base URL.',
      metric: errorRate(
        props.apiStage.metricClientError({ period, statistic: cloudwatch.Stats.SUM }),
        '4xx rate (%)',
      ),
      threshold: props.clientErrorRatePercent ?? 10,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.add('Webhook5xxRate', {
      alarmDescription: 'Webhooks fail with 5xx: providers will retry, then drop. Check the function logs.',
      metric: errorRate(
        props.apiStage.metricServerError({ period, statistic: cloudwatch.Stats.SUM }),
        '5xx rate (%)',
      ),
      threshold: props.serverErrorRatePercent ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.add('IngestBacklogAge', {
      alarmDescription: 'The recorder is falling behind: the oldest ingest message is getting old.',
      metric: props.ingestQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: (props.maxIngestAge ?? Duration.minutes(5)).toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
    });
    this.add('RecorderErrors', {
      alarmDescription: 'The recorder threw; messages are retried, then dead-lettered.',
      metric: props.recorderFunction.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.add('RecorderThrottles', {
      alarmDescription: 'The recorder is throttled (account or reserved concurrency).',
      metric: props.recorderFunction.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  private add(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}

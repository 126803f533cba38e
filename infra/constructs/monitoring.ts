import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ATTENTION_METRICS,
  MEDIA_METRICS,
  METRIC_SERVICES,
  METRICS_NAMESPACE,
  PSEUDONYM_KEY_MISMATCH,
  RECORDER_METRICS,
  SEND_FAILURE_NEEDING_A_PERSON,
  SENDER_METRICS,
  SPILL_METRICS,
} from '#shared/observability/metric-names.ts';
import { ATTENTION_SWEEPER, INGEST_SPILL_DRAIN } from '#shared/resources/definitions.ts';
import { ALARM_THRESHOLDS } from '../alarm-thresholds.ts';

/** Where webhook requests arrive, which decides where their request and error counts come from. */
export type WebhookIngress =
  /** The HTTP API stage the webhooks are served from. */
  | { readonly kind: 'http-api'; readonly stage: apigwv2.IHttpStage }
  /** Webhook functions each behind its own function URL (at most 5, a CloudWatch alarm limit). */
  | { readonly kind: 'function-urls'; readonly functions: readonly lambda.IFunction[] };

/** CloudWatch alarms accept at most 10 metrics; a function-URL rate alarm needs two per function. */
const MAX_FUNCTION_URL_WEBHOOKS = 5;

export interface MonitoringProps {
  /**
   * Queues whose every message is a failure to look at (dead-letter and failed-event queues), each
   * with the command that puts its messages back once the cause is fixed (said in its alarm).
   */
  readonly deadLetterQueues: ReadonlyArray<{
    readonly name: string;
    readonly queue: sqs.IQueue;
    readonly redrive: string;
  }>;
  readonly webhookIngress: WebhookIngress;
  /** The queue whose backlog age shows the recorder falling behind. */
  readonly ingestQueue: sqs.IQueue;
  readonly recorderFunction: lambda.IFunction;
  /** The helpdesk's commands: an old one is a customer waiting for an answer. */
  readonly outboxQueue: sqs.IQueue;
  readonly senderFunction: lambda.IFunction;
  /**
   * The log groups of the functions that read the pseudonym key (the sender, the recorder, the
   * helpdesk API): a key the table's check item refuses is counted from their fixed error line.
   */
  readonly pseudonymKeyReaders: ReadonlyArray<{ readonly name: string; readonly logGroup: logs.ILogGroup }>;
  /**
   * The attention sweeper: its overdue gauge, its failures (snoozes that do not wake), and its
   * invocations (a sweeper that stopped running).
   */
  readonly attentionSweeperFunction: lambda.IFunction;
  /**
   * How often the sweeper's schedule rule invokes it (AttentionSweeper.interval): the window of
   * `AttentionSweeperNotRunning` is three periods of at least this, and at least five minutes.
   * @default Duration.minutes(ATTENTION_SWEEPER.intervalMinutes) (one minute)
   */
  readonly attentionSweepInterval?: Duration;
  /**
   * The spill drain (IngestSpill): the age of the oldest event a webhook kept when SQS refused it,
   * its failures, and its invocations (a drain that stopped running).
   */
  readonly ingestSpillDrainFunction: lambda.IFunction;
  /**
   * How often the drain's schedule rule invokes it (IngestSpill.interval): the window of
   * `SpillDrainNotRunning` is three periods of at least this, and at least five minutes.
   * @default Duration.minutes(INGEST_SPILL_DRAIN.intervalMinutes) (one minute)
   */
  readonly ingestSpillInterval?: Duration;
  /**
   * `SpillAge`: a spill object older than this.
   * @default Duration.seconds(ALARM_THRESHOLDS.maxSpillAgeSeconds) (5 minutes)
   */
  readonly maxSpillAge?: Duration;
  /**
   * The helpdesk's event stream: an old event is one the helpdesk consumer has not read (the queue
   * drops it after 14 days, unseen).
   */
  readonly helpdeskQueue: sqs.IQueue;
  /** Attachments waiting to be copied into the payload bucket, and the function that copies them. */
  readonly mediaQueue: sqs.IQueue;
  readonly mediaFetcherFunction: lambda.IFunction;
  /**
   * The helpdesk API's stage, when the helpdesk API is deployed: its 5xx rate.
   * @default none (no helpdesk API alarm)
   */
  readonly helpdeskApiStage?: apigwv2.IHttpStage;
  /**
   * The SES configuration set every SES send of the hub goes through (Sender.configurationSet, with
   * reputation metrics on), when the hub sends e-mail with SES: its bounce and complaint rates.
   * @default none (no SES reputation alarms)
   */
  readonly sesConfigurationSet?: ses.IConfigurationSet;
  /**
   * Alarm when the oldest helpdesk event is older than this: the helpdesk consumer is not reading.
   * @default ALARM_THRESHOLDS.maxHelpdeskAgeSeconds (one hour)
   */
  readonly maxHelpdeskAge?: Duration;
  /**
   * Alarm when the oldest media job is older than this: attachments reach the helpdesk late.
   * @default ALARM_THRESHOLDS.maxMediaAgeSeconds (15 minutes)
   */
  readonly maxMediaAge?: Duration;
  /**
   * Alarm when more than this percentage of helpdesk API requests get a 5xx in five minutes.
   * @default ALARM_THRESHOLDS.helpdeskApi5xxRatePercent (1)
   */
  readonly helpdeskApiServerErrorRatePercent?: number;
  /**
   * Alarm when more than this many conversations have waited past their channel's response target
   * at every sweep for 15 minutes. Raise it to the backlog your helpdesk considers normal.
   * @default ALARM_THRESHOLDS.maxOverdueConversations (0)
   */
  readonly maxOverdueConversations?: number;
  /**
   * Alarm when the oldest outbox command is older than this (`OutboxBacklogAge`), or the sender
   * takes one older than this (`OutboxCommandAge`).
   * @default ALARM_THRESHOLDS.maxOutboxAgeSeconds (two minutes)
   */
  readonly maxOutboxAge?: Duration;
  /**
   * Address subscribed to the alarm topic.
   * @default none
   */
  readonly alarmEmail?: string;
  /**
   * Alarm when more than this percentage of webhook requests get a 4xx (bad signatures, a wrong
   * verify token or secret) over three five-minute periods.
   * @default ALARM_THRESHOLDS.webhook4xxRatePercent (10)
   */
  readonly clientErrorRatePercent?: number;
  /**
   * Alarm when more than this percentage of webhook requests get a 5xx in five minutes.
   * @default ALARM_THRESHOLDS.webhook5xxRatePercent (1)
   */
  readonly serverErrorRatePercent?: number;
  /**
   * Alarm when the oldest ingest message is older than this (`IngestBacklogAge`), or the recorder
   * takes one older than this (`IngestRecordAge`).
   * @default ALARM_THRESHOLDS.maxIngestAgeSeconds (five minutes)
   */
  readonly maxIngestAge?: Duration;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The namespace the hub's functions write their metrics to (SWITCHBOARD_METRICS_NAMESPACE), and
   * the pseudonym-key metric filters count into: the alarms watch it.
   * @default METRICS_NAMESPACE
   */
  readonly metricsNamespace?: string;
}

/**
 * One series adding up a metric of several functions; SUM over the array still adds when a quiet
 * function reports nothing. `idPrefix` keeps metric ids apart when two sums meet in one alarm.
 */
const sumOver = (
  idPrefix: string,
  functions: readonly lambda.IFunction[],
  metricOf: (fn: lambda.IFunction) => cloudwatch.IMetric,
  label: string,
  period: Duration,
): cloudwatch.MathExpression => {
  const ids = functions.map((_fn, index) => `${idPrefix}${index}`);
  return new cloudwatch.MathExpression({
    expression: `SUM([${ids.join(', ')}])`,
    usingMetrics: Object.fromEntries(functions.map((fn, index) => [ids[index], metricOf(fn)])),
    label,
    period,
  });
};

/** A percentage of requests, 0 when there were none (a quiet API is no error). */
const errorRate = (
  errors: cloudwatch.IMetric,
  requests: cloudwatch.IMetric,
  label: string,
  period: Duration,
): cloudwatch.MathExpression =>
  new cloudwatch.MathExpression({
    expression: 'IF(requests > 0, 100 * errors / requests, 0)',
    usingMetrics: { errors, requests },
    label,
    period,
  });

interface WebhookCounts {
  readonly requests: cloudwatch.IMetric;
  readonly clientErrors: cloudwatch.IMetric;
  readonly serverErrors: cloudwatch.IMetric;
}

const SUM = cloudwatch.Stats.SUM;

/**
 * Request and error counts of all webhooks together. Function URLs publish UrlRequestCount,
 * Url4xxCount and Url5xxCount per function (AWS/Lambda, FunctionName); 5xx there include function
 * errors, timeouts and the 503 the webhooks answer when a dependency is down, so the same rate
 * alarms hold in both modes.
 */
const webhookCounts = (ingress: WebhookIngress, period: Duration): WebhookCounts => {
  if (ingress.kind === 'http-api') {
    return {
      requests: ingress.stage.metricCount({ period, statistic: SUM }),
      clientErrors: ingress.stage.metricClientError({ period, statistic: SUM }),
      serverErrors: ingress.stage.metricServerError({ period, statistic: SUM }),
    };
  }
  const total = (idPrefix: string, metricName: string, label: string) =>
    sumOver(
      idPrefix,
      ingress.functions,
      (fn) => fn.metric(metricName, { period, statistic: SUM }),
      label,
      period,
    );
  return {
    requests: total('requests', 'UrlRequestCount', 'webhook requests'),
    clientErrors: total('clientErrors', 'Url4xxCount', 'webhook 4xx'),
    serverErrors: total('serverErrors', 'Url5xxCount', 'webhook 5xx'),
  };
};

/**
 * Alarms for what needs a person, published to one encrypted SNS topic: any dead-letter message,
 * webhook 4xx and 5xx rates (from the HTTP API stage or the function URLs), webhook throttles
 * when function URLs leave reserved concurrency as the only brake, the age of ingest messages and
 * outbox commands (the queues' own metric, and the age their consumers count at every receive),
 * recorder errors and throttles, sender failures, refused credentials and paused endpoints, a
 * refused pseudonym key, overdue conversations and a failing or stopped attention sweeper, helpdesk
 * events nobody reads, media jobs getting old, media fetcher errors and credentials refused to it,
 * the helpdesk API's 5xx rate when it is deployed, and the SES bounce and complaint rates of the
 * hub's mail when it sends with SES.
 */
export class Monitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly topicKey: kms.Key;
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.metricsNamespace = props.metricsNamespace ?? METRICS_NAMESPACE;

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
        // Only this account's alarms: CloudWatch acting for anyone else is not let in.
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Switchboard alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy, which replaces SNS's default one: without this allow nothing
    // lets CloudWatch publish, and every alarm's action fails ("not authorized to perform: SNS:Publish").
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    for (const { name, queue, redrive } of props.deadLetterQueues) {
      this.add(`${name}NotEmpty`, {
        alarmDescription: `${name}: messages failed every retry and wait for a person, 14 days at most: inspect them, fix the cause, then run ${redrive}.`,
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
    this.addWebhookAlarms(props, period);
    const maxIngestAge = props.maxIngestAge ?? Duration.seconds(ALARM_THRESHOLDS.maxIngestAgeSeconds);
    this.addQueueAgeAlarm('IngestBacklogAge', {
      alarmDescription:
        'The recorder is falling behind or not running: the oldest ingest message is getting old (SQS leaves out of this age a message received three times or more without being deleted: IngestRecordAge counts those).',
      queue: props.ingestQueue,
      maxAge: maxIngestAge,
    });
    this.addRecordAgeAlarm('IngestRecordAge', {
      alarmDescription:
        'The recorder took an ingest message older than the threshold: messages wait behind one that keeps failing, or the recorder is behind. Counted by the recorder at every receive from the message’s SentTimestamp, so a message received again and again still counts.',
      service: METRIC_SERVICES.recorder,
      metricName: RECORDER_METRICS.oldestRecordAge,
      maxAge: maxIngestAge,
    });
    // Per-message failures never raise Lambda's Errors: the recorder counts them (embedded metric format).
    this.addFailureAlarm('RecorderErrors', {
      alarmDescription:
        'The recorder failed messages (reported per message, or the whole batch threw); they are retried, then dead-lettered.',
      label: 'recorder failures',
      service: METRIC_SERVICES.recorder,
      metricName: RECORDER_METRICS.recordFailures,
      fn: props.recorderFunction,
      period,
    });
    this.addSenderAlarms(props, period);
    this.addPseudonymKeyAlarm(props, period);
    this.addAttentionAlarms(props, period);
    this.addSpillAlarms(props, period);
    this.addHelpdeskAlarms(props, period);
    this.addMediaAlarms(props, period);
    this.addSesReputationAlarms(props);
    this.add('RecorderThrottles', {
      alarmDescription: 'The recorder is throttled (account or reserved concurrency).',
      metric: props.recorderFunction.metricThrottles({ period, statistic: SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /** Customers waiting: old commands, commands failing unexpectedly, credentials the provider refused. */
  /**
   * A metric the hub's functions write (CloudWatch embedded metric format) in this deployment's
   * namespace: by its `service` dimension (and any others) when given, summed unless told otherwise.
   */
  private hubMetric(
    metricName: string,
    options: {
      readonly period: Duration;
      readonly service?: string;
      readonly dimensions?: Record<string, string>;
      readonly statistic?: string;
    },
  ): cloudwatch.Metric {
    const dimensionsMap = {
      ...(options.service !== undefined ? { service: options.service } : {}),
      ...options.dimensions,
    };
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName,
      ...(Object.keys(dimensionsMap).length > 0 ? { dimensionsMap } : {}),
      period: options.period,
      statistic: options.statistic ?? SUM,
    });
  }

  private addSenderAlarms(props: MonitoringProps, period: Duration): void {
    const senderMetric = (metricName: string, dimensions: Record<string, string> = {}) =>
      this.hubMetric(metricName, { period, service: METRIC_SERVICES.sender, dimensions });
    const maxOutboxAge = props.maxOutboxAge ?? Duration.seconds(ALARM_THRESHOLDS.maxOutboxAgeSeconds);
    this.addQueueAgeAlarm('OutboxBacklogAge', {
      alarmDescription:
        'Helpdesk replies are waiting: the oldest outbox command is getting old (the sender not running, or not keeping up). SQS leaves out of this age a command received three times or more without being deleted, such as one backing off from a throttling or silent provider: OutboxCommandAge counts those.',
      queue: props.outboxQueue,
      maxAge: maxOutboxAge,
      evaluationPeriods: 3,
    });
    this.addRecordAgeAlarm('OutboxCommandAge', {
      alarmDescription:
        'A helpdesk reply has waited longer than the threshold: the sender took an outbox command that old (a provider throttling or silent, the sender failing, or the commands of its conversation behind one). Counted by the sender at every receive from the command’s SentTimestamp, so a reply backing off again and again still counts.',
      service: METRIC_SERVICES.sender,
      metricName: SENDER_METRICS.oldestRecordAge,
      maxAge: maxOutboxAge,
    });
    this.addFailureAlarm('SenderErrors', {
      alarmDescription:
        'The sender left commands for redelivery because something failed, not a wait for a provider: a DynamoDB, helpdesk-queue or Secrets Manager call of its own (also DynamoDB refusing the bookkeeping of a provider answer; an endpoint pause so refused is held in one environment’s memory until written, its command ended), or a bug; they are retried, then dead-lettered.',
      label: 'sender failures',
      service: METRIC_SERVICES.sender,
      metricName: SENDER_METRICS.commandErrors,
      fn: props.senderFunction,
      period,
    });
    this.add('SendCredentialsRefused', {
      alarmDescription:
        'A provider refused the hub’s sending credentials (expired or revoked token), or the channel secret lacks them, or it refused the business account (WhatsApp: locked, number not registered, payment method; see the failure’s error code): replies fail until a person fixes it.',
      metric: senderMetric(SENDER_METRICS.sendFailed, { reason: SEND_FAILURE_NEEDING_A_PERSON }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.add('SendEndpointPaused', {
      alarmDescription:
        'The sender paused a business endpoint: its provider refused the credentials or the business account (WhatsApp: locked, number not registered). Its replies fail at once (credentials, retryable) until a person fixes it; the pause lasts five minutes, then the next command tries again.',
      metric: senderMetric(SENDER_METRICS.endpointPaused),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /**
   * A pseudonym key the table's check item refused (shared/store/pseudonym-key-check.ts): counted by
   * a metric filter on each reader's log group, from the one error line they log (the helpdesk API
   * emits no metrics of its own), into one metric without dimensions.
   */
  private addPseudonymKeyAlarm(props: MonitoringProps, period: Duration): void {
    for (const { name, logGroup } of props.pseudonymKeyReaders)
      new logs.MetricFilter(this, `${name}PseudonymKeyMismatches`, {
        logGroup,
        metricNamespace: this.metricsNamespace,
        metricName: PSEUDONYM_KEY_MISMATCH.metricName,
        filterPattern: logs.FilterPattern.all(
          logs.FilterPattern.stringValue('$.level', '=', 'error'),
          logs.FilterPattern.stringValue('$.message', '=', PSEUDONYM_KEY_MISMATCH.logMessage),
        ),
        metricValue: '1',
      });
    if (props.pseudonymKeyReaders.length === 0) return;
    this.add('PseudonymKeyMismatch', {
      alarmDescription:
        'A function read a pseudonym key that does not match the check item in the table (the secret was replaced or regenerated): sends whose consent matters (SMS, e-mail replies, WhatsApp templates that may be marketing), consent events other than STOPs, erasures and rekey-opt-outs fail until the secret holds the key the kept opt-outs are filed under again (README: Kept opt-outs and the pseudonym key).',
      metric: this.hubMetric(PSEUDONYM_KEY_MISMATCH.metricName, { period }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /**
   * Customers waiting past their target (the sweeper's gauge), a sweeper that keeps failing, and one
   * that stopped running.
   */
  private addAttentionAlarms(props: MonitoringProps, period: Duration): void {
    this.add('ConversationsOverdue', {
      alarmDescription:
        "Customers have waited past their channel's response target, with no answer, for 15 minutes (switchboard.conversation.response_overdue went to the helpdesk for each).",
      metric: this.hubMetric(ATTENTION_METRICS.conversationsOverdue, {
        period,
        service: METRIC_SERVICES.attentionSweeper,
        statistic: cloudwatch.Stats.MINIMUM,
      }),
      threshold: props.maxOverdueConversations ?? ALARM_THRESHOLDS.maxOverdueConversations,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.add('AttentionSweeperErrors', {
      alarmDescription:
        'The attention sweeper keeps failing: snoozes may not wake and overdue answers may go unreported until it recovers.',
      metric: props.attentionSweeperFunction.metricErrors({ period, statistic: SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    // A sweep that never starts raises neither alarm above: a throttled invocation (the account's
    // concurrency used up; the sweeper has none reserved) waits in Lambda's queue for the event's
    // maximum age, two minutes, and is dropped, not retried; a rule that cannot invoke the function
    // (disabled, its permission gone) counts FailedInvocations on the rule alone. Neither counts an
    // Errors or writes the gauge, and both alarms read missing data as fine. Lambda counts
    // Invocations only for a sweep that ran, so none in three periods, each at least one interval
    // long, is a sweeper that stopped, whatever the cause: missing data is what this alarm is for.
    // No alarm of its own on the rule's FailedInvocations: a rule that keeps failing leaves no
    // invocation, which this alarm catches, and a single failed or dropped sweep is made up by the
    // next one (its work is all conditional and picked up where it is due).
    const interval = props.attentionSweepInterval ?? Duration.minutes(ATTENTION_SWEEPER.intervalMinutes);
    this.addNotRunningAlarm(
      'AttentionSweeperNotRunning',
      props.attentionSweeperFunction,
      interval,
      period,
      (minutes) =>
        `The attention sweeper has not run for ${minutes} minutes (scheduled every ${interval.toHumanString()}): snoozes do not wake, overdue answers are not reported, announcements that could not be queued stay unpublished and erased people's provider redactions are not retried, and no other alarm says so. Check the sweeper function's Throttles (the account's concurrency used up: the sweeper has none reserved, and a throttled sweep is dropped after two minutes), the schedule rule (enabled, its FailedInvocations) and the function's permission for events.amazonaws.com.`,
    );
  }

  /**
   * A spill object the drain keeps failing to queue (the gauge of the oldest one's age: each minute's
   * maximum, so one run is enough), a drain that keeps failing, and one that stopped running (its
   * gauge then stops too, and missing data reads as fine).
   */
  private addSpillAlarms(props: MonitoringProps, period: Duration): void {
    const maxAge = props.maxSpillAge ?? Duration.seconds(ALARM_THRESHOLDS.maxSpillAgeSeconds);
    this.add('SpillAge', {
      alarmDescription: `Events a webhook accepted while SQS refused them (kept under spill/ in the payload bucket) have waited more than ${maxAge.toHumanString()} for the spill drain to queue them: SQS still refuses, or the drain cannot read the objects. They are not lost while they wait; see the drain's log (spill object left for the next run).`,
      metric: this.hubMetric(SPILL_METRICS.oldestSpillAge, {
        period: Duration.minutes(1),
        service: METRIC_SERVICES.ingestSpillDrain,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: maxAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.add('SpillDrainErrors', {
      alarmDescription:
        'The spill drain keeps failing: events webhooks kept when SQS refused them are not queued until it recovers.',
      metric: props.ingestSpillDrainFunction.metricErrors({ period, statistic: SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    });
    // As for the sweeper: a drain that never starts writes no gauge and counts no Errors.
    const interval = props.ingestSpillInterval ?? Duration.minutes(INGEST_SPILL_DRAIN.intervalMinutes);
    this.addNotRunningAlarm(
      'SpillDrainNotRunning',
      props.ingestSpillDrainFunction,
      interval,
      period,
      (minutes) =>
        `The spill drain has not run for ${minutes} minutes (scheduled every ${interval.toHumanString()}): events a webhook kept when SQS refused them would wait unqueued. Check the drain function's Throttles, the schedule rule (enabled, its FailedInvocations) and the function's permission for events.amazonaws.com.`,
    );
  }

  /**
   * A helpdesk consumer that stopped reading: its events wait on the queue, then expire after 14
   * days, and nothing else tells. With the helpdesk API deployed, also its 5xx rate.
   */
  private addHelpdeskAlarms(props: MonitoringProps, period: Duration): void {
    this.addQueueAgeAlarm('HelpdeskBacklogAge', {
      alarmDescription:
        'The helpdesk is not reading its events: the oldest message on the helpdesk queue is getting old (the consumer stopped, or cannot keep up). The queue drops an event after 14 days, unseen.',
      queue: props.helpdeskQueue,
      maxAge: props.maxHelpdeskAge ?? Duration.seconds(ALARM_THRESHOLDS.maxHelpdeskAgeSeconds),
    });
    const stage = props.helpdeskApiStage;
    if (stage === undefined) return;
    this.add('HelpdeskApi5xxRate', {
      alarmDescription:
        'Helpdesk API requests fail with 5xx: agents see errors (reads, sends, erasures). Check the helpdesk API function logs.',
      metric: errorRate(
        stage.metricServerError({ period, statistic: SUM }),
        stage.metricCount({ period, statistic: SUM }),
        'helpdesk API 5xx rate (%)',
        period,
      ),
      threshold: props.helpdeskApiServerErrorRatePercent ?? ALARM_THRESHOLDS.helpdeskApi5xxRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /** Attachments waiting: media jobs getting old, a media fetcher that fails, credentials it is refused. */
  private addMediaAlarms(props: MonitoringProps, period: Duration): void {
    this.addQueueAgeAlarm('MediaBacklogAge', {
      alarmDescription:
        'Attachments are waiting: the oldest media job is getting old (the media fetcher not running, or not keeping up); customers’ files reach the helpdesk late. SQS leaves out of this age a job received three times or more without being deleted (one backing off from a provider).',
      queue: props.mediaQueue,
      maxAge: props.maxMediaAge ?? Duration.seconds(ALARM_THRESHOLDS.maxMediaAgeSeconds),
    });
    // A job failed in the batch never raises Lambda's Errors: the fetcher counts it (embedded metric format).
    this.addFailureAlarm('MediaFetcherErrors', {
      alarmDescription:
        'The media fetcher failed jobs unexpectedly (a DynamoDB, S3 or SQS error, a job it cannot read, a bug: not a provider it backs off from), or crashed, timed out or ran out of memory: each job comes back after the visibility timeout, and ends media_failed at its 20th receive. Check the media fetcher logs ("media job failed").',
      label: 'media fetcher failures',
      service: METRIC_SERVICES.mediaFetcher,
      metricName: MEDIA_METRICS.jobErrors,
      fn: props.mediaFetcherFunction,
      period,
    });
    // Counted at each refused download: the part is retried, so no media_failed tells it for a while.
    this.add('MediaCredentialsRefused', {
      alarmDescription:
        'A provider refused the hub’s credentials for an attachment download (WhatsApp: an expired or revoked access token, Graph 401 or code 190; Twilio: 401 to the account’s login, rotated but not in the channel secret). Each attachment is retried for about 15 minutes, then ends media_failed (forbidden): fix that provider’s channel secret. Also counted: a channel secret with no credentials for the download (no WhatsApp token for the number, no Twilio login), which ends the attachment forbidden at once. The media fetcher logs each with its provider ("<provider> credentials refused", "<provider> credentials missing").',
      metric: this.hubMetric(MEDIA_METRICS.credentialsRefused, {
        period,
        service: METRIC_SERVICES.mediaFetcher,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /**
   * The bounce and complaint rates of the hub's SES mail, at the levels at which SES puts an account
   * under review (ALARM_THRESHOLDS): none without SES sending. With reputation metrics on, SES
   * publishes `Reputation.BounceRate` and `Reputation.ComplaintRate` (AWS/SES, fractions from 0 to 1)
   * for the configuration set, by its name in the `ses:configuration-set` dimension, beside the
   * account's (no dimension), which counts every sender of the account in the region and is shared
   * by two hubs in one: these watch the hub's own mail. Each is a rate SES keeps over recent mail,
   * not a count, so one datapoint at the level in an hour fires it; none (no bounce or complaint
   * yet, no mail) is fine.
   */
  private addSesReputationAlarms(props: MonitoringProps): void {
    const configurationSet = props.sesConfigurationSet;
    if (configurationSet === undefined) return;
    const reputation = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName,
        dimensionsMap: { 'ses:configuration-set': configurationSet.configurationSetName },
        period: Duration.hours(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      });
    this.add('SesBounceRate', {
      alarmDescription:
        'The bounce rate of the hub’s SES mail (its configuration set’s Reputation.BounceRate) reached 5 %, the rate at which SES puts an account under review; at 10 % SES may pause the account’s sending, and the hub’s SES sends fail. Replies are going to addresses that do not exist: find the sends that ended failed with an SES Bounce, and stop writing to those addresses. The SES console’s reputation metrics page shows the account’s own rate, which AWS judges.',
      metric: reputation('Reputation.BounceRate'),
      threshold: ALARM_THRESHOLDS.sesBounceRate,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    this.add('SesComplaintRate', {
      alarmDescription:
        'The complaint rate of the hub’s SES mail (its configuration set’s Reputation.ComplaintRate) reached 0.1 %, the rate at which SES puts an account under review; at 0.5 % SES may pause the account’s sending, and the hub’s SES sends fail. Recipients mark the hub’s mail as spam (a complaint already refuses replies to that customer until they write again): look at what is being sent, and to whom. The SES console’s reputation metrics page shows the account’s own rate, which AWS judges.',
      metric: reputation('Reputation.ComplaintRate'),
      threshold: ALARM_THRESHOLDS.sesComplaintRate,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /** Webhook 4xx and 5xx rates; with function URLs also throttles. None when no webhook is on. */
  private addWebhookAlarms(props: MonitoringProps, period: Duration): void {
    const { webhookIngress } = props;
    if (webhookIngress.kind === 'function-urls') {
      const count = webhookIngress.functions.length;
      if (count === 0) return;
      if (count > MAX_FUNCTION_URL_WEBHOOKS) {
        throw new Error(
          `Monitoring: at most ${MAX_FUNCTION_URL_WEBHOOKS} function-URL webhooks, got ${count}`,
        );
      }
    }
    const counts = webhookCounts(webhookIngress, period);

    this.add('Webhook4xxRate', {
      alarmDescription:
        'Many webhook requests are rejected (4xx): check the channel secret (app secret, verify token, auth token, signing key) and the URL registered with the provider (Twilio signs it).',
      metric: errorRate(counts.clientErrors, counts.requests, '4xx rate (%)', period),
      threshold: props.clientErrorRatePercent ?? ALARM_THRESHOLDS.webhook4xxRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.add('Webhook5xxRate', {
      alarmDescription: 'Webhooks fail with 5xx: providers will retry, then drop. Check the function logs.',
      metric: errorRate(counts.serverErrors, counts.requests, '5xx rate (%)', period),
      threshold: props.serverErrorRatePercent ?? ALARM_THRESHOLDS.webhook5xxRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    if (webhookIngress.kind === 'function-urls') {
      // Without stage throttling, reserved concurrency is the brake; a throttled webhook answers
      // 429 and the provider retries, or gives up.
      this.add('WebhookThrottles', {
        alarmDescription:
          'Webhook functions are throttled (account or reserved concurrency): providers get 429 and retry, then drop.',
        metric: sumOver(
          'throttles',
          webhookIngress.functions,
          (fn) => fn.metricThrottles({ period, statistic: SUM }),
          'webhook throttles',
          period,
        ),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
  }

  /**
   * The age of the oldest message a consumer took, as the consumer counts it per invocation (from
   * SentTimestamp, shared/observability/record-age.ts), beside the queue's own age metric, which
   * leaves out a message received three times or more without being deleted (AWS: Available CloudWatch
   * metrics for Amazon SQS). Any minute over the threshold raises it: each datapoint is a message
   * that did wait that long. It stays raised while one does in five minutes (a backing-off command
   * comes back within about five), and says nothing while nothing is received, which the queue's
   * own alarm covers.
   */
  /**
   * The age of a queue's oldest message (SQS's own metric, which leaves out one received three times
   * or more): over `maxAge` in 3 of `evaluationPeriods` minutes.
   */
  private addQueueAgeAlarm(
    id: string,
    alarm: {
      readonly alarmDescription: string;
      readonly queue: sqs.IQueue;
      readonly maxAge: Duration;
      /** @default 5 */
      readonly evaluationPeriods?: number;
    },
  ): void {
    this.add(id, {
      alarmDescription: alarm.alarmDescription,
      metric: alarm.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: alarm.maxAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: alarm.evaluationPeriods ?? 5,
      datapointsToAlarm: 3,
    });
  }

  /**
   * An alarm on a function's failures: the count it writes itself (what it reports failed in its
   * batch, which never raises Lambda's Errors) plus Lambda's Errors (a crash, a timeout), either
   * missing in a period read as 0; any failure in a period fires it.
   */
  private addFailureAlarm(
    id: string,
    options: {
      readonly alarmDescription: string;
      readonly label: string;
      readonly service: string;
      readonly metricName: string;
      readonly fn: lambda.IFunction;
      readonly period: Duration;
    },
  ): void {
    const { period } = options;
    this.add(id, {
      alarmDescription: options.alarmDescription,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failures, 0) + FILL(errors, 0)',
        label: options.label,
        period,
        usingMetrics: {
          failures: this.hubMetric(options.metricName, { period, service: options.service }),
          errors: options.fn.metricErrors({ period, statistic: SUM }),
        },
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  private addRecordAgeAlarm(
    id: string,
    alarm: {
      readonly alarmDescription: string;
      readonly service: string;
      readonly metricName: string;
      readonly maxAge: Duration;
    },
  ): void {
    this.add(id, {
      alarmDescription: alarm.alarmDescription,
      metric: this.hubMetric(alarm.metricName, {
        period: Duration.minutes(1),
        service: alarm.service,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: alarm.maxAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 1,
    });
  }

  /**
   * A scheduled function that stopped running: no invocation in three periods, each at least one
   * interval long. Missing data is what this alarm is for (a sweep that never starts counts no
   * Errors and writes no gauge), so it reads as breaching.
   */
  private addNotRunningAlarm(
    id: string,
    fn: lambda.IFunction,
    interval: Duration,
    period: Duration,
    describe: (minutes: number) => string,
  ): void {
    const heartbeatPeriod = Duration.minutes(
      Math.max(period.toMinutes(), Math.ceil(interval.toSeconds() / 60)),
    );
    this.add(id, {
      alarmDescription: describe(heartbeatPeriod.toMinutes() * 3),
      metric: fn.metricInvocations({ period: heartbeatPeriod, statistic: SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
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

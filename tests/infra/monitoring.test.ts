import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { Monitoring } from '#infra/constructs/monitoring.ts';
import { ALL_CHANNELS_CONTEXT, apiOf, buildHub, logicalId } from './support.ts';

// Prepare (once per file)
const { stack, template } = buildHub({ ...ALL_CHANNELS_CONTEXT, alarmEmail: 'ops@example.com' });
const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
const topicRef = { Ref: logicalId(stack.monitoring.topic) };
const alarmNamed = (constructId: string) => {
  const alarm = stack.monitoring.alarms.find((candidate) => candidate.node.id === constructId);
  return alarm ? template.findResources('AWS::CloudWatch::Alarm')[logicalId(alarm)] : undefined;
};
const alarmOn = (metricName: string, queueOrFunctionId: string) =>
  alarms.find(
    (alarm) =>
      alarm.Properties.MetricName === metricName &&
      JSON.stringify(alarm.Properties.Dimensions).includes(queueOrFunctionId),
  );

describe('Monitoring', () => {
  it('publishes to an SNS topic encrypted with a rotated key that CloudWatch may use, TLS only', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.monitoring.topicKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          // The topic policy replaces SNS's default one: without this allow no alarm could publish.
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: Match.anyValue(), ArnLike: Match.anyValue() }),
          }),
        ]),
      },
    });
  });

  it('subscribes the configured address', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: topicRef,
    });
  });

  it.each([
    ['ingest DLQ', () => stack.storage.ingest.deadLetterQueue],
    ['helpdesk DLQ', () => stack.storage.helpdesk.deadLetterQueue],
    ['SES failed events', () => stack.emailIntake?.failedEvents ?? stack],
  ])('alarms as soon as the %s holds a message', (_name, queue) => {
    // Act
    const alarm = alarmOn('ApproximateNumberOfMessagesVisible', logicalId(queue()));
    // Assess
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      AlarmActions: [topicRef],
    });
  });

  it('alarms on the age of the oldest ingest message', () => {
    // Act
    const alarm = alarmOn('ApproximateAgeOfOldestMessage', logicalId(stack.storage.ingest.queue));
    // Assess
    expect(alarm?.Properties).toMatchObject({ Threshold: 300, AlarmActions: [topicRef] });
  });

  it("keeps an alarm on the outbox queue's own age, which covers a sender that reads nothing", () => {
    // Act
    const alarm = alarmOn('ApproximateAgeOfOldestMessage', logicalId(stack.storage.outbox.queue));
    // Assess
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 120,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      AlarmActions: [topicRef],
    });
  });

  it.each([
    ['IngestRecordAge', 'recorder', 300],
    ['OutboxCommandAge', 'sender', 120],
  ])(
    '%s alarms on the age the %s counts at every receive (SQS leaves out a message received three times), any minute of five',
    (alarmId, service, threshold) => {
      // Act
      const alarm = alarmNamed(alarmId);
      // Assess
      expect(alarm?.Properties).toMatchObject({
        Namespace: 'Switchboard',
        MetricName: 'OldestRecordAge',
        Dimensions: [{ Name: 'service', Value: service }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 5,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef],
      });
    },
  );

  // A record a batch reports failed never raises Lambda's Errors: each function counts its own.
  it.each([
    ['RecorderErrors', 'RecordFailures', 'recorder', () => stack.recorder.function],
    ['SenderErrors', 'CommandErrors', 'sender', () => stack.sender.function],
    ['MediaFetcherErrors', 'MediaJobErrors', 'media-fetcher', () => stack.mediaFetcher.function],
  ])(
    '%s adds the failures the function counts (%s) to its Lambda Errors, either missing as 0',
    (alarmId, counted, service, fn) => {
      // Act
      const alarm = alarmNamed(alarmId);
      const metrics = alarm?.Properties.Metrics as Array<{
        Expression?: string;
        MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown }; Stat: string };
      }>;
      const metricNamed = (name: string) =>
        metrics.find((metric) => metric.MetricStat?.Metric.MetricName === name)?.MetricStat;
      // Assess
      expect(alarm?.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        AlarmActions: [topicRef],
      });
      expect(metrics.find((metric) => metric.Expression)?.Expression).toBe(
        'FILL(failures, 0) + FILL(errors, 0)',
      );
      expect(
        metrics
          .map((metric) => metric.MetricStat?.Metric.MetricName)
          .filter(Boolean)
          .sort(),
      ).toEqual(['Errors', counted].sort());
      expect(metricNamed(counted)).toMatchObject({
        Metric: { Namespace: 'Switchboard', Dimensions: [{ Name: 'service', Value: service }] },
        Stat: 'Sum',
      });
      expect(metricNamed('Errors')).toMatchObject({
        Metric: {
          Namespace: 'AWS/Lambda',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn()) } }],
        },
        Stat: 'Sum',
      });
    },
  );

  it('lets CloudWatch use the alarm topic key only for this account', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });

  it.each(['Throttles'])('alarms on recorder %s', (metricName) => {
    // Act
    const alarm = alarmOn(metricName, logicalId(stack.recorder.function));
    // Assess
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topicRef],
    });
  });

  it.each([
    ['4xx', 10],
    ['5xx', 1],
  ])('alarms on the webhook %s rate of the HTTP API stage', (metricName, threshold) => {
    // Act
    const alarm = alarms.find((candidate) =>
      (
        candidate.Properties.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string } } }> | undefined
      )?.some((metric) => metric.MetricStat?.Metric.MetricName === metricName),
    );
    const metrics = alarm?.Properties.Metrics as Array<Record<string, unknown>>;
    // Assess
    expect(alarm?.Properties).toMatchObject({ Threshold: threshold, AlarmActions: [topicRef] });
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe(
      'IF(requests > 0, 100 * errors / requests, 0)',
    );
    expect(JSON.stringify(metrics)).toContain('"Name":"Stage","Value":"$default"');
    expect(JSON.stringify(metrics)).toContain(logicalId(apiOf(stack).httpApi));
  });

  it("alarms when customers have waited past their target at every sweep for 15 minutes (the sweeper's gauge)", () => {
    // Act
    const alarm = alarms.find((candidate) => candidate.Properties.MetricName === 'ConversationsOverdue');
    // Assess
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'Switchboard',
      Dimensions: [{ Name: 'service', Value: 'attention-sweeper' }],
      Statistic: 'Minimum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      AlarmActions: [topicRef],
    });
  });

  it('takes the overdue threshold from the construct prop', () => {
    // Prepare
    const built = buildHub();
    const monitoring = new Monitoring(built.stack, 'Overdue50', {
      deadLetterQueues: [],
      webhookIngress: { kind: 'http-api', stage: apiOf(built.stack).stage },
      ingestQueue: built.stack.storage.ingest.queue,
      recorderFunction: built.stack.recorder.function,
      outboxQueue: built.stack.storage.outbox.queue,
      senderFunction: built.stack.sender.function,
      pseudonymKeyReaders: [],
      attentionSweeperFunction: built.stack.attentionSweeper.function,
      helpdeskQueue: built.stack.storage.helpdesk.queue,
      mediaQueue: built.stack.storage.media.queue,
      mediaFetcherFunction: built.stack.mediaFetcher.function,
      ingestSpillDrainFunction: built.stack.ingestSpill.function,
      maxOverdueConversations: 50,
    });
    // Act
    const alarm = monitoring.alarms.find((candidate) => candidate.node.id === 'ConversationsOverdue');
    // Assess
    expect((alarm?.node.defaultChild as CfnAlarm | undefined)?.threshold).toBe(50);
  });

  it('takes every threshold from context', () => {
    // Prepare
    const built = buildHub({
      helpdeskApi: 'true',
      maxOverdueConversations: '20',
      maxIngestAgeSeconds: '600',
      maxOutboxAgeSeconds: '300',
      maxHelpdeskAgeSeconds: '7200',
      maxMediaAgeSeconds: '1800',
      webhook4xxRatePercent: '25',
      webhook5xxRatePercent: '2.5',
      helpdeskApi5xxRatePercent: '5',
    });
    // Act
    const thresholds = Object.fromEntries(
      built.stack.monitoring.alarms.map((alarm) => [
        alarm.node.id,
        (alarm.node.defaultChild as CfnAlarm | undefined)?.threshold,
      ]),
    );
    // Assess
    expect(thresholds).toMatchObject({
      ConversationsOverdue: 20,
      IngestBacklogAge: 600,
      IngestRecordAge: 600,
      OutboxBacklogAge: 300,
      OutboxCommandAge: 300,
      HelpdeskBacklogAge: 7_200,
      MediaBacklogAge: 1_800,
      Webhook4xxRate: 25,
      Webhook5xxRate: 2.5,
      HelpdeskApi5xxRate: 5,
    });
  });

  it('alarms when the attention sweeper keeps failing', () => {
    // Act
    const alarm = alarmOn('Errors', logicalId(stack.attentionSweeper.function));
    // Assess
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      Threshold: 0,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      AlarmActions: [topicRef],
    });
  });

  // Found by a review: a throttled sweep (dropped after its two-minute event age) or a rule that cannot
  // invoke the function raises no Errors and writes no gauge, and both alarms above read that as fine.
  it('alarms when the attention sweeper has not run for 15 minutes, missing invocations counting as an alarm', () => {
    // Act
    const alarm = alarmNamed('AttentionSweeperNotRunning');
    // Assess: the rule runs it every minute, so each five-minute period holds about five runs
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack.attentionSweeper.function) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [topicRef],
    });
    expect(alarm?.Properties.AlarmDescription).toContain('Throttles');
  });

  it("fits the attention sweeper's heartbeat window to a slower schedule: three periods of at least one interval", () => {
    // Prepare
    const built = buildHub();
    const monitoring = new Monitoring(built.stack, 'SweepEveryTenMinutes', {
      deadLetterQueues: [],
      webhookIngress: { kind: 'http-api', stage: apiOf(built.stack).stage },
      ingestQueue: built.stack.storage.ingest.queue,
      recorderFunction: built.stack.recorder.function,
      outboxQueue: built.stack.storage.outbox.queue,
      senderFunction: built.stack.sender.function,
      pseudonymKeyReaders: [],
      attentionSweeperFunction: built.stack.attentionSweeper.function,
      attentionSweepInterval: Duration.minutes(10),
      helpdeskQueue: built.stack.storage.helpdesk.queue,
      mediaQueue: built.stack.storage.media.queue,
      mediaFetcherFunction: built.stack.mediaFetcher.function,
      ingestSpillDrainFunction: built.stack.ingestSpill.function,
    });
    // Act
    const alarm = monitoring.alarms.find((candidate) => candidate.node.id === 'AttentionSweeperNotRunning');
    const cfnAlarm = alarm?.node.defaultChild as CfnAlarm | undefined;
    // Assess
    expect(built.stack.attentionSweeper.interval.toMinutes()).toBe(1);
    expect(cfnAlarm?.period).toBe(600);
    expect(cfnAlarm?.evaluationPeriods).toBe(3);
    expect(cfnAlarm?.alarmDescription).toContain('not run for 30 minutes');
  });

  it.each([
    ['helpdesk', () => stack.storage.helpdesk.queue, 3_600],
    ['media', () => stack.storage.media.queue, 900],
  ])('alarms on the age of the oldest %s queue message', (_name, queue, threshold) => {
    // Act
    const alarm = alarmOn('ApproximateAgeOfOldestMessage', logicalId(queue()));
    // Assess
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      AlarmActions: [topicRef],
    });
  });

  it('alarms as soon as a provider refuses the hub’s credentials for an attachment download', () => {
    // Act: the media fetcher counts each refusal (each is retried, so no media_failed tells it soon)
    const alarm = alarmNamed('MediaCredentialsRefused');
    // Assess
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'Switchboard',
      MetricName: 'MediaCredentialsRefused',
      Dimensions: [{ Name: 'service', Value: 'media-fetcher' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
    });
  });

  // Found by a review: the configuration set published its reputation metrics and no alarm read them.
  it.each([
    ['SesBounceRate', 'Reputation.BounceRate', 0.05],
    ['SesComplaintRate', 'Reputation.ComplaintRate', 0.001],
  ])(
    "%s alarms when the hub's SES configuration set's %s reaches the level at which SES puts an account under review",
    (alarmId, metricName, threshold) => {
      // Act
      const alarm = alarmNamed(alarmId);
      const configurationSet = stack.sender.configurationSet;
      // Assess: the configuration set's own metric (its name as dimension), not the account's
      expect(configurationSet).toBeDefined();
      expect(alarm?.Properties).toMatchObject({
        Namespace: 'AWS/SES',
        MetricName: metricName,
        Dimensions: [{ Name: 'ses:configuration-set', Value: { Ref: logicalId(configurationSet ?? stack) } }],
        Statistic: 'Maximum',
        Period: 3_600,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef],
      });
      template.hasResourceProperties('AWS::SES::ConfigurationSet', {
        ReputationOptions: { ReputationMetricsEnabled: true },
      });
    },
  );

  it('has no SES reputation alarm where the hub does not send with SES (e-mail through Mailgun)', () => {
    // Prepare
    const mailgunOnly = buildHub({ channels: 'email-mailgun' });
    // Act
    const alarmIds = mailgunOnly.stack.monitoring.alarms.map((alarm) => alarm.node.id);
    // Assess
    expect(mailgunOnly.stack.sender.configurationSet).toBeUndefined();
    expect(alarmIds.filter((id) => id.startsWith('Ses'))).toEqual([]);
    expect(alarmIds).toContain('SenderErrors');
  });

  it('alarms on the helpdesk API 5xx rate only when the helpdesk API is deployed', () => {
    // Prepare
    const withApi = buildHub({ helpdeskApi: 'true' });
    const apiId = withApi.stack.helpdeskApi && logicalId(withApi.stack.helpdeskApi.api.httpApi);
    // Act
    const alarm = withApi.stack.monitoring.alarms.find(
      (candidate) => candidate.node.id === 'HelpdeskApi5xxRate',
    );
    const properties =
      alarm && withApi.template.findResources('AWS::CloudWatch::Alarm')[logicalId(alarm)]?.Properties;
    const metrics = JSON.stringify(properties?.Metrics);
    // Assess
    expect(alarmNamed('HelpdeskApi5xxRate')).toBeUndefined();
    expect(properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      AlarmActions: [{ Ref: logicalId(withApi.stack.monitoring.topic) }],
    });
    expect(metrics).toContain('IF(requests > 0, 100 * errors / requests, 0)');
    expect(metrics).toContain('"MetricName":"5xx"');
    expect(metrics).toContain('"MetricName":"Count"');
    expect(apiId).toBeDefined();
    expect(metrics).toContain(`"Ref":"${apiId}"`);
  });

  it("sends every alarm to the topic and treats missing data as fine, but for the sweeper's and the spill drain's heartbeats", () => {
    // Act
    const heartbeats = [alarmNamed('AttentionSweeperNotRunning'), alarmNamed('SpillDrainNotRunning')];
    // Assess
    // 6 dead-letter and failed-event queues, 2 webhook rates, ingest ages (the queue's and the
    // recorder's), recorder errors and throttles, outbox ages (the queue's and the sender's), sender
    // errors, refused credentials, paused endpoints, a refused pseudonym key, overdue conversations,
    // attention sweeper errors and heartbeat, helpdesk and media queue ages, media fetcher errors,
    // refused media credentials, SES bounce and complaint rates, the spill's age, the spill drain's
    // errors and heartbeat (no helpdesk API)
    expect(alarms).toHaveLength(30);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.TreatMissingData).toBe(
        heartbeats.includes(alarm) ? 'breaching' : 'notBreaching',
      );
    }
  });
});

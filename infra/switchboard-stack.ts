import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  CONNECTOR_IDS,
  CONNECTORS,
  SECRET_SECTIONS,
  type WebhookConnectorId,
  webhookConnectors,
} from '#shared/channels/registry.ts';
import { metricsNamespaceFor } from '#shared/observability/metric-names.ts';
import { isChannelOn, type SwitchboardConfig } from './config.ts';
import { AttentionSweeper } from './constructs/attention-sweeper.ts';
import { ChannelSecretUpgrade } from './constructs/channel-secret-upgrade.ts';
import { ChannelWebhook } from './constructs/channel-webhook.ts';
import { EmailDeliveryEvents } from './constructs/email-delivery-events.ts';
import { EmailIntake } from './constructs/email-intake.ts';
import { HelpdeskAccess } from './constructs/helpdesk-access.ts';
import { HelpdeskApi } from './constructs/helpdesk-api.ts';
import { HubApi } from './constructs/hub-api.ts';
import type { HubRuntimeEnvironment } from './constructs/hub-function.ts';
import { HubStorage } from './constructs/hub-storage.ts';
import { IngestSpill } from './constructs/ingest-spill.ts';
import { MediaFetcher } from './constructs/media-fetcher.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { Recorder } from './constructs/recorder.ts';
import { Sender } from './constructs/sender.ts';

export interface SwitchboardStackProps extends StackProps {
  readonly config: SwitchboardConfig;
}

/**
 * The whole hub in one stack: storage, one webhook function per enabled channel behind the HTTP API
 * or, with `ingress: 'function-urls'`, each behind its own function URL, SES intake when
 * configured, the recorder, the sender, the attention sweeper, alarms and the helpdesk consumer
 * policy. Environment-agnostic (no lookups), so it synthesizes offline.
 */
export class SwitchboardStack extends Stack {
  public readonly storage: HubStorage;
  /** Copies the legacy channel secret's sections into the per-provider secrets, before any function reads them. */
  public readonly channelSecretUpgrade: ChannelSecretUpgrade;
  /** The webhook HTTP API; none with `ingress: 'function-urls'`, nor without a webhook channel. */
  public readonly api?: HubApi;
  public readonly webhooks: Partial<Record<WebhookConnectorId, ChannelWebhook>> = {};
  public readonly recorder: Recorder;
  public readonly sender: Sender;
  public readonly mediaFetcher: MediaFetcher;
  /** Snoozes that wake and answers overdue, swept every minute. */
  public readonly attentionSweeper: AttentionSweeper;
  /** The spill drain, and what lets a webhook whose provider does not retry spill (shared/intake/spill.ts). */
  public readonly ingestSpill: IngestSpill;
  /** With SES sending: its delivery events back into the hub. */
  public readonly emailDeliveryEvents?: EmailDeliveryEvents;
  public readonly emailIntake?: EmailIntake;
  public readonly monitoring: Monitoring;
  public readonly helpdeskAccess: HelpdeskAccess;
  /** With `helpdeskApi`: the helpdesk HTTP API. */
  public readonly helpdeskApi?: HelpdeskApi;

  constructor(scope: Construct, id: string, props: SwitchboardStackProps) {
    super(scope, id, {
      description: 'Switchboard: messaging-channel webhooks normalized into one CloudEvents stream',
      ...props,
    });
    const { config } = props;
    const prefix = config.namePrefix;
    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const logRemovalPolicy = config.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.storage = new HubStorage(this, 'Storage', {
      namePrefix: prefix,
      production: config.production,
      payloadRetentionDays: config.payloadRetentionDays,
      // The bucket's access logs name object keys (conversation ids among them): kept as the
      // function logs are (until 2026-12-06 always 90 days; found by a review).
      accessLogRetentionDays: config.logRetentionDays,
      customerManagedKey: config.customerManagedKey,
      browserOrigins: config.mediaBrowserOrigins,
      usedSecretSections: CONNECTOR_IDS.filter((id) => isChannelOn(config, id)).flatMap(
        (id) => CONNECTORS[id].secretSections,
      ),
    });
    this.channelSecretUpgrade = new ChannelSecretUpgrade(this, 'ChannelSecretUpgrade', {
      storage: this.storage,
      logRetention,
      logRemovalPolicy,
    });
    // The webhooks' public front door, for webhooks only: a hub without one (SES intake alone) has
    // no public API, no ApiEndpoint output and no webhook alarms (until 2026-12-05 it had an API
    // without routes and two alarms on it; found by a review).
    const webhooksOn = webhookConnectors().filter(([id]) => isChannelOn(config, id));
    if (config.ingress === 'http-api' && webhooksOn.length > 0) {
      this.api = new HubApi(this, 'Api', {
        apiName: `${prefix}-webhooks`,
        logRetention,
        logRemovalPolicy,
        publicBaseUrl: config.publicBaseUrl,
      });
    }

    // Two hubs in one account and region (two prefixes) write and watch metrics of their own.
    const metricsNamespace = metricsNamespaceFor(prefix);
    const runtimeEnvironment: HubRuntimeEnvironment = {
      SWITCHBOARD_TABLE_NAME: this.storage.table.tableName,
      SWITCHBOARD_INGEST_QUEUE_URL: this.storage.ingest.queue.queueUrl,
      SWITCHBOARD_HELPDESK_QUEUE_URL: this.storage.helpdesk.queue.queueUrl,
      SWITCHBOARD_PAYLOAD_BUCKET: this.storage.payloadBucket.bucketName,
      SWITCHBOARD_LOG_LEVEL: 'info',
      ...(config.publicBaseUrl ? { SWITCHBOARD_PUBLIC_BASE_URL: config.publicBaseUrl } : {}),
    };
    const functionLogs = { logRetention, logRemovalPolicy };
    // The functions that write message records, states, attachments' records and send bookkeeping.
    // The functions that emit metrics (the webhooks and the helpdesk API emit none of their own).
    const metricsEnvironment: HubRuntimeEnvironment = { SWITCHBOARD_METRICS_NAMESPACE: metricsNamespace };
    const recordingEnvironment: HubRuntimeEnvironment = {
      ...runtimeEnvironment,
      ...metricsEnvironment,
      SWITCHBOARD_MESSAGE_RETENTION_DAYS: String(config.messageRetentionDays),
    };

    // Always there, whichever channels are on: a spill object left by a channel since turned off is still queued.
    this.ingestSpill = new IngestSpill(this, 'IngestSpill', {
      storage: this.storage,
      runtimeEnvironment: { ...runtimeEnvironment, ...metricsEnvironment },
      ...functionLogs,
    });

    for (const [id, connector] of webhooksOn) {
      const webhook = new ChannelWebhook(this, `${connector.name}Webhook`, {
        api: this.api,
        storage: this.storage,
        connector,
        runtimeEnvironment,
        ...functionLogs,
        // Without the HTTP API's stage throttling, reserved concurrency is the brake.
        ...(this.api ? {} : { reservedConcurrentExecutions: config.webhookReservedConcurrency }),
      });
      this.webhooks[id] = webhook;
      if (connector.spillOnPublishFailure) this.ingestSpill.allowSpill(webhook.function);
      new CfnOutput(this, `${connector.name}WebhookUrl`, {
        description: `${connector.name} webhook URL to register with the provider`,
        value: webhook.urls[connector.providerRoute] ?? '',
      });
    }

    if (isChannelOn(config, 'email-ses') && config.sesInboundDomain) {
      this.emailIntake = new EmailIntake(this, 'EmailIntake', {
        storage: this.storage,
        domain: config.sesInboundDomain,
        ruleSetName: `${prefix}-inbound`,
        runtimeEnvironment,
        ...functionLogs,
      });
    }

    this.recorder = new Recorder(this, 'Recorder', {
      storage: this.storage,
      runtimeEnvironment: recordingEnvironment,
      ...functionLogs,
    });
    this.mediaFetcher = new MediaFetcher(this, 'MediaFetcher', {
      storage: this.storage,
      runtimeEnvironment: recordingEnvironment,
      maxConcurrency: config.mediaFetcherMaxConcurrency,
      ...functionLogs,
    });

    const sms = this.webhooks.sms;
    this.sender = new Sender(this, 'Sender', {
      storage: this.storage,
      runtimeEnvironment: recordingEnvironment,
      maxConcurrency: config.senderMaxConcurrency,
      whatsappNumberRate: config.whatsappNumberRate,
      messengerReplyQuotes: config.messengerReplyQuotes,
      mailgunRegion: config.mailgunRegion,
      ...functionLogs,
      ...(config.sesInboundDomain ? { sesSendingDomain: config.sesInboundDomain } : {}),
      // Twilio signs the exact URL it calls: its status callbacks go to the SMS webhook's public URL.
      ...(sms?.urls[0] ? { twilioStatusCallbackUrl: sms.urls[0] } : {}),
    });

    if (this.sender.configurationSet) {
      this.emailDeliveryEvents = new EmailDeliveryEvents(this, 'EmailDeliveryEvents', {
        storage: this.storage,
        configurationSet: this.sender.configurationSet,
        runtimeEnvironment,
        logRetention,
        removalPolicy: logRemovalPolicy,
      });
    }

    this.attentionSweeper = new AttentionSweeper(this, 'AttentionSweeper', {
      storage: this.storage,
      runtimeEnvironment: { ...runtimeEnvironment, ...metricsEnvironment },
      responseTargetSeconds: config.responseTargetSeconds,
      ...functionLogs,
    });

    if (config.helpdeskApi) {
      this.helpdeskApi = new HelpdeskApi(this, 'HelpdeskApi', {
        storage: this.storage,
        // The message retention too: the upload references a send notes live as long as its send
        // record (until 2026-12-07 the API kept them the default 30 days; found by a review).
        runtimeEnvironment: {
          ...runtimeEnvironment,
          SWITCHBOARD_MESSAGE_RETENTION_DAYS: String(config.messageRetentionDays),
        },
        apiName: `${prefix}-helpdesk`,
        // As the sender's: SES where the hub may send with it, else Mailgun.
        emailProvider: config.sesInboundDomain ? 'ses' : 'mailgun',
        ...(config.mediaBrowserOrigins ? { browserOrigins: config.mediaBrowserOrigins } : {}),
        ...(config.helpdeskJwtIssuer && config.helpdeskJwtAudience
          ? {
              jwt: {
                issuer: config.helpdeskJwtIssuer,
                audience: config.helpdeskJwtAudience,
                ...(config.helpdeskJwtScopePrefix ? { scopePrefix: config.helpdeskJwtScopePrefix } : {}),
              },
            }
          : {}),
        ...functionLogs,
      });
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      metricsNamespace,
      deadLetterQueues: [
        {
          name: 'IngestDeadLetterQueue',
          queue: this.storage.ingest.deadLetterQueue,
          redrive: 'npm run redrive -- ingest',
        },
        {
          name: 'HelpdeskDeadLetterQueue',
          queue: this.storage.helpdesk.deadLetterQueue,
          redrive: 'npm run redrive -- helpdesk',
        },
        {
          name: 'OutboxDeadLetterQueue',
          queue: this.storage.outbox.deadLetterQueue,
          redrive: 'npm run redrive -- outbox',
        },
        {
          name: 'MediaDeadLetterQueue',
          queue: this.storage.media.deadLetterQueue,
          redrive: 'npm run redrive -- media',
        },
        // Lambda's asynchronous failures: no SQS move task takes them back, the redrive re-invokes.
        ...(this.emailIntake
          ? [
              {
                name: 'SesIntakeFailedEvents',
                queue: this.emailIntake.failedEvents,
                redrive: 'npm run redrive -- ses-intake',
              },
            ]
          : []),
        ...(this.emailDeliveryEvents
          ? [
              {
                name: 'SesDeliveryEventsFailed',
                queue: this.emailDeliveryEvents.failedEvents,
                redrive: 'npm run redrive -- ses-events',
              },
            ]
          : []),
      ],
      // Without the API (function URLs, or no webhook channel): the webhooks' own functions, none
      // without a webhook, which leaves no webhook alarm.
      webhookIngress: this.api
        ? { kind: 'http-api', stage: this.api.stage }
        : {
            kind: 'function-urls',
            functions: Object.values(this.webhooks).map((webhook) => webhook.function),
          },
      ingestQueue: this.storage.ingest.queue,
      recorderFunction: this.recorder.function,
      outboxQueue: this.storage.outbox.queue,
      senderFunction: this.sender.function,
      pseudonymKeyReaders: [
        { name: 'Sender', logGroup: this.sender.function.functionLogGroup },
        { name: 'Recorder', logGroup: this.recorder.function.functionLogGroup },
        ...(this.helpdeskApi
          ? [{ name: 'HelpdeskApi', logGroup: this.helpdeskApi.function.functionLogGroup }]
          : []),
      ],
      attentionSweeperFunction: this.attentionSweeper.function,
      attentionSweepInterval: this.attentionSweeper.interval,
      ingestSpillDrainFunction: this.ingestSpill.function,
      ingestSpillInterval: this.ingestSpill.interval,
      helpdeskQueue: this.storage.helpdesk.queue,
      mediaQueue: this.storage.media.queue,
      mediaFetcherFunction: this.mediaFetcher.function,
      ...(this.helpdeskApi ? { helpdeskApiStage: this.helpdeskApi.api.stage } : {}),
      // Where the sender sends with SES (sesInboundDomain), its configuration set's reputation.
      ...(this.sender.configurationSet ? { sesConfigurationSet: this.sender.configurationSet } : {}),
      maxOverdueConversations: config.maxOverdueConversations,
      maxIngestAge: Duration.seconds(config.maxIngestAgeSeconds),
      maxOutboxAge: Duration.seconds(config.maxOutboxAgeSeconds),
      maxHelpdeskAge: Duration.seconds(config.maxHelpdeskAgeSeconds),
      maxMediaAge: Duration.seconds(config.maxMediaAgeSeconds),
      clientErrorRatePercent: config.webhook4xxRatePercent,
      serverErrorRatePercent: config.webhook5xxRatePercent,
      ...(config.helpdeskApi5xxRatePercent === undefined
        ? {}
        : { helpdeskApiServerErrorRatePercent: config.helpdeskApi5xxRatePercent }),
      alarmEmail: config.alarmEmail,
      removalPolicy: logRemovalPolicy,
    });

    this.helpdeskAccess = new HelpdeskAccess(this, 'HelpdeskAccess', {
      helpdeskQueue: this.storage.helpdesk.queue,
      helpdeskDeadLetterQueue: this.storage.helpdesk.deadLetterQueue,
      outboxQueue: this.storage.outbox.queue,
      payloadBucket: this.storage.payloadBucket,
      dataKey: this.storage.dataKey,
      managedPolicyName: `${prefix}-helpdesk-consumer`,
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    if (this.api) {
      output('ApiEndpoint', this.api.httpApi.apiEndpoint, 'Execute-api endpoint of the webhook HTTP API');
    }
    output('HelpdeskQueueUrl', this.storage.helpdesk.queue.queueUrl, 'The helpdesk consumes events here');
    output('HelpdeskQueueArn', this.storage.helpdesk.queue.queueArn, 'Helpdesk queue ARN');
    output('OutboxQueueUrl', this.storage.outbox.queue.queueUrl, 'The helpdesk sends commands here');
    output(
      'OutboxDeadLetterQueueUrl',
      this.storage.outbox.deadLetterQueue.queueUrl,
      'Commands the sender could not handle',
    );
    output(
      'HelpdeskDeadLetterQueueUrl',
      this.storage.helpdesk.deadLetterQueue.queueUrl,
      'Helpdesk events that failed every receive',
    );
    // The operator tools' environment (npm run erase --deployed, rekey-opt-outs, redrive): each
    // names the output it reads its variable from.
    output(
      'TableName',
      this.storage.table.tableName,
      'SWITCHBOARD_TABLE_NAME for npm run erase and rekey-opt-outs',
    );
    output(
      'IngestQueueUrl',
      this.storage.ingest.queue.queueUrl,
      'SWITCHBOARD_INGEST_QUEUE_URL for npm run redrive -- ingest',
    );
    output(
      'MediaQueueUrl',
      this.storage.media.queue.queueUrl,
      'SWITCHBOARD_MEDIA_QUEUE_URL for npm run redrive -- media',
    );
    output(
      'IngestDeadLetterQueueUrl',
      this.storage.ingest.deadLetterQueue.queueUrl,
      'Events the recorder gave up on',
    );
    output(
      'PayloadBucketName',
      this.storage.payloadBucket.bucketName,
      'Raw e-mail, attachments and large bodies',
    );
    for (const section of SECRET_SECTIONS) {
      const secret = this.storage.channelSecrets[section];
      output(
        `${secret.node.id}Arn`,
        secret.secretArn,
        `Put the ${section} credentials JSON here (aws secretsmanager put-secret-value)`,
      );
    }
    output(
      'PseudonymKeyArn',
      this.storage.pseudonymKey.secretArn,
      'Keys the hash kept opt-outs are filed under: for npm run erase and npm run rekey-opt-outs; never change it',
    );
    output(
      'HelpdeskConsumerPolicyArn',
      this.helpdeskAccess.policy.managedPolicyArn,
      'Attach to the helpdesk consumer role or user',
    );
    // Lambda's asynchronous failures (SES receipts, SES delivery events) wait in these queues for
    // npm run redrive -- ses-intake|ses-events, which invokes the function again with each.
    if (this.emailIntake) {
      // At the stack, so its key is the name the README gives (until 2026-12-06 the construct made it,
      // keyed EmailIntakeActivateRuleSetCommand<hash>; found by a review).
      output(
        'ActivateRuleSetCommand',
        this.emailIntake.activateRuleSetCommand,
        'Run once after the first deploy (and after verifying the domain and publishing its MX record)',
      );
      output(
        'SesIntakeFailedEventsQueueUrl',
        this.emailIntake.failedEvents.queueUrl,
        'SWITCHBOARD_SES_INTAKE_FAILED_QUEUE_URL for npm run redrive -- ses-intake: SES receipts the intake failed on',
      );
      output(
        'SesIntakeFunctionName',
        this.emailIntake.function.functionName,
        'SWITCHBOARD_SES_INTAKE_FUNCTION_NAME for npm run redrive -- ses-intake',
      );
    }
    if (this.emailDeliveryEvents) {
      output(
        'SesDeliveryEventsFailedQueueUrl',
        this.emailDeliveryEvents.failedEvents.queueUrl,
        'SWITCHBOARD_SES_EVENTS_FAILED_QUEUE_URL for npm run redrive -- ses-events: SES delivery events that failed',
      );
      output(
        'SesDeliveryEventsFunctionName',
        this.emailDeliveryEvents.function.functionName,
        'SWITCHBOARD_SES_EVENTS_FUNCTION_NAME for npm run redrive -- ses-events',
      );
    }
    if (this.helpdeskApi)
      output('HelpdeskApiUrl', this.helpdeskApi.url, 'The helpdesk API (IAM or JWT authorized)');
    output('AlarmTopicArn', this.monitoring.topic.topicArn, 'Alarm notifications');
  }
}

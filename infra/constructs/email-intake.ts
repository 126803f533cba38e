import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as actions from 'aws-cdk-lib/aws-ses-actions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { Construct } from 'constructs';
import { CONNECTORS } from '#shared/channels/registry.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

const SES_CONNECTOR = CONNECTORS['email-ses'];

import { grantGetPayloads, grantPutPayloads, grantSendMessage } from './grants.ts';
import { HubFunction, type HubRuntimeEnvironment } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

export interface EmailIntakeProps {
  readonly storage: HubStorage;
  /** Domain SES receives mail for; every recipient at it matches the rule. */
  readonly domain: string;
  readonly runtimeEnvironment: HubRuntimeEnvironment;
  /**
   * Name of the receipt rule set (only one rule set per account and region can be active).
   * @default 'switchboard-inbound'
   */
  readonly ruleSetName?: string;
  /**
   * @default '<ruleSetName>-store-and-notify'
   */
  readonly ruleName?: string;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** S3 action without the CDK default bucket policy, whose only condition is the source account. */
class PayloadBucketAction implements ses.IReceiptRuleAction {
  constructor(
    private readonly bucketName: string,
    private readonly objectKeyPrefix: string,
    private readonly bucketPolicy: IConstruct | undefined,
  ) {}

  bind(rule: ses.IReceiptRuleRef): ses.ReceiptRuleActionConfig {
    // SES checks its permission when the rule is created, so the policy must exist first.
    if (this.bucketPolicy) rule.node.addDependency(this.bucketPolicy);
    return { s3Action: { bucketName: this.bucketName, objectKeyPrefix: this.objectKeyPrefix } };
  }
}

/**
 * Inbound e-mail through SES: a receipt rule set with one rule for the domain that (1) stores the
 * raw MIME in the payload bucket under `ses-inbound/<messageId>` and then (2) invokes
 * functions/email-ses.ts asynchronously with the receipt. Events that still fail after Lambda's
 * retries land in `failedEvents` (the MIME stays in S3 until the payload lifecycle expires it).
 *
 * Manual steps, outside CloudFormation: verify the domain in SES, publish its MX record
 * (`inbound-smtp.<region>.amazonaws.com`), and activate the rule set (one active set per region).
 */
export class EmailIntake extends Construct {
  public readonly function: HubFunction;
  public readonly ruleSet: ses.ReceiptRuleSet;
  public readonly rule: ses.ReceiptRule;
  /** Asynchronous invocations that failed every retry. */
  public readonly failedEvents: sqs.Queue;
  /**
   * The command that activates the rule set, run once after the first deploy: the stack outputs it
   * as `ActivateRuleSetCommand` (an output made here would be keyed by this construct's path).
   */
  public readonly activateRuleSetCommand: string;

  constructor(scope: Construct, id: string, props: EmailIntakeProps) {
    super(scope, id);
    const { storage } = props;
    const key = storage.dataKey;
    const ruleSetName = props.ruleSetName ?? 'switchboard-inbound';
    const ruleName = props.ruleName ?? `${ruleSetName}-store-and-notify`;
    const ruleArn = `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:receipt-rule-set/${ruleSetName}:receipt-rule/${ruleName}`;
    const sesPrincipal = new iam.ServicePrincipal('ses.amazonaws.com');
    const fromThisRule = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': ruleArn },
    };

    this.failedEvents = new sqs.Queue(this, 'FailedEvents', {
      retentionPeriod: Duration.days(14),
      // Failed receipts are data like the function's logs: kept when the stack goes in production.
      ...(props.logRemovalPolicy ? { removalPolicy: props.logRemovalPolicy } : {}),
      enforceSSL: true,
      ...(key
        ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }
        : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    });

    this.function = new HubFunction(this, 'Function', {
      entryName: SES_CONNECTOR.functionEntry,
      description: 'Switchboard SES inbound: raw MIME from S3 → events on the ingest queue',
      runtimeEnvironment: props.runtimeEnvironment,
      memorySize: SES_CONNECTOR.memorySizeMb,
      timeout: Duration.seconds(SES_CONNECTOR.timeoutSeconds),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      deadLetterQueue: this.failedEvents,
      retryAttempts: 2,
    });

    grantGetPayloads(this.function, storage.payloadBucket, SES_CONNECTOR.payloadReadPrefixes);
    grantPutPayloads(this.function, storage.payloadBucket, SES_CONNECTOR.payloadWritePrefixes);
    grantSendMessage(this.function, storage.ingest.queue, key);
    // The email secret's reply-tag key signs reply addresses; only tags the hub made thread a mail.
    storage.readChannelSecrets(this.function, SES_CONNECTOR.secretSections);

    storage.payloadBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowSesToStoreInboundMail',
        principals: [sesPrincipal],
        actions: ['s3:PutObject'],
        resources: [storage.objectsUnder(PAYLOAD_BUCKET.prefixes.sesInbound)],
        conditions: fromThisRule,
      }),
    );
    // Named as the CDK's Lambda action names it, so that action reuses this narrower permission.
    this.function.addPermission('AllowSes', {
      principal: sesPrincipal,
      action: 'lambda:InvokeFunction',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: ruleArn,
    });

    this.ruleSet = new ses.ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName: ruleSetName });
    this.rule = this.ruleSet.addRule('StoreAndNotify', {
      receiptRuleName: ruleName,
      recipients: [props.domain],
      scanEnabled: true,
      enabled: true,
      actions: [
        new PayloadBucketAction(
          storage.payloadBucket.bucketName,
          PAYLOAD_BUCKET.prefixes.sesInbound,
          storage.payloadBucket.policy,
        ),
        new actions.Lambda({ function: this.function, invocationType: actions.LambdaInvocationType.EVENT }),
      ],
    });

    this.activateRuleSetCommand = `aws ses set-active-receipt-rule-set --rule-set-name ${ruleSetName} --region ${Aws.REGION}`;
  }
}

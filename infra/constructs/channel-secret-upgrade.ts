import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { UpgradeInput } from '#shared/aws/channel-secret-upgrade.ts';
import { SECRET_SECTIONS } from '#shared/channels/registry.ts';
import { grantKeyThrough } from './grants.ts';
import { HubFunction } from './hub-function.ts';
import type { HubStorage } from './hub-storage.ts';

export interface ChannelSecretUpgradeProps {
  readonly storage: HubStorage;
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
 * The upgrade from the one channel secret to one secret per provider, done by the deployment
 * itself: a custom resource whose function copies each section of the legacy secret into its own
 * secret while that still holds the deploy's placeholder (shared/aws/channel-secret-upgrade.ts),
 * never overwriting a value. Every function that reads a section secret is deployed after it
 * (`HubStorage.channelSecretsReady`), so an upgraded hub never runs on empty credentials. It runs
 * when the resource is created (the first deploy with per-provider secrets) and whenever its
 * properties change; a failed copy fails the deployment, which rolls back to the old functions.
 */
export class ChannelSecretUpgrade extends Construct {
  public readonly function: HubFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ChannelSecretUpgradeProps) {
    super(scope, id);
    const { storage } = props;
    this.function = new HubFunction(this, 'Function', {
      entryName: 'channel-secret-upgrade',
      description:
        'Switchboard deployment step: copies the legacy channel secret into the per-provider secrets',
      runtimeEnvironment: { SWITCHBOARD_LOG_LEVEL: 'info' },
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    const sectionSecrets = SECRET_SECTIONS.map((section) => storage.channelSecrets[section]);
    // Exactly its calls: GetSecretValue of the legacy and the section secrets, PutSecretValue of the section secrets.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          storage.legacyChannelSecret.secretArn,
          ...sectionSecrets.map((secret) => secret.secretArn),
        ],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:PutSecretValue'],
        resources: sectionSecrets.map((secret) => secret.secretArn),
      }),
    );
    grantKeyThrough(this.function, storage.dataKey, 'secretsmanager', ['kms:Decrypt', 'kms:GenerateDataKey']);

    const properties: UpgradeInput = {
      legacySecretId: storage.legacyChannelSecret.secretArn,
      sectionSecretIds: Object.fromEntries(
        SECRET_SECTIONS.map((section) => [section, storage.channelSecrets[section].secretArn]),
      ) as UpgradeInput['sectionSecretIds'],
    };
    this.resource = new CustomResource(this, 'Copy', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::SwitchboardChannelSecretUpgrade',
      properties,
      // A function that never answers (a crash at start) fails the deploy in minutes, not CloudFormation's hour.
      serviceTimeout: Duration.minutes(5),
    });
    storage.channelSecretsReady.add(this.resource);
  }
}

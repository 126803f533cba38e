import { channelSecretUpgradeFromEnvironment } from '#shared/aws/channel-secret-upgrade-lambda.ts';

/** CloudFormation custom resource: copies the legacy channel secret's sections into their own secrets. */
export const handler = channelSecretUpgradeFromEnvironment();

import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  type SecretsPort,
  UpgradeInputSchema,
  upgradeChannelSecrets,
} from '#shared/aws/channel-secret-upgrade.ts';
import { secretsManagerClient } from '#shared/aws/clients/secrets-manager.ts';
import { parseCustomResourceEvent, serveCustomResource } from '#shared/aws/custom-resource.ts';
import { logger } from '#shared/observability/logger.ts';
import { parseOrThrow } from '#shared/validation/schema.ts';

const secrets: SecretsPort = {
  getSecretValue: async (secretId) =>
    (await secretsManagerClient().send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString,
  putSecretValue: async (secretId, secretString) => {
    await secretsManagerClient().send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: secretString }),
    );
  },
};

/** CloudFormation custom resource: copies the legacy channel secret's sections into their own secrets. */
export const handler = async (input: unknown): Promise<void> => {
  const event = parseCustomResourceEvent(input);
  await serveCustomResource(
    event,
    async (properties) => {
      const copied = await upgradeChannelSecrets(parseOrThrow(UpgradeInputSchema, properties), secrets);
      logger.info('channel secrets upgraded', { reason: `copied: ${copied.join(', ') || 'nothing'}` });
    },
    { physicalResourceId: 'channel-secret-upgrade', logger },
  );
};

import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { logger } from '#shared/observability/logger.ts';
import { parseOrThrow } from '#shared/validation/schema.ts';
import { type SecretsPort, UpgradeInputSchema, upgradeChannelSecrets } from './channel-secret-upgrade.ts';
import { secretsManagerClient } from './clients/secrets-manager.ts';
import { parseCustomResourceEvent, serveCustomResource } from './custom-resource.ts';

/** The secrets as the upgrade reads and writes them: Secrets Manager through the process-wide client. */
const secretsManagerPort: SecretsPort = {
  getSecretValue: async (secretId) =>
    (await secretsManagerClient().send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString,
  putSecretValue: async (secretId, secretString) => {
    await secretsManagerClient().send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: secretString }),
    );
  },
};

/** The upgrade as the custom resource's Lambda runs it: each CloudFormation event, answered to its URL. */
export const channelSecretUpgradeFromEnvironment =
  () =>
  async (input: unknown): Promise<void> => {
    const event = parseCustomResourceEvent(input);
    await serveCustomResource(
      event,
      async (properties) => {
        const copied = await upgradeChannelSecrets(
          parseOrThrow(UpgradeInputSchema, properties),
          secretsManagerPort,
        );
        logger.info('channel secrets upgraded', { reason: `copied: ${copied.join(', ') || 'nothing'}` });
      },
      { physicalResourceId: 'channel-secret-upgrade', logger },
    );
  };

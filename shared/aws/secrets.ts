import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '#shared/observability/logger.ts';
import {
  type ChannelSecretsProvider,
  cachedChannelSecrets,
  processChannelSecrets,
  type SecretValueReader,
} from './channel-secrets.ts';
import { secretsManagerClient } from './clients/secrets-manager.ts';
import { processPseudonymKey } from './pseudonym-key.ts';

/*
 * The channel secret on the AWS SDK's Secrets Manager client: the sender and the e-mail intake.
 * The webhooks read it through a signed request instead (shared/intake/wiring.ts). The pseudonym
 * key too, for the functions that read or write kept opt-outs (the recorder and the helpdesk API
 * load this module on their first need of it).
 */

export {
  ChannelSecretsError,
  type ChannelSecretsProvider,
  resetChannelSecrets,
  SECRETS_CACHE_TTL_MS,
} from './channel-secrets.ts';

/** The SDK client as the GetSecretValue port. */
const sdkSecretValueReader = (client: Pick<SecretsManagerClient, 'send'>): SecretValueReader => ({
  getSecretValue: (input) => client.send(new GetSecretValueCommand({ SecretId: input.SecretId })),
});

export interface ChannelSecretsProviderOptions {
  readonly client: Pick<SecretsManagerClient, 'send'>;
  readonly secretId: string;
  readonly ttlMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** `cachedChannelSecrets` over an SDK client. */
export const createChannelSecretsProvider = ({
  client,
  ...options
}: ChannelSecretsProviderOptions): ChannelSecretsProvider =>
  cachedChannelSecrets({ ...options, reader: sdkSecretValueReader(client) });

/** The channel secrets for this process: Secrets Manager (SDK) in AWS, environment defaults for `local`. */
export const channelSecrets = processChannelSecrets(() => sdkSecretValueReader(secretsManagerClient()));

/** The pseudonym key for this process: Secrets Manager (SDK) in AWS, the local key for `local`. */
export const pseudonymKey = processPseudonymKey(() => sdkSecretValueReader(secretsManagerClient()));

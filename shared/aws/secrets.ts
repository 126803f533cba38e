import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { requireConfig } from '#shared/config/runtime.ts';
import { type ChannelSecrets, ChannelSecretsSchema, localSecretsFromEnv } from '#shared/config/secrets.ts';
import { errorNameOf, type Logger, logger } from '#shared/observability/logger.ts';
import { secretsManagerClient } from './clients/secrets-manager.ts';

/** Long enough to spare Secrets Manager, short enough that a rotation is picked up without a cold start. */
export const SECRETS_CACHE_TTL_MS = 5 * 60 * 1000;

const LOCAL_SECRET_ID = 'local';

export class ChannelSecretsError extends Error {
  override readonly name = 'ChannelSecretsError';
}

/**
 * Parses the secret string. Errors say what is wrong by path only: `JSON.parse` messages quote the
 * input, which here is the secret itself.
 */
const parseChannelSecrets = (secretString: string | undefined): ChannelSecrets => {
  if (secretString === undefined) throw new ChannelSecretsError('secret has no SecretString');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new ChannelSecretsError('secret is not valid JSON');
  }
  const parsed = ChannelSecretsSchema.safeParse(json);
  if (!parsed.success) {
    const paths = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)');
    throw new ChannelSecretsError(`secret does not match ChannelSecretsSchema at: ${paths.join(', ')}`);
  }
  return parsed.data;
};

export interface ChannelSecretsProviderOptions {
  readonly client: Pick<SecretsManagerClient, 'send'>;
  readonly secretId: string;
  readonly ttlMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

export type ChannelSecretsProvider = () => Promise<ChannelSecrets>;

/**
 * Secrets cached for `ttlMs`; concurrent callers share one in-flight request. When a refresh fails
 * the previous value keeps serving (a rotation keeps the old credentials valid for a while), and
 * the next call tries again; with nothing cached the failure is thrown.
 */
export const createChannelSecretsProvider = (
  options: ChannelSecretsProviderOptions,
): ChannelSecretsProvider => {
  const ttlMs = options.ttlMs ?? SECRETS_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { value: ChannelSecrets; fetchedAt: number } | undefined;
  let inFlight: Promise<ChannelSecrets> | undefined;

  const fetchFresh = async (): Promise<ChannelSecrets> => {
    const output = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
    const value = parseChannelSecrets(output.SecretString);
    cached = { value, fetchedAt: now() };
    return value;
  };

  return () => {
    if (cached && now() - cached.fetchedAt < ttlMs) return Promise.resolve(cached.value);
    inFlight ??= fetchFresh()
      .catch((error: unknown) => {
        if (!cached) throw error;
        options.logger?.warn('channel secrets refresh failed, serving the cached value', {
          errorName: errorNameOf(error),
        });
        return cached.value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
};

let processProvider: ChannelSecretsProvider | undefined;

/** The channel secrets for this process: Secrets Manager in AWS, environment defaults for `local`. */
export const channelSecrets = (): Promise<ChannelSecrets> => {
  if (!processProvider) {
    const { SWITCHBOARD_SECRET_ARN: secretId } = requireConfig('SWITCHBOARD_SECRET_ARN');
    processProvider =
      secretId === LOCAL_SECRET_ID
        ? () => Promise.resolve(localSecretsFromEnv())
        : createChannelSecretsProvider({ client: secretsManagerClient(), secretId, logger });
  }
  return processProvider();
};

export const resetChannelSecrets = (): void => {
  processProvider = undefined;
};

import * as v from 'valibot';
import { requireConfig } from '#shared/config/runtime.ts';
import { type ChannelSecrets, ChannelSecretsSchema, localSecretsFromEnv } from '#shared/config/secrets.ts';
import { errorNameOf, type Logger, logger } from '#shared/observability/logger.ts';
import { issuePaths } from '#shared/validation/schema.ts';

/*
 * The channel secret, read through a GetSecretValue port and cached, so the same code runs on the
 * SDK client (sender, e-mail intake: ./secrets.ts) and on the webhooks' signed request
 * (./signed/secrets-manager.ts). This module imports no AWS SDK: the webhook bundles leave it out.
 */

/** Long enough to spare Secrets Manager, short enough that a rotation is picked up without a cold start. */
export const SECRETS_CACHE_TTL_MS = 5 * 60 * 1000;

const LOCAL_SECRET_ID = 'local';

export class ChannelSecretsError extends Error {
  override readonly name = 'ChannelSecretsError';
}

/** Secrets Manager GetSecretValue, whatever makes the request (the SDK's output satisfies it). */
export interface SecretValueReader {
  getSecretValue(input: {
    readonly SecretId: string;
  }): Promise<{ readonly SecretString?: string | undefined }>;
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
  const parsed = v.safeParse(ChannelSecretsSchema, json);
  if (!parsed.success) {
    throw new ChannelSecretsError(
      `secret does not match ChannelSecretsSchema at: ${issuePaths(parsed.issues).join(', ')}`,
    );
  }
  return parsed.output;
};

export interface CachedChannelSecretsOptions {
  readonly reader: SecretValueReader;
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
export const cachedChannelSecrets = (options: CachedChannelSecretsOptions): ChannelSecretsProvider => {
  const ttlMs = options.ttlMs ?? SECRETS_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { value: ChannelSecrets; fetchedAt: number } | undefined;
  let inFlight: Promise<ChannelSecrets> | undefined;

  const fetchFresh = async (): Promise<ChannelSecrets> => {
    const output = await options.reader.getSecretValue({ SecretId: options.secretId });
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

/**
 * The channel secrets of this process, read through `reader()` in AWS and from the environment's
 * development defaults for `local` (where no reader is made). One provider per process: a Lambda
 * uses one kind of reader.
 */
export const processChannelSecrets =
  (reader: () => SecretValueReader): ChannelSecretsProvider =>
  () => {
    if (!processProvider) {
      const { SWITCHBOARD_SECRET_ARN: secretId } = requireConfig('SWITCHBOARD_SECRET_ARN');
      processProvider =
        secretId === LOCAL_SECRET_ID
          ? () => Promise.resolve(localSecretsFromEnv())
          : cachedChannelSecrets({ reader: reader(), secretId, logger });
    }
    return processProvider();
  };

export const resetChannelSecrets = (): void => {
  processProvider = undefined;
};

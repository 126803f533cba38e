import * as v from 'valibot';
import { SECRET_SECTIONS, type SecretSection } from '#shared/channels/registry.ts';
import { runtimeConfig } from '#shared/config/runtime.ts';
import {
  type ChannelSecrets,
  ChannelSecretsSchema,
  isSecretPlaceholder,
  localSecretsFromEnv,
  SECTION_SCHEMAS,
  sectionSecretVariable,
  withUnreadableSections,
} from '#shared/config/secrets.ts';
import { errorNameOf, type Logger, logger } from '#shared/observability/logger.ts';
import { issuePaths } from '#shared/validation/schema.ts';

/*
 * The channel credentials, read through a GetSecretValue port and cached, so the same code runs on the
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
 * A secret string's JSON; `label` names the secret in the error. Errors never quote the input:
 * `JSON.parse` messages would, and here the input is the secret itself.
 */
const secretJson = (label: string, secretString: string | undefined): unknown => {
  if (secretString === undefined) throw new ChannelSecretsError(`${label} has no SecretString`);
  try {
    return JSON.parse(secretString) as unknown;
  } catch {
    throw new ChannelSecretsError(`${label} is not valid JSON`);
  }
};

/** Parses the legacy one secret. Errors say what is wrong by path only. */
const parseChannelSecrets = (secretString: string | undefined): ChannelSecrets => {
  const json = secretJson('secret', secretString);
  const parsed = v.safeParse(ChannelSecretsSchema, json);
  if (!parsed.success) {
    throw new ChannelSecretsError(
      `secret does not match ChannelSecretsSchema at: ${issuePaths(parsed.issues).join(', ')}`,
    );
  }
  return parsed.output;
};

/**
 * One section's own secret: its section, or undefined while it holds the deploy's placeholder (a
 * provider the deployment does not use). Errors name the section and the failing paths only.
 */
const parseSection = (section: SecretSection, secretString: string | undefined): unknown => {
  const json = secretJson(`${section} secret`, secretString);
  if (isSecretPlaceholder(json)) return undefined;
  const parsed = v.safeParse(SECTION_SCHEMAS[section], json);
  if (!parsed.success) {
    throw new ChannelSecretsError(
      `${section} secret does not match its schema at: ${issuePaths(parsed.issues).join(', ') || '(root)'}`,
    );
  }
  return parsed.output;
};

/** The secret of each section a function may read, by ARN or name. */
export type SectionSecretIds = Readonly<Partial<Record<SecretSection, string>>>;

/**
 * How soon the secrets are read again after a read failed (the sections read fine, and those it
 * kept, are served meanwhile): a throttled or briefly denied read recovers in seconds, not a whole
 * cache period, and a rotation is not served stale for one. The wait doubles with each failed
 * refresh in a row, up to the cache period, so a secret deleted for good costs few reads.
 */
export const UNREADABLE_RETRY_MS = 10_000;

/**
 * Every section's own secret, read at once. A section still holding its placeholder is left out; one
 * that does not parse keeps its previous value, else is left out too (logged by section and path),
 * so one provider's misconfiguration does not stop the others' traffic: the functions that need it
 * refuse, naming it (`requireSections`). A section whose read fails (throttled, deleted, the key
 * denied) keeps its previous value too, else is marked unreadable: whatever needs that provider
 * throws SecretSectionUnreadableError and is retried or answered 503 (`sectionOf`,
 * `requireSections`), rather than ending a send `credentials` on a passing error, while the other
 * providers' sections serve. Before 2026-12-04 one failed read threw for every section.
 */
const readSections = async (
  reader: SecretValueReader,
  secretIds: SectionSecretIds,
  previous: ChannelSecrets | undefined,
  log: Logger | undefined,
): Promise<{ readonly secrets: ChannelSecrets; readonly failedReads: number }> => {
  const unreadable = new Map<SecretSection, string>();
  let failedReads = 0;
  const sections = await Promise.all(
    SECRET_SECTIONS.map(async (section) => {
      const secretId = secretIds[section];
      if (secretId === undefined) return [];
      const kept = previous?.[section];
      let output: { readonly SecretString?: string | undefined };
      try {
        output = await reader.getSecretValue({ SecretId: secretId });
      } catch (error) {
        log?.error('channel secret section read failed', {
          errorName: errorNameOf(error),
          reason: `${section}${kept ? '; serving its previous value' : '; its traffic waits for the next read'}`,
        });
        failedReads += 1;
        if (!kept) unreadable.set(section, errorNameOf(error));
        return kept ? [[section, kept] as const] : [];
      }
      try {
        const value = parseSection(section, output.SecretString);
        return value === undefined ? [] : [[section, value] as const];
      } catch (error) {
        // A slip while replacing a section (rotation): the value it had keeps serving, as a failed refresh's does.
        log?.error('channel secret section unreadable', {
          errorName: errorNameOf(error),
          reason: `${error instanceof ChannelSecretsError ? error.message : section}${kept ? '; serving its previous value' : ''}`,
        });
        return kept ? [[section, kept] as const] : [];
      }
    }),
  );
  const secrets = Object.fromEntries(sections.flat()) as ChannelSecrets;
  return { secrets: withUnreadableSections(secrets, unreadable), failedReads };
};

/** Where the credentials are: one secret per section, or the legacy one secret holding them all. */
type SecretLocation = { readonly secretId: string } | { readonly sectionSecretIds: SectionSecretIds };

export type CachedChannelSecretsOptions = SecretLocation & {
  readonly reader: SecretValueReader;
  readonly ttlMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
};

export type ChannelSecretsProvider = () => Promise<ChannelSecrets>;

/**
 * Secrets cached for `ttlMs`; concurrent callers share one in-flight request. Per-provider secrets:
 * a section whose read fails keeps its previous value (a rotation keeps the old credentials valid
 * for a while) or is marked unreadable, and all are read again after UNREADABLE_RETRY_MS, doubling
 * while reads keep failing. The legacy one secret: when a refresh fails the previous value keeps
 * serving and the next call tries again; with nothing cached the failure is thrown.
 */
export const cachedChannelSecrets = (options: CachedChannelSecretsOptions): ChannelSecretsProvider => {
  const ttlMs = options.ttlMs ?? SECRETS_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { value: ChannelSecrets; fetchedAt: number } | undefined;
  let inFlight: Promise<ChannelSecrets> | undefined;
  /** Per-provider refreshes in a row in which some read failed (the retry wait doubles with each). */
  let failedRefreshes = 0;

  const fetchFresh = async (): Promise<ChannelSecrets> => {
    if ('secretId' in options) {
      const value = parseChannelSecrets(
        (await options.reader.getSecretValue({ SecretId: options.secretId })).SecretString,
      );
      cached = { value, fetchedAt: now() };
      return value;
    }
    const read = await readSections(options.reader, options.sectionSecretIds, cached?.value, options.logger);
    // After a failed read, all are read again soon (10 s, 20 s, 40 s… up to the period), not a whole period later.
    failedRefreshes = read.failedReads > 0 ? failedRefreshes + 1 : 0;
    const retryMs = Math.min(UNREADABLE_RETRY_MS * 2 ** Math.max(0, failedRefreshes - 1), ttlMs);
    const fetchedAt = read.failedReads > 0 ? now() - ttlMs + retryMs : now();
    cached = { value: read.secrets, fetchedAt };
    return read.secrets;
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

/** The section secrets this function was given (`SWITCHBOARD_<SECTION>_SECRET_ARN`). */
const configuredSectionSecrets = (): SectionSecretIds => {
  const config = runtimeConfig();
  return Object.fromEntries(
    SECRET_SECTIONS.flatMap((section) => {
      const secretId = config[sectionSecretVariable(section)];
      return secretId === undefined ? [] : [[section, secretId]];
    }),
  );
};

/**
 * The channel secrets of this process, read through `reader()` in AWS: each section's own secret
 * the function was given, else the legacy one secret of `SWITCHBOARD_SECRET_ARN`; the environment's
 * development defaults for `local` (where no reader is made). One provider per process: a Lambda
 * uses one kind of reader.
 */
export const processChannelSecrets =
  (reader: () => SecretValueReader): ChannelSecretsProvider =>
  () => {
    if (!processProvider) {
      // `local` first: a section ARN left exported in the shell (for `npm run erase`) must not send
      // the local hub to Secrets Manager with its development credentials.
      const sectionSecretIds = configuredSectionSecrets();
      if (runtimeConfig().SWITCHBOARD_SECRET_ARN === LOCAL_SECRET_ID) {
        processProvider = () => Promise.resolve(localSecretsFromEnv());
      } else if (Object.keys(sectionSecretIds).length > 0) {
        processProvider = cachedChannelSecrets({ reader: reader(), sectionSecretIds, logger });
      } else {
        // No secret named: this function was given no provider's credentials (its deployment uses
        // none it could read), and whatever asks for a section is refused, naming it.
        const secretId = runtimeConfig().SWITCHBOARD_SECRET_ARN;
        processProvider =
          secretId === undefined
            ? () => Promise.resolve({})
            : cachedChannelSecrets({ reader: reader(), secretId, logger });
      }
    }
    return processProvider();
  };

export const resetChannelSecrets = (): void => {
  processProvider = undefined;
};

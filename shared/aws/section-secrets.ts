import * as v from 'valibot';
import type { SecretSection } from '#shared/channels/registry.ts';
import { runtimeConfig } from '#shared/config/runtime.ts';
import {
  type ChannelSecrets,
  isSecretPlaceholder,
  localSecretsOf,
  type SectionParsers,
  secretsSchemaOf,
  sectionSecretVariable,
  sectionsOf,
  withUnreadableSections,
} from '#shared/config/secrets/sections.ts';
import { errorNameOf, type Logger, logger } from '#shared/observability/logger.ts';
import { issuePaths } from '#shared/validation/schema.ts';

/*
 * The channel credentials of the sections a function reads, read through a GetSecretValue port and
 * cached, so the same code runs on the SDK client (sender, e-mail intake: ./secrets.ts) and on the
 * webhooks' signed request (./signed/secrets-manager.ts). Which sections, and their schemas, the
 * caller passes (`SectionParsers`): all four for the functions that read several
 * (./channel-secrets.ts), a webhook its own alone (shared/intake/wiring.ts), so a webhook's bundle
 * holds no other section's schema. This module imports no AWS SDK and no section's schema.
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

/**
 * Parses the legacy one secret, its sections of `parsers` only (any other is neither read nor
 * checked). Errors say what is wrong by path only.
 */
const parseChannelSecrets = <S extends SecretSection>(
  parsers: SectionParsers<S>,
  secretString: string | undefined,
): ChannelSecrets => {
  const json = secretJson('secret', secretString);
  const parsed = v.safeParse(secretsSchemaOf(parsers), json);
  if (!parsed.success) {
    throw new ChannelSecretsError(
      `secret does not match ChannelSecretsSchema at: ${issuePaths(parsed.issues).join(', ')}`,
    );
  }
  return parsed.output as ChannelSecrets;
};

/**
 * One section's own secret: its section, or undefined while it holds the deploy's placeholder (a
 * provider the deployment does not use). Errors name the section and the failing paths only.
 */
const parseSection = <S extends SecretSection>(
  parsers: SectionParsers<S>,
  section: S,
  secretString: string | undefined,
): unknown => {
  const json = secretJson(`${section} secret`, secretString);
  if (isSecretPlaceholder(json)) return undefined;
  const parsed = v.safeParse(parsers[section].schema, json);
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
const readSections = async <S extends SecretSection>(
  parsers: SectionParsers<S>,
  reader: SecretValueReader,
  secretIds: SectionSecretIds,
  previous: ChannelSecrets | undefined,
  log: Logger | undefined,
): Promise<{ readonly secrets: ChannelSecrets; readonly failedReads: number }> => {
  const unreadable = new Map<SecretSection, string>();
  let failedReads = 0;
  const sections = await Promise.all(
    sectionsOf(parsers).map(async (section) => {
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
        const value = parseSection(parsers, section, output.SecretString);
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
 * The sections of `parsers`, cached for `ttlMs`; concurrent callers share one in-flight request.
 * Per-provider secrets: a section whose read fails keeps its previous value (a rotation keeps the
 * old credentials valid for a while) or is marked unreadable, and all are read again after
 * UNREADABLE_RETRY_MS, doubling while reads keep failing. The legacy one secret: when a refresh
 * fails the previous value keeps serving and the next call tries again; with nothing cached the
 * failure is thrown.
 */
export const cachedSectionSecrets = <S extends SecretSection>(
  parsers: SectionParsers<S>,
  options: CachedChannelSecretsOptions,
): ChannelSecretsProvider => {
  const ttlMs = options.ttlMs ?? SECRETS_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { value: ChannelSecrets; fetchedAt: number } | undefined;
  let inFlight: Promise<ChannelSecrets> | undefined;
  /** Per-provider refreshes in a row in which some read failed (the retry wait doubles with each). */
  let failedRefreshes = 0;

  const fetchFresh = async (): Promise<ChannelSecrets> => {
    if ('secretId' in options) {
      const value = parseChannelSecrets(
        parsers,
        (await options.reader.getSecretValue({ SecretId: options.secretId })).SecretString,
      );
      cached = { value, fetchedAt: now() };
      return value;
    }
    const read = await readSections(
      parsers,
      options.reader,
      options.sectionSecretIds,
      cached?.value,
      options.logger,
    );
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

/** This process's provider of each set of parsers (a function reads one set; tests and the local hub several). */
const processProviders = new Map<object, ChannelSecretsProvider>();

/** The section secrets of `parsers` this function was given (`SWITCHBOARD_<SECTION>_SECRET_ARN`). */
const configuredSectionSecrets = <S extends SecretSection>(parsers: SectionParsers<S>): SectionSecretIds => {
  const config = runtimeConfig();
  return Object.fromEntries(
    sectionsOf(parsers).flatMap((section) => {
      const secretId = config[sectionSecretVariable(section)];
      return secretId === undefined ? [] : [[section, secretId]];
    }),
  );
};

/** The provider of `parsers`' sections for this process's environment (see processSectionSecrets). */
const providerFor = <S extends SecretSection>(
  parsers: SectionParsers<S>,
  reader: () => SecretValueReader,
): ChannelSecretsProvider => {
  // `local` first: a section ARN left exported in the shell (for `npm run erase`) must not send
  // the local hub to Secrets Manager with its development credentials.
  const sectionSecretIds = configuredSectionSecrets(parsers);
  if (runtimeConfig().SWITCHBOARD_SECRET_ARN === LOCAL_SECRET_ID)
    return () => Promise.resolve(localSecretsOf(parsers));
  if (Object.keys(sectionSecretIds).length > 0)
    return cachedSectionSecrets(parsers, { reader: reader(), sectionSecretIds, logger });
  // No secret named: this function was given no provider's credentials (its deployment uses none
  // it could read), and whatever asks for a section is refused, naming it.
  const secretId = runtimeConfig().SWITCHBOARD_SECRET_ARN;
  return secretId === undefined
    ? () => Promise.resolve({})
    : cachedSectionSecrets(parsers, { reader: reader(), secretId, logger });
};

/**
 * The sections of `parsers` for this process, read through `reader()` in AWS: each section's own
 * secret the function was given, else the legacy one secret of `SWITCHBOARD_SECRET_ARN` (of which
 * only these sections are parsed); the environment's development defaults for `local` (where no
 * reader is made). One provider per set of parsers per process: a Lambda uses one kind of reader.
 */
export const processSectionSecrets =
  <S extends SecretSection>(
    parsers: SectionParsers<S>,
    reader: () => SecretValueReader,
  ): ChannelSecretsProvider =>
  () => {
    let provider = processProviders.get(parsers);
    if (!provider) {
      provider = providerFor(parsers, reader);
      processProviders.set(parsers, provider);
    }
    return provider();
  };

export const resetChannelSecrets = (): void => {
  processProviders.clear();
};

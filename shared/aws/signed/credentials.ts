import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { lazily, looseObject, nonEmptyString } from '#shared/validation/schema.ts';
import { type HttpGet, nodeHttpGet } from './http.ts';
import type { SigningCredentials } from './sigv4.ts';

/*
 * The credentials a signed request is made with, where Lambda puts them: the role's keys in
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, or, when those are absent (Lambda
 * SnapStart, containers), the container credentials endpoint: AWS_CONTAINER_CREDENTIALS_FULL_URI
 * (or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2) with the token of
 * AWS_CONTAINER_AUTHORIZATION_TOKEN or the file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE. The SDK's
 * order for what can apply in Lambda; profiles, SSO and instance metadata never do there.
 */

/** What the SDK's chain reports when no credentials are found; never retried. */
export class CredentialsProviderError extends Error {
  override readonly name = 'CredentialsProviderError';
}

export interface ExpiringCredentials extends SigningCredentials {
  readonly expiration?: Date;
}

/** The endpoint's answer (ECS, EKS Pod Identity and Lambda SnapStart answer alike). */
const ContainerCredentialsSchema = lazily(() =>
  looseObject({
    AccessKeyId: nonEmptyString(),
    SecretAccessKey: nonEmptyString(),
    Token: v.optional(v.string()),
    Expiration: v.optional(v.string()),
  }),
);

/** Refreshed this long before they expire, as the SDK does (5 minutes). */
const REFRESH_BEFORE_MS = 300_000;
const ECS_HOST = 'http://169.254.170.2';
const TIMEOUT_MS = 1000;
const ATTEMPTS = 3;

/** Plain http only to this host's loopback or the container agents' link-local addresses, as the SDK. */
const PLAIN_HTTP_HOSTS = new Set(['169.254.170.2', '169.254.170.23', '[fd00:ec2::23]', 'localhost', '[::1]']);

const allowedEndpoint = (url: URL): boolean =>
  url.protocol === 'https:' ||
  (url.protocol === 'http:' &&
    (PLAIN_HTTP_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)));

/** The keys in the environment, or undefined when either is missing or empty. */
export const credentialsFromEnv = (env: NodeJS.ProcessEnv): SigningCredentials | undefined => {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
};

const containerEndpoint = (env: NodeJS.ProcessEnv): URL | undefined => {
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  if (relative) return new URL(relative, ECS_HOST);
  if (!full) return undefined;
  const url = new URL(full);
  if (!allowedEndpoint(url)) {
    throw new CredentialsProviderError(
      `AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback or container agent address, not ${url.hostname}`,
    );
  }
  return url;
};

const authorizationOf = async (env: NodeJS.ProcessEnv): Promise<string | undefined> => {
  const file = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  // The file wins: EKS Pod Identity rotates it, so it is read on every fetch.
  if (file) return (await readFile(file, 'utf8')).trim();
  return env.AWS_CONTAINER_AUTHORIZATION_TOKEN || undefined;
};

/** One fetch from the container endpoint, retried twice on a failed connection or a 5xx. */
const fetchContainerCredentials = async (
  env: NodeJS.ProcessEnv,
  url: URL,
  get: HttpGet,
): Promise<ExpiringCredentials> => {
  const authorization = await authorizationOf(env);
  const headers: Record<string, string> = authorization ? { authorization } : {};
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await get(url, headers, TIMEOUT_MS);
      if (response.statusCode >= 500) throw new Error(`credentials endpoint answered ${response.statusCode}`);
      if (response.statusCode !== 200) {
        throw new CredentialsProviderError(`credentials endpoint answered ${response.statusCode}`);
      }
      const parsed = v.safeParse(ContainerCredentialsSchema, JSON.parse(response.body));
      if (!parsed.success) throw new CredentialsProviderError('credentials endpoint answered no credentials');
      const { AccessKeyId, SecretAccessKey, Token, Expiration } = parsed.output;
      const expiration = Expiration ? new Date(Expiration) : undefined;
      return {
        accessKeyId: AccessKeyId,
        secretAccessKey: SecretAccessKey,
        sessionToken: Token || undefined,
        ...(expiration && !Number.isNaN(expiration.getTime()) ? { expiration } : {}),
      };
    } catch (error) {
      if (error instanceof CredentialsProviderError) throw error;
      lastError = error;
    }
  }
  // The error's name only: a JSON parse error's message quotes the body, which holds the keys.
  throw new CredentialsProviderError(
    `credentials endpoint unreachable: ${lastError instanceof Error ? lastError.name : 'unknown error'}`,
  );
};

export type CredentialsSource = () => Promise<SigningCredentials>;

/**
 * The environment's keys (read on every call, as they are cheap and tests change them), else the
 * container endpoint's, kept until five minutes before they expire; concurrent callers share one fetch.
 */
export const credentialsSource = (
  env: NodeJS.ProcessEnv,
  { get = nodeHttpGet, now = Date.now }: { readonly get?: HttpGet; readonly now?: () => number } = {},
): CredentialsSource => {
  let cached: ExpiringCredentials | undefined;
  let pending: Promise<ExpiringCredentials> | undefined;
  const fresh = (credentials: ExpiringCredentials): boolean =>
    credentials.expiration === undefined || credentials.expiration.getTime() - now() > REFRESH_BEFORE_MS;
  return async () => {
    const fromEnv = credentialsFromEnv(env);
    if (fromEnv) return fromEnv;
    if (cached && fresh(cached)) return cached;
    const url = containerEndpoint(env);
    if (!url) {
      throw new CredentialsProviderError(
        'no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, nor a container credentials endpoint',
      );
    }
    pending ??= fetchContainerCredentials(env, url, get).finally(() => {
      pending = undefined;
    });
    cached = await pending;
    return cached;
  };
};

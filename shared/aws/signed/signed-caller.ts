import type { MiddlewareObj } from '@middy/core';
import { announceSignedRequest } from '../clients.ts';
import {
  CredentialsProviderError,
  type CredentialsSource,
  credentialsFromEnv,
  credentialsSource,
} from './credentials.ts';
import {
  type HttpGet,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  nodeHttpTransport,
  TimeoutError,
} from './http.ts';
import type { SigningCredentials } from './sigv4.ts';

/*
 * What every signed call shares, whatever its protocol (aws-json.ts, s3.ts): credentials and region
 * from the variables Lambda sets, one request per attempt signed afresh, and the retries, here and
 * only here: the SDK's standard policy (3 attempts, full-jitter backoff, throttling, 5xx, timeouts
 * and dropped connections), so a failure the caller sees was retried just as the SDK would.
 */

/** An error answer of the service, named like the SDK's exception for it. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId: string | undefined };
  constructor(name: string, message: string, httpStatusCode: number, requestId: string | undefined) {
    super(message);
    this.name = name;
    this.$fault = httpStatusCode < 500 ? 'client' : 'server';
    this.$metadata = { httpStatusCode, requestId };
  }
}

// The SDK's classification (@smithy/core retry/service-error-classification).
const THROTTLING_CODES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const isThrottling = (error: unknown): boolean =>
  error instanceof AwsServiceError &&
  (error.$metadata.httpStatusCode === 429 || THROTTLING_CODES.has(error.name));

/**
 * Worth another attempt: throttling, a 5xx, a timeout, a dropped or refused connection. Not: our
 * own mistakes (4xx: invalid input, missing queue, access denied) and missing credentials.
 */
export const isRetryable = (error: unknown): boolean => {
  if (error instanceof AwsServiceError) {
    return isThrottling(error) || TRANSIENT_NAMES.has(error.name) || error.$metadata.httpStatusCode >= 500;
  }
  if (!(error instanceof Error)) return false;
  return TRANSIENT_NAMES.has(error.name) || NETWORK_CODES.has((error as { code?: string }).code ?? '');
};

export interface SignedCallerOptions {
  /**
   * Read on every call: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, else
   * the container credentials endpoint's variables (shared/aws/signed/credentials.ts).
   */
  readonly env?: NodeJS.ProcessEnv;
  /** Attempts per call, the first included. @default AWS_MAX_ATTEMPTS when a whole number ≥ 1, else 3 (the SDK's) */
  readonly maxAttempts?: number;
  /** Per attempt, until the whole answer is read. @default 3000 */
  readonly timeoutMs?: number;
  readonly transport?: HttpTransport;
  /** How the container credentials endpoint is asked, when the environment has no keys (tests). */
  readonly credentialsGet?: HttpGet;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /**
   * When the current invocation must have answered (epoch ms, on the `now` clock), or undefined:
   * no attempt or wait runs past it. @default the invocation's (signedCallDeadline)
   */
  readonly deadline?: () => number | undefined;
  /**
   * Tell `observeSignedRequests` of each call (the benchmark's count of the functions' AWS calls).
   * The local event sources' polls, Lambda's own calls in AWS, are not told. @default true
   */
  readonly announce?: boolean;
}

let invocationDeadline: number | undefined;

/**
 * The invocation's deadline for every signed request made during it, taken from Lambda's context
 * and cleared after it (as `logRequestId` does the request id): a retry that could not finish in
 * time is not started, so the handler still answers (503) and logs what it could not queue, instead
 * of being cut off by the function's timeout.
 */
export const signedCallDeadline = (): MiddlewareObj => ({
  name: 'switchboardSignedCallDeadline',
  before: (request) => {
    const remaining = request.context.getRemainingTimeInMillis?.();
    invocationDeadline = Number.isFinite(remaining) ? Date.now() + remaining : undefined;
  },
  after: () => {
    invocationDeadline = undefined;
  },
  onError: () => {
    invocationDeadline = undefined;
  },
});

/** The current invocation's deadline (signedCallDeadline), or undefined outside one. */
export const currentInvocationDeadline = (): number | undefined => invocationDeadline;

/** Kept free at the end of an invocation to answer and log. */
const ANSWER_MARGIN_MS = 1_000;
/** Less than this left: no new attempt. */
const MIN_ATTEMPT_MS = 250;

/** Base delays of the SDK's standard retry strategy. */
const RETRY_BASE_MS = 100;
const THROTTLING_RETRY_BASE_MS = 500;
const MAX_RETRY_DELAY_MS = 20_000;

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * AWS_MAX_ATTEMPTS, which the SDK's clients read too (found by a review: with the functions' DynamoDB
 * calls signed, a deployment's or a test's setting would otherwise stop applying to them).
 */
const attemptsFrom = (env: NodeJS.ProcessEnv): number | undefined => {
  const raw = env.AWS_MAX_ATTEMPTS?.trim();
  return raw !== undefined && /^[1-9][0-9]{0,2}$/.test(raw) ? Number(raw) : undefined;
};

/** The environment's keys, for a request signed without asking the container endpoint. */
const requireEnvCredentials = (env: NodeJS.ProcessEnv): SigningCredentials => {
  const credentials = credentialsFromEnv(env);
  if (!credentials)
    throw new CredentialsProviderError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
  return credentials;
};

/** The domain of a region's AWS endpoints (China's partition has its own). */
export const awsDomainFor = (region: string): string =>
  region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';

/** One call's own settings, over the caller's. */
export interface CallOptions {
  /** Per attempt, for a call that waits by design (a long poll). @default the caller's `timeoutMs` */
  readonly timeoutMs?: number;
  /** Ends the call with Node's AbortError, which is never retried. */
  readonly signal?: AbortSignal;
}

/** Builds one attempt's request, signed with these credentials at this time. */
export type BuildRequest = (credentials: SigningCredentials, date: Date, region: string) => HttpRequest;

export class SignedCaller {
  readonly env: NodeJS.ProcessEnv;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly transport: HttpTransport;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly credentials: CredentialsSource;
  private readonly deadline: () => number | undefined;
  private readonly announce: (operation: string, kind: 'command' | 'attempt') => void;

  constructor(options: SignedCallerOptions) {
    this.announce = options.announce === false ? () => {} : announceSignedRequest;
    this.deadline = options.deadline ?? (() => invocationDeadline);
    this.env = options.env ?? process.env;
    this.maxAttempts = options.maxAttempts ?? attemptsFrom(this.env) ?? 3;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.transport = options.transport ?? nodeHttpTransport;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? sleepFor;
    this.random = options.random ?? Math.random;
    this.credentials = credentialsSource(
      this.env,
      options.credentialsGet ? { get: options.credentialsGet } : {},
    );
  }

  region(): string {
    const region = this.env.AWS_REGION;
    if (!region) throw new Error('Region is missing: AWS_REGION is not set');
    return region;
  }

  /** One attempt's request signed now with the environment's keys, unless given others. */
  build(build: BuildRequest, credentials: SigningCredentials = requireEnvCredentials(this.env)): HttpRequest {
    return build(credentials, this.now(), this.region());
  }

  /**
   * Sends `build`'s request, retrying what `isRetryable` allows; `read` turns an answer into the
   * output or throws the service's error. The last error when every attempt failed.
   */
  async call<Output>(
    operation: string,
    build: BuildRequest,
    read: (response: HttpResponse) => Output,
    options: CallOptions = {},
  ): Promise<Output> {
    const perAttemptMs = options.timeoutMs ?? this.timeoutMs;
    this.announce(operation, 'command');
    for (let attempt = 1; ; attempt++) {
      try {
        this.announce(operation, 'attempt');
        const credentials = await this.credentials();
        const left = this.timeLeft();
        if (left !== undefined && left < MIN_ATTEMPT_MS)
          throw new TimeoutError(`no time left in this invocation for ${operation}`);
        const timeoutMs =
          left === undefined ? perAttemptMs : Math.max(MIN_ATTEMPT_MS, Math.min(perAttemptMs, left));
        const response = await this.transport(this.build(build, credentials), timeoutMs, options.signal);
        return read(response);
      } catch (error) {
        if (attempt >= this.maxAttempts || !isRetryable(error)) throw error;
        const wait = this.backoff(attempt, error);
        const left = this.timeLeft();
        if (left !== undefined && left - wait < MIN_ATTEMPT_MS) throw error;
        await this.sleep(wait);
      }
    }
  }

  /** Milliseconds left for attempts and waits before the invocation must answer; undefined: no deadline. */
  private timeLeft(): number | undefined {
    const deadline = this.deadline();
    return deadline === undefined ? undefined : deadline - this.now().getTime() - ANSWER_MARGIN_MS;
  }

  /** Full jitter, as the SDK: a random wait up to base × 2^attempt, capped at 20 s. */
  private backoff(attempt: number, error: unknown): number {
    const base = isThrottling(error) ? THROTTLING_RETRY_BASE_MS : RETRY_BASE_MS;
    return Math.floor(this.random() * Math.min(MAX_RETRY_DELAY_MS, base * 2 ** attempt));
  }
}

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
} from './http.ts';
import { type SigningCredentials, signRequest } from './sigv4.ts';

export type { HttpRequest, HttpResponse, HttpTransport } from './http.ts';

/*
 * One AWS JSON-protocol call (awsJson1_0, awsJson1_1) as a SigV4-signed HTTPS POST, without the
 * SDK: the webhooks' two calls (SQS SendMessageBatch, Secrets Manager GetSecretValue). Credentials
 * and region come from the variables Lambda sets; the endpoint from the same variables the SDK
 * reads (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL) or an explicit one. Retries are here, in
 * `call`, and only here: the SDK's standard policy (3 attempts, full-jitter backoff, throttling,
 * 5xx, timeouts and dropped connections), so a failure the caller sees was retried just as before.
 */

export interface AwsJsonService {
  /** SigV4 signing name and endpoint prefix: `sqs`, `secretsmanager`. */
  readonly signingName: string;
  /** The suffix of its AWS_ENDPOINT_URL_<SERVICE> variable: `SQS`, `SECRETS_MANAGER`. */
  readonly endpointVariable: string;
  /** X-Amz-Target's prefix: `AmazonSQS`, `secretsmanager`. */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
  /**
   * SQS answers JSON with the legacy query error codes alongside (`x-amzn-query-error`), as the SDK
   * asks with `x-amzn-query-mode`; error names then follow the SDK's (see `errorNameOf`).
   */
  readonly queryCompatibleNamespace?: string;
}

/** An error answer of the service, named like the SDK's exception for it. */
class AwsServiceError extends Error {
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

/** The SDK's rules: `__type` without its namespace, else the query code, `code`, x-amzn-errortype. */
const errorNameOf = (
  service: AwsJsonService,
  response: HttpResponse,
  body: Record<string, unknown>,
): string => {
  const sanitize = (raw: string): string => {
    const value = (raw.split(',')[0] ?? '').split(':')[0] ?? '';
    return value.includes('#') ? (value.split('#')[1] ?? value) : value;
  };
  const type = typeof body.__type === 'string' ? body.__type : undefined;
  const queryCode = response.headers['x-amzn-query-error']?.split(';')[0];
  if (service.queryCompatibleNamespace && queryCode) {
    // A modeled error carries the service's namespace and keeps its modeled name; anything else
    // (AccessDenied from the front door) is named by its legacy code, as the SDK does.
    return type?.startsWith(`${service.queryCompatibleNamespace}#`) ? sanitize(type) : queryCode;
  }
  const code =
    typeof body.code === 'string' ? body.code : typeof body.Code === 'string' ? body.Code : undefined;
  const raw = type ?? code ?? response.headers['x-amzn-errortype'];
  return raw ? sanitize(raw) : 'Unknown';
};

const parseJson = (text: string): Record<string, unknown> => {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

/**
 * A success's body: JSON or nothing. A garbled answer fails the call (as the SDK's deserializer
 * does) instead of reading as an empty batch result, which would count every entry as queued.
 */
const parseAnswer = (text: string): Record<string, unknown> => {
  if (text.trim() === '') return {};
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) throw new SyntaxError('answer is not a JSON object');
  return value as Record<string, unknown>;
};

const toServiceError = (service: AwsJsonService, response: HttpResponse): AwsServiceError => {
  const body = parseJson(response.body);
  const message =
    typeof body.message === 'string'
      ? body.message
      : typeof body.Message === 'string'
        ? body.Message
        : 'UnknownError';
  return new AwsServiceError(
    errorNameOf(service, response, body),
    message,
    response.statusCode,
    response.headers['x-amzn-requestid'],
  );
};

export interface AwsJsonClientOptions {
  readonly service: AwsJsonService;
  /** Wins over AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL (the local hub's emulators). */
  readonly endpoint?: string;
  /**
   * Read on every call: AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, else
   * the container credentials endpoint's variables (shared/aws/signed/credentials.ts).
   */
  readonly env?: NodeJS.ProcessEnv;
  /** Attempts per call, the first included. @default 3 (the SDK's) */
  readonly maxAttempts?: number;
  /** Per attempt, until the whole answer is read. @default 3000 */
  readonly timeoutMs?: number;
  readonly transport?: HttpTransport;
  /** How the container credentials endpoint is asked, when the environment has no keys (tests). */
  readonly credentialsGet?: HttpGet;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Base delays of the SDK's standard retry strategy. */
const RETRY_BASE_MS = 100;
const THROTTLING_RETRY_BASE_MS = 500;
const MAX_RETRY_DELAY_MS = 20_000;

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The environment's keys, for a request signed without asking the container endpoint. */
const requireEnvCredentials = (env: NodeJS.ProcessEnv): SigningCredentials => {
  const credentials = credentialsFromEnv(env);
  if (!credentials)
    throw new CredentialsProviderError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
  return credentials;
};

/** Explicit endpoint, else the SDK's variables, else the service's regional endpoint. */
const endpointFor = (
  service: AwsJsonService,
  region: string,
  env: NodeJS.ProcessEnv,
  explicit?: string,
): URL => {
  const configured = explicit ?? env[`AWS_ENDPOINT_URL_${service.endpointVariable}`] ?? env.AWS_ENDPOINT_URL;
  if (configured) return new URL(configured);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://${service.signingName}.${region}.${suffix}/`);
};

export class AwsJsonClient {
  private readonly env: NodeJS.ProcessEnv;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly transport: HttpTransport;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly credentials: CredentialsSource;

  constructor(private readonly options: AwsJsonClientOptions) {
    this.env = options.env ?? process.env;
    this.maxAttempts = options.maxAttempts ?? 3;
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

  /** The request for one attempt, signed at `now()` (with the environment's keys unless given others). */
  signedRequest(
    operation: string,
    input: object,
    credentials: SigningCredentials = requireEnvCredentials(this.env),
  ): HttpRequest {
    const { service } = this.options;
    const region = this.env.AWS_REGION;
    if (!region) throw new Error('Region is missing: AWS_REGION is not set');
    const url = endpointFor(service, region, this.env, this.options.endpoint);
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    const body = JSON.stringify(input);
    const headers: Record<string, string> = {
      'content-type': `application/x-amz-json-${service.jsonVersion}`,
      'content-length': String(Buffer.byteLength(body, 'utf8')),
      'x-amz-target': `${service.targetPrefix}.${operation}`,
      ...(service.queryCompatibleNamespace ? { 'x-amzn-query-mode': 'true' } : {}),
    };
    const signed = signRequest(
      { method: 'POST', url, headers, body },
      { credentials, region, service: service.signingName, date: this.now() },
    );
    return { method: 'POST', url, headers: signed, body };
  }

  /** Calls `operation`, retrying what `isRetryable` allows; the parsed JSON answer or the last error. */
  async call<Output>(operation: string, input: object): Promise<Output> {
    announceSignedRequest(operation, 'command');
    for (let attempt = 1; ; attempt++) {
      try {
        announceSignedRequest(operation, 'attempt');
        const credentials = await this.credentials();
        const response = await this.transport(
          this.signedRequest(operation, input, credentials),
          this.timeoutMs,
        );
        if (response.statusCode < 200 || response.statusCode >= 300) {
          throw toServiceError(this.options.service, response);
        }
        return parseAnswer(response.body) as Output;
      } catch (error) {
        if (attempt >= this.maxAttempts || !isRetryable(error)) throw error;
        await this.sleep(this.backoff(attempt, error));
      }
    }
  }

  /** Full jitter, as the SDK: a random wait up to base × 2^attempt, capped at 20 s. */
  private backoff(attempt: number, error: unknown): number {
    const base = isThrottling(error) ? THROTTLING_RETRY_BASE_MS : RETRY_BASE_MS;
    return Math.floor(this.random() * Math.min(MAX_RETRY_DELAY_MS, base * 2 ** attempt));
  }
}

import type { HttpRequest, HttpResponse } from './http.ts';
import {
  AwsServiceError,
  awsDomainFor,
  type CallOptions,
  SignedCaller,
  type SignedCallerOptions,
} from './signed-caller.ts';
import { type RequestToSign, type SigningCredentials, type SigningScope, signRequest } from './sigv4.ts';

export type { HttpRequest, HttpResponse } from './http.ts';
export { isRetryable } from './signed-caller.ts';

/*
 * One AWS JSON-protocol call (awsJson1_0, awsJson1_1) as a SigV4-signed HTTPS POST, without the
 * SDK: the webhooks' calls (SQS SendMessageBatch, Secrets Manager GetSecretValue, DynamoDB PutItem).
 * The endpoint comes from the same variables the SDK reads (AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL) or an explicit one; credentials, region and retries from ./signed-caller.ts.
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

const toServiceError = (
  service: AwsJsonService,
  response: HttpResponse,
  members: readonly string[] = [],
): AwsServiceError => {
  const body = parseJson(response.body);
  const message =
    typeof body.message === 'string'
      ? body.message
      : typeof body.Message === 'string'
        ? body.Message
        : 'UnknownError';
  const error = new AwsServiceError(
    errorNameOf(service, response, body),
    message,
    response.statusCode,
    response.headers['x-amzn-requestid'],
  );
  // The modeled members the SDK's exception carries too (DynamoDB's old `Item` on a failed condition).
  for (const member of members)
    if (body[member] !== undefined) Object.assign(error, { [member]: body[member] });
  return error;
};

/** The headers one attempt sends: SigV4's (`signRequest`), or what stands in for it. */
export type RequestSigner = (request: RequestToSign, scope: SigningScope) => Record<string, string>;

/** Services whose calls this thread does not sign, by signing name (replaceSigning). */
const replacedSigners = new Map<string, RequestSigner>();

/**
 * Every JSON-protocol call to the service (by signing name: `dynamodb`, `sqs`) made in this thread
 * from now on, by any client, gets its headers from `signer` instead of SigV4: the local hub's
 * execution environments, whose emulators check no signature (shared/local/placeholder-signing.ts).
 * Nothing a Lambda runs calls it. Returns the undo.
 */
export const replaceSigning = (signingName: string, signer: RequestSigner): (() => void) => {
  replacedSigners.set(signingName, signer);
  return () => {
    if (replacedSigners.get(signingName) === signer) replacedSigners.delete(signingName);
  };
};

export interface AwsJsonClientOptions extends SignedCallerOptions {
  readonly service: AwsJsonService;
  /** This client's headers instead of SigV4's (the local hub's own pollers). @default signRequest, or replaceSigning's */
  readonly signer?: RequestSigner;
  /** Wins over AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL (the local hub's emulators). */
  readonly endpoint?: string;
  /** Members of an error answer copied onto the error, as the SDK's exception has them. @default none */
  readonly errorMembers?: readonly string[];
}

/** Explicit endpoint, else the SDK's variables, else the service's regional endpoint. */
const endpointFor = (
  service: AwsJsonService,
  region: string,
  env: NodeJS.ProcessEnv,
  explicit?: string,
): URL => {
  const configured = explicit ?? env[`AWS_ENDPOINT_URL_${service.endpointVariable}`] ?? env.AWS_ENDPOINT_URL;
  if (configured) return new URL(configured);
  return new URL(`https://${service.signingName}.${region}.${awsDomainFor(region)}/`);
};

export class AwsJsonClient {
  private readonly caller: SignedCaller;

  constructor(private readonly options: AwsJsonClientOptions) {
    this.caller = new SignedCaller(options);
  }

  /** The request for one attempt, signed at `now()` (with the environment's keys unless given others). */
  signedRequest(operation: string, input: object, credentials?: SigningCredentials): HttpRequest {
    return this.caller.build(this.requestFor(operation, input), credentials);
  }

  /** Calls `operation`, retrying what `isRetryable` allows; the parsed JSON answer or the last error. */
  call<Output>(operation: string, input: object, options?: CallOptions): Promise<Output> {
    return this.caller.call(
      operation,
      this.requestFor(operation, input),
      (response) => {
        if (response.statusCode < 200 || response.statusCode >= 300) {
          throw toServiceError(this.options.service, response, this.options.errorMembers);
        }
        return parseAnswer(response.body) as Output;
      },
      options,
    );
  }

  private requestFor(operation: string, input: object) {
    const { service } = this.options;
    const body = JSON.stringify(input);
    return (credentials: SigningCredentials, date: Date, region: string): HttpRequest => {
      const url = endpointFor(service, region, this.caller.env, this.options.endpoint);
      if (!url.pathname.endsWith('/')) url.pathname += '/';
      const headers: Record<string, string> = {
        'content-type': `application/x-amz-json-${service.jsonVersion}`,
        'content-length': String(Buffer.byteLength(body, 'utf8')),
        'x-amz-target': `${service.targetPrefix}.${operation}`,
        ...(service.queryCompatibleNamespace ? { 'x-amzn-query-mode': 'true' } : {}),
      };
      const sign = this.options.signer ?? replacedSigners.get(service.signingName) ?? signRequest;
      const signed = sign(
        { method: 'POST', url, headers, body },
        { credentials, region, service: service.signingName, date },
      );
      return { method: 'POST', url, headers: signed, body };
    };
  }
}

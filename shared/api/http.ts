import type { z } from 'zod';

/** A request as the API's handlers see it: already routed by API Gateway (or the local hub). */
export interface ApiRequest {
  readonly method: string;
  /** The raw path, e.g. `/v1/conversations/conv_…`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /**
   * The query parameters the raw query string names more than once (payload 2.0 joins their values
   * with commas in `query`): the router refuses them.
   */
  readonly repeatedQuery?: readonly string[];
  /** Names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  /** Who called (an IAM ARN, a JWT subject, `local-developer`); never logged with personal data. */
  readonly principal: string;
  /** API Gateway's id of the request (its access log's `requestId`); the local hub's own. */
  readonly apiRequestId?: string;
  /** Came by the catch-all route (operations.ts): API Gateway matched none of the routes. */
  readonly unmatched?: true;
  /**
   * The route API Gateway matched and authorized (`GET /v1/contacts/{contactId}`), when it names one:
   * the only route this request may run (router.ts).
   */
  readonly routeKey?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** RFC 9457 problem types: stable URNs, one per kind of failure. */
export const PROBLEMS = {
  invalidRequest: {
    type: 'urn:switchboard:problem:invalid-request',
    title: 'The request is not valid',
    status: 400,
  },
  unauthorized: {
    type: 'urn:switchboard:problem:unauthorized',
    title: 'Authentication required',
    status: 401,
  },
  notFound: { type: 'urn:switchboard:problem:not-found', title: 'Not found', status: 404 },
  mediaNotKept: {
    type: 'urn:switchboard:problem:media-not-kept',
    title: 'The hub does not keep this attachment',
    status: 404,
  },
  methodNotAllowed: {
    type: 'urn:switchboard:problem:method-not-allowed',
    title: 'Method not allowed',
    status: 405,
  },
  conflict: {
    type: 'urn:switchboard:problem:conflict',
    title: 'The request conflicts with the current state',
    status: 409,
  },
  idempotencyKeyErased: {
    type: 'urn:switchboard:problem:idempotency-key-erased',
    title: 'The Idempotency-Key named a change erased with its person',
    status: 409,
  },
  mediaNotStored: {
    type: 'urn:switchboard:problem:media-not-stored',
    title: 'The attachment is not stored yet',
    status: 409,
  },
  mediaFailed: {
    type: 'urn:switchboard:problem:media-failed',
    title: 'The attachment could not be stored',
    status: 410,
  },
  preconditionFailed: {
    type: 'urn:switchboard:problem:version-mismatch',
    title: 'The conversation changed since that version',
    status: 412,
  },
  tooLarge: {
    type: 'urn:switchboard:problem:payload-too-large',
    title: 'The body is too large',
    status: 413,
  },
  idempotencyKeyReused: {
    type: 'urn:switchboard:problem:idempotency-key-reused',
    title: 'The Idempotency-Key was already used for other content',
    status: 422,
  },
  unsupportedMediaType: {
    type: 'urn:switchboard:problem:unsupported-media-type',
    title: 'The body must be application/json',
    status: 415,
  },
  preconditionRequired: {
    type: 'urn:switchboard:problem:if-match-required',
    title: 'If-Match with the current version is required',
    status: 428,
  },
  internal: { type: 'urn:switchboard:problem:internal', title: 'Internal error', status: 500 },
} as const;
export type ProblemKind = keyof typeof PROBLEMS;

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export const problem = (
  kind: ProblemKind,
  detail?: string,
  extra: {
    errors?: readonly FieldError[];
    headers?: Record<string, string>;
    /** Why, as a stable code (an attachment's `media_failed` reason). */
    reason?: string;
  } = {},
): ApiResponse => {
  const { type, title, status } = PROBLEMS[kind];
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...extra.headers },
    body: {
      type,
      title,
      status,
      ...(detail ? { detail } : {}),
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(extra.errors && extra.errors.length > 0 ? { errors: extra.errors } : {}),
    },
  };
};

/** Raised by a handler: becomes the problem response (validation, 404, 412…). */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(readonly response: ApiResponse) {
    super('api problem');
  }
}

export const fail = (...args: Parameters<typeof problem>): never => {
  throw new ApiProblem(problem(...args));
};

/** The fields at fault, as `where.path` (never the values: they may be a customer's text). */
const fieldErrorsOf = (where: string, error: z.ZodError): FieldError[] =>
  error.issues.slice(0, 20).map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));

/** Parses one part of the request, or answers 400 naming the failing fields. */
export const parseOr400 = <S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> => {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  return fail('invalidRequest', `invalid ${where}`, { errors: fieldErrorsOf(where, parsed.error) });
};

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body,
});

import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { BODY_WHITESPACE_BYTES } from './body-limit.ts';
import { PROBLEMS, type ProblemKind } from './http.ts';
import { API_ROUTES, type ApiOperation, COMMON_PROBLEMS, maxBodyOf } from './operations.ts';
import { ProblemSchema } from './responses.ts';

/** Version of the API contract; the major is the path's `/v1`. */
const API_VERSION = '1.0.0';

/** The conversation's version and creation marker, as a read answers it and `If-Match` takes it. */
const ETAG_DESCRIPTION =
  'The version and a marker of the conversation\'s creation as a strong ETag, e.g. `"12.1f0c9a3b"`: a conversation erased and created again under its id has another.';

/**
 * What every answer of the API's function carries, deployed or on the local hub (shared/api/apigw.ts
 * adds it to each, success and problem alike); the router's own answers, which most tests read, do
 * not: declared on every response, never required.
 */
const CACHE_CONTROL = {
  'cache-control': z
    .literal('no-store')
    .optional()
    .meta({
      header: { id: 'CacheControl' },
      description: 'Always `no-store` (deployed and on the local hub): no cache may keep an answer.',
    }),
};

/**
 * The headers a problem carries beside its body, by kind: the conversation's current ETag with a
 * stale PATCH's 412 (handlers.ts, answerStale), when to ask again with `media-not-stored`
 * (media.ts). Response headers the document does not declare fail the API's tests.
 */
const PROBLEM_HEADERS: Partial<Record<ProblemKind, Record<string, z.ZodType>>> = {
  preconditionFailed: {
    etag: z.string().meta({
      description: `The conversation's current ETag: send the change again with it in \`If-Match\` if it still holds. ${ETAG_DESCRIPTION}`,
    }),
  },
  mediaNotStored: {
    'retry-after': z.int().min(1).meta({
      description: 'Seconds to wait before asking again: the copy is queued or under way.',
    }),
  },
};

/**
 * The body of an answer API Gateway gives itself, before the function runs or instead of its answer:
 * `{"message":"Forbidden"}`, as `application/json`.
 */
const GatewayErrorSchema = z.strictObject({ message: z.string() }).meta({
  id: 'GatewayError',
  description:
    'API Gateway\'s own answer, not the function\'s: `{"message":"Forbidden"}`, `{"message":"Too Many Requests"}`…',
});

/**
 * The answers API Gateway gives itself on every route, by status: deployed, a client meets these
 * beside the function's problems, with API Gateway's own body (GatewayError).
 */
const GATEWAY_ANSWERS: Readonly<Record<number, string>> = {
  401: 'API Gateway, with a JWT authorizer: no token, or one it does not take (`{"message":"Unauthorized"}`, `WWW-Authenticate` saying why)',
  403: 'API Gateway: IAM authorization failed (no SigV4 signature, a wrong one, a policy that does not allow the route), or a JWT without the route\'s scope (`{"message":"Forbidden"}`)',
  413: 'API Gateway: a body over its 10 MB, or a request over Lambda\'s 6 MB invocation payload (`{"message":"Request Entity Too Large"}`)',
  429: 'API Gateway: the request was throttled (`{"message":"Too Many Requests"}`)',
  500: 'API Gateway: the function failed, or gave an answer it could not read (`{"message":"Internal Server Error"}`)',
  503: 'API Gateway: the function did not answer in time (`{"message":"Service Unavailable"}`); the local hub while it starts or stops, as a problem with `Retry-After`',
};

/** Headers of the answers API Gateway (or the local hub in its place) gives itself, by status. */
const GATEWAY_HEADERS: Readonly<Record<number, Record<string, z.ZodType>>> = {
  401: {
    'www-authenticate': z.string().meta({
      description:
        "The scheme to authenticate with (RFC 9110 11.6.1): `Bearer` (the function's, the local hub's with its realm, API Gateway's JWT authorizer's with the error).",
    }),
  },
  503: {
    'retry-after': z.int().min(1).optional().meta({
      description: 'The local hub while it starts or stops: seconds to wait before asking again.',
    }),
  },
};

/** The headers of a status's problems: required when every kind of the status carries it. */
const problemHeaders = (kinds: readonly ProblemKind[], status: number) => {
  const shape: Record<string, z.ZodType> = { ...CACHE_CONTROL };
  for (const kind of kinds)
    for (const [name, schema] of Object.entries(PROBLEM_HEADERS[kind] ?? {}))
      shape[name] = kinds.every((other) => PROBLEM_HEADERS[other]?.[name] !== undefined)
        ? schema
        : schema.optional();
  return z.object({ ...shape, ...GATEWAY_HEADERS[status] });
};

/**
 * A status's answers: the function's problems of it, and API Gateway's own answer where it gives
 * one (then the body is either: `oneOf` Problem and GatewayError). Until 2026-12-06 the document
 * declared 401 and 500 as problems only and 403, 429 and 503 not at all, though API Gateway answers
 * each with its own body (found by a review, tests/contract/openapi.test.ts).
 */
const problemResponseOf = (kinds: readonly ProblemKind[], status: number) => {
  const gateway = GATEWAY_ANSWERS[status];
  return {
    description: [
      ...kinds.map((kind) => `${PROBLEMS[kind].title} (\`${PROBLEMS[kind].type}\`)`),
      ...(gateway ? [gateway] : []),
    ].join('; '),
    headers: problemHeaders(kinds, status),
    content: gateway
      ? {
          'application/problem+json': { schema: z.xor([ProblemSchema, GatewayErrorSchema]) },
          'application/json': { schema: GatewayErrorSchema },
        }
      : { 'application/problem+json': { schema: ProblemSchema } },
    // An answer API Gateway gives is the same on most operations: one component each operation
    // refers to, named by its status and problems (inline, they made the document half as large again).
    ...(gateway ? { id: ['Status', status, ...kinds].join('-') } : {}),
  };
};

/** One object per status and problems: a component is registered once, as the same object. */
const problemResponseCache = new Map<string, ReturnType<typeof problemResponseOf>>();

const problemResponse = (kinds: readonly ProblemKind[], status: number) => {
  const key = [status, ...kinds].join(' ');
  const cached = problemResponseCache.get(key);
  if (cached) return cached;
  const response = problemResponseOf(kinds, status);
  problemResponseCache.set(key, response);
  return response;
};

/**
 * Problems of an operation grouped by status (412 and 428 never share one, but two kinds may), and
 * the answers API Gateway gives itself on every route.
 */
const problemResponses = (operation: ApiOperation) => {
  const byStatus = new Map<number, ProblemKind[]>(
    Object.keys(GATEWAY_ANSWERS).map((status) => [Number(status), []]),
  );
  for (const kind of [...COMMON_PROBLEMS, ...operation.problems]) {
    const { status } = PROBLEMS[kind];
    byStatus.set(status, [...(byStatus.get(status) ?? []), kind]);
  }
  return Object.fromEntries(
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, kinds]) => [status, problemResponse(kinds, status)]),
  );
};

/**
 * The operation's description, with the body limit the router enforces when it takes a body and
 * the JWT scope a deployment with a scope prefix requires of its route (infra/constructs/helpdesk-api.ts).
 */
const descriptionOf = (operation: ApiOperation): string => {
  const maxBody = maxBodyOf(operation);
  const limit = maxBody > 0 ? `The body takes at most ${maxBody} bytes: 413 above.` : '';
  const access = `Access \`${operation.access}\`: a deployment authorizing JWTs with a scope prefix requires the scope \`<prefix>/${operation.access}\` (API Gateway answers 403 without it).`;
  return [operation.description, limit, access].filter(Boolean).join(' ');
};

const operationObject = (operation: ApiOperation): ZodOpenApiOperationObject => ({
  operationId: operation.handler,
  summary: operation.summary,
  description: descriptionOf(operation),
  // The route's access, for a client or a gateway to read; as the bearer's role too (OpenAPI 3.1
  // allows roles on any scheme), which the bearer scheme's description maps to the scope.
  'x-switchboard-access': operation.access,
  security: [{ sigv4: [] }, { bearer: [operation.access] }],
  ...(operation.pathParams || operation.query || operation.headers
    ? {
        requestParams: {
          ...(operation.pathParams ? { path: operation.pathParams } : {}),
          ...(operation.query ? { query: operation.query } : {}),
          ...(operation.headers ? { header: operation.headers } : {}),
        },
      }
    : {}),
  ...(operation.body
    ? {
        requestBody: {
          required: operation.handler !== 'typing',
          content: { 'application/json': { schema: operation.body } },
        },
      }
    : {}),
  responses: {
    [operation.success.status]: {
      description: operation.success.description,
      headers: z.object({
        ...CACHE_CONTROL,
        ...(operation.success.etag ? { etag: z.string().meta({ description: ETAG_DESCRIPTION }) } : {}),
      }),
      content: { 'application/json': { schema: operation.success.schema } },
    },
    ...problemResponses(operation),
  },
});

const pathsObject = (): ZodOpenApiPathsObject => {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const operation of API_ROUTES as readonly ApiOperation[]) {
    paths[operation.path] = {
      ...paths[operation.path],
      [operation.method.toLowerCase()]: operationObject(operation),
    };
  }
  return paths;
};

/** The OpenAPI 3.1 document of the helpdesk API, from the operations' zod schemas. */
export const renderOpenApi = () =>
  createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Switchboard helpdesk API',
      version: API_VERSION,
      description: [
        'Read and act on the conversations the hub records: list who waits, page messages, change status,',
        'assignee, labels or priority under optimistic concurrency, and send replies that are delivered once',
        'or reported failed. Every change made here is also a `switchboard.conversation.state_changed` event',
        'on the helpdesk stream (see the AsyncAPI document). Errors are RFC 9457 problem details with a stable',
        '`type`. Deployed, API Gateway authorizes (AWS IAM SigV4 by default, or a JWT), throttles and times out: it',
        'answers 401 (JWT), 403, 413, 429, 500 and 503 itself, with its own body, `{"message": "…"}` (GatewayError), which',
        'each operation declares beside its problems. Bodies are JSON in UTF-8: another charset is a 415 when the body',
        'holds a character outside ASCII, bytes that are not UTF-8 a 400. Each operation says the largest body it takes: the longest its schema accepts, every',
        `character of every string (keys too) escaped as \\uXXXX (6 bytes, as Python's json.dumps writes any`,
        `non-ASCII character), plus ${BODY_WHITESPACE_BYTES} bytes of whitespace, in whole KiB; a send's, six times the`,
        "sender's command limit (the command, written again in UTF-8, is held to that limit). A query parameter an",
        'operation does not take, or one given twice, is a 400.',
      ].join(' '),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'The deployed hub (stack output HelpdeskApiUrl).',
        variables: { apiId: { default: 'example' }, region: { default: 'us-east-1' } },
      },
      {
        url: 'http://127.0.0.1:{port}',
        description: 'The local hub (`npm start` prints the port and a development bearer token).',
        variables: { port: { default: '3000' } },
      },
    ],
    security: [{ sigv4: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 (service `execute-api`), the default authorization.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A JWT of the configured issuer and audience; locally, the token `npm start` prints. An operation's role (`read`, `write` or `people`, also its `x-switchboard-access`) is a scope when the deployment sets a scope prefix (`helpdeskJwtScopePrefix`): the token's `scope` (or `scp`) claim must then hold `<prefix>/<role>`. Without a prefix, and locally, any valid token serves every operation.",
        },
      },
    },
    paths: pathsObject(),
  });

/**
 * TypeScript types of the API for clients (`paths`, `components`), generated from the document by
 * openapi-typescript: what a helpdesk gives `openapi-fetch` to get a typed client.
 */
export const renderClientTypes = async (): Promise<string> => {
  const nodes = await openapiTS(structuredClone(renderOpenApi()) as OpenAPI3, { alphabetize: false });
  return [
    '// Generated from openapi.json by openapi-typescript (npm run contract:generate). Do not edit.',
    astToString(nodes),
  ].join('\n');
};

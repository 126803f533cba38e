import { CONTACT_ID_PATTERN, CONVERSATION_ID_PATTERN } from '#shared/contract/ids.ts';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { createHandlers, type HelpdeskApiDeps, type RouteInput } from './handlers.ts';
import { ApiProblem, type ApiRequest, type ApiResponse, fail, parseOr400, problem } from './http.ts';
import { API_ROUTES, type ApiRoute, maxBodyOf, queryOf } from './operations.ts';

type Route = ApiRoute;

const matchPath = (template: string, path: string): Record<string, string> | undefined => {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = got[index] ?? '';
    if (part.startsWith('{')) {
      if (actual === '') return undefined;
      try {
        params[part.slice(1, -1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (part !== actual) return undefined;
  }
  return params;
};

/**
 * The route and its path parameters, or the problem: 404 for no such path, 405 with `Allow` for a
 * method the path does not take. A request API Gateway matched to none of its routes (the catch-all)
 * runs no handler, whatever this matcher finds: its route's authorization (a JWT scope) was not asked.
 * Nor does one whose path matches another route than the one API Gateway matched and authorized
 * (`routeKey`): the two are matched on different forms of the path (API Gateway's may be encoded,
 * `rawPath` is decoded), and a `%2F` in one segment must not turn a read into an export (before
 * 2026-12-06 the handler was found from the path alone: found by a review).
 */
const findRoute = (request: ApiRequest): { route: Route; params: Record<string, string> } | ApiResponse => {
  const allowed: string[] = [];
  for (const route of API_ROUTES) {
    const params = matchPath(route.path, request.path);
    if (!params) continue;
    allowed.push(route.method);
    if (route.method !== request.method.toUpperCase() || request.unmatched) continue;
    if (request.routeKey !== undefined && request.routeKey !== `${route.method} ${route.path}`)
      return problem('notFound', 'no such resource');
    return { route, params };
  }
  if (allowed.length === 0 || allowed.includes(request.method.toUpperCase()))
    return problem('notFound', 'no such resource');
  return problem('methodNotAllowed', `this path takes ${allowed.join(', ')}`, {
    headers: { allow: allowed.join(', ') },
  });
};

/** Longest name of a repeated query parameter a problem repeats. */
const MAX_NAMED_PARAMETER = 64;

/**
 * Checks the query against the route's (none, for most routes): raises a 400 naming a parameter the
 * route does not take, one of the wrong form, or one given more than once (payload 2.0 would have
 * joined its values with commas: `?assignee=a&assignee=b` is not the assignee `a,b`). Before the
 * handler, so nothing is read for a request that will be refused.
 */
const checkQuery = (route: Route, request: ApiRequest): void => {
  const repeated = request.repeatedQuery ?? [];
  if (repeated.length > 0)
    fail('invalidRequest', 'invalid query', {
      errors: repeated.slice(0, 20).map((name) => ({
        field: `query.${name.slice(0, MAX_NAMED_PARAMETER)}`,
        message: 'given more than once: give each parameter once',
      })),
    });
  parseOr400(queryOf(route), request.query, 'query');
};

/** The names of UTF-8 (the WHATWG Encoding Standard's labels; `utf8` is common in clients). */
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

/**
 * A Content-Type's media type and its `charset` parameter (unquoted), both lower-cased; one pass
 * over the header's parameters.
 */
const contentTypeOf = (header: string | undefined): { mediaType: string; charset?: string } => {
  let charset: string | undefined;
  for (const parameter of (header ?? '').split(';').slice(1)) {
    const equals = parameter.indexOf('=');
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== 'charset') continue;
    const value = parameter.slice(equals + 1).trim();
    const quoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"');
    charset = (quoted ? value.slice(1, -1) : value).toLowerCase();
  }
  return { mediaType: mediaTypeOf(header), ...(charset === undefined ? {} : { charset }) };
};

/** A character outside ASCII (any UTF-16 unit from U+0080, surrogates too): one scan, no backtracking. */
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * The body as JSON, within the route's bound; raises the problem of a body too large, not JSON, or
 * of another type or charset. Raised, not returned: any JSON value, one shaped like a response too,
 * is a body. JSON is UTF-8 (RFC 8259), where a charset parameter has no effect: a body declared in
 * another charset (`charset=iso-8859-1`) is a 415 only when it holds a character outside ASCII, which
 * that charset would read otherwise (never read as UTF-8 with it turned to U+FFFD); pure ASCII reads
 * the same in UTF-8, US-ASCII and the Latin charsets clients label JSON with, so it is taken. Before
 * 2026-12-06 the charset was not read; that day every charset but UTF-8's labels was refused, ASCII
 * bodies too (both found by a review, tests/api/helpdesk-api.test.ts).
 */
const bodyOf = (route: Route, request: ApiRequest): unknown => {
  const text = request.body ?? '';
  const maxBody = maxBodyOf(route);
  if (Buffer.byteLength(text, 'utf8') > Math.max(maxBody, 0)) {
    return maxBody === 0
      ? fail('invalidRequest', 'this method takes no body')
      : fail('tooLarge', `at most ${maxBody} bytes`);
  }
  if (text.length === 0) return undefined;
  const { mediaType, charset } = contentTypeOf(request.headers['content-type']);
  if (mediaType !== 'application/json') return fail('unsupportedMediaType');
  if (charset !== undefined && !UTF8_LABELS.has(charset) && NON_ASCII.test(text))
    return fail(
      'unsupportedMediaType',
      'JSON is UTF-8: send charset=utf-8, or no charset (another charset is taken only for a body all ASCII)',
    );
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail('invalidRequest', 'the body is not JSON', {
      errors: [{ field: 'body', message: 'not JSON' }],
    });
  }
};

/** The helpdesk API over its dependencies: a request in, a response out, never a 5xx for bad input. */
export const createHelpdeskApi = (deps: HelpdeskApiDeps & { readonly logger: Logger }) => {
  const handlers = createHandlers(deps);
  return async (request: ApiRequest): Promise<ApiResponse> => {
    const started = Date.now();
    const found = findRoute(request);
    if (!('route' in found)) return found;
    const { route, params } = found;
    let response: ApiResponse;
    try {
      checkQuery(route, request);
      const input: RouteInput = { request, params, body: bodyOf(route, request) };
      response = await handlers[route.handler](input);
    } catch (error) {
      if (error instanceof ApiProblem) response = error.response;
      else {
        deps.logger.error('helpdesk API request failed', {
          route: `${route.method} ${route.path}`,
          errorName: errorNameOf(error),
        });
        response = problem('internal');
      }
    }
    deps.logger.info('helpdesk API request', {
      route: `${route.method} ${route.path}`,
      statusCode: response.status,
      durationMs: Date.now() - started,
      ...(params.conversationId && CONVERSATION_ID_PATTERN.test(params.conversationId)
        ? { conversationId: params.conversationId }
        : {}),
      // The person an export, erasure, merge or consent change was about, and the access log's
      // entry of the request (its `requestId`): who asked is there.
      ...(params.contactId && CONTACT_ID_PATTERN.test(params.contactId)
        ? { contactId: params.contactId }
        : {}),
      ...(request.apiRequestId ? { apiRequestId: request.apiRequestId } : {}),
    });
    return response;
  };
};

export type HelpdeskApi = ReturnType<typeof createHelpdeskApi>;

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { type ApiRequest, type ApiResponse, problem } from './http.ts';
import { isCatchAllRouteKey } from './operations.ts';

/*
 * API Gateway (payload format 2.0) in and out. API Gateway has already authenticated the caller
 * (IAM or JWT); the principal is read from its authorizer context. The local hub has no API
 * Gateway in front: there a development bearer token stands in for it.
 */

const EventSchema = z.looseObject({
  rawPath: z.string().min(1),
  rawQueryString: z.string().optional(),
  routeKey: z.string().optional(),
  headers: z.record(z.string(), z.string().optional()).default({}),
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.looseObject({
    requestId: z.string().max(128).optional(),
    http: z.looseObject({ method: z.string().min(1) }),
    authorizer: z
      .looseObject({
        iam: z.looseObject({ userArn: z.string().optional() }).optional(),
        jwt: z.looseObject({ claims: z.record(z.string(), z.unknown()).optional() }).optional(),
      })
      .optional(),
  }),
});

const principalOf = (
  authorizer: z.infer<typeof EventSchema>['requestContext']['authorizer'],
): string | undefined => {
  const sub = authorizer?.jwt?.claims?.sub;
  return authorizer?.iam?.userArn ?? (typeof sub === 'string' ? sub : undefined);
};

/** A key of this execution environment's own, so the digests compared below are of no use elsewhere. */
const COMPARE_KEY = randomBytes(32);
const digestOf = (token: string): Buffer => createHmac('sha256', COMPARE_KEY).update(token, 'utf8').digest();

/**
 * The bearer token checked in constant time, its length included: both sides are compared as their
 * fixed-length HMAC-SHA256 digests, so a token of another length takes the same comparison as one of
 * the right length (comparing lengths first would tell a caller the token's length).
 */
export const sameToken = (given: string, expected: string): boolean =>
  timingSafeEqual(digestOf(given), digestOf(expected));

const LOCAL_PRINCIPAL = 'local-developer';

/** The scheme, any case, then the spaces before the token: each part one run, never backtracked into. */
const BEARER_SCHEME = /^bearer +/i;

/**
 * The token of an `Authorization: Bearer <token>` header, undefined for another scheme or none: the
 * scheme is case-insensitive (RFC 9110 11.1) and one or more spaces may stand before the token
 * (RFC 6750 2.1), so `bearer <token>`, as a client writes it from an OAuth `token_type`, is taken.
 * Until 2026-12-07 only `Bearer` and one space were, and anything else was a 401 (found by a review).
 */
export const bearerTokenOf = (header: string | undefined): string | undefined => {
  const scheme = BEARER_SCHEME.exec(header ?? '');
  const token = scheme ? (header ?? '').slice(scheme[0].length) : '';
  return token === '' ? undefined : token;
};

/**
 * The names the raw query string gives more than once: payload 2.0 joins their values with commas
 * in `queryStringParameters`, where `?assignee=a&assignee=b` and `?assignee=a%2Cb` look the same.
 */
const repeatedNamesOf = (rawQueryString: string | undefined): string[] => {
  if (!rawQueryString) return [];
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of new URLSearchParams(rawQueryString).keys()) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated];
};

/** Refuses bytes that are not UTF-8 rather than reading them as U+FFFD; a BOM is kept, as in a text body. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as text: as given, or decoded from base64 (API Gateway base64-encodes a body whose type
 * it does not take for text). Bytes that are not UTF-8 are no JSON body (RFC 8259): undefined, for a
 * 400, never a body with U+FFFD in place of the characters (before 2026-12-06 they were decoded
 * leniently and a Latin-1 `é` was sent as U+FFFD; found by a review, tests/api/helpdesk-api.test.ts).
 */
const bodyTextOf = (body: string, isBase64Encoded: boolean): string | undefined => {
  if (!isBase64Encoded) return body;
  try {
    return UTF8.decode(Buffer.from(body, 'base64'));
  } catch {
    return undefined;
  }
};

/** The request, or the problem answering it (no identity at all: 401, as nothing anonymous gets in). */
export const toApiRequest = (
  event: APIGatewayProxyEventV2,
  devToken: string | undefined,
): ApiRequest | ApiResponse => {
  const parsed = EventSchema.safeParse(event);
  if (!parsed.success) return problem('invalidRequest', 'not an HTTP API request');
  const headers = Object.fromEntries(
    Object.entries(parsed.data.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  let principal = principalOf(parsed.data.requestContext.authorizer);
  if (devToken !== undefined) {
    const bearer = bearerTokenOf(headers.authorization);
    if (bearer === undefined || !sameToken(bearer, devToken))
      return problem('unauthorized', 'send Authorization: Bearer <the token npm start printed>', {
        headers: { 'www-authenticate': 'Bearer realm="switchboard-local"' },
      });
    principal = LOCAL_PRINCIPAL;
  }
  // RFC 9110 11.6.1: a 401 names the scheme it takes (API Gateway's own JWT 401 names Bearer too).
  if (principal === undefined)
    return problem('unauthorized', undefined, { headers: { 'www-authenticate': 'Bearer' } });
  const given = parsed.data.body ?? undefined;
  const body = given === undefined ? undefined : bodyTextOf(given, parsed.data.isBase64Encoded);
  if (given !== undefined && body === undefined)
    return problem('invalidRequest', 'the body is not UTF-8', {
      errors: [{ field: 'body', message: 'not UTF-8' }],
    });
  const repeatedQuery = repeatedNamesOf(parsed.data.rawQueryString);
  const { requestId } = parsed.data.requestContext;
  return {
    method: parsed.data.requestContext.http.method.toUpperCase(),
    path: parsed.data.rawPath,
    query: { ...(parsed.data.queryStringParameters ?? {}) },
    ...(repeatedQuery.length > 0 ? { repeatedQuery } : {}),
    headers,
    ...(body !== undefined ? { body } : {}),
    principal,
    ...(isCatchAllRouteKey(parsed.data.routeKey)
      ? { unmatched: true as const }
      : parsed.data.routeKey !== undefined
        ? { routeKey: parsed.data.routeKey }
        : {}),
    ...(requestId !== undefined && /^[\w=-]+$/.test(requestId) ? { apiRequestId: requestId } : {}),
  };
};

export const toApiGatewayResponse = (response: ApiResponse): APIGatewayProxyStructuredResultV2 => ({
  statusCode: response.status,
  headers: { ...response.headers, 'cache-control': 'no-store' },
  ...(response.body !== undefined ? { body: JSON.stringify(response.body) } : {}),
  isBase64Encoded: false,
});

import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { mediaTypeOf } from '#shared/validation/media-type.ts';
import { LOCAL_REGION } from './local-aws.ts';

/**
 * Local stand-in for API Gateway HTTP API (payload format 2.0): the same event shape AWS hands a
 * Lambda proxy integration, and the same reading of the function's answer. Keeping this faithful is
 * what lets the real handlers run unchanged on a laptop.
 */

export interface LocalHttpRequest {
  readonly method: string;
  /** Request target as received: path plus optional `?query`. */
  readonly url: string;
  /** Node's parsed headers (names lower-cased, repeated values as arrays or pre-joined). */
  readonly headers: IncomingHttpHeaders;
  /** Raw header list `[name, value, name, value…]` when available: keeps repeated headers apart. */
  readonly rawHeaders?: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  /** Port the local server listens on, for `x-forwarded-port`. */
  readonly localPort?: number;
}

export interface ApiGatewayEventOptions {
  readonly routeKey: string;
  readonly receivedAt: Date;
  readonly requestId?: string;
  readonly apiId?: string;
  readonly accountId?: string;
}

const LOCAL_API_ID = 'local';
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * HTTP APIs pass these as text; every other body (forms, multipart, octet streams, no content
 * type at all) arrives base64-encoded with `isBase64Encoded: true`.
 */
const isTextContentType = (contentType: string | undefined): boolean => {
  if (!contentType) return false;
  const mediaType = mediaTypeOf(contentType);
  return mediaType.startsWith('text/') || mediaType === 'application/json' || mediaType.endsWith('+json');
};

/** Repeated headers joined with commas (cookies apart), names lower-cased, as payload 2.0 does. */
const joinHeaders = (request: Pick<LocalHttpRequest, 'headers' | 'rawHeaders'>): Record<string, string> => {
  const joined: Record<string, string[]> = {};
  if (request.rawHeaders && request.rawHeaders.length > 0) {
    for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
      const name = (request.rawHeaders[index] ?? '').toLowerCase();
      const value = request.rawHeaders[index + 1] ?? '';
      if (name === 'cookie') continue;
      joined[name] = [...(joined[name] ?? []), value];
    }
  } else {
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || name === 'cookie') continue;
      joined[name.toLowerCase()] = Array.isArray(value) ? value : [value];
    }
  }
  return Object.fromEntries(Object.entries(joined).map(([name, values]) => [name, values.join(',')]));
};

const cookiesOf = (request: Pick<LocalHttpRequest, 'headers' | 'rawHeaders'>): string[] => {
  const cookieHeaders: string[] = [];
  if (request.rawHeaders && request.rawHeaders.length > 0) {
    for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
      if ((request.rawHeaders[index] ?? '').toLowerCase() === 'cookie') {
        cookieHeaders.push(request.rawHeaders[index + 1] ?? '');
      }
    }
  } else if (request.headers.cookie) {
    cookieHeaders.push(request.headers.cookie);
  }
  return cookieHeaders
    .flatMap((header) => header.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie.length > 0);
};

/** Repeated query parameters joined with commas, values URL-decoded, as payload 2.0 does. */
const queryParameters = (rawQueryString: string): Record<string, string> | undefined => {
  if (rawQueryString.length === 0) return undefined;
  const grouped: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    grouped[name] = [...(grouped[name] ?? []), value];
  }
  return Object.fromEntries(Object.entries(grouped).map(([name, values]) => [name, values.join(',')]));
};

/** `22/Nov/2026:12:00:00 +0000`, the CLF-style time API Gateway puts in `requestContext.time`. */
export const apiGatewayTime = (date: Date): string => {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
};

export const splitTarget = (target: string): { rawPath: string; rawQueryString: string } => {
  const queryStart = target.indexOf('?');
  return queryStart === -1
    ? { rawPath: target, rawQueryString: '' }
    : { rawPath: target.slice(0, queryStart), rawQueryString: target.slice(queryStart + 1) };
};

/** Builds the exact payload 2.0 event API Gateway would send for this request. */
export const toApiGatewayEvent = (
  request: LocalHttpRequest,
  options: ApiGatewayEventOptions,
): APIGatewayProxyEventV2 => {
  const { rawPath, rawQueryString } = splitTarget(request.url);
  const headers = joinHeaders(request);
  // API Gateway adds the forwarding headers; a tunnel in front of the local hub may already have.
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${request.sourceIp}`
    : request.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  if (request.localPort !== undefined) headers['x-forwarded-port'] ??= String(request.localPort);
  const requestId = options.requestId ?? randomUUID();
  headers['x-amzn-trace-id'] ??=
    `Root=1-${Math.floor(options.receivedAt.getTime() / 1000).toString(16)}-${requestId
      .replaceAll('-', '')
      .slice(0, 24)}`;
  const domainName = (headers.host ?? 'localhost').replace(/:\d+$/, '');
  const cookies = cookiesOf(request);
  const queryStringParameters = queryParameters(rawQueryString);
  const hasBody = request.body.length > 0;
  // A text body that is not UTF-8 (a Latin-1 client's JSON) goes as its bytes, base64-encoded: as a
  // string it could only carry U+FFFD in place of its characters, and the function would take that
  // for what was sent. What API Gateway does with such a body is not documented; this way the
  // function sees the bytes and refuses them (shared/api/apigw.ts).
  const isText = isTextContentType(headers['content-type']) && isUtf8(request.body);
  const method = request.method.toUpperCase();
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
      apiId: options.apiId ?? LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: options.routeKey,
      stage: '$default',
      time: apiGatewayTime(options.receivedAt),
      timeEpoch: options.receivedAt.getTime(),
    },
    ...(hasBody ? { body: isText ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !isText,
  };
};

/** The bytes a handler sees after undoing API Gateway's encoding. */
export const bodyBytesOf = (event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer =>
  event.body === undefined
    ? Buffer.alloc(0)
    : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

export interface LocalHttpResponse {
  readonly statusCode: number;
  /** Header name → values; `set-cookie` may hold several. */
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
}

const jsonResponse = (statusCode: number, value: unknown): LocalHttpResponse => ({
  statusCode,
  headers: { 'content-type': ['application/json'] },
  body: Buffer.from(JSON.stringify(value), 'utf8'),
});

/** What API Gateway answers when it has no route, when the function fails, or when the body is too big. */
export const GATEWAY_RESPONSES = {
  notFound: () => jsonResponse(404, { message: 'Not Found' }),
  internalError: () => jsonResponse(500, { message: 'Internal Server Error' }),
  tooLarge: () => jsonResponse(413, { message: 'Request Entity Too Large' }),
  headersTooLarge: () => jsonResponse(431, { message: 'Request Header Fields Too Large' }),
  unavailable: () => jsonResponse(503, { message: 'Service Unavailable' }),
} as const;

const StructuredResultSchema = z.looseObject({
  statusCode: z.number().int(),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  cookies: z.array(z.string()).optional(),
});

/**
 * Reads a function's answer the way payload 2.0 does: a structured result with `statusCode` is used
 * as is; anything else (a string, an object without statusCode) is a 200 JSON body.
 */
export const fromApiGatewayResult = (result: unknown): LocalHttpResponse => {
  if (result === undefined || result === null) return { statusCode: 200, headers: {}, body: Buffer.alloc(0) };
  if (typeof result === 'string') {
    return { statusCode: 200, headers: { 'content-type': ['application/json'] }, body: Buffer.from(result) };
  }
  const structured = StructuredResultSchema.safeParse(result);
  if (!structured.success) return jsonResponse(200, result);
  const { data } = structured;
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(data.headers ?? {})) {
    headers[name.toLowerCase()] = [String(value)];
  }
  if (data.cookies && data.cookies.length > 0) headers['set-cookie'] = [...data.cookies];
  const body =
    data.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(data.body, data.isBase64Encoded ? 'base64' : 'utf8');
  return { statusCode: data.statusCode, headers, body };
};

/** A Lambda context good enough for handlers that read the request id or the remaining time. */
export const lambdaContext = (
  functionName: string,
  timeoutSeconds: number,
  requestId: string = randomUUID(),
): Context => {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

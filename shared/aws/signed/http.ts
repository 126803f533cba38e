import type * as NodeHttp from 'node:http';
import { createRequire } from 'node:module';

/*
 * The signed requests' HTTP, on node:http(s) with their default agents (kept-alive connections):
 * one POST to an AWS JSON service (aws-json.ts), one PUT of an S3 object (s3.ts) and one GET of the
 * container credentials endpoint (credentials.ts). One request, once: retries belong to the callers.
 *
 * node:http and node:https are loaded through `require` on first use, never by an ESM `import`:
 * on Node 22 an ESM import of node:http also loads Node's fetch client (undici, through the
 * namespace's getters), tens of milliseconds of a cold start that `require` does not spend
 * (tests/intake/http-load-order.test.ts fails if that stops being so).
 */

const load = createRequire(import.meta.url);
let http: typeof NodeHttp | undefined;
let https: typeof import('node:https') | undefined;
/** Each protocol's module on its first request: AWS is https only, the local servers http only (no TLS loaded). */
const requestOf = (url: URL): typeof NodeHttp.request => {
  if (url.protocol === 'http:') {
    http ??= load('node:http') as typeof NodeHttp;
    return http.request;
  }
  https ??= load('node:https') as typeof import('node:https');
  return https.request;
};

export interface HttpRequest {
  readonly method: 'POST' | 'PUT';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

export interface HttpResponse {
  readonly statusCode: number;
  /** Names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** Sends one request, once; an aborted `signal` ends it with Node's AbortError (the local pollers' long polls). */
export type HttpTransport = (
  request: HttpRequest,
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<HttpResponse>;

/** One GET, once (the container credentials endpoint). */
export type HttpGet = (
  url: URL,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
) => Promise<HttpResponse>;

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** One request; the body read whole, the headers' names lower-cased, a timeout over the whole answer. */
const exchange = (
  method: 'GET' | HttpRequest['method'],
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: HttpRequest['body'] | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HttpResponse> =>
  new Promise((resolve, reject) => {
    const send = requestOf(url);
    const outgoing = send(url, { method, headers, ...(signal ? { signal } : {}) }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', fail);
      incoming.on('end', () => {
        clearTimeout(timer);
        const answerHeaders: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(incoming.headers)) {
          answerHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({
          statusCode: incoming.statusCode ?? 0,
          headers: answerHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    const timer = setTimeout(
      () => outgoing.destroy(new TimeoutError(`no response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    outgoing.on('error', fail);
    outgoing.end(body);
  });

export const nodeHttpTransport: HttpTransport = (request, timeoutMs, signal) =>
  exchange(request.method, request.url, request.headers, request.body, timeoutMs, signal);

export const nodeHttpGet: HttpGet = (url, headers, timeoutMs) =>
  exchange('GET', url, headers, undefined, timeoutMs);

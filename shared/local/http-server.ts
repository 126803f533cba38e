import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import {
  fromApiGatewayResult,
  GATEWAY_RESPONSES,
  type LocalHttpResponse,
  lambdaContext,
  splitTarget,
  toApiGatewayEvent,
} from './apigw-event.ts';
import { hubUnavailable } from './hub-unavailable.ts';
import { type GuardRules, REFUSAL, refusalOf } from './origin-guard.ts';
import { type LocalRoute, matchRoute, routeKeyOf } from './routes.ts';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/** API Gateway HTTP APIs refuse bodies over 10 MB (quota "Payload size"). */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/**
 * Lambda refuses a synchronous invocation whose payload (the event, as JSON) is over 6 MB, and the
 * HTTP API answers 413 for it. A form post's body travels base64-encoded: 4.5 MB of form is 6 MB
 * of event. (Lambda's own message names 6,291,556 bytes; the documented quota is 6 MB.)
 */
export const MAX_INVOCATION_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** HTTP API quota "Total combined size of request line and header values", which cannot be raised. */
export const MAX_REQUEST_LINE_AND_HEADER_BYTES = 10_240;
/** Node's own parser refuses headers over 16 KB with a bare 431; the hub wants to answer those itself. */
const NODE_MAX_HEADER_SIZE = 64 * 1024;
/** HTTP APIs give up on an integration after 30 seconds. */
const INTEGRATION_TIMEOUT_SECONDS = 30;
/**
 * How long a stop waits for the requests in progress before it drops their connections: a webhook
 * or an API call takes well under a second here, and Ctrl-C must end the hub in a bounded time.
 */
const STOP_GRACE_MS = 5_000;

export interface RequestLogLine {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  /** A poll by the local console (`x-switchboard-console: poll`): not worth a log line each second. */
  readonly quiet: boolean;
}

/** A request to a local-only page or endpoint (the console), answered before the API's routes. */
export interface LocalRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface LocalApiOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly LocalRoute[];
  /** The handler behind a route, or undefined when its function could not be loaded. */
  readonly handlerFor: (route: LocalRoute) => HttpHandler | undefined;
  /** Local-only GET endpoints (the hub's self-description), answered with JSON. */
  readonly extraJson?: Readonly<Record<string, () => unknown>>;
  /**
   * Local stand-ins for AWS services that call a function without an HTTP API (SNS → Lambda): POST
   * bodies by path, answered with the status returned.
   */
  readonly extraPosts?: Readonly<Record<string, (body: Buffer) => Promise<number>>>;
  /** Local-only pages and endpoints (the console): a response, or undefined to go on to the routes. */
  readonly local?: (request: LocalRequest) => Promise<LocalHttpResponse | undefined>;
  /** Local-only responses written as they go (the console's event stream): true when it took the request. */
  readonly stream?: (request: IncomingMessage, response: ServerResponse) => boolean;
  readonly onRequest?: (line: RequestLogLine) => void;
  readonly onHandlerError?: (route: LocalRoute, error: unknown) => void;
  /** @default 30, API Gateway's maximum integration timeout */
  readonly integrationTimeoutSeconds?: number;
  /**
   * True while the functions behind the routes are still loading: the routes then answer 503
   * "starting" with Retry-After (hub-unavailable.ts), which a client retries.
   */
  readonly starting?: () => boolean;
  /** @default STOP_GRACE_MS */
  readonly stopGraceMs?: number;
}

export interface RunningLocalApi {
  readonly port: number;
  readonly server: Server;
  /**
   * Stops accepting connections and requests, lets the requests in progress finish (each connection
   * closes after its answer), and drops the connections still busy after the grace period.
   */
  close(): Promise<void>;
}

type BodyRead = { kind: 'ok'; body: Buffer } | { kind: 'too_large' };

const readBody = (request: IncomingMessage): Promise<BodyRead> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(tooLarge ? { kind: 'too_large' } : { kind: 'ok', body: Buffer.concat(chunks) }),
    );
    request.on('error', reject);
  });

/**
 * The request line and the header values as the client sent them, in bytes (Node reads header bytes
 * as latin1, one character per byte). AWS counts the values; the names are left out here too.
 */
const requestLineAndHeaderBytes = (request: IncomingMessage): number => {
  const requestLine = `${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/${request.httpVersion}`;
  let total = Buffer.byteLength(requestLine, 'latin1');
  for (let index = 1; index < request.rawHeaders.length; index += 2) {
    total += Buffer.byteLength(request.rawHeaders[index] ?? '', 'latin1');
  }
  return total;
};

const send = (response: ServerResponse, result: LocalHttpResponse) => {
  for (const [name, values] of Object.entries(result.headers)) {
    response.setHeader(name, values.length === 1 ? (values[0] ?? '') : values);
  }
  response.setHeader('content-length', result.body.length);
  response.setHeader('apigw-requestid', randomUUID());
  response.statusCode = result.statusCode;
  response.end(result.body);
};

const REFUSED: LocalHttpResponse = {
  statusCode: REFUSAL.statusCode,
  headers: Object.fromEntries(Object.entries(REFUSAL.headers).map(([name, value]) => [name, [value]])),
  body: Buffer.from(REFUSAL.body, 'utf8'),
};

const withTimeout = <T>(work: Promise<T>, seconds: number): Promise<T | 'timeout'> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), seconds * 1000);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });

/**
 * Serves the HTTP API's routes over plain HTTP, invoking the real Lambda handlers with payload 2.0 events.
 *
 * Web pages the developer opens are kept out (origin-guard.ts): a request with an Origin other than
 * the hub's own (the console's) is refused on every path, and the local-only endpoints (`extraJson`,
 * `extraPosts`) answer only a loopback Host on the hub's port, and nothing a proxy or tunnel says it
 * relayed (it connects over loopback and may rewrite Host to it). The routes keep any Host: a tunnel
 * forwards the providers' webhooks under its public name. The console checks both itself.
 */
export const startLocalApi = async (options: LocalApiOptions): Promise<RunningLocalApi> => {
  let listeningPort = options.port;
  const integrationTimeoutSeconds = options.integrationTimeoutSeconds ?? INTEGRATION_TIMEOUT_SECONDS;
  const everyPath: GuardRules = { origin: 'own', host: false, bindHost: options.host };
  const localOnly: GuardRules = { origin: 'own', bindHost: options.host };

  const respond = async (request: IncomingMessage): Promise<LocalHttpResponse> => {
    const receivedAt = new Date();
    const method = request.method ?? 'GET';
    const { rawPath } = splitTarget(request.url ?? '/');
    const read = await readBody(request);
    if (requestLineAndHeaderBytes(request) > MAX_REQUEST_LINE_AND_HEADER_BYTES) {
      return GATEWAY_RESPONSES.headersTooLarge();
    }
    if (read.kind === 'too_large') return GATEWAY_RESPONSES.tooLarge();
    const local = await options.local?.({ method, rawPath, headers: request.headers, body: read.body });
    if (local) return local;
    const extra = method === 'GET' ? options.extraJson?.[rawPath] : undefined;
    const post = method === 'POST' ? options.extraPosts?.[rawPath] : undefined;
    if ((extra || post) && refusalOf(request.headers, listeningPort, localOnly)) return REFUSED;
    if (extra) {
      return {
        statusCode: 200,
        headers: { 'content-type': ['application/json'] },
        body: Buffer.from(JSON.stringify(extra())),
      };
    }
    if (post) {
      const statusCode = await post(read.body).catch(() => 500);
      return { statusCode, headers: {}, body: Buffer.alloc(0) };
    }
    const route = matchRoute(options.routes, method, rawPath);
    if (!route) return GATEWAY_RESPONSES.notFound();
    if (options.starting?.()) return hubUnavailable('starting');
    const handler = options.handlerFor(route);
    if (!handler) return GATEWAY_RESPONSES.internalError();
    const event = toApiGatewayEvent(
      {
        method,
        url: request.url ?? '/',
        headers: request.headers,
        rawHeaders: request.rawHeaders,
        body: read.body,
        sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        localPort: listeningPort,
      },
      { routeKey: routeKeyOf(route), receivedAt },
    );
    // Lambda refuses the invocation before any of the function runs.
    if (Buffer.byteLength(JSON.stringify(event), 'utf8') > MAX_INVOCATION_PAYLOAD_BYTES) {
      return GATEWAY_RESPONSES.tooLarge();
    }
    const functionName = route.functionFile.replace(/^.*\//, '').replace(/\.ts$/, '');
    try {
      // On timeout the invocation goes on where it runs, as a Lambda does once API Gateway gave up.
      const result = await withTimeout(
        Promise.resolve(handler(event, lambdaContext(functionName, integrationTimeoutSeconds))),
        integrationTimeoutSeconds,
      );
      if (result === 'timeout') return GATEWAY_RESPONSES.unavailable();
      return fromApiGatewayResult(result);
    } catch (error) {
      options.onHandlerError?.(route, error);
      return GATEWAY_RESPONSES.internalError();
    }
  };

  /** Set once close() is called: nothing new is served, and each connection ends after its answer. */
  let stopping = false;
  const server = createServer({ maxHeaderSize: NODE_MAX_HEADER_SIZE }, (request, response) => {
    const refused = refusalOf(request.headers, listeningPort, everyPath) !== undefined;
    if (!refused && !stopping && options.stream?.(request, response)) return;
    const started = performance.now();
    const answered = refused ? REFUSED : stopping ? hubUnavailable('stopping') : undefined;
    if (answered) request.resume();
    (answered ? Promise.resolve(answered) : respond(request))
      .catch(() => GATEWAY_RESPONSES.internalError())
      .then((result) => {
        // A kept-alive connection would otherwise carry the client's next request (the console
        // polls every second) and hold the stop open for as long as the client keeps polling.
        if (stopping) response.setHeader('connection', 'close');
        send(response, result);
        options.onRequest?.({
          method: request.method ?? 'GET',
          path: splitTarget(request.url ?? '/').rawPath,
          status: result.statusCode,
          durationMs: Math.round(performance.now() - started),
          quiet: request.method === 'GET' && request.headers['x-switchboard-console'] === 'poll',
        });
      });
  });

  listeningPort = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve((server.address() as AddressInfo).port));
  });

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      stopping = true;
      const dropBusy = setTimeout(() => server.closeAllConnections(), options.stopGraceMs ?? STOP_GRACE_MS);
      server.close(() => {
        clearTimeout(dropBusy);
        resolve();
      });
      // The busy ones close after their answer (Connection: close above).
      server.closeIdleConnections();
    });
    return closed;
  };

  return { port: listeningPort, server, close };
};

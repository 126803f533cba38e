import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * The guard every server of the local hub puts in front of its handlers (its HTTP API, the provider
 * simulators, the DynamoDB and SQS/S3 emulators). They listen on loopback only, but loopback is not
 * private from the developer's own browser: any page it opens can send requests to 127.0.0.1 (a
 * `no-cors` POST needs no preflight, and dynalite answers any Origin with
 * `Access-Control-Allow-Origin: *`), and a DNS-rebinding page reads the answers under its own name.
 * Neither emulator checks signatures, so such a page could scan the table or send to the outbox.
 *
 * Programs (the SDK, the functions, the providers, the replay kit, the simulators' callbacks) send no
 * `Origin` header and name the loopback in `Host`; a browser sends `Origin` with every cross-origin
 * request but a plain GET or HEAD, and puts the page's own name in `Host`. So a server refuses (403,
 * without any CORS header) a request with an Origin other than its own, and one whose Host is not
 * a loopback name on its port. Top-level navigations (a download link, an address typed in) are GETs
 * without Origin and pass.
 *
 * A loopback Host alone does not prove the request comes from this machine: a tunnel or reverse proxy
 * (ngrok with `--host-header=rewrite`, an nginx `proxy_pass` to 127.0.0.1) connects over loopback and
 * may write the loopback name into Host for anyone on the internet. Where Host is checked, a request
 * that carries any header a proxy adds (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`, `Via`) is refused
 * too; a proxy that adds none of them cannot be told apart, so only the webhook paths should be
 * exposed through one (README, Run it locally).
 */

/** The names of a loopback listener as a Host header writes them (IPv6 in brackets). */
export const LOOPBACK_HOSTNAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

/** `http://host:port`, an IPv6 address in brackets (`http://[::1]:8080`) as URLs write it. */
export const httpOrigin = (host: string, port: number): string =>
  `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

export interface GuardRules {
  /**
   * `none`: no Origin header at all (only programs call the server). `own`: none, or the server's
   * own `http://<loopback name>:<port>` (a page it serves, whose same-origin POSTs carry it).
   */
  readonly origin: 'none' | 'own';
  /**
   * Check Host, and refuse what a proxy relayed. Off where a tunnel forwards requests under its
   * public name (the webhooks): the Origin check still keeps web pages out there.
   * @default true
   */
  readonly host?: boolean;
  /** Accept `<label>.localhost:<port>` too (fauxqs' queue URLs name `sqs.<region>.localhost`). */
  readonly localhostSubdomains?: boolean;
  /** The address the server was told to listen on (e.g. `0.0.0.0`): a name of its own as well. */
  readonly bindHost?: string;
}

export type Refusal = 'origin' | 'host' | 'proxied';

/** Headers a tunnel or reverse proxy adds to what it relays; programs on this machine send none. */
export const PROXY_HEADERS: readonly string[] = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'via',
];

/** Whether a proxy or tunnel says it relayed the request. */
export const carriesProxyHeaders = (headers: IncomingHttpHeaders): boolean =>
  PROXY_HEADERS.some((name) => headers[name] !== undefined);

const LOCALHOST_SUBDOMAIN = /^(?:[a-z0-9-]+\.)+localhost$/;

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(',') : value;

const ownNames = (rules: GuardRules): readonly string[] => {
  if (!rules.bindHost) return LOOPBACK_HOSTNAMES;
  const bound = rules.bindHost.includes(':') ? `[${rules.bindHost}]` : rules.bindHost;
  return [...LOOPBACK_HOSTNAMES, bound.toLowerCase()];
};

const hostIsOwn = (host: string | undefined, port: number, rules: GuardRules): boolean => {
  if (host === undefined) return false;
  const colon = host.lastIndexOf(':');
  if (colon < 0 || host.slice(colon + 1) !== String(port)) return false;
  const name = host.slice(0, colon).toLowerCase();
  return (
    ownNames(rules).includes(name) || (rules.localhostSubdomains === true && LOCALHOST_SUBDOMAIN.test(name))
  );
};

const originIsOwn = (origin: string, port: number, rules: GuardRules): boolean =>
  ownNames(rules).some((name) => origin.toLowerCase() === `http://${name}:${port}`);

/** Why a request to the server listening on `port` is refused, or undefined when it may go on. */
export const refusalOf = (
  headers: IncomingHttpHeaders,
  port: number,
  rules: GuardRules,
): Refusal | undefined => {
  const origin = single(headers.origin);
  if (origin !== undefined && (rules.origin === 'none' || !originIsOwn(origin, port, rules))) return 'origin';
  if (rules.host === false) return undefined;
  if (!hostIsOwn(single(headers.host), port, rules)) return 'host';
  if (carriesProxyHeaders(headers)) return 'proxied';
  return undefined;
};

/** What a refused request gets: no CORS header, so a page cannot read even the refusal. */
export const REFUSAL = {
  statusCode: 403,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  body: 'Refused: this local server answers programs on this machine only (no Origin header from another site; Host 127.0.0.1, localhost or [::1] on its port; nothing relayed by a proxy or tunnel).',
} as const;

/** Answers the refusal; the request's body, if any, is read and dropped. */
export const refuse = (request: IncomingMessage, response: ServerResponse): void => {
  request.resume();
  response.writeHead(REFUSAL.statusCode, {
    ...REFUSAL.headers,
    'content-length': Buffer.byteLength(REFUSAL.body),
  });
  response.end(REFUSAL.body);
};

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Puts the guard in front of the request listeners a server already has (a library's server, such
 * as dynalite's, whose handler this module cannot wrap any other way).
 */
export const guardServer = (server: Server, rules: GuardRules): void => {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (refusalOf(request.headers, request.socket.localPort ?? 0, rules)) return refuse(request, response);
    for (const listener of listeners) listener.call(server, request, response);
  });
};

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bearerTokenOf, sameToken } from '#shared/api/apigw.ts';
import {
  ContactIdSchema,
  ConversationIdSchema,
  HubMessageIdSchema,
  PartIndexSchema,
} from '#shared/api/schemas.ts';
import type { LocalHttpResponse } from '#shared/local/apigw-event.ts';
import type { LocalRequest } from '#shared/local/http-server.ts';
import { hubUnavailable } from '#shared/local/hub-unavailable.ts';
import { carriesProxyHeaders } from '#shared/local/origin-guard.ts';
import type { SendRecord } from '#shared/store/sends.ts';
import { type CustomerMessage, CustomerMessageSchema } from './customer.ts';
import type { EventTap } from './event-tap.ts';
import { type HoodOptions, hoodAnswer } from './hood.ts';
import { RAW_EVENTS_PREFIX, rawEventsAnswer } from './raw-events.ts';
import { replayAnswer } from './replay.ts';

/*
 * The local console: a page served by the local hub at `/`, plus the local-only endpoints it needs
 * besides the helpdesk API. Nothing here is imported by a function, so no Lambda bundle carries it.
 *
 * The page reads the helpdesk API with the hub's development token, which the hub writes into the
 * page it serves. That is safe enough because the hub listens on loopback only, the page and the
 * endpoints answer only requests whose Host names the loopback (a DNS-rebinding page cannot read
 * them) and that no proxy or tunnel says it relayed (one connects over loopback and may rewrite Host
 * to it), and no other origin can read a response (no CORS) or send the token-bearing requests.
 */

const CONSOLE_PAGE_PATH = '/';
const CUSTOMER_MESSAGE_PATH = '/_local/console/customer-message';
const SENDS_PREFIX = '/_local/console/sends/';
const MEDIA_PREFIX = '/_local/console/media/';
const READ_PREFIX = '/_local/console/read/';

const STATIC_DIR = join(import.meta.dirname, 'static');

/** The page's own files. */
const STATIC_FILES: Readonly<Record<string, readonly [file: string, contentType: string]>> = {
  '/console/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/console/console.css': ['console.css', 'text/css; charset=utf-8'],
};

/** The page's other modules and style sheets (static/live.js, …): any `/console/<name>.js|css` in static/. */
const OWN_FILE_PATH = /^\/console\/([a-z][a-z0-9-]*\.(js|css))$/;
const ownFile = (rawPath: string): readonly [file: string, contentType: string] | undefined => {
  const [, name, extension] = OWN_FILE_PATH.exec(rawPath) ?? [];
  if (!name || !existsSync(join(STATIC_DIR, name))) return undefined;
  return [join(STATIC_DIR, name), `text/${extension === 'css' ? 'css' : 'javascript'}; charset=utf-8`];
};

/** The front-end library, served as ES modules straight from node_modules (no bundler). */
const VENDOR_MODULES: Readonly<Record<string, string>> = {
  '/console/vendor/preact.mjs': import.meta.resolve('preact'),
  '/console/vendor/preact-hooks.mjs': import.meta.resolve('preact/hooks'),
  '/console/vendor/htm.mjs': import.meta.resolve('htm'),
};

/** The page's import map: the bare names the modules import, mapped to the vendor files above. */
const IMPORT_MAP = JSON.stringify({
  imports: {
    preact: '/console/vendor/preact.mjs',
    'preact/hooks': '/console/vendor/preact-hooks.mjs',
    htm: '/console/vendor/htm.mjs',
  },
});

export interface ConsoleOptions {
  /** The helpdesk API's development bearer token. */
  readonly apiToken: string;
  /** The hub's base URL, where the helpdesk API answers. */
  readonly hubBaseUrl: () => string;
  /** The hub's port: requests must name the loopback on it. */
  readonly port: () => number;
  /** Where the media endpoint's presigned URLs point (the local S3): the page may show images from it. */
  readonly mediaOrigin: string;
  /** The send record of a hub message (consistent read); undefined before the sender claimed it. */
  readonly readSend: (hubMessageId: string) => Promise<SendRecord | undefined>;
  /** Posts a customer's message to the hub's webhook, signed as its provider would. */
  readonly postCustomerMessage: (message: CustomerMessage) => Promise<number>;
  /** Queues, dead letters and fault switches (./hood.ts). */
  readonly hood?: HoodOptions;
  /** The events the hub published to the helpdesk queue, kept for the console. */
  readonly tap: EventTap;
  /** True while the hub's functions are loading: the data endpoints answer 503 "starting" meanwhile. */
  readonly starting?: () => boolean;
}

const text = (statusCode: number, body: string): LocalHttpResponse => ({
  statusCode,
  headers: { 'content-type': ['text/plain; charset=utf-8'], 'cache-control': ['no-store'] },
  body: Buffer.from(body, 'utf8'),
});

const json = (statusCode: number, value: unknown): LocalHttpResponse => ({
  statusCode,
  headers: { 'content-type': ['application/json'], 'cache-control': ['no-store'] },
  body: Buffer.from(JSON.stringify(value), 'utf8'),
});

const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (character) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character] ?? character,
  );

const pageHeaders = (nonce: string, mediaOrigin: string): Record<string, string[]> => ({
  'content-type': ['text/html; charset=utf-8'],
  'cache-control': ['no-store'],
  'content-security-policy': [
    [
      "default-src 'none'",
      `script-src 'self' 'nonce-${nonce}'`,
      "style-src 'self'",
      `img-src 'self' data: ${mediaOrigin}`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  ],
  'referrer-policy': ['no-referrer'],
  'x-content-type-options': ['nosniff'],
});

const renderPage = async (options: ConsoleOptions): Promise<LocalHttpResponse> => {
  const nonce = randomBytes(16).toString('base64');
  // Replacer functions: a replacement string would read `$&`, `$'`… in a token as patterns.
  const html = (await readFile(join(STATIC_DIR, 'index.html'), 'utf8'))
    .replace('{{API_TOKEN}}', () => escapeHtml(options.apiToken))
    .replace('<!--IMPORT_MAP-->', () => `<script type="importmap" nonce="${nonce}">${IMPORT_MAP}</script>`);
  return { statusCode: 200, headers: pageHeaders(nonce, options.mediaOrigin), body: Buffer.from(html) };
};

const staticFile = async (file: string, contentType: string): Promise<LocalHttpResponse> => ({
  statusCode: 200,
  headers: {
    'content-type': [contentType],
    'cache-control': ['no-cache'],
    'x-content-type-options': ['nosniff'],
  },
  body: await readFile(file),
});

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

const namesLoopback = (host: string | undefined, port: number): boolean =>
  host !== undefined && LOOPBACK_HOSTS.some((name) => host === `${name}:${port}`);

/**
 * A request whose Host names another name (DNS rebinding), or that a tunnel or reverse proxy relayed
 * (it connects over loopback and may rewrite Host to 127.0.0.1), gets nothing from the console.
 */
export const fromThisMachine = (headers: IncomingHttpHeaders, port: number): boolean =>
  namesLoopback(headers.host, port) && !carriesProxyHeaders(headers);

export const NOT_FROM_THIS_MACHINE =
  'The console answers only at 127.0.0.1 or localhost on the hub port, and never through a proxy or tunnel.';

/**
 * The console's token check, as the helpdesk API's: the scheme in any case (bearerTokenOf), the token
 * in constant time, its length included (a header of another scheme is compared as no token).
 */
export const bearerMatches = (header: string | undefined, token: string): boolean =>
  sameToken(bearerTokenOf(header) ?? '', token);

/**
 * What the console shows of a send: its state and, when it failed, why (never its text): the reason,
 * whether sending again could help (`retryable`), and the provider's own code and title for each
 * error it answered (their `message` and `details` stay out: a provider may quote what it refused).
 */
const sendView = (hubMessageId: string, record: SendRecord | undefined) => ({
  hubMessageId,
  state: record?.state ?? 'queued',
  ...(record?.failure
    ? {
        failure: {
          reason: record.failure.reason,
          retryable: record.failure.retryable,
          ...(record.failure.detail ? { detail: record.failure.detail } : {}),
          ...(record.failure.failedField ? { failedField: record.failure.failedField } : {}),
          ...(record.failure.errors?.length
            ? {
                errors: record.failure.errors.map((error) => ({
                  code: error.code,
                  ...(error.title ? { title: error.title } : {}),
                })),
              }
            : {}),
        },
      }
    : {}),
});

const parseJsonBody = (body: Buffer): unknown => {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
};

/**
 * The helpdesk API's answer to a GET of `v1Path` (asked through the hub's own route), wrapped in a 200
 * as `{ status, body, retryAfter? }`: a browser prints every non-2xx response in its console as an
 * error, and the reads below have answers that are news for the page, not errors.
 */
const relayedRead = async (options: ConsoleOptions, v1Path: string): Promise<LocalHttpResponse> => {
  const response = await fetch(`${options.hubBaseUrl()}${v1Path}`, {
    headers: { authorization: `Bearer ${options.apiToken}`, 'x-switchboard-console': 'poll' },
  });
  const body: unknown = await response.json().catch(() => undefined);
  const retryAfter = response.headers.get('retry-after');
  return json(200, { status: response.status, body, ...(retryAfter ? { retryAfter } : {}) });
};

/**
 * `GET /v1/messages/{id}/media/{i}`, relayed: still copying (409), failed (410) and not kept (404)
 * are expected answers for a timeline.
 */
const mediaAnswer = async (options: ConsoleOptions, rawPath: string): Promise<LocalHttpResponse> => {
  const [id = '', index = '', ...rest] = rawPath.slice(MEDIA_PREFIX.length).split('/');
  if (
    rest.length > 0 ||
    !HubMessageIdSchema.safeParse(id).success ||
    !PartIndexSchema.safeParse(index).success
  )
    return text(404, 'No such media part.');
  return relayedRead(options, `/v1/messages/${id}/media/${index}`);
};

/** How many messages the timeline reads at once: the newest, then older pages on request. */
const TIMELINE_PAGE = 50;
/** An API cursor as the API writes one (base64url, at most its 2,048 characters): safe in a path. */
const isCursor = (cursor: string): boolean => /^[A-Za-z0-9_-]{1,2048}$/.test(cursor);

/**
 * The reads of the open conversation and its person (`GET /_local/console/read/{kind}/{id}`),
 * relayed: they answer 404 once the person is erased, which the page shows as "no longer exists".
 * The timeline's query is fixed here because the hub hands the console a request's path only: its
 * newest page, or with `/{cursor}` (a page's `previousCursor`) the page of older messages before it.
 */
const isConversationId = (id: string): boolean => ConversationIdSchema.safeParse(id).success;
const GONE_SAFE_READS: Readonly<
  Record<
    string,
    readonly [
      valid: (id: string) => boolean,
      v1Path: (id: string, cursor?: string) => string,
      takesCursor?: boolean,
    ]
  >
> = {
  conversation: [isConversationId, (id) => `/v1/conversations/${id}`],
  timeline: [
    isConversationId,
    (id, cursor) =>
      cursor
        ? `/v1/conversations/${id}/messages?cursor=${cursor}&limit=${TIMELINE_PAGE}`
        : `/v1/conversations/${id}/messages?from=newest&limit=${TIMELINE_PAGE}`,
    // (its files' names cleaned by the API, old records' too: withDisplayFileNames)
    true,
  ],
  contact: [(id) => ContactIdSchema.safeParse(id).success, (id) => `/v1/contacts/${id}`],
};

const goneSafeRead = async (options: ConsoleOptions, rawPath: string): Promise<LocalHttpResponse> => {
  const [kind = '', id = '', cursor, ...rest] = rawPath.slice(READ_PREFIX.length).split('/');
  const read = Object.hasOwn(GONE_SAFE_READS, kind) ? GONE_SAFE_READS[kind] : undefined;
  if (!read || rest.length > 0 || !read[0](id)) return text(404, 'No such read.');
  if (cursor !== undefined && !(read[2] && isCursor(cursor))) return text(404, 'No such read.');
  return relayedRead(options, read[1](id, cursor));
};

const isConsolePath = (rawPath: string): boolean =>
  rawPath === CONSOLE_PAGE_PATH || rawPath.startsWith('/console/') || rawPath.startsWith('/_local/console/');

/** The console's request handler for the hub's HTTP server: a response, or undefined for other paths. */
export const consoleHandler =
  (options: ConsoleOptions) =>
  async (request: LocalRequest): Promise<LocalHttpResponse | undefined> => {
    const { method, rawPath, headers } = request;
    if (!isConsolePath(rawPath)) return undefined;
    if (!fromThisMachine(headers, options.port())) return text(403, NOT_FROM_THIS_MACHINE);
    if (rawPath.startsWith('/_local/console/')) {
      if (!bearerMatches(headers.authorization, options.apiToken)) return text(401, 'Bearer token required.');
      if (options.starting?.()) return hubUnavailable('starting');
      if (method === 'POST' && rawPath === CUSTOMER_MESSAGE_PATH) {
        if (!(headers['content-type'] ?? '').startsWith('application/json')) return text(415, 'Send JSON.');
        const parsed = CustomerMessageSchema.safeParse(parseJsonBody(request.body));
        if (!parsed.success) {
          return json(400, {
            errors: parsed.error.issues.map((issue) => ({
              field: issue.path.join('.'),
              message: issue.message,
            })),
          });
        }
        const status = await options.postCustomerMessage(parsed.data);
        return json(status < 300 ? 202 : 502, { webhookStatus: status });
      }
      if (method === 'GET' && rawPath.startsWith(SENDS_PREFIX)) {
        const id = HubMessageIdSchema.safeParse(rawPath.slice(SENDS_PREFIX.length));
        if (!id.success) return text(404, 'No such send.');
        return json(200, sendView(id.data, await options.readSend(id.data)));
      }
      if (method === 'GET' && rawPath.startsWith(MEDIA_PREFIX)) return mediaAnswer(options, rawPath);
      if (method === 'GET' && rawPath.startsWith(READ_PREFIX)) return goneSafeRead(options, rawPath);
      const hood =
        options.hood && (await hoodAnswer(options.hood, method, rawPath, () => parseJsonBody(request.body)));
      if (hood) return json(hood.statusCode, hood.body);
      if (method === 'GET' && rawPath.startsWith(RAW_EVENTS_PREFIX))
        return rawEventsAnswer(options.tap, rawPath);
      const replayed = await replayAnswer(options.hubBaseUrl(), request);
      if (replayed) return replayed;
      return text(404, 'Not found.');
    }
    if (method !== 'GET') return text(405, 'Method not allowed.');
    if (rawPath === CONSOLE_PAGE_PATH) return renderPage(options);
    const own = STATIC_FILES[rawPath];
    if (own) return staticFile(join(STATIC_DIR, own[0]), own[1]);
    const file = ownFile(rawPath);
    if (file) return staticFile(file[0], file[1]);
    const vendor = VENDOR_MODULES[rawPath];
    if (vendor) return staticFile(fileURLToPath(vendor), 'text/javascript; charset=utf-8');
    return text(404, 'Not found.');
  };

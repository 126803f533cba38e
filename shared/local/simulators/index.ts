import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { AllChannelSecrets } from '#shared/config/secrets.ts';
import { httpOrigin, refusalOf, refuse } from '#shared/local/origin-guard.ts';
import { CallbackQueue } from './callbacks.ts';
import { type ArmedFault, type Fault, FaultBook, FaultListSchema, FaultSchema } from './faults.ts';
import { createGraphHandler } from './graph-router.ts';
import { bytesDigest, readJson } from './http-io.ts';
import { createIdFactory } from './ids.ts';
import { handleMessengerCdn, MESSENGER_CDN_PREFIX } from './inbound-media.ts';
import { handleMailgun } from './mailgun.ts';
import { handleSes } from './ses.ts';
import { createTwilioHandler } from './twilio.ts';
import {
  createTwilioMessages,
  type KeepTwilioMessage,
  type SimulatedTwilioMessage,
} from './twilio-messages.ts';
import type {
  ProviderHandler,
  ProviderReply,
  SimContext,
  SimulatedCallback,
  SimulatedProvider,
  SimulatedRequest,
  StatusDelays,
} from './types.ts';
import { createWhatsAppMedia, MEDIA_CDN_PREFIX } from './whatsapp-media.ts';

export type { ArmedFault, Fault } from './faults.ts';
export type { SimulatedTwilioMessage } from './twilio-messages.ts';
export type { SimulatedRequest } from './types.ts';

/**
 * Local stand-ins for the providers' sending APIs (WhatsApp Cloud API, Messenger Send API, Twilio
 * Messages, SES v2, Mailgun), speaking their request and response formats and posting the status
 * webhooks back to the hub, signed as the providers sign them. Faults make them misbehave on cue.
 * Only programs on this machine reach them (origin-guard.ts): a web page could otherwise arm faults,
 * read the requests log (message text, phone numbers) or download the customers' media.
 */
export interface ProviderSimulatorOptions {
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Where the simulators post the status webhooks back, e.g. http://127.0.0.1:3000 (the local hub). */
  readonly hubBaseUrl: string;
  /**
   * The hub's public base URL when a tunnel exposes it (SWITCHBOARD_PUBLIC_BASE_URL): the hub then
   * checks Twilio signatures over it, so Twilio's status callbacks to the hub are signed over it, as
   * by Twilio calling through the tunnel, and still posted to `hubBaseUrl`.
   */
  readonly hubPublicBaseUrl?: string;
  /** Secrets to sign callbacks with, as the providers would (LOCAL_DEV_SECRETS shape). */
  readonly secrets: AllChannelSecrets;
  /** Delays between the accepted send and each status callback; tests set them to 0 or a few ms. */
  readonly statusDelaysMs?: { sent?: number; delivered?: number; read?: number };
  /** Lines carry no message text, phone number or e-mail address. */
  readonly log?: (line: string) => void;
}

export interface RunningProviderSimulators {
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** Base URLs a client is configured with, in place of graph.facebook.com, api.twilio.com, … */
  readonly urls: {
    readonly graph: string;
    readonly twilio: string;
    readonly mailgun: string;
    readonly sesV2: string;
  };
  /** Every request received, in order (JSON-serializable copies). */
  requests(): readonly SimulatedRequest[];
  /** What Twilio holds of the messages: those it sent and those kept with `keepTwilioMessage` (copies). */
  twilioMessages(): readonly SimulatedTwilioMessage[];
  /** Twilio now holds this message (a customer's inbound message, whose webhook a test posts itself). */
  keepTwilioMessage(message: KeepTwilioMessage): void;
  /** Replaces the active faults. */
  setFaults(faults: readonly Fault[]): void;
  /** Arms one more fault after the active ones. */
  addFault(fault: Fault): void;
  /** Clears every fault, or only one provider's. */
  clearFaults(provider?: SimulatedProvider): void;
  /** The active faults, in order, with what is left of their `times`. */
  faults(): ArmedFault[];
  /** Stops listening, drops held connections and cancels callbacks not yet posted. */
  stop(): Promise<void>;
}

const DEFAULT_DELAYS: StatusDelays = { sent: 250, delivered: 1000, read: 3000 };
/** `accept_then_timeout` holds the answer this long by default: past the usual 30 s client deadlines. */
const DEFAULT_TIMEOUT_HOLD_MS = 35_000;
/** Larger than any provider accepts (Mailgun 25 MB, SES 40 MB raw, base64 in JSON). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const ADMIN = {
  faults: '/_local/providers/faults',
  requests: '/_local/providers/requests',
  twilioMessages: '/_local/providers/twilio/messages',
} as const;

/** Path prefix → provider base URL suffix. */
const PREFIX = { graph: '/graph', twilio: '/twilio', mailgun: '/mailgun', sesV2: '/ses' } as const;

type BodyRead = { readonly ok: true; readonly body: Buffer } | { readonly ok: false };

const readBody = (request: IncomingMessage): Promise<BodyRead> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(size <= MAX_BODY_BYTES ? { ok: true, body: Buffer.concat(chunks) } : { ok: false }),
    );
    request.on('error', reject);
  });

const sendJson = (response: ServerResponse, status: number, value: unknown) => {
  const body = Buffer.from(JSON.stringify(value));
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  response.end(body);
};

type ReplyContent =
  | { readonly bytes: Buffer; readonly contentType: string }
  | { readonly chunks: () => Iterable<Buffer>; readonly byteLength: number; readonly contentType: string };

const replyContent = (reply: ProviderReply): ReplyContent => {
  const body = reply.body;
  if ('json' in body)
    return { bytes: Buffer.from(JSON.stringify(body.json)), contentType: 'application/json' };
  if ('text' in body) return { bytes: Buffer.from(body.text), contentType: body.contentType };
  if ('chunks' in body) return body;
  return { bytes: body.bytes, contentType: body.contentType };
};

const recordedBody = (reply: ProviderReply): unknown => {
  const body = reply.body;
  if ('json' in body) return body.json;
  if ('text' in body) return body.text;
  if ('chunks' in body) return { byteLength: body.byteLength, sha256: body.sha256 };
  return bytesDigest(body.bytes);
};

const recordedHeaders = (request: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name === 'authorization' || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
};

/** A mutable record while callbacks are still arriving; copied out by `requests()`. */
type Entry = Omit<SimulatedRequest, 'callbacks' | 'response'> & {
  response: { status: number; body: unknown; withheld?: boolean; delayedMs?: number };
  callbacks: SimulatedCallback[];
};

/**
 * The requests the simulators keep for `GET /_local/providers/requests` (with their bodies and
 * callbacks): the newest this many, so a long local session does not grow without bound. Far more
 * than any test or benchmark makes.
 */
const MAX_RECORDED_REQUESTS = 20_000;

export const startProviderSimulators = async (
  options: ProviderSimulatorOptions,
): Promise<RunningProviderSimulators> => {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  const hubBaseUrl = options.hubBaseUrl.replace(/\/+$/, '');
  const delays: StatusDelays = { ...DEFAULT_DELAYS, ...options.statusDelaysMs };
  const faults = new FaultBook();
  const callbacks = new CallbackQueue(log);
  const entries: Entry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let baseUrl = '';

  const context: SimContext = {
    ids: createIdFactory(),
    hubBaseUrl,
    ...(options.hubPublicBaseUrl ? { hubPublicBaseUrl: options.hubPublicBaseUrl } : {}),
    secrets: options.secrets,
    delays,
    callbacks,
    takeFault: (match) => faults.take(match),
    baseUrl: () => baseUrl,
    log,
  };
  const media = createWhatsAppMedia();
  const twilioMessages = createTwilioMessages(context.ids);
  const handlers: readonly (readonly [string, ProviderHandler])[] = [
    [PREFIX.graph, createGraphHandler(media)],
    [PREFIX.twilio, createTwilioHandler(twilioMessages)],
    [PREFIX.mailgun, handleMailgun],
    [PREFIX.sesV2, handleSes],
    [MEDIA_CDN_PREFIX, async (request, ctx) => media.download(request, ctx)],
    [MESSENGER_CDN_PREFIX, handleMessengerCdn],
  ];

  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const admin = (method: string, pathname: string, body: Buffer, response: ServerResponse): boolean => {
    if (pathname === ADMIN.faults && method === 'POST') {
      const json = readJson(body);
      const parsed = FaultListSchema.safeParse(json.ok ? json.value : undefined);
      if (!parsed.success) {
        sendJson(response, 400, {
          error: 'invalid faults',
          reason: json.ok ? z.prettifyError(parsed.error) : 'body is not JSON',
        });
      } else {
        faults.replace(parsed.data);
        log(`simulators: ${parsed.data.length} fault(s) set`);
        sendJson(response, 200, { faults: parsed.data });
      }
      return true;
    }
    if (pathname === ADMIN.faults && method === 'GET') {
      sendJson(response, 200, { faults: faults.armed() });
      return true;
    }
    if (pathname === ADMIN.faults && method === 'DELETE') {
      faults.clear();
      log('simulators: faults cleared');
      response.writeHead(204).end();
      return true;
    }
    if (pathname === ADMIN.requests && method === 'GET') {
      sendJson(response, 200, structuredClone(entries));
      return true;
    }
    if (pathname === ADMIN.twilioMessages && method === 'GET') {
      sendJson(response, 200, twilioMessages.list());
      return true;
    }
    return false;
  };

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    if (refusalOf(request.headers, request.socket.localPort ?? 0, { origin: 'none', bindHost: host })) {
      log('simulators: a request from a web page (Origin or Host not this machine) → 403');
      return refuse(request, response);
    }
    const receivedAt = new Date().toISOString();
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://simulators.local');
    const read = await readBody(request);
    if (!read.ok) return sendJson(response, 413, { error: 'request body too large' });
    if (admin(method, url.pathname, read.body, response)) return;
    const route = handlers.find(
      ([prefix]) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`),
    );
    if (!route) {
      log(`simulators: ${method} to an unknown path → 404`);
      return sendJson(response, 404, { error: 'no simulated provider serves this path' });
    }
    const [prefix, handler] = route;
    const pathname = url.pathname.slice(prefix.length) || '/';
    const reply = await handler(
      { method, pathname, query: url.searchParams, headers: request.headers, body: read.body },
      context,
    );
    const entry: Entry = {
      provider: reply.provider,
      method,
      path: `${pathname}${url.search}`,
      receivedAt,
      headers: recordedHeaders(request),
      body: reply.recordBody,
      response: { status: reply.status, body: recordedBody(reply) },
      ...(reply.fault ? { fault: reply.fault.kind } : {}),
      callbacks: [],
    };
    entries.push(entry);
    // Bounded: a long `npm start` session keeps the newest requests only.
    if (entries.length > MAX_RECORDED_REQUESTS) entries.splice(0, entries.length - MAX_RECORDED_REQUESTS);
    log(
      `simulators: ${reply.provider} ${reply.route} → ${reply.status}${reply.fault ? ` [${reply.fault.kind}]` : ''}`,
    );
    reply.afterAccept?.((callback) => entry.callbacks.push(callback));

    const content = replyContent(reply);
    const answer = () => {
      if (response.destroyed) return;
      response.writeHead(reply.status, {
        ...reply.headers,
        'content-type': content.contentType,
        'content-length': 'bytes' in content ? content.bytes.length : content.byteLength,
      });
      if ('bytes' in content) response.end(content.bytes);
      // Generated as the client reads (backpressure): a 100 MB file never sits in memory.
      else pipeline(Readable.from(content.chunks()), response).catch(() => response.destroy());
    };
    const fault = reply.fault;
    if (fault?.kind === 'accept_then_timeout' && reply.status < 300) {
      entry.response.withheld = true;
      // The send went out; the client never hears so. Close without answering once the hold is over.
      later(fault.delayMs ?? DEFAULT_TIMEOUT_HOLD_MS, () => response.destroy());
      return;
    }
    if (fault?.kind === 'slow') {
      entry.response.delayedMs = fault.delayMs;
      later(fault.delayMs, answer);
      return;
    }
    answer();
  };

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      log(`simulators: request failed (${error instanceof Error ? error.name : 'error'}) → 500`);
      if (!response.headersSent) sendJson(response, 500, { error: 'simulator error' });
      else response.destroy();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve((server.address() as AddressInfo).port));
  });
  baseUrl = httpOrigin(host, port);
  log(`simulators: providers listening on ${baseUrl}`);

  let stopped: Promise<void> | undefined;
  return {
    baseUrl,
    urls: {
      graph: `${baseUrl}${PREFIX.graph}`,
      twilio: `${baseUrl}${PREFIX.twilio}`,
      mailgun: `${baseUrl}${PREFIX.mailgun}`,
      sesV2: `${baseUrl}${PREFIX.sesV2}`,
    },
    requests: () => structuredClone(entries),
    twilioMessages: () => twilioMessages.list(),
    keepTwilioMessage: (message) => twilioMessages.keep(message),
    setFaults: (list) => faults.replace(FaultListSchema.parse(list)),
    addFault: (fault) => faults.add(FaultSchema.parse(fault)),
    clearFaults: (provider) => faults.clear(provider),
    faults: () => faults.armed(),
    stop: () => {
      stopped ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await callbacks.stop();
        await closed;
      })();
      return stopped;
    },
  };
};

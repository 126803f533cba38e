import type { IncomingMessage, ServerResponse } from 'node:http';
import { hubUnavailable } from '#shared/local/hub-unavailable.ts';
import { type EventTap, summaryOf, type TappedEvent } from './event-tap.ts';
import { bearerMatches, fromThisMachine, NOT_FROM_THIS_MACHINE } from './server.ts';

/*
 * `GET /_local/console/events`: the tap's events as server-sent events (text/event-stream), one
 * `hub-event` per CloudEvent with its type and the conversation and contact it concerns, never its
 * content (the page reads that from /v1, or the raw event from /_local/console/raw-events/{id}).
 *
 * The token travels in the Authorization header, like every other console request: the page reads
 * the stream with fetch() and a small parser rather than EventSource, which cannot send headers.
 * A token in the URL would work for EventSource but would sit in the URL (history, request logs of
 * any proxy in between); a cookie would be sent by every page on localhost, whatever its port.
 * A reconnecting reader sends `Last-Event-ID` and gets the events it missed that are still held.
 */

const EVENTS_PATH = '/_local/console/events';
const KEEPALIVE_MS = 15_000;

export interface ConsoleStreamOptions {
  readonly apiToken: string;
  readonly port: () => number;
  readonly tap: EventTap;
  /**
   * True while the hub's functions are loading: the stream answers 503 "starting" meanwhile, as the
   * endpoints the page reads beside it do, rather than look live to a page that cannot load anything.
   */
  readonly starting?: () => boolean;
}

export interface ConsoleStreams {
  /** Serves the request when it asks for the event stream; false for any other request. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** Ends every open stream at once, read or not (the HTTP server waits for open responses before it closes). */
  close(): void;
  readonly open: number;
}

const refuse = (response: ServerResponse, statusCode: number, message: string): true => {
  response.writeHead(statusCode, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(message);
  return true;
};

const frame = (event: TappedEvent): string =>
  `id: ${event.seq}\nevent: hub-event\ndata: ${JSON.stringify(summaryOf(event))}\n\n`;

const lastSeenSeq = (header: string | string[] | undefined): number => {
  const value = Number(Array.isArray(header) ? header[0] : header);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
};

export const consoleStreams = (options: ConsoleStreamOptions): ConsoleStreams => {
  /** Each open stream's stop (unsubscribe, no more keepalives) and its response. */
  const open = new Map<() => void, ServerResponse>();
  let closed = false;
  return {
    handle(request, response) {
      if ((request.url ?? '').split('?')[0] !== EVENTS_PATH) return false;
      // A page reconnecting while the hub stops must not hold its server open.
      if (closed) return refuse(response, 503, 'The hub is stopping.');
      if (!fromThisMachine(request.headers, options.port()))
        return refuse(response, 403, NOT_FROM_THIS_MACHINE);
      if (!bearerMatches(request.headers.authorization, options.apiToken))
        return refuse(response, 401, 'Bearer token required.');
      if (request.method !== 'GET') return refuse(response, 405, 'Method not allowed.');
      if (options.starting?.()) {
        const starting = hubUnavailable('starting');
        response.writeHead(starting.statusCode, starting.headers);
        response.end(starting.body);
        return true;
      }
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      // A reader that stops reading (a frozen tab, a suspended curl) must not make the hub buffer
      // without end: once a write fills the socket's buffer, the stream waits for it to drain and
      // then sends what the tap still holds after the last event sent, as a reconnect would.
      let sentSeq = 0;
      let waiting = false;
      const writable = () => !response.writableEnded && !response.destroyed;
      const write = (chunk: string) => {
        if (!waiting && writable()) waiting = !response.write(chunk);
      };
      const send = (events: readonly TappedEvent[]) => {
        for (const event of events) {
          if (waiting || !writable()) return;
          sentSeq = event.seq;
          write(frame(event));
        }
      };
      // The page knows the stream is up once this arrives, before any event.
      write(`retry: 2000\n: connected\n\n`);
      const after = lastSeenSeq(request.headers['last-event-id']);
      if (after > 0) {
        sentSeq = after;
        send(options.tap.since(after));
      } else sentSeq = options.tap.since(0).at(-1)?.seq ?? 0;
      response.on('drain', () => {
        waiting = false;
        send(options.tap.since(sentSeq));
      });
      const unsubscribe = options.tap.subscribe((event) => send([event]));
      const keepalive = setInterval(() => write(': keepalive\n\n'), KEEPALIVE_MS);
      keepalive.unref();
      const stop = () => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(stop);
      };
      open.set(stop, response);
      response.on('close', stop);
      response.on('error', stop);
      return true;
    },
    close() {
      closed = true;
      // Destroyed, not ended: a reader that stopped reading would keep an ended response (and the
      // server) open until its socket drained.
      for (const [stop, response] of open) {
        stop();
        response.destroy();
      }
    },
    get open() {
      return open.size;
    },
  };
};

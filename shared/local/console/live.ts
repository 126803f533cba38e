import type { IncomingMessage, ServerResponse } from 'node:http';
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
}

export interface ConsoleStreams {
  /** Serves the request when it asks for the event stream; false for any other request. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** Ends every open stream (the HTTP server waits for open responses before it closes). */
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
  const open = new Set<ServerResponse>();
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
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      // The page knows the stream is up once this arrives, before any event.
      response.write(`retry: 2000\n: connected\n\n`);
      const after = lastSeenSeq(request.headers['last-event-id']);
      if (after > 0) for (const missed of options.tap.since(after)) response.write(frame(missed));
      const unsubscribe = options.tap.subscribe((event) => response.write(frame(event)));
      const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
      keepalive.unref();
      open.add(response);
      response.on('close', () => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(response);
      });
      return true;
    },
    close() {
      closed = true;
      for (const response of open) response.end();
    },
    get open() {
      return open.size;
    },
  };
};

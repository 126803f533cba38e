import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventTap, type EventTap } from '#shared/local/console/event-tap.ts';
import { type ConsoleStreams, consoleStreams } from '#shared/local/console/live.ts';

/*
 * The console's event stream against a reader that stops reading (a frozen tab, a suspended curl):
 * the hub must neither buffer every event for it without end nor crash when the hub stops while it
 * is still connected (a write after the stream ended, with no error listener, is an uncaught
 * exception in the hub's process). A reader that catches up gets what the tap still holds, in order.
 */

const TOKEN = 'stream-backpressure-token-01';
const PADDING = 'x'.repeat(4000);

const body = (n: number): string =>
  JSON.stringify({
    specversion: '1.0',
    id: `e${n}`,
    type: 'switchboard.message.received',
    subject: `conv_${PADDING}`,
  });

interface Rig {
  readonly server: Server;
  readonly streams: ConsoleStreams;
  readonly responses: ServerResponse[];
  readonly port: number;
}

const startRig = async (tap: EventTap): Promise<Rig> => {
  const responses: ServerResponse[] = [];
  let port = 0;
  const streams = consoleStreams({ apiToken: TOKEN, port: () => port, tap });
  const server = createServer((request, response) => {
    responses.push(response);
    if (!streams.handle(request, response)) response.end('not the stream');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return { server, streams, responses, port };
};

/** Opens the stream on a raw socket and waits for its first bytes. */
const openStream = async (port: number): Promise<{ socket: Socket; received: () => string }> => {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  socket.write(
    `GET /_local/console/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
  );
  await new Promise((resolve) => socket.once('data', resolve));
  return { socket, received: () => text };
};

const closeServer = (server: Server, withinMs: number): Promise<'closed' | 'still open'> =>
  Promise.race([
    new Promise<'closed'>((resolve) => server.close(() => resolve('closed'))),
    new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), withinMs)),
  ]);

describe('the console event stream with a reader that stopped reading', () => {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  const sockets: Socket[] = [];

  afterEach(() => {
    process.off('uncaughtException', onUncaught);
    for (const socket of sockets.splice(0)) socket.destroy();
    uncaught.length = 0;
  });

  it('buffers a bounded amount for it, and stopping the hub throws nothing and closes the server', async () => {
    // Prepare
    process.on('uncaughtException', onUncaught);
    const tap = createEventTap({ capacity: 10 });
    const rig = await startRig(tap);
    const { socket } = await openStream(rig.port);
    sockets.push(socket);
    socket.pause();
    // Act: 20 MB of events for a reader that reads none, then what hub.stop() does, then one more event
    for (let n = 1; n <= 5000; n += 1) tap.record([body(n)]);
    const buffered = rig.responses[0]?.writableLength ?? 0;
    rig.streams.close();
    tap.record([body(5001)]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closed = await closeServer(rig.server, 3000);
    // Assess
    expect(buffered).toBeLessThan(256 * 1024);
    expect(uncaught).toEqual([]);
    expect(rig.streams.open).toBe(0);
    expect(closed).toBe('closed');
  });

  it('sends a reader that catches up every event the tap still holds, in order and once each', async () => {
    // Prepare
    const tap = createEventTap({ capacity: 5000, maxBytes: 64 * 1024 * 1024 });
    const rig = await startRig(tap);
    const stream = await openStream(rig.port);
    sockets.push(stream.socket);
    stream.socket.pause();
    // Act: more than the socket buffers hold while paused, then read on
    for (let n = 1; n <= 3000; n += 1) tap.record([body(n)]);
    stream.socket.resume();
    const deadline = Date.now() + 10_000;
    while (!stream.received().includes('"id":"e3000"') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ids = [...stream.received().matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    rig.streams.close();
    await closeServer(rig.server, 3000);
    // Assess
    expect(ids).toEqual(Array.from({ length: 3000 }, (_, index) => index + 1));
  });
});

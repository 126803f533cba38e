import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postSample, whatsappTextFrom } from '#shared/local/live-samples.ts';

/*
 * Posting a sample as a provider would: a connection reset under the request (a kept-alive socket
 * the server closed as it went out) is posted again once; anything else is the caller's to see.
 */

describe('posting a sample to a webhook', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** A server that resets the first `resets` requests' connections, then answers 200. */
  const start = async (resets: number): Promise<{ base: string; seen: () => number }> => {
    let seen = 0;
    server = createServer((request, response) => {
      seen += 1;
      if (seen <= resets) {
        request.socket.destroy();
        return;
      }
      request.resume();
      request.on('end', () => response.writeHead(200).end('{}'));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen: () => seen };
  };

  it('posts again once when the connection is reset, and answers the status of the second try', async () => {
    // Prepare
    const hub = await start(1);
    // Act
    const status = await postSample(hub.base, whatsappTextFrom('4915770001234', 'reset1'));
    // Assess
    expect(status).toBe(200);
    expect(hub.seen()).toBe(2);
  });

  it('gives up after the second reset instead of posting forever', async () => {
    // Prepare
    const hub = await start(5);
    // Act
    const posting = postSample(hub.base, whatsappTextFrom('4915770001234', 'reset2'));
    // Assess
    await expect(posting).rejects.toThrow();
    expect(hub.seen()).toBe(2);
  });
});

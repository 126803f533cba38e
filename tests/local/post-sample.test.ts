import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { replayAnswer } from '#shared/local/console/replay.ts';
import { postSample, whatsappTextFrom } from '#shared/local/live-samples.ts';

/*
 * Posting a sample as a provider would: a connection reset under the request (a kept-alive socket
 * the server closed as it went out) is posted again once; anything else is the caller's to see.
 * The console's replay passes a refusing webhook's reason on with its status.
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

  /** A webhook that answers every request `status` with `body`. */
  const answering = async (status: number, body: string): Promise<string> => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(status, { 'content-type': 'application/json' }).end(body));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const replay = (base: string) =>
    replayAnswer(base, {
      method: 'POST',
      rawPath: '/_local/console/replay',
      body: Buffer.from(JSON.stringify({ name: 'whatsapp/audio' })),
    });

  it.each([
    [
      'a refusal with its reason',
      403,
      '{"error":"X-Hub-Signature-256 does not match the body"}',
      502,
      { webhookStatus: 403, webhookError: 'X-Hub-Signature-256 does not match the body' },
    ],
    ['a refusal without one', 400, 'not json', 502, { webhookStatus: 400 }],
    ['a failure, whose body is not a refusal', 503, '{"error":"x"}', 502, { webhookStatus: 503 }],
    ['an acceptance', 200, '{}', 202, { webhookStatus: 200 }],
  ])('answers a console replay the webhook met with %s', async (_name, status, body, expected, answer) => {
    // Prepare
    const base = await answering(status, body);
    // Act
    const answered = await replay(base);
    // Assess
    expect(answered?.statusCode).toBe(expected);
    expect(JSON.parse(answered?.body.toString('utf8') ?? '')).toEqual(answer);
  });
});

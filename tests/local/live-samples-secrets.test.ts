import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { postSample, whatsappTextFrom } from '#shared/local/live-samples.ts';

/*
 * The console's replay and "act as the customer", and the demo, post samples to the local hub's
 * webhooks. The hub checks them with the secrets it runs with (the development ones, each
 * overridable by a SWITCHBOARD_* variable): the samples are signed with the same, or every one of
 * them is refused (403) once an override is set.
 */

describe('samples posted to the local hub', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('are signed with the Meta app secret the hub runs with, an override included', async () => {
    // Prepare: a server in the webhook's place that keeps what it is sent
    vi.stubEnv('SWITCHBOARD_META_APP_SECRET', 'overridden-app-secret-for-this-test');
    let received: { headers: IncomingHttpHeaders; body: Buffer } | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received = { headers: request.headers, body: Buffer.concat(chunks) };
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as AddressInfo;
    try {
      // Act
      const status = await postSample(`http://127.0.0.1:${port}`, whatsappTextFrom('4915112345678', 'live1'));
      // Assess
      const expected = createHmac('sha256', 'overridden-app-secret-for-this-test')
        .update(received?.body ?? Buffer.alloc(0))
        .digest('hex');
      expect(status).toBe(200);
      expect(received?.headers['x-hub-signature-256']).toBe(`sha256=${expected}`);
    } finally {
      server.close();
    }
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callProvider, MAX_PROVIDER_ANSWER_BYTES } from '#shared/outbound/provider-http.ts';

describe('one provider call', () => {
  let server: Server;
  let base = '';
  let hugeClosedEarly = false;
  let requestsSeen = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      requestsSeen += 1;
      if (request.url === '/slow') return; // never answers: the client must give up
      if (request.url?.startsWith('/huge')) {
        // 8 MiB of two-byte characters, written as fast as the client reads them
        response.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.from('é'.repeat(32 * 1024), 'utf8');
        let left = 128;
        const write = (): void => {
          while (left > 0) {
            left -= 1;
            if (!response.write(chunk)) return void response.once('drain', write);
          }
          response.end();
        };
        response.on('close', () => {
          hugeClosedEarly = left > 0;
        });
        return write();
      }
      response.writeHead(request.url === '/refuse' ? 400 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ path: request.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns any answer as a response, errors included', async () => {
    // Act
    const ok = await callProvider(
      { method: 'POST', url: `${base}/ok`, headers: {}, body: '{}' },
      { timeoutMs: 2000 },
    );
    const refused = await callProvider(
      { method: 'POST', url: `${base}/refuse`, headers: {} },
      { timeoutMs: 2000 },
    );
    // Assess
    expect(ok).toMatchObject({ kind: 'response', response: { status: 200, body: '{"path":"/ok"}' } });
    expect(refused).toMatchObject({ kind: 'response', response: { status: 400 } });
  });

  it('reads no more than its bound of an answer, cut where a character starts, and leaves the rest unread', async () => {
    // Act
    const call = await callProvider(
      { method: 'POST', url: `${base}/huge`, headers: {} },
      { timeoutMs: 5000 },
    );
    // Assess
    expect(call.kind).toBe('response');
    const body = call.kind === 'response' ? call.response.body : '';
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(MAX_PROVIDER_ANSWER_BYTES);
    expect(body.length).toBe(MAX_PROVIDER_ANSWER_BYTES / 2);
    expect(body).toMatch(/^é+$/);
    await expect.poll(() => hugeClosedEarly, { timeout: 5000 }).toBe(true);
  });

  it('says a request may have left when no answer came in time', async () => {
    // Act
    const call = await callProvider({ method: 'POST', url: `${base}/slow`, headers: {} }, { timeoutMs: 150 });
    // Assess
    expect(call).toMatchObject({ kind: 'no_answer', error: { title: 'no answer in time' } });
  });

  it('says a request never left when the connection was refused', async () => {
    // Prepare: a port nothing listens on.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    // Act
    const call = await callProvider(
      { method: 'POST', url: `http://127.0.0.1:${port}/x`, headers: {} },
      { timeoutMs: 2000 },
    );
    // Assess
    expect(call).toMatchObject({ kind: 'not_sent', error: { code: 'ECONNREFUSED' } });
  });

  it('says a request never left when the TLS handshake failed: an https URL answered in plain HTTP', async () => {
    // Prepare: the server above speaks plain HTTP; the client's TLS hello is no request to it.
    const before = requestsSeen;
    // Act
    const call = await callProvider(
      { method: 'POST', url: `${base.replace('http:', 'https:')}/ok`, headers: {}, body: '{}' },
      { timeoutMs: 2000 },
    );
    // Assess
    expect(call).toMatchObject({ kind: 'not_sent', error: { code: 'ERR_SSL_WRONG_VERSION_NUMBER' } });
    expect(requestsSeen).toBe(before);
  });

  it('says a request may have left when a TLS error was not a failure to connect', async () => {
    // Prepare: a fetch failing with a TLS code that the connection did not report as its connect
    // failing (a record garbled mid-answer names the same code as a server not speaking TLS).
    const tlsFailureAfterConnect = () =>
      Promise.reject(
        new TypeError('fetch failed', {
          cause: Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
        }),
      );
    // Act
    const call = await callProvider(
      { method: 'POST', url: 'https://provider.example/x', headers: {} },
      { timeoutMs: 2000, fetch: tlsFailureAfterConnect },
    );
    // Assess
    expect(call).toMatchObject({ kind: 'no_answer', error: { code: 'ERR_SSL_WRONG_VERSION_NUMBER' } });
  });
});

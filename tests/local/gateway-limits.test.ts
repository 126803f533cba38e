import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_INVOCATION_PAYLOAD_BYTES,
  MAX_REQUEST_LINE_AND_HEADER_BYTES,
  type RunningLocalApi,
  startLocalApi,
} from '#shared/local/http-server.ts';
import { rawRequest } from '#tests/support/raw-http.ts';

/** Raw HTTP, so the request line and headers are exactly what the test says. */
const send = async (
  port: number,
  options: { path?: string; headers?: Record<string, string>; body?: Buffer },
): Promise<{ status: number; json: unknown }> => {
  const answer = await rawRequest(`http://127.0.0.1:${port}${options.path ?? '/echo'}`, {
    method: 'POST',
    headers: { 'content-length': String(options.body?.length ?? 0), ...options.headers },
    ...(options.body ? { body: options.body } : {}),
  });
  return { status: answer.status, json: answer.body ? JSON.parse(answer.body) : undefined };
};

/** A request written byte by byte: `POST /echo`, Host `h`, no body, and one padding header. */
const sendRaw = (port: number, padding: string): Promise<{ status: number; json: unknown }> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), json: body ? JSON.parse(body) : undefined });
    });
    socket.end(
      `POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-Padding: ${padding}\r\nConnection: close\r\n\r\n`,
    );
  });

describe('local HTTP API limits, as API Gateway and Lambda set them', () => {
  let api: RunningLocalApi;
  let invocations = 0;

  beforeAll(async () => {
    api = await startLocalApi({
      host: '127.0.0.1',
      port: 0,
      routes: [{ method: 'POST', path: '/echo', functionFile: 'echo.ts' }],
      handlerFor: () => async (event) => {
        invocations += 1;
        return { statusCode: 200, body: JSON.stringify({ bodyLength: event.body?.length ?? 0 }) };
      },
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('invokes the function with an event just under 6 MB', async () => {
    // Prepare: JSON passes as text, so the event is the body plus a little.
    const body = Buffer.from(JSON.stringify({ text: 'a'.repeat(MAX_INVOCATION_PAYLOAD_BYTES - 20_000) }));
    // Act
    const response = await send(api.port, { headers: { 'content-type': 'application/json' }, body });
    // Assess
    expect(response).toEqual({ status: 200, json: { bodyLength: body.length } });
  });

  it('answers 413 without invoking when a form body grows over 6 MB as base64', async () => {
    // Prepare: 4.8 MB of form is 6.4 MB of base64 in the event.
    const before = invocations;
    const body = Buffer.from(`Body=${'b'.repeat(4_800_000)}`);
    // Act
    const response = await send(api.port, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    // Assess
    expect(response).toEqual({ status: 413, json: { message: 'Request Entity Too Large' } });
    expect(invocations).toBe(before);
  });

  it('answers 413 for a JSON body over 6 MB and for any body over 10 MB', async () => {
    // Act
    const json = await send(api.port, {
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ text: 'c'.repeat(6_500_000) })),
    });
    const huge = await send(api.port, { body: Buffer.alloc(10 * 1024 * 1024 + 1, 1) });
    // Assess
    expect(json).toEqual({ status: 413, json: { message: 'Request Entity Too Large' } });
    expect(huge).toEqual({ status: 413, json: { message: 'Request Entity Too Large' } });
  });

  it('answers 431 when the request line and header values pass 10,240 bytes', async () => {
    // Prepare: "POST /echo HTTP/1.1" is 19 bytes; the values of Host, Content-Length and Connection 7 more.
    const fits = 'x'.repeat(MAX_REQUEST_LINE_AND_HEADER_BYTES - 19 - 7);
    // Act
    const atLimit = await sendRaw(api.port, fits);
    const overLimit = await sendRaw(api.port, `${fits}x`);
    const overNodeLimit = await sendRaw(api.port, 'y'.repeat(20_000));
    // Assess
    expect(atLimit.status).toBe(200);
    expect(overLimit).toEqual({ status: 431, json: { message: 'Request Header Fields Too Large' } });
    expect(overNodeLimit).toEqual({ status: 431, json: { message: 'Request Header Fields Too Large' } });
  });
});

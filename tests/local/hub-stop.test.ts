import http from 'node:http';
import { connect } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type RunningLocalApi, startLocalApi } from '#shared/local/http-server.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';

/*
 * `npm start`'s Ctrl-C (hub.stop()) has to end even while a client keeps using a kept-alive
 * connection: the console's page polls every 1–5 s through its browser's kept-alive sockets. Before
 * 2026-12-06 the HTTP server closed the idle connections once and then waited for the busy ones,
 * which answered `keep-alive`, were reused for the next poll and never went idle: the hub went on
 * answering /v1, sweeping and holding its emulator ports until the browser let go (found by a review).
 */

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 'settled' when the promise settles within the time, else 'pending'. */
const settlesWithin = (promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> =>
  Promise.race([promise.then(() => 'settled' as const), wait(ms).then(() => 'pending' as const)]);

const answerOf = (request: http.ClientRequest) =>
  new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          connection: response.headers.connection,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', reject);
  });

describe('local HTTP API: stopping with requests in progress', () => {
  let api: RunningLocalApi | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  afterEach(async () => {
    agent.destroy();
    await api?.close();
    api = undefined;
  });

  /** An API whose one route answers when the test says so. */
  const startSlowApi = async (stopGraceMs: number) => {
    let release: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const invoked = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let invocations = 0;
    api = await startLocalApi({
      host: '127.0.0.1',
      port: 0,
      stopGraceMs,
      routes: [{ method: 'POST', path: '/slow', functionFile: 'slow.ts' }],
      handlerFor: () => async () => {
        invocations += 1;
        arrived();
        await released;
        return { statusCode: 200, body: 'done' };
      },
    });
    return { port: api.port, close: api.close, release, invoked, invocations: () => invocations };
  };

  it('answers the request in flight with Connection: close, and the stop ends without waiting for the client', async () => {
    // Prepare: a request in the handler when the stop begins, on a kept-alive connection
    const slow = await startSlowApi(30_000);
    const request = http.request({
      host: '127.0.0.1',
      port: slow.port,
      method: 'POST',
      path: '/slow',
      agent,
    });
    const answer = answerOf(request);
    request.end();
    await slow.invoked;
    // Act
    const closing = slow.close();
    slow.release();
    // Assess: answered, told the connection ends, and the server closed long before any keep-alive timeout
    expect(await answer).toEqual({ status: 200, connection: 'close', body: 'done' });
    expect(await settlesWithin(closing, 2_000)).toBe('settled');
  });

  it('serves no request that arrives after the stop began, even on a connection from before', async () => {
    // Prepare: one request in the handler, on a raw connection
    const slow = await startSlowApi(30_000);
    const socket = connect(slow.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    const socketClosed = new Promise((resolve) => socket.on('close', resolve));
    const post = 'POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n';
    socket.write(post);
    await slow.invoked;
    // Act: the stop begins, then the client sends its next request on the same connection
    const closing = slow.close();
    socket.write(post);
    await wait(200);
    slow.release();
    await closing;
    await socketClosed;
    // Assess: the first one answered, the second never reached the function
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(slow.invocations()).toBe(1);
  });

  it('drops a connection still busy when the grace period is over, so the stop ends', async () => {
    // Prepare: a request whose body never finishes arriving
    const slow = await startSlowApi(300);
    const request = http.request({
      host: '127.0.0.1',
      port: slow.port,
      method: 'POST',
      path: '/slow',
      agent,
      headers: { 'content-length': '100' },
    });
    const failed = new Promise<string>((resolve) => request.on('error', (error) => resolve(error.message)));
    request.write('0123456789');
    await wait(200);
    // Act
    const closing = slow.close();
    // Assess
    expect(await settlesWithin(closing, 3_000)).toBe('settled');
    expect(await failed).toMatch(/socket hang up|ECONNRESET/);
  });
});

describe('local hub: Ctrl-C while a client polls over a kept-alive socket', () => {
  let hub: LocalHub | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  afterAll(async () => {
    agent.destroy();
    await hub?.stop();
  });

  it('stops within 15 s though the client goes on polling on the socket that was busy at the stop', async () => {
    // Prepare: a hub, and a request in flight (its body still coming) when the stop begins
    hub = await startLocalHub({ inMemory: true, port: 0, apiToken: 'stop-test-token-0123456789' });
    const port = Number(new URL(hub.urls.base).port);
    const headers = { authorization: 'Bearer stop-test-token-0123456789' };
    const head = '{"contentType":"application/pdf",';
    const tail = '"bytes":10,"filename":"a.pdf"}';
    const slow = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/media',
      agent,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(head + tail),
      },
    });
    const slowAnswer = answerOf(slow);
    slow.write(head);
    await wait(300);
    // Act: stop, then finish that request and go on polling every second
    let stopped = false;
    const stopping = hub.stop().then(() => {
      stopped = true;
    });
    await wait(300);
    slow.end(tail);
    const polls: number[] = [];
    const started = Date.now();
    while (!stopped && Date.now() - started < 15_000) {
      polls.push(
        await answerOf(
          http.get({ host: '127.0.0.1', port, path: '/v1/conversations?limit=1', agent, headers }),
        ).then(
          (answer) => answer.status,
          () => 0,
        ),
      );
      await wait(1000);
    }
    // Assess: the request in flight was answered, no poll after the stop was served, and the stop ended
    expect((await slowAnswer).connection).toBe('close');
    expect(polls.filter((status) => status === 200)).toEqual([]);
    expect(stopped).toBe(true);
    agent.destroy();
    await stopping;
    hub = undefined;
  }, 60_000);
});

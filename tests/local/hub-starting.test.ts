import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createEventTap } from '#shared/local/console/event-tap.ts';
import { consoleStreams } from '#shared/local/console/live.ts';
import { consoleHandler } from '#shared/local/console/server.ts';
import { type RunningLocalApi, startLocalApi } from '#shared/local/http-server.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import { deadPort } from '#tests/support/dead-port.ts';
import { type RawAnswer, rawRequest } from '#tests/support/raw-http.ts';

/*
 * The hub's HTTP port listens before its functions are loaded (the provider simulators need its
 * URL). Until they are, the API, the webhooks and the console's data endpoints answer 503 with a
 * Retry-After and a problem saying the hub is starting, which a client retries; before 2026-12-06
 * they answered 500 `{"message":"Internal Server Error"}` for those seconds, and a console tab left
 * open across a restart showed "Hub unreachable (HTTP 500)" (found by a review).
 */

const TOKEN = 'starting-test-token-0123456789';
const STARTING_PROBLEM = {
  type: 'urn:switchboard:problem:hub-starting',
  title: 'The hub is starting',
  status: 503,
};

const expectStarting = (answer: RawAnswer) => {
  expect(answer.status).toBe(503);
  expect(answer.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(JSON.parse(answer.body)).toMatchObject(STARTING_PROBLEM);
};

describe('local HTTP API while the hub is starting', () => {
  let api: RunningLocalApi;
  let starting = true;
  afterAll(async () => {
    await api?.close();
  });

  it('answers a route 503 with Retry-After until the hub is ready, then invokes its function', async () => {
    // Prepare
    api = await startLocalApi({
      host: '127.0.0.1',
      port: 0,
      starting: () => starting,
      routes: [{ method: 'GET', path: '/v1/conversations', functionFile: 'api.ts' }],
      handlerFor: () => async () => ({ statusCode: 200, body: '{"items":[]}' }),
    });
    const url = `http://127.0.0.1:${api.port}/v1/conversations`;
    // Act
    const early = await rawRequest(url);
    starting = false;
    const ready = await rawRequest(url);
    // Assess
    expectStarting(early);
    expect(ready.status).toBe(200);
  });
});

describe('the console while the hub is starting', () => {
  const PORT = 4321;
  const headers = { host: `127.0.0.1:${PORT}`, authorization: `Bearer ${TOKEN}` };

  it('answers its data endpoints 503 with Retry-After, and still serves its page', async () => {
    // Prepare
    const handle = consoleHandler({
      apiToken: TOKEN,
      hubBaseUrl: () => `http://127.0.0.1:${PORT}`,
      port: () => PORT,
      mediaOrigin: 'http://127.0.0.1:1',
      readSend: async () => undefined,
      postCustomerMessage: async () => 200,
      tap: createEventTap(),
      starting: () => true,
    });
    const get = (rawPath: string, requestHeaders: Record<string, string> = headers) =>
      handle({ method: 'GET', rawPath, headers: requestHeaders, body: Buffer.alloc(0) });
    // Act
    const send = await get(`/_local/console/sends/msg_${'0'.repeat(32)}`);
    const page = await get('/');
    const stranger = await get('/_local/console/hood', { host: `127.0.0.1:${PORT}` });
    // Assess
    expect(send?.statusCode).toBe(503);
    expect(send?.headers['retry-after']?.[0]).toMatch(/^[1-9]\d*$/);
    expect(JSON.parse(send?.body.toString('utf8') ?? '')).toMatchObject(STARTING_PROBLEM);
    expect(page?.statusCode).toBe(200);
    // The token is checked first: a caller without it learns nothing, not even that the hub starts.
    expect(stranger?.statusCode).toBe(401);
  });

  it('answers its event stream 503 with Retry-After, rather than a stream the page would take for live', async () => {
    // Prepare
    let port = 0;
    const streams = consoleStreams({
      apiToken: TOKEN,
      port: () => port,
      tap: createEventTap(),
      starting: () => true,
    });
    const server = createServer((request, response) => {
      if (!streams.handle(request, response)) response.end('not the stream');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    try {
      // Act
      const answer = await rawRequest(`http://127.0.0.1:${port}/_local/console/events`, {
        headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}` },
      });
      // Assess
      expectStarting(answer);
      expect(streams.open).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('local hub: requests while its functions load', () => {
  let hub: LocalHub | undefined;
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers /v1 and the console stream 503 "starting" until it is ready, never 500', async () => {
    // Prepare: a fixed port, so the requests can go out before startLocalHub returns
    const port = await deadPort();
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${TOKEN}`, host: `127.0.0.1:${port}` };
    // Act
    let ready = false;
    const starting = startLocalHub({ inMemory: true, port, apiToken: TOKEN }).then((started) => {
      ready = true;
      hub = started;
    });
    const early: { api: RawAnswer; stream: RawAnswer }[] = [];
    while (!ready) {
      const api = await rawRequest(`${base}/v1/conversations?limit=1`, { headers }).catch(() => undefined);
      // Once the hub is ready the stream stays open: give up on it after a while.
      const stream = await Promise.race([
        rawRequest(`${base}/_local/console/events`, { headers }).catch(() => undefined),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2_000)),
      ]);
      if (api && stream && !ready) early.push({ api, stream });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await starting;
    const after = await rawRequest(`${base}/v1/conversations?limit=1`, { headers });
    // Assess: caught while starting (the functions take seconds to load), every answer then a 503
    expect(early.length).toBeGreaterThan(0);
    for (const { api, stream } of early) {
      expectStarting(api);
      expectStarting(stream);
    }
    expect(after.status).toBe(200);
  }, 120_000);
});

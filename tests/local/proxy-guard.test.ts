import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventTap } from '#shared/local/console/event-tap.ts';
import { type ConsoleStreams, consoleStreams } from '#shared/local/console/live.ts';
import { consoleHandler } from '#shared/local/console/server.ts';
import { type RunningLocalApi, startLocalApi } from '#shared/local/http-server.ts';
import { HUB_INFO_PATH, LOCAL_SES_EVENTS_PATH } from '#shared/local/routes.ts';
import { rawRequest } from '#tests/support/raw-http.ts';

/*
 * A tunnel or reverse proxy in front of the hub (for the providers' webhooks) connects over loopback
 * and often rewrites Host to 127.0.0.1:<port> (nginx's default proxy_pass, ngrok's
 * --host-header=rewrite), so a loopback Host does not prove a request comes from this machine. The
 * console's page carries the API token; it, its event stream and every other local-only path refuse
 * what a proxy says it relayed, while the webhook routes still take it.
 */

const TOKEN = 'proxy-guard-token-0123456789';
const WEBHOOK = '/webhooks/test';
const PROXY_HEADERS: readonly (readonly [string, string])[] = [
  ['x-forwarded-for', '203.0.113.9'],
  ['x-forwarded-host', 'abc123.ngrok.app'],
  ['x-forwarded-proto', 'https'],
  ['x-real-ip', '203.0.113.9'],
  ['forwarded', 'for=203.0.113.9;proto=https'],
  ['via', '1.1 nginx'],
];

/** The event stream's answer; an opened stream is closed at once (it would never end). */
const openStream = async (url: string, headers: Record<string, string>) => {
  const response = await fetch(url, { headers });
  if (response.status === 200) {
    await response.body?.cancel();
    return { status: 200, body: '' };
  }
  return { status: response.status, body: await response.text() };
};

describe('the local hub’s local-only paths behind a tunnel', () => {
  let api: RunningLocalApi;
  let streams: ConsoleStreams;
  let base: string;
  const calls = { webhook: 0, sesEvents: 0 };
  const loopback = () => ({ host: `127.0.0.1:${api.port}` });
  const authorized = () => ({ ...loopback(), authorization: `Bearer ${TOKEN}` });

  beforeAll(async () => {
    let port = 0;
    const tap = createEventTap();
    streams = consoleStreams({ apiToken: TOKEN, port: () => port, tap });
    api = await startLocalApi({
      host: '127.0.0.1',
      port: 0,
      routes: [{ method: 'POST', path: WEBHOOK, functionFile: 'test.ts' }],
      handlerFor: () => async () => {
        calls.webhook += 1;
        return { statusCode: 200, body: 'ok' };
      },
      extraJson: { [HUB_INFO_PATH]: () => ({ service: 'switchboard-local-hub' }) },
      extraPosts: {
        [LOCAL_SES_EVENTS_PATH]: async () => {
          calls.sesEvents += 1;
          return 200;
        },
      },
      local: consoleHandler({
        apiToken: TOKEN,
        hubBaseUrl: () => `http://127.0.0.1:${port}`,
        port: () => port,
        mediaOrigin: 'http://127.0.0.1:1',
        readSend: async () => undefined,
        postCustomerMessage: async () => 200,
        tap,
      }),
      stream: streams.handle,
    });
    port = api.port;
    base = `http://127.0.0.1:${api.port}`;
  });
  afterAll(async () => {
    streams?.close();
    await api?.close();
  });

  it('serves the page with its token to a request from this machine', async () => {
    // Act
    const page = await rawRequest(`${base}/`, { headers: loopback() });
    // Assess
    expect(page.status).toBe(200);
    expect(page.body).toContain(TOKEN);
  });

  it.each(PROXY_HEADERS)(
    'refuses the page, its event stream and its endpoints when %s says a proxy relayed them',
    async (name, value) => {
      // Prepare
      const proxied = { [name]: value };
      // Act
      const page = await rawRequest(`${base}/`, { headers: { ...loopback(), ...proxied } });
      const script = await rawRequest(`${base}/console/app.js`, { headers: { ...loopback(), ...proxied } });
      const stream = await openStream(`${base}/_local/console/events`, {
        authorization: `Bearer ${TOKEN}`,
        ...proxied,
      });
      const hood = await rawRequest(`${base}/_local/console/hood`, {
        headers: { ...authorized(), ...proxied },
      });
      // Assess
      for (const answer of [page, script, stream, hood]) {
        expect(answer.status).toBe(403);
        expect(answer.body).not.toContain(TOKEN);
      }
      expect(page.body).toContain('never through a proxy or tunnel');
      expect(streams.open).toBe(0);
    },
  );

  it.each(PROXY_HEADERS)(
    'refuses the hub’s self-description and the SES stand-in when %s is present',
    async (name, value) => {
      // Prepare
      const before = calls.sesEvents;
      // Act
      const info = await rawRequest(`${base}${HUB_INFO_PATH}`, { headers: { ...loopback(), [name]: value } });
      const sesEvents = await rawRequest(`${base}${LOCAL_SES_EVENTS_PATH}`, {
        method: 'POST',
        headers: { ...loopback(), [name]: value },
        body: '{"Type":"Notification"}',
      });
      // Assess
      expect(info.status).toBe(403);
      expect(info.body).not.toContain('switchboard-local-hub');
      expect(sesEvents.status).toBe(403);
      expect(calls.sesEvents).toBe(before);
    },
  );

  it('still takes a webhook the tunnel relays with its forwarding headers', async () => {
    // Prepare
    const before = calls.webhook;
    // Act
    const tunnelled = await rawRequest(`${base}${WEBHOOK}`, {
      method: 'POST',
      headers: { ...loopback(), 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      body: 'Body=hello',
    });
    // Assess
    expect(tunnelled.status).toBe(200);
    expect(calls.webhook).toBe(before + 1);
  });
});

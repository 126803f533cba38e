import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningLocalApi, startLocalApi } from '#shared/local/http-server.ts';
import { HUB_INFO_PATH, LOCAL_SES_EVENTS_PATH } from '#shared/local/routes.ts';
import { corsHeadersOf, rawRequest } from '#tests/support/raw-http.ts';

/*
 * The hub's HTTP port, as a web page the developer visits could reach it: a `no-cors` POST needs no
 * preflight, so without a guard a page could forge SES bounces through the SNS stand-in or post
 * (with the public development keys) signed webhooks. Providers and the replay kit send no Origin;
 * a tunnel forwards them under its public name, which the webhook routes keep accepting.
 */

const ATTACKER = 'https://attacker.example';
const WEBHOOK = '/webhooks/test';
const COMPLAINT = JSON.stringify({ Type: 'Notification', Message: '{"eventType":"Complaint"}' });

describe('the local HTTP API against web pages', () => {
  let api: RunningLocalApi;
  let base: string;
  const calls = { webhook: 0, sesEvents: 0, streams: 0 };

  beforeAll(async () => {
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
      stream: (request, response) => {
        if (request.url !== '/_local/console/events') return false;
        calls.streams += 1;
        response.end();
        return true;
      },
    });
    base = `http://127.0.0.1:${api.port}`;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses a page’s forged SES complaint, without a CORS header, and never delivers it', async () => {
    // Prepare
    const before = calls.sesEvents;
    // Act: what fetch(url, { method: 'POST', mode: 'no-cors', body }) sends.
    const answer = await rawRequest(`${base}${LOCAL_SES_EVENTS_PATH}`, {
      method: 'POST',
      headers: { origin: ATTACKER, 'content-type': 'text/plain;charset=UTF-8' },
      body: COMPLAINT,
    });
    // Assess
    expect(answer.status).toBe(403);
    expect(corsHeadersOf(answer)).toEqual([]);
    expect(calls.sesEvents).toBe(before);
  });

  it('refuses a page’s post to a webhook route and to the console’s event stream', async () => {
    // Prepare
    const before = { ...calls };
    // Act
    const webhook = await rawRequest(`${base}${WEBHOOK}`, {
      method: 'POST',
      headers: { origin: ATTACKER, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Body=forged',
    });
    const stream = await rawRequest(`${base}/_local/console/events`, { headers: { origin: ATTACKER } });
    // Assess
    expect(webhook.status).toBe(403);
    expect(stream.status).toBe(403);
    expect(calls.webhook).toBe(before.webhook);
    expect(calls.streams).toBe(before.streams);
  });

  it('answers the local-only endpoints at a loopback Host only (no DNS rebinding)', async () => {
    // Prepare
    const rebound = `attacker.example:${api.port}`;
    const before = calls.sesEvents;
    // Act
    const info = await rawRequest(`${base}${HUB_INFO_PATH}`, { headers: { host: rebound } });
    const sesEvents = await rawRequest(`${base}${LOCAL_SES_EVENTS_PATH}`, {
      method: 'POST',
      headers: { host: rebound },
      body: COMPLAINT,
    });
    const localInfo = await rawRequest(`${base}${HUB_INFO_PATH}`, {
      headers: { host: `localhost:${api.port}` },
    });
    // Assess
    expect(info.status).toBe(403);
    expect(sesEvents.status).toBe(403);
    expect(calls.sesEvents).toBe(before);
    expect(localInfo.status).toBe(200);
    expect(JSON.parse(localInfo.body)).toEqual({ service: 'switchboard-local-hub' });
  });

  it('takes a webhook through a tunnel (its public Host, no Origin) and the console’s same-origin posts', async () => {
    // Prepare
    const before = calls.webhook;
    // Act
    const tunnelled = await rawRequest(`${base}${WEBHOOK}`, {
      method: 'POST',
      headers: { host: 'abc123.ngrok.app', 'x-forwarded-proto': 'https' },
      body: 'Body=hello',
    });
    const sameOrigin = await rawRequest(`${base}${WEBHOOK}`, {
      method: 'POST',
      headers: { origin: `http://127.0.0.1:${api.port}` },
      body: 'Body=hello',
    });
    const sesEvents = await rawRequest(`${base}${LOCAL_SES_EVENTS_PATH}`, {
      method: 'POST',
      body: COMPLAINT,
    });
    // Assess
    expect(tunnelled.status).toBe(200);
    expect(sameOrigin.status).toBe(200);
    expect(calls.webhook).toBe(before + 2);
    expect(sesEvents.status).toBe(200);
  });
});

import type { HTTPRequest } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, startConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * The console's one way to call the hub (static/api.js), run in the page against the real hub: the
 * bearer token on every request the page makes, the parsed JSON of a 2xx answer, and one error text
 * for a refusal: the problem's title (with its detail), or `HTTP <status>` when the body is no
 * problem document.
 */

/** What `call` gave in the page: its answer, or the error's name, message, status and body. */
const CALL_IN_PAGE = `async (path, options) => {
  const { call } = await import('/console/api.js');
  try {
    return { answer: await call(path, options) };
  } catch (error) {
    return { error: { name: error.name, message: error.message, status: error.status, body: error.body } };
  }
}`;

interface Called {
  readonly answer?: unknown;
  readonly error?: { name: string; message: string; status?: number; body?: unknown };
}

describe('console API calls', () => {
  let ui: ConsoleBrowser;
  const authorizations = new Map<string, string | undefined>();

  beforeAll(async () => {
    ui = await startConsoleBrowser();
    ui.page.on('request', (request: HTTPRequest) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/v1/') || url.pathname.startsWith('/_local/console/')) {
        authorizations.set(`${request.method()} ${url.pathname}`, request.headers().authorization);
      }
    });
    await ui.open();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  const callInPage = async (path: string, options?: unknown): Promise<Called> =>
    (await ui.page.evaluate(
      `(${CALL_IN_PAGE})(${JSON.stringify(path)}, ${JSON.stringify(options)})`,
    )) as Called;

  it('sends the bearer token on every request of every panel, the live stream included', async () => {
    // Prepare: a conversation, opened with its contact panel, raw events and the hood polling
    const { page, session } = ui;
    const conversationId = await session.customerWrites(whatsappTextFrom('306900000871', 'api-1'));
    // Act
    await page.waitForSelector(`button[data-conversation="${conversationId}"]`, { timeout: 30_000 });
    await page.click(`button[data-conversation="${conversationId}"]`);
    await page.waitForSelector('[data-contact-channel="whatsapp"]', { timeout: 30_000 });
    await page.waitForSelector('[data-dead-letters]', { timeout: 30_000 });
    // Assess: each panel's endpoint was called, each time with the hub's token
    const called = [...authorizations.keys()];
    for (const expected of [
      'GET /_local/console/events',
      'GET /v1/conversations',
      `GET /v1/conversations/${conversationId}/messages`,
      `GET /_local/console/raw-events/${conversationId}`,
      'GET /_local/console/samples',
      'GET /_local/console/hood',
    ]) {
      expect(called).toContain(expected);
    }
    expect(called.some((key) => key.startsWith('GET /v1/contacts/'))).toBe(true);
    expect(new Set(authorizations.values())).toEqual(new Set([`Bearer ${session.hub.apiToken}`]));
    expect(ui.browserErrors).toEqual([]);
  }, 90_000);

  it('answers a 2xx call with the parsed JSON body', async () => {
    // Act
    const called = await callInPage('/_local/console/samples');
    // Assess
    expect(called.error).toBeUndefined();
    expect(called.answer).toMatchObject({
      items: expect.arrayContaining([{ name: 'whatsapp/location', channel: 'whatsapp' }]),
    });
  });

  it("throws the problem's title and detail for a refusal with a problem document", async () => {
    // Act
    const called = await callInPage(`/v1/conversations/conv_${'0'.repeat(32)}`);
    // Assess
    expect(called.error).toMatchObject({
      name: 'ApiError',
      message: 'Not found (no such conversation)',
      status: 404,
      body: { type: 'urn:switchboard:problem:not-found', title: 'Not found' },
    });
  });

  it("throws the problem's title alone when it has no detail", async () => {
    // Act
    const called = await callInPage(`/v1/conversations/conv_${'0'.repeat(32)}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: { parts: [] },
    });
    // Assess
    expect(called.error).toMatchObject({
      name: 'ApiError',
      message: 'The body must be application/json',
      status: 415,
    });
  });

  it('throws HTTP and the status when the body is no problem document, keeping the body', async () => {
    // Act: the replay endpoint refuses an unknown sample with field errors and no title
    const called = await callInPage('/_local/console/replay', { method: 'POST', body: { name: 'no/such' } });
    // Assess
    expect(called.error).toMatchObject({
      name: 'ApiError',
      message: 'HTTP 400',
      status: 400,
      body: { errors: [{ field: 'name' }] },
    });
  });
});

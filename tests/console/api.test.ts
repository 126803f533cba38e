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

/**
 * What `call` gave for `path` when the network answered `status` with `body` (JSON) and `headers`:
 * the page's fetch answers that one path itself, for answers the local hub does not give on demand
 * (API Gateway's 503 after 30 s, its 429).
 */
const CALL_ANSWERED_IN_PAGE = `async (path, status, body, headers) => {
  const { call } = await import('/console/api.js');
  const network = window.fetch;
  window.fetch = (target, init) =>
    target === path
      ? Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } }))
      : network(target, init);
  try {
    return { answer: await call(path) };
  } catch (error) {
    return { error: { name: error.name, message: error.message, status: error.status, retryAfterSeconds: error.retryAfterSeconds } };
  } finally {
    window.fetch = network;
  }
}`;

/**
 * What `readUnlessGone(kind, id)` gave in the page: its answer (`'GONE'` for api.js's GONE), or the
 * error; with `relayed`, the page's fetch answers the read's path itself with that wrapped answer.
 */
const READ_IN_PAGE = `async (kind, id, relayed) => {
  const { readUnlessGone, GONE } = await import('/console/api.js');
  const network = window.fetch;
  if (relayed)
    window.fetch = (target, init) =>
      target === '/_local/console/read/' + kind + '/' + id
        ? Promise.resolve(new Response(JSON.stringify(relayed), { status: 200, headers: { 'content-type': 'application/json' } }))
        : network(target, init);
  try {
    const answer = await readUnlessGone(kind, id);
    return { answer: answer === GONE ? 'GONE' : answer };
  } catch (error) {
    return { error: { name: error.name, message: error.message, status: error.status, retryAfterSeconds: error.retryAfterSeconds } };
  } finally {
    window.fetch = network;
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
  const answeredInPage = async (
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<Called & { error?: { retryAfterSeconds?: number } }> =>
    (await ui.page.evaluate(
      `(${CALL_ANSWERED_IN_PAGE})('/_local/console/stubbed', ${status}, ${JSON.stringify(body)}, ${JSON.stringify(headers)})`,
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
      `GET /_local/console/read/timeline/${conversationId}`,
      `GET /_local/console/read/conversation/${conversationId}`,
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

  const readInPage = async (kind: string, id: string, relayed?: unknown) =>
    (await ui.page.evaluate(
      `(${READ_IN_PAGE})(${JSON.stringify(kind)}, ${JSON.stringify(id)}, ${JSON.stringify(relayed ?? null)})`,
    )) as Called & { error?: { retryAfterSeconds?: number } };

  it('reads a conversation or a person that may be erased without a non-2xx answer in the browser', async () => {
    // Prepare
    const conversationId = await ui.session.customerWrites(whatsappTextFrom('306900000872', 'api-read-1'));
    const errorsBefore = ui.browserErrors.length;
    // Act
    const existing = await readInPage('conversation', conversationId);
    const gone = await readInPage('conversation', `conv_${'0'.repeat(32)}`);
    const timeline = await readInPage('timeline', conversationId);
    const goneContact = await readInPage('contact', `ct_${'0'.repeat(32)}`);
    const starting = await readInPage('conversation', conversationId, {
      status: 503,
      body: { type: 'urn:switchboard:problem:hub-starting', title: 'The hub is starting', status: 503 },
      retryAfter: '2',
    });
    const unknownKind = await readInPage('messages', conversationId);
    // Assess: the API's body; GONE for its 404; its other answers as the error a direct call gives
    expect(existing.answer).toMatchObject({ conversationId });
    expect(timeline.answer).toMatchObject({
      items: [expect.objectContaining({ message: expect.objectContaining({ direction: 'inbound' }) })],
    });
    expect([gone.answer, goneContact.answer]).toEqual(['GONE', 'GONE']);
    expect(starting.error).toMatchObject({
      name: 'ApiError',
      message: 'The hub is starting; try again in 2 s',
      status: 503,
      retryAfterSeconds: 2,
    });
    expect(unknownKind.error).toMatchObject({ name: 'ApiError', status: 404 });
    expect(ui.browserErrors.slice(errorsBefore)).toEqual([
      'Failed to load resource: the server responded with a status of 404 (Not Found)',
    ]);
  }, 60_000);

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
      message: 'HTTP 400: name: expected the name of a sample',
      status: 400,
      body: { errors: [{ field: 'name' }] },
    });
  });

  it("adds a problem's first field error, and how many more", async () => {
    // Act
    const invalid = await callInPage('/v1/conversations?cursor=not*a*cursor');
    const several = await answeredInPage(422, {
      type: 'urn:switchboard:problem:invalid-request',
      title: 'The request is not valid',
      status: 422,
      errors: [
        { field: 'body.parts.0.text', message: 'too long' },
        { field: 'body.sender.id', message: 'required' },
      ],
    });
    // Assess
    expect(invalid.error).toMatchObject({
      message: 'The request is not valid (invalid cursor): query.cursor: not a cursor of this query',
      status: 400,
    });
    expect(several.error?.message).toBe('The request is not valid: body.parts.0.text: too long (and 1 more)');
  });

  it("words API Gateway's own answers: its message and the status", async () => {
    // Act: a body over Lambda's 6 MB payload (the local gateway answers as API Gateway does), and a
    // 503 as the gateway gives after 30 s
    const tooLarge = (await ui.page.evaluate(`(async () => {
      const { call } = await import('/console/api.js');
      try {
        await call('/v1/conversations/conv_${'0'.repeat(32)}/messages', {
          method: 'POST',
          headers: { 'Idempotency-Key': 'too-large-1' },
          body: { parts: [{ type: 'text', text: 'x'.repeat(6500000) }] },
        });
        return {};
      } catch (error) {
        return { error: { name: error.name, message: error.message, status: error.status } };
      }
    })()`)) as Called;
    const unavailable = await answeredInPage(503, { message: 'Service Unavailable' });
    // Assess
    expect(tooLarge.error).toEqual({
      name: 'ApiError',
      message: 'Request Entity Too Large (HTTP 413)',
      status: 413,
    });
    expect(unavailable.error).toMatchObject({ message: 'Service Unavailable (HTTP 503)', status: 503 });
  });

  it('says when to try again from Retry-After, in seconds or as a date', async () => {
    // Act
    const inSeconds = await answeredInPage(429, { message: 'Too Many Requests' }, { 'retry-after': '30' });
    const atDate = await answeredInPage(
      429,
      { message: 'Too Many Requests' },
      { 'retry-after': new Date(Date.now() + 90_000).toUTCString() },
    );
    // Assess
    expect(inSeconds.error).toMatchObject({
      message: 'Too Many Requests (HTTP 429); try again in 30 s',
      status: 429,
      retryAfterSeconds: 30,
    });
    expect(atDate.error?.message).toMatch(/^Too Many Requests \(HTTP 429\); try again in (8[89]|90) s$/);
  });
});

import { request } from 'node:http';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * Live updates: the hub keeps a tap of what it publishes to the helpdesk queue and serves it as
 * server-sent events at /_local/console/events; the console refetches what an event concerns instead
 * of polling every second. The tap reads nothing from the queue: a helpdesk still gets every event.
 */

const EVENTS_PATH = '/_local/console/events';

interface Frame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
}

/** Reads the stream's frames until `done` holds for them (or the stream ends). */
const readFrames = async (
  response: Response,
  done: (frames: Frame[]) => boolean,
): Promise<{ frames: Frame[]; raw: string }> => {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) throw new Error('no body');
  const frames: Frame[] = [];
  let raw = '';
  let buffer = '';
  while (!done(frames)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    raw += value;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const frame: Record<string, string> = {};
      for (const line of buffer.slice(0, end).split('\n')) {
        const match = /^(id|event|data): (.*)$/.exec(line);
        if (match?.[1] && match[2] !== undefined) frame[match[1]] = match[2];
      }
      if (Object.keys(frame).length > 0) frames.push(frame);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return { frames, raw };
};

const received = (frames: Frame[]) =>
  frames.find((frame) => frame.data?.includes('"switchboard.message.received"'));

/** The status of a GET whose Host header names another site (fetch would not let us set Host). */
const statusWithHost = (url: string, host: string, token: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const outgoing = request(url, { headers: { host, authorization: `Bearer ${token}` } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });

describe('console live updates (server-sent events)', () => {
  let ui: ConsoleBrowser;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('refuses the stream without the token or under another Host name', async () => {
    // Prepare
    const url = `${ui.session.hub.urls.base}${EVENTS_PATH}`;
    // Act
    const anonymous = await fetch(url);
    const rebound = await statusWithHost(url, 'attacker.example', ui.session.hub.apiToken ?? '');
    // Assess
    expect(anonymous.status).toBe(401);
    expect(rebound).toBe(403);
  });

  it('streams a summary of each published event, never its text, and leaves the helpdesk queue whole', async () => {
    // Prepare
    await ui.session.takeHelpdesk();
    const stream = await fetch(`${ui.session.hub.urls.base}${EVENTS_PATH}`, {
      headers: { authorization: `Bearer ${ui.session.hub.apiToken}` },
    });
    // Act
    await ui.session.post(whatsappTextFrom('306900000881', 'live-stream-1'));
    const { frames, raw } = await readFrames(stream, (seen) => received(seen) !== undefined);
    const helpdesk = await ui.session.collectUntil((events) =>
      events.some((event) => event.type === 'switchboard.message.received'),
    );
    // Assess
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const summary = JSON.parse(received(frames)?.data ?? '{}');
    const event = helpdesk.find((candidate) => candidate.type === 'switchboard.message.received');
    expect(summary).toMatchObject({ id: event?.id, conversationId: event?.subject, seq: expect.any(Number) });
    expect(received(frames)?.event).toBe('hub-event');
    expect(raw).not.toContain('306900000881');
    expect(raw).not.toContain('Bestellung');
  }, 60_000);

  it('replays the events a reconnecting reader missed (Last-Event-ID)', async () => {
    // Prepare
    const first = await fetch(`${ui.session.hub.urls.base}${EVENTS_PATH}`, {
      headers: { authorization: `Bearer ${ui.session.hub.apiToken}` },
    });
    await ui.session.post(whatsappTextFrom('306900000882', 'live-stream-2'));
    const { frames } = await readFrames(first, (seen) => received(seen) !== undefined);
    const seen = Number(received(frames)?.id);
    // Act: the reader was away while the same customer wrote again
    await ui.session.post(whatsappTextFrom('306900000882', 'live-stream-3'));
    await ui.session.hub.waitForRecorder();
    const again = await fetch(`${ui.session.hub.urls.base}${EVENTS_PATH}`, {
      headers: { authorization: `Bearer ${ui.session.hub.apiToken}`, 'last-event-id': String(seen) },
    });
    const replayed = await readFrames(again, (later) => received(later) !== undefined);
    // Assess
    expect(Number(received(replayed.frames)?.id)).toBeGreaterThan(seen);
  }, 60_000);

  it('shows a new conversation as its event arrives, refetching the inbox once per event rather than polling', async () => {
    // Prepare
    const { page } = ui;
    const listRequestsBefore = ui.requests.filter((path) => path.startsWith('/v1/conversations?')).length;
    const eventsBefore = Number(await page.$eval('[data-stream]', (element) => element.dataset.events));
    // Act: a customer writes, not through the page
    await ui.session.post(whatsappTextFrom('306900000883', 'live-page-1'));
    const row = await page.waitForSelector(`button[data-channel="whatsapp"]::-p-text(30••••••••83)`, {
      timeout: 30_000,
    });
    const events = Number(await page.$eval('[data-stream]', (element) => element.dataset.events));
    const listRequests = ui.requests.filter((path) => path.startsWith('/v1/conversations?')).length;
    const status = await page.$eval('[data-stream]', (element) => element.textContent ?? '');
    // Assess: one list read per event burst at most (and one at load), not one a second
    expect(row).not.toBeNull();
    expect(status).toContain('Live (server-sent events)');
    expect(events).toBeGreaterThan(eventsBefore);
    expect(listRequests - listRequestsBefore).toBeLessThanOrEqual(events - eventsBefore + 1);
    expect(ui.browserErrors).toEqual([]);
    expect(ui.logLines.join('\n')).not.toContain('306900000883');
  }, 60_000);
});

/*
 * A browser opens at most 6 HTTP/1.1 connections to one host:port, shared by all its tabs, and an
 * open stream holds one for good: only the tab in front keeps its stream (puppeteer's background
 * tabs report `document.visibilityState` 'hidden', as a real browser's do).
 */
describe('console live updates in several tabs', () => {
  const TABS = 6;
  let ui: ConsoleBrowser;
  const others: Page[] = [];
  const streamOf = (page: Page) =>
    page.$eval('[data-stream]', (element) => ({
      state: element.getAttribute('data-stream'),
      events: Number(element.getAttribute('data-events')),
      text: element.textContent ?? '',
    }));

  beforeAll(async () => {
    ui = await openConsoleBrowser();
    // The first tab gets an event while in front, so it has an event id to resume from.
    await ui.session.post(whatsappTextFrom('306900000884', 'live-tabs-1'));
    await ui.page.waitForSelector('[data-stream="live"]:not([data-events="0"])', { timeout: 30_000 });
    await ui.session.hub.waitForRecorder();
    for (let index = 1; index < TABS; index += 1) {
      const page = await ui.browser.newPage();
      await page.goto(ui.session.hub.urls.console ?? '', { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-stream="live"]', { timeout: 30_000 });
      others.push(page);
    }
  }, 180_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('answers a background tab’s reads with six console tabs open, and says the tab is not live', async () => {
    // Act: the first tab, now behind the others, reads the inbox as its poll does (api.js's token)
    const outcome = await ui.page.evaluate(`(async () => {
      const token = document.querySelector('meta[name="switchboard-api-token"]').getAttribute('content');
      const read = fetch('/v1/conversations?limit=1', { headers: { authorization: 'Bearer ' + token } })
        .then((response) => 'HTTP ' + response.status);
      const waited = new Promise((resolve) => setTimeout(() => resolve('no answer within 10 s'), 10000));
      return Promise.race([read, waited]);
    })()`);
    const visibility = await ui.page.evaluate('document.visibilityState');
    const stream = await streamOf(ui.page);
    // Assess
    expect(outcome).toBe('HTTP 200');
    expect(visibility).toBe('hidden');
    expect(stream.state).toBe('hidden');
    expect(stream.text).toContain('in the background');
  }, 60_000);

  it('reopens the stream when the tab is shown again and gets the events it missed', async () => {
    // Prepare: nothing reaches a hidden tab's stream; a customer writes meanwhile
    const before = await streamOf(ui.page);
    await ui.session.post(whatsappTextFrom('306900000885', 'live-tabs-2'));
    await ui.session.hub.waitForRecorder();
    // Act
    await ui.page.bringToFront();
    await ui.page.waitForSelector('[data-stream="live"]', { timeout: 30_000 });
    await ui.page.waitForFunction(
      `Number(document.querySelector('[data-stream]').dataset.events) > ${before.events}`,
      { timeout: 30_000 },
    );
    const after = await streamOf(ui.page);
    const behind = await Promise.all(others.map(streamOf));
    // Assess: the missed events came over the reopened stream (Last-Event-ID); the others let theirs go
    expect(before.state).toBe('hidden');
    expect(after.text).toContain('Live (server-sent events)');
    expect(after.events).toBeGreaterThan(before.events);
    expect(behind.map((other) => other.state)).toEqual(Array(TABS - 1).fill('hidden'));
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);
});

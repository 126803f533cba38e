import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappImageFrom, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, startConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * The console opened while the hub is still starting: its page and live stream answer at once,
 * while the helpdesk API answers 503 (with Retry-After) until its functions are up, and a hub
 * restarting answers nothing at all. The inbox tries again at the fallback pace (every 5 s) and the
 * header says the hub is starting or that it reconnects, instead of "Hub unreachable" and a wait for
 * the live stream's once-a-minute check.
 *
 * The page's fetch answers the first /v1 reads itself (a Response of 503, a rejected fetch): the local
 * hub gives neither on demand once it is up.
 */

/** What the page's first reads of /v1 meet, in order; then they reach the hub. */
const FATES_IN_PAGE = `(() => {
  const fates = ['starting', 'starting', 'no answer'];
  const network = window.fetch.bind(window);
  window.fetch = (target, init) => {
    if (typeof target !== 'string' || !target.startsWith('/v1/') || fates.length === 0) return network(target, init);
    if (fates.shift() === 'no answer') return Promise.reject(new TypeError('Failed to fetch'));
    const problem = { type: 'urn:switchboard:problem:hub-starting', title: 'The hub is starting', status: 503 };
    return Promise.resolve(
      new Response(JSON.stringify(problem), {
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      }),
    );
  };
})()`;

/** The page's first three opens of the live stream answered 503 with `Retry-After: 1`. */
const STREAM_STARTING_IN_PAGE = `(() => {
  let starting = 3;
  const network = window.fetch.bind(window);
  window.fetch = (target, init) => {
    if (target !== '/_local/console/events' || starting === 0) return network(target, init);
    starting -= 1;
    const problem = { type: 'urn:switchboard:problem:hub-starting', title: 'The hub is starting', status: 503 };
    return Promise.resolve(
      new Response(JSON.stringify(problem), {
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      }),
    );
  };
})()`;

/**
 * Until `window.readsFailUntil` (a time; `startingMs` after the page opens, else 0), the page's reads
 * answer 503 as the hub does while it starts: /v1, the gone-safe reads, the queues (hood) and the
 * samples (`window.failedReads` counts them, `window.failedPaths` names them); the first
 * `mediaStarting` reads of a media part answer 503 too, whenever they come. Every alert the page
 * shows (with text) is kept in `window.alertsSeen`.
 */
const readsStartingInPage = ({ startingMs = 0, mediaStarting = 0 } = {}) => `(() => {
  window.readsFailUntil = ${startingMs} > 0 ? Date.now() + ${startingMs} : 0;
  window.mediaStarting = ${mediaStarting};
  window.failedReads = 0;
  window.failedPaths = [];
  window.alertsSeen = [];
  const network = window.fetch.bind(window);
  const READS = ['/v1/', '/_local/console/read/', '/_local/console/hood', '/_local/console/samples'];
  window.fetch = (target, init) => {
    const path = typeof target === 'string' ? target : '';
    const read = READS.some((prefix) => path.startsWith(prefix)) && Date.now() < window.readsFailUntil;
    const media = path.startsWith('/_local/console/media/') && window.mediaStarting > 0;
    if (!read && !media) return network(target, init);
    if (media) window.mediaStarting -= 1;
    window.failedReads += 1;
    window.failedPaths.push(path);
    const problem = { type: 'urn:switchboard:problem:hub-starting', title: 'The hub is starting', status: 503 };
    return Promise.resolve(
      new Response(JSON.stringify(problem), {
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      }),
    );
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(() => {
      // The page keeps an empty alert region from the start (a region added with its text is often
      // not read out): only one that says something is an alert shown.
      for (const alert of document.querySelectorAll('[role="alert"]'))
        if (alert.textContent.trim() !== '') window.alertsSeen.push(alert.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
})()`;

describe('console: opened while the hub is starting', () => {
  let ui: ConsoleBrowser;

  beforeAll(async () => {
    ui = await startConsoleBrowser();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('says the hub is starting, then reconnecting, and shows the inbox within seconds', async () => {
    // Prepare: a conversation exists before the page opens (no event of it reaches the new stream)
    const { page, session } = ui;
    const conversationId = await session.customerWrites(whatsappTextFrom('306900000961', 'starting-1'));
    await page.evaluateOnNewDocument(FATES_IN_PAGE);
    const header = () =>
      page.$eval('[data-stream]', (element) => ({
        text: element.textContent ?? '',
        role: element.getAttribute('role'),
      }));
    // Act
    await ui.open();
    const openedAt = Date.now();
    await page.waitForFunction(
      "document.querySelector('[data-stream]').textContent.includes('Hub starting')",
      {
        timeout: 15_000,
      },
    );
    const starting = await header();
    await page.waitForFunction(
      "document.querySelector('[data-stream]').textContent.includes('Reconnecting')",
      {
        timeout: 15_000,
      },
    );
    const reconnecting = await header();
    await page.waitForSelector(`button[data-conversation="${conversationId}"]`, { timeout: 15_000 });
    const shownAfterMs = Date.now() - openedAt;
    const live = await header();
    // Assess: neutral words while waiting, not an alert, and the inbox well before the minute's check
    expect(starting.text).toContain('retrying every 5 s');
    expect(starting.text).not.toContain('unreachable');
    expect(starting.role).not.toBe('alert');
    expect(reconnecting.text).toContain('retrying every 5 s');
    expect(reconnecting.role).not.toBe('alert');
    expect(shownAfterMs).toBeLessThan(25_000);
    expect(live.text).toContain('Live (server-sent events)');
    expect(ui.browserErrors).toEqual([]);
  }, 90_000);

  it('opens the live stream when the hub says (Retry-After), without backing off', async () => {
    // Prepare: another tab (the first one goes to the background)
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.evaluateOnNewDocument(STREAM_STARTING_IN_PAGE);
    // Act
    const openedAt = Date.now();
    await page.goto(ui.session.hub.urls.console ?? '', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-stream="down"]', { timeout: 15_000 });
    await page.waitForSelector('[data-stream="live"]', { timeout: 30_000 });
    const liveAfterMs = Date.now() - openedAt;
    // Assess: three 503s a second apart, not the 2, 4 and 8 s of a stream that failed
    expect(liveAfterMs).toBeLessThan(8_000);
    expect(errors).toEqual([]);
  }, 60_000);

  it('keeps an open conversation on screen while the hub restarts, and reads it again within seconds', async () => {
    // Prepare: another tab, a conversation open in it, its stream live
    const { session } = ui;
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.evaluateOnNewDocument(readsStartingInPage());
    await page.goto(session.hub.urls.console ?? '', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-stream="live"]', { timeout: 30_000 });
    const conversationId = await session.customerWrites(whatsappTextFrom('306900000962', 'starting-2'));
    await page.waitForSelector(`button[data-conversation="${conversationId}"]`, { timeout: 30_000 });
    await page.click(`button[data-conversation="${conversationId}"]`);
    await page.waitForSelector('.timeline .message', { timeout: 30_000 });
    await page.waitForSelector('.contact-channels', { timeout: 30_000 });
    // Act: the hub answers 503 for 4 s, while the customer writes again (its events reach the page)
    await page.evaluate('window.readsFailUntil = Date.now() + 4000');
    const failingFrom = Date.now();
    await session.post(whatsappTextFrom('306900000962', 'starting-3'));
    await page.waitForFunction('window.failedReads > 0', { timeout: 10_000 });
    await page.waitForFunction("document.querySelectorAll('.timeline .message').length === 2", {
      timeout: 15_000,
    });
    const shownAfterMs = Date.now() - failingFrom;
    const alertsSeen = (await page.evaluate('window.alertsSeen')) as string[];
    // Assess: no "Could not read" while it waited, the new message at the next 5 s read
    expect(alertsSeen.filter((text) => text.includes('Could not read'))).toEqual([]);
    expect(shownAfterMs).toBeLessThan(12_000);
    expect(await page.$('.contact-channels')).not.toBeNull();
    expect(errors).toEqual([]);
  }, 90_000);

  it('lists the samples, reads the queues and shows a photo once the hub answers, with no alert meanwhile', async () => {
    // Prepare: a customer's photo in the hub's bucket (the simulator serves this media id as a JPEG);
    // another tab, opened while the hub answers 503
    // for 3 s, and whose first read of a media part meets 503 too
    const { session } = ui;
    const conversationId = await session.customerWrites(
      whatsappImageFrom('306900000963', 'starting-4', '7710000000000964'),
    );
    expect(await session.hub.waitForMedia()).toBe(true);
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.evaluateOnNewDocument(readsStartingInPage({ startingMs: 3000, mediaStarting: 1 }));
    // Act
    const openedAt = Date.now();
    await page.goto(session.hub.urls.console ?? '', { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#replay-sample option', { timeout: 15_000 });
    const samplesAfterMs = Date.now() - openedAt;
    await page.waitForSelector('.hood table.queues', { timeout: 15_000 });
    const row = await page.waitForSelector(`button[data-conversation="${conversationId}"]`, {
      timeout: 15_000,
    });
    await row?.click();
    await page.waitForSelector('.message.inbound img.media-image', { timeout: 15_000 });
    const failedPaths = (await page.evaluate('window.failedPaths')) as string[];
    const alertsSeen = (await page.evaluate('window.alertsSeen')) as string[];
    const notices = await page.$$eval('.notice', (elements) =>
      elements.map((element) => element.textContent),
    );
    // Assess: each read met the hub starting and was asked again, quietly, at the 5 s pace
    expect(failedPaths).toEqual(
      expect.arrayContaining([
        '/_local/console/samples',
        '/_local/console/hood',
        expect.stringMatching(/^\/_local\/console\/media\//),
      ]),
    );
    expect(samplesAfterMs).toBeLessThan(12_000);
    expect(alertsSeen).toEqual([]);
    expect(notices.join(' ')).not.toContain('Could not');
    expect(await page.$('.media-note.failure')).toBeNull();
    expect(errors).toEqual([]);
  }, 90_000);
});

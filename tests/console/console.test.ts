import { existsSync } from 'node:fs';
import { request } from 'node:http';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappImageFrom } from '#shared/local/live-samples.ts';
import { type HubSession, startHubSession } from '#tests/support/hub-session.ts';

/*
 * The local console in headless Chromium (Debian's `chromium`, never a downloaded browser): the
 * developer acts as a WhatsApp customer, sees the conversation appear, answers it through the
 * helpdesk API and watches the simulator's statuses move the ticks to "read", with no error in the
 * browser's console. The hub's log never carries the text or the address.
 */

const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';
const CUSTOMER = '306900000777';
const CUSTOMER_TEXT = 'Hello from the console test, where is order 5521?';
const REPLY_TEXT = 'On its way: it arrives tomorrow.';

/** The status of a GET whose Host header names another site (fetch would not let us set Host). */
const statusWithHost = (url: string, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const outgoing = request(url, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });

describe('local console', () => {
  let session: HubSession;
  let browser: Browser;
  let page: Page;
  const logLines: string[] = [];
  const browserErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium, as .ci/run does) or set SWITCHBOARD_CHROMIUM`,
      );
    }
    session = await startHubSession({ log: (line) => logLines.push(line) });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
    page.on('pageerror', (error) => browserErrors.push(String(error)));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await session?.stop();
  });

  it('is served at / with the token written in, a strict CSP, and only to loopback names', async () => {
    // Act
    const response = await fetch(`${session.hub.urls.base}/`);
    const body = await response.text();
    const rebound = await statusWithHost(`${session.hub.urls.base}/`, 'attacker.example');
    const anonymous = await fetch(`${session.hub.urls.base}/_local/console/customer-message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'sms', from: '+14155550123', text: 'hi' }),
    });
    // Assess
    expect(session.hub.urls.console).toBe(`${session.hub.urls.base}/`);
    expect(response.status).toBe(200);
    expect(body).toContain(`content="${session.hub.apiToken}"`);
    expect(body).toContain('<script type="importmap" nonce=');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(rebound).toBe(403);
    expect(anonymous.status).toBe(401);
  });

  it('refuses a customer message whose sender is not what the provider would send', async () => {
    // Act
    const response = await fetch(`${session.hub.urls.base}/_local/console/customer-message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.hub.apiToken}` },
      body: JSON.stringify({ channel: 'sms', from: 'not-a-number', text: 'hi' }),
    });
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ field: 'from', message: expect.any(String) }] });
  });

  it('acts as a WhatsApp customer, shows the conversation, replies and watches the ticks reach read', async () => {
    // Prepare
    await page.goto(session.hub.urls.console ?? '', { waitUntil: 'networkidle2' });
    // Act: the customer writes
    await page.select('#customer-channel', 'whatsapp');
    await page.click('#customer-from', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.type('#customer-from', CUSTOMER);
    await page.type('#customer-text', CUSTOMER_TEXT);
    await page.click('.customer button[type="submit"]');
    // The conversation appears in the inbox, masked
    const row = await page.waitForSelector('button[data-channel="whatsapp"]', { timeout: 30_000 });
    const rowText = await row?.evaluate((element) => element.textContent ?? '');
    await row?.click();
    await page.waitForSelector(`.message.inbound .text::-p-text(${JSON.stringify(CUSTOMER_TEXT)})`, {
      timeout: 30_000,
    });
    // The business replies
    await page.type('#reply-text', REPLY_TEXT);
    await page.click('.reply button[type="submit"]');
    await page.waitForSelector('.message.outbound [data-status="read"]', { timeout: 30_000 });
    const outbound = await page.$eval('.message.outbound', (element) => element.textContent ?? '');
    // Assess
    expect(rowText).toContain('WhatsApp');
    expect(rowText).toContain('30••••••••77');
    expect(rowText).not.toContain(CUSTOMER);
    expect(outbound).toContain(REPLY_TEXT);
    expect(outbound).toContain('read');
    expect(browserErrors).toEqual([]);
    const log = logLines.join('\n');
    expect(log).toContain('POST /_local/console/customer-message → 202');
    expect(log).not.toContain(CUSTOMER);
    expect(log).not.toContain('order 5521');
    expect(log).not.toContain('arrives tomorrow');
  }, 120_000);

  it("shows a refused reply with its reason, the provider's code and title, and whether to send again (WhatsApp answers 131047: the window is closed)", async () => {
    // Prepare: the simulated Graph API refuses the next send as Meta does outside the 24 hours
    session.hub.providers?.setFaults([{ provider: 'whatsapp', kind: 'error', code: 131047, times: 1 }]);
    // Act
    await page.type('#reply-text', 'One more thing…');
    await page.click('.reply button[type="submit"]');
    const failure = await page.waitForSelector('[data-failure="window_closed"]', { timeout: 30_000 });
    const shown = await failure?.evaluate((element) => element.textContent ?? '');
    // Assess
    expect(shown).toContain(
      'Not sent: the reply window is closed (window_closed; WhatsApp 131047 Re-engagement message; sending again will not help)',
    );
    expect(browserErrors).toEqual([]);
  }, 60_000);

  it("shows a reply WhatsApp could not deliver with the provider's code and title (131026)", async () => {
    // Prepare: the simulated Graph API takes the next send, then reports it failed
    session.hub.providers?.setFaults([{ provider: 'whatsapp', kind: 'delivery_failed', times: 1 }]);
    // Act
    await page.type('#reply-text', 'Delivered? Not this one.');
    await page.click('.reply button[type="submit"]');
    await page.waitForFunction(
      `[...document.querySelectorAll('.message.outbound')].some((item) =>
        item.textContent.includes('Delivered? Not this one.') && item.querySelector('[data-status="failed"]'))`,
      { timeout: 30_000 },
    );
    const ticks = await page.$$eval('.message.outbound [data-status="failed"]', (items) =>
      items.map((item) => item.textContent?.replace(/\s+/g, ' ').trim() ?? ''),
    );
    // Assess
    expect(ticks).toContain('! failed: WhatsApp 131026 Message undeliverable');
    expect(browserErrors).toEqual([]);
  }, 60_000);

  it("shows a customer's photo from the hub's bucket, and reveals the contact only when asked", async () => {
    // Prepare: a WhatsApp photo through the signed webhook; the media fetcher copies it into the bucket
    const conversationId = await session.customerWrites(
      whatsappImageFrom('306900000778', 'console-image-1', '7710000000000009'),
    );
    expect(await session.hub.waitForMedia()).toBe(true);
    // Act
    const row = await page.waitForSelector(`button[data-conversation="${conversationId}"]`, {
      timeout: 30_000,
    });
    const masked = await row?.evaluate((element) => element.textContent ?? '');
    await page.click('.reveal input');
    await page.waitForSelector(`button[data-conversation="${conversationId}"]::-p-text(306900000778)`);
    await page.click('.reveal input');
    await row?.click();
    const image = await page.waitForSelector('img.media-image', { timeout: 30_000 });
    const source = await image?.evaluate((element) => element.getAttribute('src') ?? '');
    // Assess: a presigned URL of the local S3, which the page's CSP lets it show
    expect(masked).not.toContain('306900000778');
    expect(source.startsWith(`${session.hub.endpoints.s3}/`)).toBe(true);
    expect(source).toContain('X-Amz-Signature=');
    expect(browserErrors).toEqual([]);
  }, 60_000);

  it('shows a photo the hub could not copy with its reason, and no error in the browser console', async () => {
    // Prepare: a media id the simulated Graph API no longer resolves
    const conversationId = await session.customerWrites(
      whatsappImageFrom('306900000779', 'console-image-2', 'expired-7710000000000010'),
    );
    expect(await session.hub.waitForMedia()).toBe(true);
    // Act
    const row = await page.waitForSelector(`button[data-conversation="${conversationId}"]`, {
      timeout: 30_000,
    });
    await row?.click();
    const note = await page.waitForSelector('.media-note.failure', { timeout: 30_000 });
    const shown = await note?.evaluate((element) => element.textContent ?? '');
    const message = await note?.evaluate((element) => element.closest('li')?.textContent ?? '');
    // Assess: the API answered 410 media-failed; the page says why and the browser logged nothing
    expect(shown).toContain('not available (expired)');
    // The sample's caption (events/whatsapp/image.json) stays readable without the photo.
    expect(message).toContain('Այս ապրանքը վնասված է հասել');
    expect(browserErrors).toEqual([]);
  }, 60_000);

  it('acts as the customer on Messenger, SMS and e-mail too: each conversation appears in the inbox', async () => {
    for (const [channel, from] of [
      ['messenger', '7319482765100001'],
      ['sms', '+14155550177'],
      ['email', 'dana.reed@customer.example'],
    ] as const) {
      // Act
      await page.select('#customer-channel', channel);
      await page.click('#customer-from', { count: 3 });
      await page.keyboard.press('Backspace');
      await page.type('#customer-from', from);
      await page.type('#customer-text', `Hello on ${channel}`);
      await page.click('.customer button[type="submit"]');
      // Assess
      await page.waitForSelector(`button[data-channel="${channel}"]`, { timeout: 30_000 });
    }
    await page.click(`button[data-channel="whatsapp"]::-p-text(${JSON.stringify('30••••••••77')})`);
    await page.waitForSelector('[data-failure="window_closed"]');
    if (process.env.SWITCHBOARD_CONSOLE_SCREENSHOT) {
      await page.screenshot({ path: process.env.SWITCHBOARD_CONSOLE_SCREENSHOT });
    }
    expect(browserErrors).toEqual([]);
  }, 120_000);
});

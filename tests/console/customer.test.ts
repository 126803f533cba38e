import type { HTTPRequest } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * Act as the customer, replaying a sample: the console lists the samples of events/ and posts the
 * chosen one, signed as its provider would, to the hub's real webhook.
 */

describe('console sample replay', () => {
  let ui: ConsoleBrowser;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('lists the samples of events/ and refuses a name that is none of them', async () => {
    // Prepare
    const headers = {
      authorization: `Bearer ${ui.session.hub.apiToken}`,
      'content-type': 'application/json',
    };
    // Act
    const listed = await fetch(`${ui.session.hub.urls.base}/_local/console/samples`, { headers });
    const refused = await fetch(`${ui.session.hub.urls.base}/_local/console/replay`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: '../../etc/passwd' }),
    });
    const anonymous = await fetch(`${ui.session.hub.urls.base}/_local/console/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'whatsapp/location' }),
    });
    // Assess
    const names = ((await listed.json()) as { items: { name: string }[] }).items.map((item) => item.name);
    expect(names).toEqual(
      expect.arrayContaining(['whatsapp/location', 'sms/sms-inbound', 'email/plain-text']),
    );
    expect(refused.status).toBe(400);
    expect(anonymous.status).toBe(401);
  });

  it('replays the WhatsApp location sample through the signed webhook and shows it in its conversation', async () => {
    // Prepare
    const { page } = ui;
    await page.waitForSelector('#replay-sample option::-p-text(whatsapp/location)');
    // Act
    await page.select('#replay-sample', 'whatsapp/location');
    await page.click('.replay button[type="submit"]');
    const notice = await page.waitForSelector('.replay .notice::-p-text(Replayed whatsapp/location)', {
      timeout: 30_000,
    });
    const row = await page.waitForSelector('button[data-channel="whatsapp"]::-p-text(35••••••••78)', {
      timeout: 30_000,
    });
    await row?.click();
    const location = await page.waitForSelector('[data-part="location"]', { timeout: 30_000 });
    // Assess
    expect(await notice?.evaluate((element) => element.textContent ?? '')).toContain('answered 200');
    expect(await location?.evaluate((element) => element.textContent ?? '')).toContain('Praça do Comércio');
    expect(ui.browserErrors).toEqual([]);
    expect(ui.logLines.join('\n')).toContain('POST /_local/console/replay → 202');
  }, 90_000);

  it('replays the WhatsApp document sample and shows its caption with the file', async () => {
    // Prepare
    const { page } = ui;
    await page.waitForSelector('#replay-sample option::-p-text(whatsapp/document)');
    // Act
    await page.select('#replay-sample', 'whatsapp/document');
    await page.click('.replay button[type="submit"]');
    await page.waitForSelector('.replay .notice::-p-text(Replayed whatsapp/document)', { timeout: 30_000 });
    // The sample's customer, 4915112345678, masked.
    const row = await page.waitForSelector(`button[data-channel="whatsapp"]::-p-text(49${'•'.repeat(9)}78)`, {
      timeout: 30_000,
    });
    await row?.click();
    const file = await page.waitForSelector('.message.inbound:has([data-part="file"], .media-note)', {
      timeout: 30_000,
    });
    // Assess: the caption shows as text beside the file, whether the hub copied it or not
    const shown = await file?.evaluate((element) => element.textContent ?? '');
    expect(shown).toContain('Rechnung_März_2026.pdf');
    expect(shown).toContain('Rechnung für März');
    expect(ui.browserErrors).toEqual([]);
  }, 90_000);

  it("says which status the webhook answered when it refused the customer's message", async () => {
    // Prepare: the hub answers the page's post as it does when the webhook refuses it (502, its status)
    const { page } = ui;
    await page.setRequestInterception(true);
    const refuse = (request: HTTPRequest) => {
      if (
        request.method() === 'POST' &&
        new URL(request.url()).pathname === '/_local/console/customer-message'
      )
        void request.respond({
          status: 502,
          contentType: 'application/json',
          body: JSON.stringify({ webhookStatus: 403 }),
        });
      else void request.continue();
    };
    page.on('request', refuse);
    try {
      // Act
      await page.select('#customer-channel', 'whatsapp');
      await page.type('#customer-text', 'Is my order 5521 ready?');
      await page.click('.customer button[type="submit"]');
      const notice = await page.waitForSelector('.customer .notice::-p-text(Not posted)', {
        timeout: 30_000,
      });
      // Assess
      expect(await notice?.evaluate((element) => element.textContent ?? '')).toBe(
        'Not posted: the webhook answered 403',
      );
    } finally {
      page.off('request', refuse);
      await page.setRequestInterception(false);
    }
  }, 60_000);
});

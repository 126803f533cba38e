import type { HTTPRequest } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsFrom, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * The contact panel: one person who wrote on WhatsApp and by SMS from the same number (the hub links
 * them), their identities masked until revealed, the SMS opt-out their STOP recorded, and their other
 * conversation one click away; and a word when they have more conversations than the panel lists.
 */

const NUMBER = '306900000321';

describe('console contact panel', () => {
  let ui: ConsoleBrowser;
  let whatsapp: string;
  let sms: string;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
    sms = await ui.session.customerWrites(smsFrom(`+${NUMBER}`, 'contact-sms-1'));
    whatsapp = await ui.session.customerWrites(whatsappTextFrom(NUMBER, 'contact-wa-1'));
    // STOP by SMS, posted to the signed Twilio webhook by the console's "act as the customer"
    const stop = await fetch(`${ui.session.hub.urls.base}/_local/console/customer-message`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ui.session.hub.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'sms', from: `+${NUMBER}`, text: 'STOP' }),
    });
    expect(stop.status).toBe(202);
    await ui.session.hub.waitForRecorder();
  }, 180_000);
  afterAll(async () => {
    await ui?.close();
  });

  it("shows the person's identities masked, their SMS opt-out, and opens their other conversation", async () => {
    // Prepare
    const { page } = ui;
    const row = await page.waitForSelector(`button[data-conversation="${whatsapp}"]`, { timeout: 30_000 });
    // Act
    await row?.click();
    const optOut = await page.waitForSelector('[data-consent="sms"][data-value="opted_out"]', {
      timeout: 30_000,
    });
    const consent = await optOut?.evaluate((element) => element.textContent ?? '');
    const channels = await page.$$eval('[data-contact-channel]', (items) =>
      items.map((item) => item.getAttribute('data-contact-channel')),
    );
    const masked = await page.$eval('.contact-channels', (element) => element.textContent ?? '');
    await page.click(`[data-open-conversation="${sms}"]`);
    await page.waitForSelector(`#conversation-title::-p-text(SMS)`, { timeout: 30_000 });
    // The SMS conversation's panel links back to the WhatsApp one once it has read the contact
    const back = await page.waitForSelector(`[data-open-conversation="${whatsapp}"]`, { timeout: 30_000 });
    const current = await back?.evaluate((element) => element.getAttribute('data-open-conversation'));
    await page.click('.reveal input');
    const revealed = await page.$eval('.contact-channels', (element) => element.textContent ?? '');
    await page.click('.reveal input');
    // Assess
    expect(channels.sort()).toEqual(['sms', 'whatsapp']);
    expect(consent).toContain('SMS: opted out');
    expect(masked).not.toContain(NUMBER);
    expect(current).toBe(whatsapp);
    expect(revealed).toContain(NUMBER);
    expect(ui.browserErrors).toEqual([]);
    expect(ui.logLines.join('\n')).not.toContain(NUMBER);
  }, 90_000);

  it('says when the person has more conversations than the 50 it lists', async () => {
    // Prepare: the API's answer as it would be with more than 50 (a nextCursor), the rest unchanged
    const { page, session } = ui;
    const journey = /^\/v1\/contacts\/[^/]+\/conversations$/;
    const withMore = (request: HTTPRequest) => {
      const url = new URL(request.url());
      if (!journey.test(url.pathname)) {
        void request.continue();
        return;
      }
      void (async () => {
        const answer = await fetch(`${session.hub.urls.base}${url.pathname}${url.search}`, {
          headers: { authorization: `Bearer ${session.hub.apiToken}`, 'x-switchboard-console': 'poll' },
        });
        const body = (await answer.json()) as Record<string, unknown>;
        await request.respond({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({ ...body, nextCursor: 'more-of-them' }),
        });
      })();
    };
    const before = await page.$('[data-more-journey]');
    await page.setRequestInterception(true);
    page.on('request', withMore);
    try {
      // Act
      await page.click(`button[data-conversation="${whatsapp}"]`);
      const note = await page.waitForSelector('[data-more-journey]', { timeout: 30_000 });
      const said = await note?.evaluate((element) => element.textContent?.replace(/\s+/g, ' ').trim() ?? '');
      // Assess
      expect(before).toBeNull();
      expect(said).toBe('Only their 50 conversations with the newest activity are listed; they have more.');
      expect(ui.browserErrors).toEqual([]);
    } finally {
      page.off('request', withMore);
      await page.setRequestInterception(false);
    }
  }, 60_000);
});

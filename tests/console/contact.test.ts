import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsFrom, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * The contact panel: one person who wrote on WhatsApp and by SMS from the same number (the hub links
 * them), their identities masked until revealed, the SMS opt-out their STOP recorded, and their other
 * conversation one click away.
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
});

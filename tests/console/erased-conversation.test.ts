import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * A conversation open on screen when its person is erased: its messages and the person's
 * identities leave the page at the next read, which answers 404, instead of staying until another
 * conversation is opened.
 */

describe('console: a conversation whose person is erased', () => {
  let ui: ConsoleBrowser;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('empties the timeline and the contact panel and says why', async () => {
    // Prepare: a customer writes and the conversation is open, its message and contact shown
    const { page, session } = ui;
    const authorization = `Bearer ${session.hub.apiToken}`;
    const conversationId = await session.customerWrites(whatsappTextFrom('306900000992', 'erased-open-1'));
    await page.click(`button[data-conversation="${conversationId}"]`);
    await page.waitForSelector('.timeline .message', { timeout: 30_000 });
    await page.waitForSelector('.contact-channels', { timeout: 30_000 });
    const conversation = (await (
      await fetch(`${session.hub.urls.api}/conversations/${conversationId}`, { headers: { authorization } })
    ).json()) as { contactId: string };
    // Act: the person is erased through the helpdesk API
    const erased = await fetch(`${session.hub.urls.api}/contacts/${conversation.contactId}`, {
      method: 'DELETE',
      headers: { authorization },
    });
    expect(erased.status).toBe(200);
    await page.waitForFunction("document.querySelectorAll('.timeline .message').length === 0", {
      timeout: 30_000,
    });
    await page.waitForFunction("document.querySelector('.contact-channels') === null", { timeout: 30_000 });
    const alerts = await page.$$eval('[role="alert"]', (items) =>
      items.map((item) => item.textContent ?? ''),
    );
    // Assess
    expect(alerts.some((text) => text.includes('no longer exists'))).toBe(true);
    expect(await page.$eval('.timeline', (element) => element.textContent ?? '')).not.toContain(
      '306900000992',
    );
  }, 90_000);
});

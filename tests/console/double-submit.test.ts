import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * A button pressed twice before the page re-renders (two clicks in one task, as a quick double
 * click or a script does) acts once: the fault switch's Arm arms one fault, and is disabled while
 * its request runs; the reply box sends one POST.
 */

describe('console: a button pressed twice at once', () => {
  let ui: ConsoleBrowser;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  const posts = (path: string): number => ui.requests.filter((request) => request === path).length;

  it('arms one fault for two presses of Arm, the button disabled meanwhile', async () => {
    // Prepare
    const { page, session } = ui;
    const arm = '[data-provider="whatsapp"] button.arm';
    await page.waitForSelector(arm, { timeout: 30_000 });
    await page.select('#fault-whatsapp', 'whatsapp:error:131047');
    await page.select('#fault-whatsapp-times', '1');
    // Act: two clicks in one task, watching whether the button goes disabled
    await page.evaluate(`(() => {
      const button = document.querySelector(${JSON.stringify(arm)});
      window.armWasDisabled = false;
      new MutationObserver(() => {
        if (button.disabled) window.armWasDisabled = true;
      }).observe(button, { attributes: true });
      button.click();
      button.click();
    })()`);
    await page.waitForSelector('[data-provider="whatsapp"] [data-armed="whatsapp:error:131047"]', {
      timeout: 30_000,
    });
    await page.waitForFunction(`!document.querySelector(${JSON.stringify(arm)}).disabled`, {
      timeout: 30_000,
    });
    // Assess
    expect(posts('/_local/console/faults')).toBe(1);
    expect(session.hub.providers?.faults()).toEqual([
      { fault: expect.objectContaining({ provider: 'whatsapp' }), remaining: 1 },
    ]);
    expect(await page.evaluate('window.armWasDisabled')).toBe(true);
    await fetch(`${session.hub.urls.base}/_local/console/faults`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${session.hub.apiToken}` },
    });
  }, 90_000);

  it('sends one reply for two presses of Send', async () => {
    // Prepare
    const { page, session } = ui;
    const conversationId = await session.customerWrites(whatsappTextFrom('306900000995', 'double-1'));
    await page.waitForSelector(`button[data-conversation="${conversationId}"]`, { timeout: 30_000 });
    await page.click(`button[data-conversation="${conversationId}"]`);
    await page.waitForSelector('#reply-text', { timeout: 30_000 });
    await page.type('#reply-text', 'Pressed twice, sent once.');
    // Act
    await page.evaluate(`(() => {
      const button = document.querySelector('.reply button[type="submit"]');
      button.click();
      button.click();
    })()`);
    await page.waitForFunction("document.querySelector('#reply-text').value === ''", { timeout: 30_000 });
    // Assess
    expect(posts(`/v1/conversations/${conversationId}/messages`)).toBe(1);
  }, 90_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * The console from the keyboard: a conversation chosen with Enter puts focus on its heading, a Tab
 * and an Enter (a skip link) from the reply box; a button disabled while its action runs (Send reply,
 * Send as the customer, Replay) leaves focus where the next step is, not on the page's <body>, where
 * Chromium puts it when the focused control goes disabled and the next Tab starts from the top. The
 * fault switches' Arm and Clear and the Redrive button: hood.test.ts.
 */

const CUSTOMER = '306900000996';

describe('console keyboard focus', () => {
  let ui: ConsoleBrowser;
  let conversationId: string;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
    conversationId = await ui.session.customerWrites(whatsappTextFrom(CUSTOMER, 'keyboard-1'));
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  /** Where focus is: the focused element's id, else its class, else its tag; BODY when none has it. */
  const focused = () =>
    ui.page.evaluate(`(() => {
      const element = document.activeElement;
      if (!element || element === document.body) return 'BODY';
      return element.id || element.className || element.tagName;
    })()`) as Promise<string>;
  /** Waits (briefly) until focus is on `expected`, and gives where it is. */
  const focusSettles = async (expected: string): Promise<string> => {
    await ui.page
      .waitForFunction(
        `(() => {
          const element = document.activeElement;
          return element && (element.id || element.className || element.tagName) === ${JSON.stringify(expected)};
        })()`,
        { timeout: 5_000 },
      )
      .catch(() => undefined);
    return focused();
  };

  it("moves focus to the chosen conversation's heading, a Tab and an Enter from the reply box", async () => {
    // Prepare
    const { page } = ui;
    const row = `button[data-conversation="${conversationId}"]`;
    await page.waitForSelector(row, { timeout: 30_000 });
    await page.focus(row);
    // Act
    await page.keyboard.press('Enter');
    await page.waitForSelector('#conversation-title', { timeout: 30_000 });
    const onHeading = await focused();
    await page.keyboard.press('Tab');
    const onSkipLink = await focused();
    await page.keyboard.press('Enter');
    const inReplyBox = await focused();
    // Assess
    expect([onHeading, onSkipLink, inReplyBox]).toEqual(['conversation-title', 'skip-link', 'reply-text']);
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it('puts focus back in the reply box after Send reply, pressed from the keyboard', async () => {
    // Prepare
    const { page } = ui;
    await page.type('#reply-text', 'Answered from the keyboard.');
    await page.keyboard.press('Tab');
    const onSend = await focused();
    // Act
    await page.keyboard.press('Enter');
    await page.waitForFunction("document.querySelector('#reply-text').value === ''", { timeout: 30_000 });
    const after = await focusSettles('reply-text');
    // Assess
    expect(onSend).toBe('BUTTON');
    expect(after).toBe('reply-text');
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it('puts focus in the text box after Send as the customer, and back on Replay after a replay', async () => {
    // Prepare
    const { page } = ui;
    await page.focus('#customer-text');
    await page.keyboard.type('Written from the keyboard.');
    await page.keyboard.press('Tab');
    // Act: Send as the customer
    await page.keyboard.press('Enter');
    await page.waitForSelector('.customer .notice::-p-text(Posted to the WhatsApp webhook)', {
      timeout: 30_000,
    });
    const afterSend = await focusSettles('customer-text');
    // Act: Replay
    await page.waitForSelector('#replay-sample option::-p-text(whatsapp/location)', { timeout: 30_000 });
    await page.select('#replay-sample', 'whatsapp/location');
    await page.focus('.replay button[type="submit"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.replay .notice::-p-text(Replayed whatsapp/location)', { timeout: 30_000 });
    await page
      .waitForFunction(`document.activeElement?.matches('.replay button[type="submit"]') === true`, {
        timeout: 5_000,
      })
      .catch(() => undefined);
    const afterReplay = (await page.evaluate(
      `document.activeElement?.matches('.replay button[type="submit"]') ? 'Replay' : document.activeElement?.tagName`,
    )) as string;
    // Assess
    expect(afterSend).toBe('customer-text');
    expect(afterReplay).toBe('Replay');
    expect(ui.browserErrors).toEqual([]);
  }, 90_000);
});

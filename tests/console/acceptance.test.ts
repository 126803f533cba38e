import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '#shared/cli/demo.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import {
  type ConsoleBrowser,
  replyAsBusiness,
  startConsoleBrowser,
  waitForReplyStatus,
} from '#tests/support/console-browser.ts';

/*
 * The console's acceptance check (issue #19): a hub with the demo's data (`npm start -- --demo`:
 * every sample of events/ replayed, then a customer writing on each channel), the page open,
 * conversations on all four channels, one answered on each from the page, each reply reaching the
 * furthest status its channel reports (WhatsApp read; Messenger, SMS and e-mail delivered, see
 * ./channels.test.ts), and not one error in the browser's console.
 */

const FURTHEST: ReadonlyArray<readonly [channel: string, status: string]> = [
  ['whatsapp', 'read'],
  ['messenger', 'read'],
  ['sms', 'delivered'],
  ['email', 'delivered'],
];

describe("local console: the acceptance check on the demo's data", () => {
  let hubConsole: ConsoleBrowser;
  let demo: Awaited<ReturnType<typeof runDemo>>;

  beforeAll(async () => {
    hubConsole = await startConsoleBrowser();
    demo = await runDemo(hubConsole.session.hub, memoryOutput());
    await hubConsole.open();
  }, 300_000);
  afterAll(async () => {
    await hubConsole?.close();
  });

  it('shows conversations on all four channels, answers one on each, and each reaches its furthest status', async () => {
    // Prepare
    const { page } = hubConsole;
    const reached: string[] = [];
    for (const [channel] of FURTHEST) await page.waitForSelector(`button[data-channel="${channel}"]`);
    const channelsShown = await page.$$eval('button[data-channel]', (elements) => [
      ...new Set(elements.map((element) => element.getAttribute('data-channel'))),
    ]);
    const placeholderLeft = await page.$('#app > p.loading');
    for (const [channel, status] of FURTHEST) {
      // Act: the newest conversation of the channel (the demo's customer, who just wrote)
      const replyText = `Acceptance reply on ${channel}: your refund is on its way.`;
      await page.click(`button[data-channel="${channel}"]`);
      await page.waitForSelector('#reply-text');
      await replyAsBusiness(page, replyText);
      await waitForReplyStatus(page, replyText, status);
      reached.push(`${channel}:${status}`);
    }
    // Assess
    expect(demo.conversations).toBeGreaterThan(4);
    expect(channelsShown).toEqual(expect.arrayContaining(['whatsapp', 'messenger', 'sms', 'email']));
    expect(reached).toEqual(['whatsapp:read', 'messenger:read', 'sms:delivered', 'email:delivered']);
    expect(placeholderLeft).toBeNull();
    expect(hubConsole.browserErrors).toEqual([]);
    const log = hubConsole.logLines.join('\n');
    expect(log).not.toContain('refund is on its way');
    expect(log).not.toContain('4915770001234');
    expect(log).not.toContain('+14155550177');
  }, 240_000);
});

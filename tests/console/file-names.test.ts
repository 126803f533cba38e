import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleBrowser, startConsoleBrowser } from '#tests/support/console-browser.ts';
import { recordStoredFile, type StoredFile } from '#tests/support/stored-file.ts';

/*
 * A file's name in the timeline as the hub cleans names now (shared/channels/file-name.ts), also of
 * a record stored before 2026-12-05, which holds the name as the customer sent it: a right-to-left
 * override there makes `invoice\u202Efdp.exe` read as `invoiceexe.pdf`, and a path and a line
 * break would follow the file into the download. The console showed and offered the stored name.
 */

const CUSTOMER = '306900000951';
const STORED_NAME = '..\\..\\AppData\\Startup\\invoice\u202Efdp.exe\r\n';

describe('console: a file’s name as the hub cleans it', () => {
  let ui: ConsoleBrowser;
  let stored: StoredFile;

  beforeAll(async () => {
    ui = await startConsoleBrowser();
    // Recorded before the page opens: a record written straight to the table publishes no event.
    stored = await recordStoredFile(ui.session.hub, CUSTOMER, 'wamid.file-name-raw', STORED_NAME);
    await ui.open();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('shows and offers a stored name holding a right-to-left override as cleaned', async () => {
    // Prepare
    const { page } = ui;
    // Act
    const row = await page.waitForSelector(`button[data-conversation="${stored.conversationId}"]`, {
      timeout: 30_000,
    });
    await row?.click();
    const file = await page.waitForSelector('.message.inbound [data-part="file"] a[href]', {
      timeout: 30_000,
    });
    const shown = await page.$eval(
      '.message.inbound [data-part="file"]',
      (element) => element.textContent ?? '',
    );
    const downloadName = await file?.evaluate((element) => element.getAttribute('download'));
    // Assess
    expect(shown).toContain('invoicefdp.exe');
    expect(shown).not.toMatch(/[\u202e\r\n\\]/);
    expect(shown).not.toContain('AppData');
    expect(downloadName).toBe('invoicefdp.exe');
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);
});

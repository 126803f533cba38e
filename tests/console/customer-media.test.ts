import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actAsCustomer,
  type ConsoleBrowser,
  openConsoleBrowser,
  replyAsBusiness,
  waitForReplyStatus,
} from '#tests/support/console-browser.ts';

/*
 * Act as the customer beyond text: a file on WhatsApp (a photo the simulated Graph API serves, its
 * caption shown below it) and on Messenger (a PDF on the simulated CDN), each copied into the hub's
 * bucket and shown in the timeline; and a reaction to the business's reply, posted through the
 * channel's signed webhook and shown on that reply.
 */

/**
 * The text a person sees of the inbound message showing a photo (innerText: an image's alt is not
 * shown). A string, evaluated in the page (this project's TypeScript has no DOM types).
 */
const SHOWN_WITH_PHOTO = `[...document.querySelectorAll('.message.inbound')]
  .filter((item) => item.querySelector('img.media-image'))
  .map((item) => item.innerText)
  .join('\\n')`;

/** The one finished file a download into `directory` leaves (Chromium writes `.crdownload` first). */
const waitForDownload = async (directory: string): Promise<Buffer> => {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const done = readdirSync(directory).filter((name) => !name.endsWith('.crdownload'));
    if (done.length === 1) return readFileSync(path.join(directory, done[0] as string));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no download finished in ${directory}`);
};

describe('console: the customer sends files and reacts', () => {
  let ui: ConsoleBrowser;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  const sendFile = async (channel: string, from: string, caption: string) => {
    const { page } = ui;
    await page.select('#customer-channel', channel);
    await page.click('#customer-from', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.type('#customer-from', from);
    await page.select('#customer-kind', 'media');
    await page.type('#customer-text', caption);
    await page.click('.customer button[type="submit"]');
    await page.waitForSelector('.customer .notice::-p-text(Posted to the)', { timeout: 30_000 });
  };

  it('a WhatsApp photo and a Messenger file reach the timeline from the hub’s bucket', async () => {
    // Prepare
    const { page } = ui;
    // Act
    await sendFile('whatsapp', '306900000731', 'The dent on the box');
    const whatsapp = await page.waitForSelector('button[data-channel="whatsapp"]', { timeout: 30_000 });
    await whatsapp?.click();
    const photo = await page.waitForSelector('.message.inbound img.media-image', { timeout: 45_000 });
    const photoUrl = await photo?.evaluate((element) => element.getAttribute('src'));
    const shownWithPhoto = (await page.evaluate(SHOWN_WITH_PHOTO)) as string;
    // The browser really loads it from the local S3, past the guard every local server keeps.
    const photoLoaded = await page.waitForFunction(
      (element) => {
        const image = element as unknown as { readonly complete: boolean; readonly naturalWidth: number };
        return image.complete && image.naturalWidth;
      },
      { timeout: 30_000 },
      photo,
    );
    await sendFile('messenger', '7300000731', 'Here is the claim form');
    const messenger = await page.waitForSelector('button[data-channel="messenger"]', { timeout: 30_000 });
    await messenger?.click();
    const file = await page.waitForSelector('.message.inbound [data-part="file"] a[href]', {
      timeout: 45_000,
    });
    // Messenger has no captions: the typed text follows the file as a message of its own.
    const typed = await page.waitForSelector('.message.inbound .text::-p-text(Here is the claim form)', {
      timeout: 30_000,
    });
    const fileUrl = await file?.evaluate((element) => element.getAttribute('href'));
    // A click on Download saves the file itself, as the local S3 serves it (an attachment).
    const downloads = mkdtempSync(path.join(tmpdir(), 'switchboard-console-downloads-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await file?.click();
    const saved = await waitForDownload(downloads);
    // Assess
    expect(photoUrl).toContain('/attachments/');
    // The customer's caption is text below the photo, not only its alt (which nobody sees).
    expect(shownWithPhoto).toContain('The dent on the box');
    expect(fileUrl).toContain('/attachments/');
    expect(await photoLoaded.jsonValue()).toBeGreaterThan(0);
    expect(saved.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(typed).not.toBeNull();
    expect(ui.browserErrors).toEqual([]);
    expect(ui.logLines.join('\n')).not.toContain('306900000731');
  }, 150_000);

  it('the customer reacts 👍 to the business’s WhatsApp reply and the reply shows it', async () => {
    // Prepare: a customer writes and the business answers
    const { page } = ui;
    const replyText = 'We will send a new box tomorrow.';
    await actAsCustomer(page, 'whatsapp', '306900000732', 'The box arrived broken.');
    const row = await page.waitForSelector('button[data-channel="whatsapp"]::-p-text(30••••••••32)', {
      timeout: 30_000,
    });
    await row?.click();
    await page.waitForSelector('.message.inbound .text::-p-text(The box arrived broken.)', {
      timeout: 30_000,
    });
    await replyAsBusiness(page, replyText);
    await waitForReplyStatus(page, replyText, 'read');
    // Act
    const reply = await page.waitForSelector(`.message.outbound:has(.text) .react-as-customer button`);
    await reply?.click();
    // Assess
    const reaction = await page.waitForSelector('.message.outbound [data-reaction="customer"]', {
      timeout: 30_000,
    });
    expect(await reaction?.evaluate((element) => element.textContent)).toContain('👍');
    expect(ui.browserErrors).toEqual([]);
  }, 150_000);
});

import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import { type HubSession, startHubSession } from './hub-session.ts';

/*
 * The local console in headless Chromium (Debian's `chromium`, never a downloaded browser) over an
 * in-memory hub, with what the browser printed as errors, the page's requests and the hub's log
 * lines kept for assertions; plus the two things a person does most on the page (write as the
 * customer, reply as the business).
 */

const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';

export interface ConsoleBrowser {
  readonly session: HubSession;
  readonly browser: Browser;
  readonly page: Page;
  /** Every line the hub logged. */
  readonly logLines: string[];
  /** Every error the page printed in the browser's console, and every uncaught exception. */
  readonly browserErrors: string[];
  /** Paths (with query) of the requests the page made, in order. */
  readonly requests: string[];
  /**
   * Opens the console and waits until its live stream is up (the open stream keeps the network
   * busy, so "network idle" never comes).
   */
  open(): Promise<void>;
  close(): Promise<void>;
}

/** A hub and a browser page, the console not yet opened. */
export const startConsoleBrowser = async (): Promise<ConsoleBrowser> => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium, as .ci/run does) or set SWITCHBOARD_CHROMIUM`,
    );
  }
  const logLines: string[] = [];
  const browserErrors: string[] = [];
  const requests: string[] = [];
  const session = await startHubSession({ log: (line) => logLines.push(line) });
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  } catch (error) {
    await session.stop();
    throw error;
  }
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(message.text());
  });
  page.on('pageerror', (error) => browserErrors.push(String(error)));
  page.on('request', (request: HTTPRequest) => {
    const url = new URL(request.url());
    requests.push(`${url.pathname}${url.search}`);
  });
  return {
    session,
    browser,
    page,
    logLines,
    browserErrors,
    requests,
    async open() {
      await page.goto(session.hub.urls.console ?? '', { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('[data-stream="live"]', { timeout: 30_000 });
    },
    async close() {
      await browser.close();
      await session.stop();
    },
  };
};

/** A hub and the console open in a browser page. */
export const openConsoleBrowser = async (): Promise<ConsoleBrowser> => {
  const opened = await startConsoleBrowser();
  await opened.open();
  return opened;
};

/** Writes as the customer through the page's "Act as the customer" form. */
export const actAsCustomer = async (
  page: Page,
  channel: string,
  from: string,
  text: string,
): Promise<void> => {
  await page.select('#customer-channel', channel);
  await page.click('#customer-from', { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type('#customer-from', from);
  await page.select('#customer-kind', 'text');
  await page.type('#customer-text', text);
  await page.click('.customer button[type="submit"]');
};

/** Sends a reply from the open conversation's reply box. */
export const replyAsBusiness = async (page: Page, text: string): Promise<void> => {
  await page.type('#reply-text', text);
  await page.click('.reply button[type="submit"]');
};

/** Waits until the business message carrying `text` shows `status` in its ticks. */
export const waitForReplyStatus = async (page: Page, text: string, status: string): Promise<void> => {
  // A string, evaluated in the page (this project's TypeScript has no DOM types).
  await page.waitForFunction(
    `[...document.querySelectorAll('.message.outbound')].some((item) =>
      item.textContent.includes(${JSON.stringify(text)}) &&
      item.querySelector('[data-status=${JSON.stringify(status)}]') !== null)`,
    { timeout: 30_000 },
  );
};

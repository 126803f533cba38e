import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import { type HubSession, startHubSession } from './hub-session.ts';

/*
 * The local console in headless Chromium (Debian's `chromium`, never a downloaded browser) against an
 * in-memory hub, with what the browser printed as errors and the hub's log lines kept for assertions.
 */

const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';

export interface ConsoleBrowser {
  readonly session: HubSession;
  readonly browser: Browser;
  readonly page: Page;
  /** The hub's log lines so far. */
  readonly logLines: string[];
  /** Console errors and uncaught exceptions the page produced. */
  readonly browserErrors: string[];
  /** Paths (with query) of the requests the page made, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export const openConsoleBrowser = async (): Promise<ConsoleBrowser> => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium, as .ci/run does) or set SWITCHBOARD_CHROMIUM`,
    );
  }
  const logLines: string[] = [];
  const browserErrors: string[] = [];
  const requests: string[] = [];
  const session = await startHubSession({ log: (line) => logLines.push(line) });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('console', (message) => {
    if (message.type() === 'error') browserErrors.push(message.text());
  });
  page.on('pageerror', (error) => browserErrors.push(String(error)));
  page.on('request', (request: HTTPRequest) => {
    const url = new URL(request.url());
    requests.push(`${url.pathname}${url.search}`);
  });
  await page.goto(session.hub.urls.console ?? '', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-stream="live"]', { timeout: 30_000 });
  return {
    session,
    browser,
    page,
    logLines,
    browserErrors,
    requests,
    async close() {
      await browser.close();
      await session.stop();
    },
  };
};

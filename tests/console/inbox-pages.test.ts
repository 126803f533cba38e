import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsFrom } from '#shared/local/live-samples.ts';
import { messageEvent, smsReceived } from '#tests/recorder/factories.ts';
import { type ConsoleBrowser, startConsoleBrowser } from '#tests/support/console-browser.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * An inbox of more conversations than one page of the API (100): the console follows the pages'
 * nextCursor, so every open conversation is listed and a channel filter, which the API applies
 * within each page, finds a channel's conversations on later pages; it stops at 1,000 conversations
 * and says more exist, with a button that reads 1,000 more.
 *
 * The 122 conversations are recorded straight into the hub's table by the recorder (no webhook, no
 * queue: minutes saved), before the page opens, since those records publish no event to it.
 */

const WHATSAPP_CUSTOMERS = 120;
const SMS_PHONES = ['+14155550871', '+14155550872'];

/** A string, evaluated in the page (this project's TypeScript has no DOM types). */
const ROWS = "document.querySelectorAll('button[data-conversation]').length";

/**
 * The page's reads of the conversation list answered with pages of 100 copies of `conversation`
 * (ids unique to the page's place), each with a nextCursor to the next, for ever;
 * `window.deepestPage` is the furthest page asked for (0 the first).
 */
const endlessListInPage = (conversation: unknown) => `(() => {
  const template = ${JSON.stringify(conversation)};
  window.deepestPage = -1;
  const network = window.fetch.bind(window);
  window.fetch = (target, init) => {
    if (typeof target !== 'string' || !target.startsWith('/v1/conversations?')) return network(target, init);
    const cursor = new URLSearchParams(target.split('?')[1]).get('cursor');
    const page = cursor ? Number(cursor.replace('page-', '')) : 0;
    window.deepestPage = Math.max(window.deepestPage, page);
    const items = Array.from({ length: 100 }, (_, n) => ({
      ...template,
      conversationId: template.conversationId + '-' + page + '-' + n,
    }));
    const body = { items, nextCursor: 'page-' + (page + 1) };
    return Promise.resolve(
      new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
  };
})()`;

describe('console inbox past the first page', () => {
  let ui: ConsoleBrowser;
  let smsConversations: string[];

  const api = (path: string) =>
    fetch(`${ui.session.hub.urls.api}${path}`, {
      headers: { authorization: `Bearer ${ui.session.hub.apiToken}` },
    });

  beforeAll(async () => {
    ui = await startConsoleBrowser();
    const { hub } = ui.session;
    const client = new DynamoDBClient({
      endpoint: hub.endpoints.dynamodb,
      region: hub.region,
      credentials: hub.credentials,
    });
    const recorder = quietRecorder({ client, tableName: hub.resources.tableName, now: () => new Date() });
    // Two SMS customers wrote three hours ago, then 120 WhatsApp customers in the last minutes: the
    // API's first page (newest activity first) holds no SMS conversation.
    const now = Date.now();
    const earlier = new Date(now - 3 * 3_600_000).toISOString();
    const sms = SMS_PHONES.map((phone, n) => smsReceived(phone, `SMpages${n}`, earlier));
    smsConversations = sms.map((event) => String(event.subject));
    for (const event of sms) await recorder.recordEvent(event);
    for (let start = 0; start < WHATSAPP_CUSTOMERS; start += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, n) => start + n).map((n) =>
          recorder.recordEvent(
            messageEvent(
              `30690001${String(n).padStart(4, '0')}`,
              `pages-${n}`,
              new Date(now - n * 1000).toISOString(),
            ),
          ),
        ),
      );
    }
    client.destroy();
    await ui.open();
  }, 180_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('lists every open conversation, past the API’s first page', async () => {
    // Prepare
    const { page } = ui;
    const firstPage = (await (await api('/conversations?limit=100')).json()) as { nextCursor?: string };
    // Act
    await page.waitForFunction(`${ROWS} === ${WHATSAPP_CUSTOMERS + SMS_PHONES.length}`, { timeout: 30_000 });
    // Assess: the API has a second page, and the page read it
    expect(firstPage.nextCursor).toBeDefined();
    expect(
      ui.requests.some((request) => /^\/v1\/conversations\?limit=100&status=open&cursor=/.test(request)),
    ).toBe(true);
    expect(await page.$('.more-conversations')).toBeNull();
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it('finds a channel’s conversations on the API’s later pages, and stays live', async () => {
    // Prepare
    const { page, session } = ui;
    // Act
    await page.select('#filter-channel', 'sms');
    await page.waitForFunction(`${ROWS} === ${SMS_PHONES.length}`, { timeout: 30_000 });
    const listed = await page.$$eval('button[data-conversation]', (rows) =>
      rows.map((row) => row.getAttribute('data-conversation') ?? ''),
    );
    const empty = await page.$('.inbox .empty');
    // Another SMS customer writes through the webhook: its event brings it into the filtered list.
    const newest = await session.customerWrites(smsFrom('+14155550873', 'pages-live-1'));
    await page.waitForSelector(`button[data-conversation="${newest}"]`, { timeout: 30_000 });
    const rows = (await page.evaluate(ROWS)) as number;
    await page.select('#filter-channel', '');
    // Assess: before, the first page alone said "No conversation matches these filters."
    expect([...listed].sort()).toEqual([...smsConversations].sort());
    expect(empty).toBeNull();
    expect(rows).toBe(SMS_PHONES.length + 1);
    expect(ui.browserErrors).toEqual([]);
  }, 90_000);

  it('reads at most 1,000 conversations, says more exist, and reads 1,000 more on request', async () => {
    // Prepare: another tab, whose list reads meet an endless list
    const { session } = ui;
    const sample = ((await (await api('/conversations?limit=1')).json()) as { items: unknown[] }).items[0];
    const page = await ui.browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.evaluateOnNewDocument(endlessListInPage(sample));
    await page.goto(session.hub.urls.console ?? '', { waitUntil: 'domcontentloaded' });
    // Act
    const note = await page.waitForSelector('.inbox .more-conversations', { timeout: 30_000 });
    const rows = (await page.evaluate(ROWS)) as number;
    const deepest = (await page.evaluate('window.deepestPage')) as number;
    const said = await note?.evaluate((element) => element.textContent ?? '');
    await page.click('.inbox .more-conversations button');
    await page.waitForFunction(`${ROWS} === 2000`, { timeout: 30_000 });
    const deepestAfter = (await page.evaluate('window.deepestPage')) as number;
    await page.close();
    // Assess: ten pages of 100, then twenty
    expect(rows).toBe(1000);
    expect(deepest).toBe(9);
    expect(said).toContain('Showing the first 1,000 conversations; more exist.');
    expect(said).toContain('Read 1,000 more');
    expect(deepestAfter).toBe(19);
    expect(errors).toEqual([]);
  }, 90_000);
});

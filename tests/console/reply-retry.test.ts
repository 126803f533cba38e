import type { HTTPRequest } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser, replyAsBusiness } from '#tests/support/console-browser.ts';

/*
 * The reply box after an unclear answer: a POST that got no answer (a dropped connection) or a 5xx
 * (the gateway gives up after 30 s while the handler goes on) may have queued the reply, so sending
 * again repeats the same request, under the same Idempotency-Key, and the API answers it with the
 * first one's message instead of sending a second. A 2xx or a refusal for good ends the key.
 */

/** What the page's next reply POSTs meet, in order; once the plan is used up they reach the hub. */
type Fate = 'reaches the hub, answer lost' | 'answered 503' | 'answered 422' | 'reaches the hub';

const REPLIES = /^\/v1\/conversations\/[^/]+\/messages$/;

describe('console: sending a reply again after an unclear answer', () => {
  let ui: ConsoleBrowser;
  const plan: Fate[] = [];
  /** The Idempotency-Key of each reply POST the page made, in order. */
  const keys: string[] = [];
  /** What the hub answered to the POSTs whose answer the page never got. */
  const lost: unknown[] = [];

  beforeAll(async () => {
    ui = await openConsoleBrowser();
    const { page, session } = ui;
    await page.setRequestInterception(true);
    page.on('request', (request: HTTPRequest) => {
      const url = new URL(request.url());
      if (request.method() !== 'POST' || !REPLIES.test(url.pathname)) {
        void request.continue();
        return;
      }
      const key = request.headers()['idempotency-key'] ?? '';
      keys.push(key);
      const fate = plan.shift() ?? 'reaches the hub';
      if (fate === 'reaches the hub') void request.continue();
      else if (fate === 'answered 503')
        void request.respond({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ message: 'Service Unavailable' }),
        });
      else if (fate === 'answered 422')
        void request.respond({
          status: 422,
          contentType: 'application/problem+json',
          body: JSON.stringify({
            type: 'urn:switchboard:problem:idempotency-key-reused',
            title: 'The Idempotency-Key was already used for other content',
            status: 422,
          }),
        });
      else
        void (async () => {
          // The hub takes the request, the connection drops before its answer reaches the page.
          const answer = await fetch(`${session.hub.urls.base}${url.pathname}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${session.hub.apiToken}`,
              'content-type': 'application/json',
              'idempotency-key': key,
            },
            body: request.postData() ?? '',
          });
          lost.push(await answer.json());
          await request.abort('connectionreset');
        })();
    });
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  const notice = (): Promise<string> =>
    ui.page.$eval('.reply .notice', (element) => element.textContent ?? '');
  /** Waits for the reply box to say how a send went, and gives what it said. */
  const nextNotice = async (): Promise<string> => {
    await ui.page.waitForFunction("document.querySelector('.reply .notice')?.textContent !== ''", {
      timeout: 30_000,
    });
    return notice();
  };
  const sendAgain = (): Promise<void> => ui.page.click('.reply button[type="submit"]');

  it('repeats a reply whose answer was lost under the same key, and it goes out once', async () => {
    // Prepare: a conversation open, the first POST taken by the hub and its answer lost
    const { page, session } = ui;
    const conversationId = await session.customerWrites(whatsappTextFrom('306900000994', 'retry-1'));
    await page.waitForSelector(`button[data-conversation="${conversationId}"]`, { timeout: 30_000 });
    await page.click(`button[data-conversation="${conversationId}"]`);
    await page.waitForSelector('#reply-text', { timeout: 30_000 });
    plan.push('reaches the hub, answer lost');
    await replyAsBusiness(page, 'Your refund is on its way.');
    const unclear = await nextNotice();
    // Act: send again
    const retried = page.waitForResponse(
      (response) => response.request().method() === 'POST' && REPLIES.test(new URL(response.url()).pathname),
    );
    await sendAgain();
    const answer: unknown = await (await retried).json();
    // Assess: one key, one message
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(lost).toHaveLength(1);
    expect(answer).toMatchObject({ hubMessageId: (lost[0] as { hubMessageId: string }).hubMessageId });
    expect(unclear).toBe(
      'Outcome unknown: no answer (Failed to fetch). Sending again is safe: it repeats the same request, which the hub sends at most once.',
    );
    await page.waitForFunction("document.querySelector('#reply-text').value === ''", { timeout: 30_000 });
    expect(await notice()).toBe('');
    const shown = await page.$$eval('.timeline .outbound', (items) =>
      items
        .map((item) => item.textContent ?? '')
        .filter((text) => text.includes('Your refund is on its way.')),
    );
    expect(shown).toHaveLength(1);
  }, 90_000);

  it('keeps the key of a reply answered 503 when another conversation is opened between its sends', async () => {
    // Prepare: a reply answered 503, then another conversation chosen and this one again
    const { page, session } = ui;
    const conversationId = await session.customerWrites(whatsappTextFrom('306900000995', 'retry-away-1'));
    const other = await session.customerWrites(whatsappTextFrom('306900000996', 'retry-away-2'));
    const choose = async (id: string) => {
      await page.waitForSelector(`button[data-conversation="${id}"]`, { timeout: 30_000 });
      await page.click(`button[data-conversation="${id}"]`);
      await page.waitForSelector(`button[data-conversation="${id}"][aria-current="true"]`, {
        timeout: 30_000,
      });
      await page.waitForSelector('#reply-text', { timeout: 30_000 });
    };
    await choose(conversationId);
    keys.length = 0;
    plan.push('answered 503');
    await replyAsBusiness(page, 'Your parcel leaves the warehouse today.');
    const unavailable = await nextNotice();
    await choose(other);
    await choose(conversationId);
    // Act: the same text sent again
    await replyAsBusiness(page, 'Your parcel leaves the warehouse today.');
    await page.waitForFunction("document.querySelector('#reply-text').value === ''", { timeout: 30_000 });
    // Assess: the same request again, under the first one's key
    expect(unavailable).toMatch(/^Outcome unknown: .*503/);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  }, 90_000);

  it('keeps the key after a 503, takes a new one after a refusal for good and after a 2xx', async () => {
    // Prepare
    const { page } = ui;
    keys.length = 0;
    plan.push('answered 503', 'answered 422');
    await replyAsBusiness(page, 'We will call you back today.');
    const unavailable = await nextNotice();
    // Act
    await sendAgain();
    await page.waitForFunction(
      `document.querySelector('.reply .notice')?.textContent !== ${JSON.stringify(unavailable)}`,
      { timeout: 30_000 },
    );
    const refused = await nextNotice();
    await sendAgain();
    await page.waitForFunction("document.querySelector('#reply-text').value === ''", { timeout: 30_000 });
    await replyAsBusiness(page, 'And another reply.');
    await page.waitForFunction("document.querySelector('#reply-text').value === ''", { timeout: 30_000 });
    // Assess: the 503's retry under the same key; after the 422 and after the 202, new ones
    expect(keys).toHaveLength(4);
    expect(keys[1]).toBe(keys[0]);
    expect(new Set(keys.slice(1)).size).toBe(3);
    expect(unavailable).toMatch(/^Outcome unknown: .*503.*\. Sending again is safe/);
    expect(refused).toBe('Refused: The Idempotency-Key was already used for other content');
  }, 90_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailFrom, smsFrom, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * The inbox's filters: channel, status and "waiting for a reply" through the API's query
 * parameters, "unread only" on the page; each control labelled and reachable by keyboard; an empty
 * inbox that says whether the filters hide conversations.
 */

describe('console inbox filters', () => {
  let ui: ConsoleBrowser;
  let whatsapp: string;
  let sms: string;
  let email: string;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${ui.session.hub.urls.api}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ui.session.hub.apiToken}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });

  /** The conversation ids the inbox shows, once it shows exactly `expected` (in any order). */
  const rowsBecome = async (expected: string[]): Promise<string[]> => {
    const wanted = JSON.stringify([...expected].sort());
    for (;;) {
      const ids = await ui.page.$$eval('button[data-conversation]', (rows) =>
        rows.map((row) => row.getAttribute('data-conversation') ?? ''),
      );
      if (JSON.stringify([...ids].sort()) === wanted) return ids;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  /** PATCHes a conversation's status with If-Match, reading it again when a status update moved it in between. */
  const setStatus = async (conversationId: string, status: string): Promise<number> => {
    for (let attempt = 0; ; attempt += 1) {
      const current = await api(`/conversations/${conversationId}`);
      const patched = await api(`/conversations/${conversationId}`, {
        method: 'PATCH',
        headers: { 'if-match': current.headers.get('etag') ?? '' },
        body: JSON.stringify({ status }),
      });
      if (patched.status !== 412 || attempt >= 10) return patched.status;
    }
  };

  beforeAll(async () => {
    ui = await openConsoleBrowser();
    // A WhatsApp customer answered, an SMS conversation resolved, an e-mail waiting and unread.
    whatsapp = await ui.session.customerWrites(whatsappTextFrom('306900000661', 'filters-wa-1'));
    sms = await ui.session.customerWrites(smsFrom('+14155550661', 'filters-sms-1'));
    email = await ui.session.customerWrites(emailFrom('erin.west@customer.example', 'filters-mail-1'));
    const reply = await api(`/conversations/${whatsapp}/messages`, {
      method: 'POST',
      headers: { 'idempotency-key': 'filters-reply-1' },
      body: JSON.stringify({ parts: [{ type: 'text', text: 'Done.' }], sender: { kind: 'agent', id: 'a1' } }),
    });
    expect(reply.status).toBe(202);
    await ui.session.hub.waitForSender();
    await ui.session.hub.waitForRecorder();
    const current = await api(`/conversations/${sms}`);
    const resolved = await api(`/conversations/${sms}`, {
      method: 'PATCH',
      headers: { 'if-match': current.headers.get('etag') ?? '' },
      body: JSON.stringify({ status: 'resolved' }),
    });
    expect(resolved.status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('lists open conversations by default and narrows them by channel', async () => {
    // Prepare
    const { page } = ui;
    const all = await rowsBecome([whatsapp, email]);
    // Act
    await page.select('#filter-channel', 'email');
    const emailOnly = await rowsBecome([email]);
    await page.select('#filter-channel', '');
    // Assess
    expect(all).toHaveLength(2);
    expect(emailOnly).toEqual([email]);
    expect(ui.requests).toContain('/v1/conversations?limit=100&channel=email&status=open');
  }, 60_000);

  it('shows resolved conversations under their status', async () => {
    // Act
    await ui.page.select('#filter-status', 'resolved');
    const resolved = await rowsBecome([sms]);
    await ui.page.select('#filter-status', 'open');
    await rowsBecome([whatsapp, email]);
    // Assess
    expect(resolved).toEqual([sms]);
  }, 60_000);

  it('keeps the open conversation live when a filter leaves it out of the list', async () => {
    // Prepare: the WhatsApp conversation open, then filtered out of the inbox
    const { page } = ui;
    await rowsBecome([whatsapp, email]);
    await page.click(`button[data-conversation="${whatsapp}"]`);
    await page.waitForSelector('.conversation-header p::-p-text(open ·)', { timeout: 30_000 });
    await page.select('#filter-channel', 'email');
    await rowsBecome([email]);
    // Act: the conversation changes while it is not listed (its reply's statuses may still move it)
    const patched = await setStatus(whatsapp, 'pending');
    // Polled: the status is a text node Preact rewrites in place, which a mutation-driven wait may not see.
    const header = await page.waitForFunction(
      "document.querySelector('.conversation-header p')?.textContent?.startsWith('pending ·')",
      { polling: 100, timeout: 30_000 },
    );
    const title = await page.$eval('#conversation-title', (element) => element.textContent ?? '');
    await page.select('#filter-channel', '');
    // Assess: before, the header kept "open", the state it had when it left the list
    expect(patched).toBe(200);
    expect(header).not.toBeNull();
    expect(title).toContain('WhatsApp');
    expect(await setStatus(whatsapp, 'open')).toBe(200);
    await rowsBecome([whatsapp, email]);
  }, 90_000);

  it('keeps the conversations waiting for a reply, and the unread ones, using the keyboard', async () => {
    // Prepare
    const { page } = ui;
    // Act: Tab to the checkbox and tick it with the space bar
    await page.focus('#filter-status');
    await page.keyboard.press('Tab');
    const focused = await page.$eval(':focus', (element) => element.id);
    await page.keyboard.press('Space');
    const waiting = await rowsBecome([email]);
    await page.keyboard.press('Space');
    await rowsBecome([whatsapp, email]);
    await page.click('#filter-unread');
    const unread = await rowsBecome([email]);
    await page.click('#filter-unread');
    const label = await page.$eval('label:has(#filter-unread)', (element) => element.textContent ?? '');
    // Assess
    expect(focused).toBe('filter-waiting');
    expect(waiting).toEqual([email]);
    expect(unread).toEqual([email]);
    expect(label).toContain('Unread only');
    expect(ui.requests).toContain('/v1/conversations?limit=100&waiting=true');
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it('says so when the filters hide every conversation the hub holds', async () => {
    // Prepare: no conversation open any more (the SMS one is resolved already)
    const { page } = ui;
    expect(await setStatus(whatsapp, 'resolved')).toBe(200);
    expect(await setStatus(email, 'resolved')).toBe(200);
    await rowsBecome([]);
    /** What the empty inbox says, once it says `start`. */
    const emptyText = async (start: string) => {
      const empty = await page.waitForSelector(`.inbox .empty::-p-text(${JSON.stringify(start)})`, {
        timeout: 30_000,
      });
      return (await empty?.evaluate((element) => element.textContent ?? '')) ?? '';
    };
    // Act
    const byDefault = await emptyText('No open conversations');
    await page.select('#filter-status', 'snoozed');
    const snoozed = await emptyText('No conversation matches');
    await page.select('#filter-status', 'open');
    // Assess: before, an inbox of resolved conversations said "No conversations yet"
    expect(byDefault).toBe(
      'No open conversations. The hub holds others, pending, snoozed or resolved: choose them under Status.',
    );
    expect(snoozed).toBe(
      'No conversation matches these filters. The hub holds others: change the filters to see them.',
    );
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);
});

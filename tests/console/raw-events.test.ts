import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappTextFrom } from '#shared/local/live-samples.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * Under the hood: the raw CloudEvents of the selected conversation, from the hub's tap of the
 * helpdesk queue, newest first and collapsible, updated as new ones are published.
 */

describe('console raw events panel', () => {
  let ui: ConsoleBrowser;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
  }, 120_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('answers only with the token, and only for a conversation id', async () => {
    // Prepare
    const base = `${ui.session.hub.urls.base}/_local/console/raw-events/`;
    const authorization = `Bearer ${ui.session.hub.apiToken}`;
    // Act
    const anonymous = await fetch(`${base}conv_${'0'.repeat(32)}`);
    const malformed = await fetch(`${base}not-a-conversation`, { headers: { authorization } });
    const unknown = await fetch(`${base}conv_${'0'.repeat(32)}`, { headers: { authorization } });
    // Assess
    expect(anonymous.status).toBe(401);
    expect(malformed.status).toBe(404);
    expect(await unknown.json()).toEqual({ items: [] });
  });

  it("shows the conversation's CloudEvents newest first, with the JSON as published", async () => {
    // Prepare: a customer writes and the business answers through the helpdesk API
    const { page, session } = ui;
    const conversationId = await session.customerWrites(whatsappTextFrom('306900000991', 'raw-events-1'));
    const accepted = await fetch(`${session.hub.urls.api}/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${session.hub.apiToken}`,
        'content-type': 'application/json',
        'idempotency-key': 'raw-events-reply-1',
      },
      body: JSON.stringify({
        parts: [{ type: 'text', text: 'Thanks!' }],
        sender: { kind: 'agent', id: 'a1' },
      }),
    });
    expect(accepted.status).toBe(202);
    await page.waitForSelector(`button[data-conversation="${conversationId}"]`, { timeout: 30_000 });
    // Act
    await page.click(`button[data-conversation="${conversationId}"]`);
    await page.click('.raw-events > details > summary');
    // The provider's status callback may reach the hub before the sender publishes its sent event:
    // the panel shows each as it is published, so wait for both.
    for (const type of ['switchboard.message.status_updated', 'switchboard.message.sent']) {
      await page.waitForSelector(`.raw-event[data-event-type="${type}"]`, { timeout: 30_000 });
    }
    const types = await page.$$eval('.raw-event', (items) =>
      items.map((item) => item.getAttribute('data-event-type')),
    );
    await page.click('.raw-event[data-event-type="switchboard.message.received"] summary');
    const json = await page.$eval(
      '.raw-event[data-event-type="switchboard.message.received"] .raw-event-json',
      (element) => element.textContent ?? '',
    );
    const heading = await page.$eval('#raw-events-title', (element) => element.textContent ?? '');
    // Assess
    expect(types.indexOf('switchboard.message.sent')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('switchboard.message.sent')).toBeLessThan(
      types.indexOf('switchboard.message.received'),
    );
    expect(JSON.parse(json)).toMatchObject({
      specversion: '1.0',
      type: 'switchboard.message.received',
      subject: conversationId,
    });
    expect(heading).toMatch(/^Raw CloudEvents \(\d+\)$/);
    // The contact is hidden like the rest of the page until contacts are revealed
    expect(json).not.toContain('306900000991');
    expect(JSON.parse(json).data.contact).toBe('(hidden: switch on Reveal contacts)');
    expect(ui.browserErrors).toEqual([]);
  }, 90_000);
});

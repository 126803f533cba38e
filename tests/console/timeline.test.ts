import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailFrom, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample } from '#shared/local/samples.ts';
import { announcedSha256, inboundMedia } from '#shared/local/simulators/inbound-media.ts';
import { type ConsoleBrowser, openConsoleBrowser } from '#tests/support/console-browser.ts';

/*
 * The timeline as a person would see it: a location with a map link, the button and list row a
 * customer chose, a file with its name, type, size and download link, a reaction on the message it
 * reacts to, an edited message with its new text, a deleted one marked deleted, an e-mail's subject.
 * Every message comes in through the signed WhatsApp webhook (the samples of events/, rewritten as
 * one customer's, written now).
 */

const CUSTOMER = '306900000444';
const BUSINESS_NUMBER_ID = (() => {
  const [text] = collectSamples([join(DEFAULT_EVENTS_DIR, 'whatsapp/text.json')]).samples;
  const json = JSON.parse(text?.payload.toString('utf8') ?? '{}');
  return json.entry[0].changes[0].value.metadata;
})();

// biome-ignore lint/suspicious/noExplicitAny: samples are edited as plain JSON.
type Json = any;

/** A WhatsApp sample as this customer's message `id`, written now, to the business number of text.json. */
const whatsappSample = (file: string, id: string, edit: (message: Json) => void = () => {}) => {
  const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, 'whatsapp', file)]).samples;
  if (!sample) throw new Error(`no sample ${file}`);
  const json = JSON.parse(sample.payload.toString('utf8'));
  const value = json.entry[0].changes[0].value;
  value.metadata = BUSINESS_NUMBER_ID;
  if (value.contacts) value.contacts[0].wa_id = CUSTOMER;
  const message = value.messages[0];
  message.from = CUSTOMER;
  message.id = `wamid.${id}`;
  message.timestamp = String(Math.floor(Date.now() / 1000));
  edit(message);
  return { ...sample, payload: Buffer.from(JSON.stringify(json), 'utf8') } satisfies Sample;
};

/**
 * A call sample as this customer's call `id` (by wa_id only), at `timestamp` and the call's other
 * times as `times` gives them (epoch seconds), to the business number of text.json.
 */
const whatsappCallSample = (file: string, id: string, times: Record<string, number>) => {
  const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, 'whatsapp', file)]).samples;
  if (!sample) throw new Error(`no sample ${file}`);
  const json = JSON.parse(sample.payload.toString('utf8'));
  const value = json.entry[0].changes[0].value;
  value.metadata = BUSINESS_NUMBER_ID;
  value.contacts = [{ profile: { name: 'Zoë' }, wa_id: CUSTOMER }];
  const { from_user_id: _bsuid, ...call } = value.calls[0];
  const seconds = Math.floor(Date.now() / 1000);
  value.calls[0] = {
    ...call,
    id: `wacid.${id}`,
    from: CUSTOMER,
    ...Object.fromEntries(Object.entries(times).map(([key, ago]) => [key, String(seconds - ago)])),
  };
  return { ...sample, payload: Buffer.from(JSON.stringify(json), 'utf8') } satisfies Sample;
};

describe('console timeline', () => {
  let ui: ConsoleBrowser;
  let conversationId: string;

  beforeAll(async () => {
    ui = await openConsoleBrowser();
    const { session } = ui;
    conversationId = await session.customerWrites(whatsappTextFrom(CUSTOMER, 'tl-liked'));
    for (const sample of [
      whatsappTextFrom(CUSTOMER, 'tl-to-edit'),
      whatsappTextFrom(CUSTOMER, 'tl-to-delete'),
      whatsappSample('location.json', 'tl-location'),
      whatsappSample('interactive-button-reply.json', 'tl-button'),
      whatsappSample('interactive-list-reply.json', 'tl-list'),
      whatsappCallSample('call-connect.json', 'tl-call', { timestamp: 200 }),
      whatsappCallSample('call-connect.json', 'tl-call-failed', { timestamp: 100 }),
      whatsappSample('system-number-change.json', 'tl-number-change', (message) => {
        message.system.body = `User Zoë changed from ${CUSTOMER} to 306900000445`;
      }),
      whatsappSample('document.json', 'tl-document', (message) => {
        // A PDF the simulated Graph API serves, with the checksum it announces
        Object.assign(message.document, {
          id: 'tl-pdf-1',
          mime_type: inboundMedia('tl-pdf-1').mimeType,
          sha256: Buffer.from(announcedSha256('tl-pdf-1'), 'hex').toString('base64'),
        });
      }),
    ])
      await session.post(sample);
    await session.hub.waitForRecorder();
    for (const sample of [
      whatsappSample('reaction.json', 'tl-reaction', (message) => {
        message.reaction.message_id = 'wamid.tl-liked';
      }),
      whatsappSample('edit.json', 'tl-edit', (message) => {
        message.edit.original_message_id = 'wamid.tl-to-edit';
        message.edit.message.text.body = 'Order 4712, not 4711, sorry';
      }),
      whatsappSample('revoke.json', 'tl-revoke', (message) => {
        message.revoke.original_message_id = 'wamid.tl-to-delete';
      }),
      whatsappCallSample('call-terminate.json', 'tl-call', { timestamp: 10, start_time: 183, end_time: 10 }),
      whatsappCallSample('call-terminate-failed.json', 'tl-call-failed', {
        timestamp: 5,
        start_time: 38,
        end_time: 5,
      }),
    ])
      await session.post(sample);
    await session.hub.waitForRecorder();
    expect(await session.hub.waitForMedia()).toBe(true);
  }, 180_000);
  afterAll(async () => {
    await ui?.close();
  });

  it('shows locations, chosen buttons and list rows, and a file with its name, type, size and link', async () => {
    // Prepare
    const { page } = ui;
    // Act
    await page.click(`button[data-conversation="${conversationId}"]`);
    const file = await page.waitForSelector('[data-part="file"]', { timeout: 30_000 });
    const fileText = await file?.evaluate((element) => element.textContent ?? '');
    const fileLink = await page.$eval(
      '[data-part="file"] a',
      (element) => element.getAttribute('href') ?? '',
    );
    const location = await page.$eval('[data-part="location"]', (element) => element.textContent ?? '');
    const mapLink = await page.$eval('[data-part="location"] a', (element) => element.getAttribute('href'));
    const replies = await page.$$eval('[data-part="interactive_reply"]', (elements) =>
      elements.map((element) => element.textContent?.replace(/\s+/g, ' ').trim() ?? ''),
    );
    // Assess
    expect(location).toContain('Praça do Comércio');
    expect(location).toContain('Praça do Comércio, 1100-148 Lisboa');
    expect(location).toContain('38.70775, -9.13659');
    expect(mapLink).toBe('https://maps.example.pt/pracadocomercio');
    expect(replies).toEqual([
      expect.stringContaining('Tapped: Ja, passt 👍'),
      expect.stringContaining('Chose from the list: Ταχεία αποστολή'),
    ]);
    expect(fileText).toContain('Rechnung_März_2026.pdf');
    expect(fileText).toContain('application/pdf');
    expect(fileText).toMatch(/\d+ (B|KB|MB)/);
    expect(fileLink.startsWith(`${ui.session.hub.endpoints.s3}/`)).toBe(true);
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it('hides a WhatsApp number-change notice, which names the customer, until contacts are revealed', async () => {
    // Prepare
    const { page } = ui;
    await page.click(`button[data-conversation="${conversationId}"]`);
    const notice = await page.waitForSelector('[data-part="system"]', { timeout: 30_000 });
    // Act
    const masked = await notice?.evaluate((element) => element.textContent ?? '');
    await page.click('label.reveal input');
    await page.waitForFunction(
      "document.querySelector('[data-part=\"system\"]')?.textContent?.includes('306900000445')",
      { timeout: 10_000 },
    );
    await page.click('label.reveal input');
    // Assess
    expect(masked).not.toContain(CUSTOMER);
    expect(masked).not.toContain('306900000445');
    expect(masked).toContain('(hidden: switch on Reveal contacts)');
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it('shows a reaction on the message it reacts to, an edit with its new text, and a deletion', async () => {
    // Prepare
    const { page } = ui;
    const message = (id: string) => `.message[data-message]:has(${id})`;
    // Act: the reaction is recorded before the edit and the deletion that follow it on the
    // conversation's queue, so the page can show it alone for a while: wait for all three.
    await page.waitForFunction(
      `['[data-reaction="customer"]', '.message[data-message] [data-edited]', '.message[data-message] [data-deleted]']
        .every((selector) => document.querySelector(selector) !== null)`,
      { timeout: 30_000 },
    );
    const reaction = await page.$('[data-reaction="customer"]');
    const reacted = await reaction?.evaluate(
      (element) => element.closest('.message')?.querySelector('.text')?.textContent ?? '',
    );
    const edited = await page.$eval(message('[data-edited]'), (element) => element.textContent ?? '');
    const deleted = await page.$eval(message('[data-deleted]'), (element) => element.textContent ?? '');
    const deletedVisible = await page.$eval(`${message('[data-deleted]')} .original .text`, (element) =>
      (element as unknown as { checkVisibility(): boolean }).checkVisibility(),
    );
    // Assess
    expect(reacted).toContain('Bestellung Nr. 4711');
    expect(await reaction?.evaluate((element) => element.textContent ?? '')).toContain('❤️');
    expect(edited).toContain('Order 4712, not 4711, sorry');
    expect(edited).toContain('Edited');
    expect(deleted).toContain('Deleted by the customer');
    expect(deletedVisible).toBe(false);
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it("shows a customer's call and how it went, its end no edit", async () => {
    // Prepare
    const { page } = ui;
    await page.click(`button[data-conversation="${conversationId}"]`);
    // Act: the call rings first, its end follows on the conversation's queue
    await page.waitForFunction(
      "document.querySelector('[data-part=\"call\"]')?.textContent?.includes('min')",
      { timeout: 30_000 },
    );
    const call = await page.$eval('.message[data-message]:has([data-part="call"])', (element) => ({
      text: element.textContent ?? '',
      edited: element.querySelector('[data-edited]') !== null,
    }));
    // Assess
    expect(call.text).toContain('📞 Call, 2 min 53 s');
    expect(call.edited).toBe(false);
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it('shows a call Meta says failed as failed, not by its length', async () => {
    // Prepare
    const { page } = ui;
    await page.click(`button[data-conversation="${conversationId}"]`);
    // Act: the failed call was picked up (Meta names its start and duration) before it failed
    await page.waitForFunction(
      "[...document.querySelectorAll('[data-part=\"call\"]')].some((call) => call.textContent?.includes('failed'))",
      { timeout: 30_000 },
    );
    const calls = await page.$$eval('[data-part="call"]', (elements) =>
      elements.map((element) => element.textContent ?? ''),
    );
    // Assess
    expect(calls).toEqual(['📞 Call, 2 min 53 s', '📞 Call failed']);
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it("shows an e-mail's subject", async () => {
    // Prepare
    const email = await ui.session.customerWrites(emailFrom('sam.hill@customer.example', 'tl-mail-1'));
    // Act
    const row = await ui.page.waitForSelector(`button[data-conversation="${email}"]`, { timeout: 30_000 });
    await row?.click();
    const subject = await ui.page.waitForSelector('.message .subject', { timeout: 30_000 });
    // Assess
    expect(await subject?.evaluate((element) => element.textContent ?? '')).toBe(
      'Order 4711 has not arrived',
    );
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);
});

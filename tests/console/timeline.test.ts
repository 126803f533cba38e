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
 * one customer's, written now). And a long conversation (more than the newest 50 the timeline reads
 * at once), a customer writing in Arabic under an Arabic name, and the time zone of every time.
 */

const CUSTOMER = '306900000444';
const LONG_CUSTOMER = '306900000446';
const LONG_COUNT = 60;
const ARABIC_CUSTOMER = '966501234567';
const ARABIC_NAME = 'محمد العلي';
const ARABIC_TEXT = 'مرحبا، هل طلبي رقم 4711 جاهز؟';
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
 * `count` texts from `customer` (profile name `name`) in one webhook, a second apart and ending now:
 * `body` alone for one, "<body> 1" … "<body> <count>" (oldest first) for more.
 */
const whatsappTexts = (customer: string, id: string, body: string, count = 1, name = 'Zoë'): Sample => {
  const sample = whatsappTextFrom(customer, id);
  const json = JSON.parse(sample.payload.toString('utf8'));
  const value = json.entry[0].changes[0].value;
  value.contacts[0].profile.name = name;
  const [first] = value.messages;
  const now = Math.floor(Date.now() / 1000);
  value.messages = Array.from({ length: count }, (_, index) => ({
    ...first,
    id: `wamid.${id}-${String(index + 1).padStart(3, '0')}`,
    timestamp: String(now - count + index + 1),
    text: { body: count === 1 ? body : `${body} ${index + 1}` },
  }));
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
  let long: string;
  let arabic: string;

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
    // The Arabic one first: the hub records the long one's 60 messages after the first's event
    arabic = await session.customerWrites(
      whatsappTexts(ARABIC_CUSTOMER, 'tl-arabic', ARABIC_TEXT, 1, ARABIC_NAME),
    );
    long = await session.customerWrites(whatsappTexts(LONG_CUSTOMER, 'tl-long', 'Message', LONG_COUNT));
    await session.hub.waitForRecorder();
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

  /** The timeline's texts, oldest first, and whether its newest message is in view. */
  const timelineView = () =>
    ui.page.evaluate(`(() => {
      const list = document.querySelector('.timeline');
      const items = [...list.querySelectorAll('.message')];
      const last = items[items.length - 1];
      const box = list.getBoundingClientRect();
      const at = last.getBoundingClientRect();
      return {
        texts: items.map((item) => item.querySelector('.text')?.textContent ?? ''),
        lastInView: at.top < box.bottom && at.bottom > box.top,
      };
    })()`) as Promise<{ texts: string[]; lastInView: boolean }>;
  const waitForText = (text: string) =>
    ui.page.waitForFunction(
      `[...document.querySelectorAll('.timeline .message .text')].some((item) => item.textContent === ${JSON.stringify(text)})`,
      { timeout: 30_000 },
    );
  /** Scrolls the timeline to `where`, then lets its scroll event run. */
  const scrollTimeline = async (where: 'top' | 'end') => {
    await ui.page.evaluate(`(() => {
      const list = document.querySelector('.timeline');
      list.scrollTop = ${where === 'top' ? '0' : 'list.scrollHeight'};
    })()`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  };

  it('brings a new message into view at the end of a full page of 50, and leaves a reader further up where they are', async () => {
    // Prepare: the newest 50 of 60 messages, at their end
    const { page, session } = ui;
    await page.click(`button[data-conversation="${long}"]`);
    await page.waitForFunction(`document.querySelectorAll('.timeline .message').length === 50`, {
      timeout: 30_000,
    });
    await scrollTimeline('end');
    // Act: the customer writes again, then once more while the reader is at the top
    await session.customerWrites(whatsappTexts(LONG_CUSTOMER, 'tl-long-61', 'Message 61'));
    await waitForText('Message 61');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const atEnd = await timelineView();
    await scrollTimeline('top');
    await session.customerWrites(whatsappTexts(LONG_CUSTOMER, 'tl-long-62', 'Message 62'));
    await waitForText('Message 62');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const furtherUp = await timelineView();
    // Assess: still 50 shown, the newest in view only for the reader at the end
    expect(atEnd.texts).toHaveLength(50);
    expect(atEnd.texts.at(-1)).toBe('Message 61');
    expect(atEnd.lastInView).toBe(true);
    expect(furtherUp.texts.at(-1)).toBe('Message 62');
    expect(furtherUp.lastInView).toBe(false);
    expect(ui.browserErrors).toEqual([]);
  }, 90_000);

  it('shows older messages on request above the newest 50, what was in view staying in place, and keeps them as new ones arrive', async () => {
    // Prepare: 62 messages, the newest 50 shown (13 to 62), scrolled to the top where the control is
    const { page, session } = ui;
    await page.click(`button[data-conversation="${long}"]`);
    await page.waitForFunction(`document.querySelectorAll('.timeline .message').length === 50`, {
      timeout: 30_000,
    });
    await scrollTimeline('top');
    const control = await page.$eval('.conversation .older-messages', (element) => element.textContent ?? '');
    /** Where "Message 13" is, from the timeline's top edge. */
    const offsetOf13 = () =>
      page.evaluate(`(() => {
        const list = document.querySelector('.timeline');
        const item = [...list.querySelectorAll('.message')].find((each) => each.querySelector('.text')?.textContent === 'Message 13');
        return Math.round(item.getBoundingClientRect().top - list.getBoundingClientRect().top);
      })()`) as Promise<number>;
    const before = await offsetOf13();
    // Act: from the keyboard
    await page.focus('.older-messages button');
    await page.keyboard.press('Enter');
    await page.waitForFunction(`document.querySelectorAll('.timeline .message').length === 62`, {
      timeout: 30_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await offsetOf13();
    const shown = await timelineView();
    const notice = await page.$eval('.older-messages', (element) => (element.textContent ?? '').trim());
    const focused = await page.evaluate('document.activeElement.className');
    const log = await page.$eval('.timeline', (element) => ({
      role: element.getAttribute('role'),
      olderLive: element.querySelector('.earlier')?.getAttribute('aria-live'),
    }));
    // A new message now: the one it pushes out of the newest 50 (13) stays shown
    await session.customerWrites(whatsappTexts(LONG_CUSTOMER, 'tl-long-63', 'Message 63'));
    await waitForText('Message 63');
    const grown = await timelineView();
    const badCursor = await fetch(
      `${session.hub.urls.base}/_local/console/read/timeline/${long}/not+a+cursor`,
      { headers: { authorization: `Bearer ${session.hub.apiToken}` } },
    );
    // Assess
    expect(control).toContain('Show older messages');
    expect(shown.texts).toEqual(Array.from({ length: 62 }, (_, index) => `Message ${index + 1}`));
    expect(after).toBe(before);
    expect(notice).toBe('12 older messages shown above. The conversation starts there.');
    expect(await page.$('.older-messages button')).toBeNull();
    expect(focused).toBe('timeline');
    expect(log).toEqual({ role: 'log', olderLive: 'off' });
    expect(grown.texts).toEqual(Array.from({ length: 63 }, (_, index) => `Message ${index + 1}`));
    expect(badCursor.status).toBe(404);
    expect(ui.browserErrors).toEqual([]);
  }, 90_000);

  it('shows Arabic text right to left, and an Arabic name apart from its number', async () => {
    // Prepare
    const { page } = ui;
    await page.click(`button[data-conversation="${arabic}"]`);
    await waitForText(ARABIC_TEXT);
    // Act
    await page.click('label.reveal input');
    await page.waitForSelector(`#conversation-title::-p-text(${ARABIC_CUSTOMER})`, { timeout: 10_000 });
    /** The writing direction the page gives `selector`'s element (a string: no DOM types here). */
    const directionOf = (selector: string) =>
      page.evaluate(
        `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).direction`,
      ) as Promise<string>;
    const direction = await directionOf('.timeline .message.inbound .text');
    const heading = await page.$eval('#conversation-title', (element) => ({
      name: element.querySelector('bdi')?.textContent,
      text: element.textContent?.replace(/\s+/g, ' ').trim(),
    }));
    const row = await page.$eval(
      `button[data-conversation="${arabic}"] .contact bdi`,
      (element) => element.textContent,
    );
    await page.type('#reply-text', ARABIC_TEXT);
    const replyDirection = await directionOf('#reply-text');
    await page.click('#reply-text', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.click('label.reveal input');
    // Assess
    expect(direction).toBe('rtl');
    expect(heading).toEqual({ name: ARABIC_NAME, text: `WhatsApp · ${ARABIC_NAME} (${ARABIC_CUSTOMER})` });
    expect(row).toBe(ARABIC_NAME);
    expect(replyDirection).toBe('rtl');
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);

  it('says in which time zone each time is, with the UTC time in its title', async () => {
    // Prepare
    const { page } = ui;
    await page.click(`button[data-conversation="${arabic}"]`);
    await waitForText(ARABIC_TEXT);
    await page.click('.raw-events summary');
    await page.waitForSelector('.raw-event-time time', { timeout: 30_000 });
    // Act
    const times = (await page.evaluate(`(() => {
      const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
        .formatToParts(new Date()).find((part) => part.type === 'timeZoneName').value;
      const of = (selector) => {
        const time = document.querySelector(selector);
        return { text: time.textContent, datetime: time.getAttribute('datetime'), title: time.getAttribute('title') };
      };
      return { zone, message: of('.timeline .message .meta time'), event: of('.raw-event-time time') };
    })()`)) as Record<'message' | 'event', { text: string; datetime: string; title: string }> & {
      zone: string;
    };
    await page.click('.raw-events summary');
    // Assess
    for (const time of [times.message, times.event]) {
      expect(time.text.endsWith(times.zone)).toBe(true);
      expect(time.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(time.title).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    }
    expect(ui.browserErrors).toEqual([]);
  }, 60_000);
});

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_SWITCHES } from '#shared/local/simulators/fault-switches.ts';
import {
  actAsCustomer,
  type ConsoleBrowser,
  replyAsBusiness,
  startConsoleBrowser,
} from '#tests/support/console-browser.ts';

/*
 * The console's "under the hood" panel in Chromium: queue depths that move as messages flow, a
 * command the sender cannot read set aside in the outbox dead-letter queue, listed by type and
 * reason and redriven from the page, and the provider simulators' fault switches armed and cleared
 * from the page (a 131047 makes the next WhatsApp reply fail with window_closed).
 */

const CUSTOMER = '306900000911';
const CUSTOMER_TEXT = 'Hi, the hood test asks about order 9912.';
/** A command of a type the hub does not know: the sender sets it aside with a reason. */
const POISON_TYPE = 'com.example.unknown.command';

/** Evaluated in the page (this project's TypeScript has no DOM types). */
const textOf = (selector: string) => `document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`;
/** Evaluated in the page: whether keyboard focus is on an element `selector` names. */
const focusIsOn = (selector: string) =>
  `document.activeElement?.matches(${JSON.stringify(selector)}) === true`;

describe('local console: under the hood', () => {
  let hubConsole: ConsoleBrowser;

  beforeAll(async () => {
    hubConsole = await startConsoleBrowser();
    await hubConsole.open();
  }, 120_000);
  afterAll(async () => {
    await hubConsole?.close();
  });

  it('answers only with the token, refuses unknown switches and queues, and offers every fault switch of the simulators', async () => {
    // Prepare
    const { hub } = hubConsole.session;
    const url = `${hub.urls.base}/_local/console/hood`;
    // Act
    const anonymous = await fetch(url);
    const answer = await fetch(url, { headers: { authorization: `Bearer ${hub.apiToken}` } });
    const view = (await answer.json()) as {
      queues: { queue: string }[];
      simulators: { switches: { id: string }[] }[];
    };
    const post = (path: string, body: unknown) =>
      fetch(`${hub.urls.base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${hub.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknownSwitch = await post('/_local/console/faults', { switch: 'whatsapp:error:1' });
    const malformed = await post('/_local/console/faults', { switch: 'whatsapp:throttle', times: 0 });
    const unknownQueue = await post('/_local/console/redrive/attention', {});
    // Assess
    expect(anonymous.status).toBe(401);
    expect([unknownSwitch.status, malformed.status, unknownQueue.status]).toEqual([404, 400, 404]);
    expect(hub.providers?.faults()).toEqual([]);
    expect(view.queues.map((queue) => queue.queue)).toEqual(['ingest', 'helpdesk', 'outbox', 'media']);
    expect(view.simulators.flatMap((entry) => entry.switches.map((entry) => entry.id))).toEqual(
      FAULT_SWITCHES.map((entry) => entry.id),
    );
  });

  it('shows every queue and its DLQ, and the helpdesk queue grows as a customer writes', async () => {
    // Prepare
    const { page } = hubConsole;
    await page.waitForSelector('tr[data-queue="helpdesk"]');
    const cell = 'tr[data-queue="helpdesk"] td:nth-of-type(1)';
    const before = Number(await page.evaluate(textOf(cell)));
    // Act: the recorder publishes the customer's message to the helpdesk queue, which nobody reads here
    await actAsCustomer(page, 'whatsapp', CUSTOMER, CUSTOMER_TEXT);
    await page.waitForFunction(`Number(${textOf(cell)}) > ${before}`, { timeout: 30_000 });
    const rows = await page.$$eval('table.queues tbody tr', (elements) =>
      elements.map(
        (element) => element.getAttribute('data-queue') ?? `${element.getAttribute('data-dlq')} DLQ`,
      ),
    );
    // Assess
    expect(rows).toEqual([
      'ingest',
      'ingest DLQ',
      'helpdesk',
      'helpdesk DLQ',
      'outbox',
      'outbox DLQ',
      'media',
      'media DLQ',
    ]);
    expect(hubConsole.browserErrors).toEqual([]);
  }, 60_000);

  it('lists a command the sender set aside by type, reason and age, and redrives it from the page, focus staying with its queue', async () => {
    // Prepare: a helpdesk puts a command the hub does not know on the outbox
    const { page, session } = hubConsole;
    await session.sqs.send(
      new SendMessageCommand({
        QueueUrl: session.hub.resources.outboxQueueUrl,
        MessageBody: JSON.stringify({
          specversion: '1.0',
          id: 'hood-poison-1',
          source: 'helpdesk:test',
          type: POISON_TYPE,
        }),
        MessageGroupId: 'hood-poison',
        MessageDeduplicationId: 'hood-poison-1',
      }),
    );
    const listed = await page.waitForSelector('[data-dead-letters="outbox"] .dead-letter', {
      timeout: 30_000,
    });
    const shown = (await listed?.evaluate((element) => element.textContent ?? '')) ?? '';
    const firstId = (await listed?.evaluate((element) => element.getAttribute('data-dead-letter'))) ?? '';
    // Act: from the keyboard
    await page.focus('button[data-redrive="outbox"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-dead-letters="outbox"] .notice::-p-text(1 of 1 re-sent)', {
      timeout: 30_000,
    });
    // The redriven copy left the DLQ; the sender read it again and, still no command, set it aside again
    await page.waitForFunction(
      `(() => {
        const ids = [...document.querySelectorAll('[data-dead-letters="outbox"] .dead-letter')].map((item) => item.getAttribute('data-dead-letter'));
        return ids.length === 1 && !ids.includes(${JSON.stringify(firstId)});
      })()`,
      { timeout: 30_000 },
    );
    const again = await page.$eval(
      '[data-dead-letters="outbox"] .dead-letter',
      (element) => element.textContent ?? '',
    );
    // The button was disabled while it ran (and maybe once the queue was empty): focus stays in its section
    const focused = await page.evaluate(
      focusIsOn('[data-dead-letters="outbox"], [data-dead-letters="outbox"] *'),
    );
    // Assess
    expect(shown).toContain(POISON_TYPE);
    expect(shown).toContain('not a command the hub knows');
    expect(shown).toMatch(/\d+ s ago/);
    expect(again).toContain('not a command the hub knows');
    expect(focused).toBe(true);
    expect(hubConsole.logLines.join('\n')).toContain('POST /_local/console/redrive/outbox → 200');
    expect(hubConsole.browserErrors).toEqual([]);
  }, 90_000);

  it('arms 131047 for the next WhatsApp send from the page: the reply is refused with window_closed', async () => {
    // Prepare
    const { page, session } = hubConsole;
    const armed = '[data-provider="whatsapp"] [data-armed="whatsapp:error:131047"]';
    // Act: arm the switch for the next send, from the keyboard
    await page.select('#fault-whatsapp', 'whatsapp:error:131047');
    await page.select('#fault-whatsapp-times', '1');
    await page.focus('[data-provider="whatsapp"] button.arm');
    await page.keyboard.press('Enter');
    const shownArmed = await (await page.waitForSelector(armed))?.evaluate(
      (element) => element.textContent ?? '',
    );
    // Disabled while its request ran: focus is back on it once it is enabled again
    await page.waitForFunction(focusIsOn('[data-provider="whatsapp"] button.arm:enabled'), {
      timeout: 10_000,
    });
    // Act: answer the WhatsApp customer
    await page.click('button[data-channel="whatsapp"]');
    await page.waitForSelector(`.message.inbound .text::-p-text(${JSON.stringify(CUSTOMER_TEXT)})`, {
      timeout: 30_000,
    });
    await replyAsBusiness(page, 'We are looking into order 9912.');
    const failure = await page.waitForSelector('[data-failure="window_closed"]', { timeout: 30_000 });
    const refusal = await failure?.evaluate((element) => element.textContent ?? '');
    await page.waitForFunction(`document.querySelector(${JSON.stringify(armed)}) === null`, {
      timeout: 30_000,
    });
    // Assess: armed once, used by that send, gone
    expect(shownArmed).toContain('error 131047');
    expect(shownArmed).toContain('1 more');
    expect(refusal).toContain(
      'Not sent: the reply window is closed (window_closed; WhatsApp 131047 Re-engagement message; sending again will not help)',
    );
    expect(session.hub.providers?.faults()).toEqual([]);
    expect(hubConsole.browserErrors).toEqual([]);
  }, 90_000);

  it('arms a fault until cleared, shows it armed, and clears it from the page, each control named by its provider', async () => {
    // Prepare
    const { page, session } = hubConsole;
    const armed = '[data-provider="twilio"] [data-armed="twilio:throttle"]';
    // Act
    await page.select('#fault-twilio', 'twilio:throttle');
    await page.select('#fault-twilio-times', '');
    await page.click('[data-provider="twilio"] button.arm');
    const shown = await (await page.waitForSelector(armed))?.evaluate((element) => element.textContent ?? '');
    const whileArmed = session.hub.providers?.faults();
    const names = await page.$$eval(
      '[data-provider="twilio"] select, [data-provider="twilio"] button',
      (elements) => elements.map((element) => element.getAttribute('aria-label')),
    );
    // From the keyboard: Clear goes disabled once nothing is armed, and focus goes to Arm
    await page.focus('[data-provider="twilio"] button.clear');
    await page.keyboard.press('Enter');
    await page.waitForFunction(`document.querySelector(${JSON.stringify(armed)}) === null`, {
      timeout: 30_000,
    });
    await page.waitForFunction(focusIsOn('[data-provider="twilio"] button.arm'), { timeout: 10_000 });
    // Assess
    expect(shown).toContain('until cleared');
    expect(names).toEqual([
      'Fault for twilio: SMS (Twilio; WhatsApp through Twilio too)',
      'For how many twilio sends',
      'Arm the twilio fault',
      'Clear the twilio faults',
    ]);
    expect(whileArmed).toEqual([{ fault: { provider: 'twilio', kind: 'throttle' }, remaining: undefined }]);
    expect(session.hub.providers?.faults()).toEqual([]);
    expect(hubConsole.browserErrors).toEqual([]);
    const log = hubConsole.logLines.join('\n');
    expect(log).not.toContain(CUSTOMER);
    expect(log).not.toContain('order 9912');
  }, 60_000);
});

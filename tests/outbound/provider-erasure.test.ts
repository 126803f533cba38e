import { describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { BusinessEndpoint, Message } from '#shared/contract/index.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createProviderErasure, twilioMessagesIn } from '#shared/outbound/provider-erasure.ts';
import { fakeTwilio } from '#tests/support/fake-twilio.ts';

/*
 * Provider-side erasure at Twilio against a fake of its Message and Media resources: which messages
 * the stored items name, the calls made for each (and how many), 404 as already gone, bounded
 * retries, the time budget, and failures counted and logged by code, never thrown.
 */

const ACCOUNT = LOCAL_DEV_SECRETS.twilio.accountSid ?? '';
const SUBACCOUNT = `AC${'b'.repeat(32)}`;
const sidOf = (n: number) => `SM${String(n).padStart(32, '0')}`;
const mediaOf = (n: number) => `ME${String(n).padStart(32, '0')}`;
const smsEndpoint: BusinessEndpoint = { type: 'phone_number', id: '+15550000400' };
const API = 'https://api.twilio.test';

const messageItem = (
  hubMessageId: string,
  fields: Pick<Message, 'provider' | 'direction' | 'providerMessageId' | 'endpoint'> & {
    providerMessageIds?: string[];
  },
): Record<string, unknown> => {
  const message: Message = {
    hubMessageId,
    channel: fields.provider === 'twilio' ? 'sms' : 'whatsapp',
    contact: { identities: [{ type: 'phone', value: '+306912340400' }] },
    conversationId: 'conv_provider_erasure',
    providerTimestamp: null,
    receivedAt: '2026-11-22T10:00:00.000Z',
    parts: [{ type: 'text', text: 'canary-provider-erasure' }],
    ...fields,
  };
  return { pk: `MSG#${hubMessageId}`, sk: 'MSG', data: JSON.stringify({ message }) };
};

const sendItem = (hubMessageId: string, providerIds: string[], links: Record<string, string>) => ({
  pk: `MSG#${hubMessageId}`,
  sk: 'SEND',
  hubMessageId,
  conversationId: 'conv_provider_erasure',
  commandId: 'cmd_1',
  commandHash: 'hash',
  state: 'sent',
  acceptedAt: '2026-11-22T10:00:00.000Z',
  messageCount: providerIds.length + Object.keys(links).length,
  next: providerIds.length,
  providerIds,
  links,
  plan: JSON.stringify({
    channel: 'sms',
    provider: 'twilio',
    endpoint: smsEndpoint,
    recipient: { type: 'phone', value: '+306912340400' },
    withinWindow: true,
    humanAgentTag: false,
  }),
});

const erasureWith = (
  twilio: ReturnType<typeof fakeTwilio>,
  overrides: { secrets?: typeof LOCAL_DEV_SECRETS | object; now?: () => number; budgetMs?: number } = {},
) => {
  const lines: string[] = [];
  const slept: number[] = [];
  const redact = createProviderErasure({
    secrets: async () => overrides.secrets ?? LOCAL_DEV_SECRETS,
    twilioApiUrl: API,
    graphApiUrl: 'https://graph.facebook.test',
    graphApiVersion: 'v23.0',
    fetch: twilio.fetch,
    logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
    sleep: async (ms) => {
      slept.push(ms);
    },
    ...(overrides.now ? { now: overrides.now } : {}),
    settings: { concurrency: 1, ...(overrides.budgetMs ? { budgetMs: overrides.budgetMs } : {}) },
  });
  return { redact, lines, slept };
};

describe('provider-side erasure at Twilio', () => {
  it("finds each Twilio message once, inbound and sent, from message records and sends; never Meta's", () => {
    // Act
    const found = twilioMessagesIn([
      messageItem('msg_in', {
        provider: 'twilio',
        direction: 'inbound',
        providerMessageId: sidOf(1),
        endpoint: smsEndpoint,
      }),
      messageItem('msg_out', {
        provider: 'twilio',
        direction: 'outbound',
        providerMessageId: sidOf(2),
        providerMessageIds: [sidOf(2), sidOf(3)],
        endpoint: smsEndpoint,
      }),
      sendItem('msg_out', [sidOf(2)], { '1': sidOf(3) }),
      sendItem('msg_unrecorded', [sidOf(4)], {}),
      messageItem('msg_wa', {
        provider: 'meta',
        direction: 'inbound',
        providerMessageId: 'wamid.x',
        endpoint: { type: 'whatsapp_phone_number', id: 'phone-1' },
      }),
      { pk: 'MSG#msg_in', sk: 'STATE', status: 'delivered' },
      { pk: 'MSG#broken', sk: 'SEND', plan: 'not json' },
    ]);
    // Assess
    expect(found.map((message) => message.sid).sort()).toEqual([sidOf(1), sidOf(2), sidOf(3), sidOf(4)]);
  });

  it('empties each body and deletes each media resource: one POST, one listing and one DELETE per medium', async () => {
    // Prepare
    const twilio = fakeTwilio();
    twilio.messages.set(sidOf(1), { accountSid: ACCOUNT, body: 'canary', media: [mediaOf(1), mediaOf(2)] });
    twilio.messages.set(sidOf(2), { accountSid: ACCOUNT, body: 'canary', media: [] });
    const { redact } = erasureWith(twilio);
    // Act
    const report = await redact([
      messageItem('msg_in', {
        provider: 'twilio',
        direction: 'inbound',
        providerMessageId: sidOf(1),
        endpoint: smsEndpoint,
      }),
      sendItem('msg_out', [sidOf(2)], {}),
    ]);
    // Assess
    expect(report).toEqual({
      twilio: { messages: 2, media: 2, failed: 0 },
      whatsapp: { uploads: 0, failed: 0 },
      unfinished: [],
    });
    expect([...twilio.messages.values()].map((message) => [message.body, message.media])).toEqual([
      ['', []],
      ['', []],
    ]);
    const calls = twilio.requests.map((request) => `${request.method} ${request.path}`);
    expect(calls).toEqual([
      `POST /2010-04-01/Accounts/${ACCOUNT}/Messages/${sidOf(1)}.json`,
      `GET /2010-04-01/Accounts/${ACCOUNT}/Messages/${sidOf(1)}/Media.json?PageSize=100`,
      `DELETE /2010-04-01/Accounts/${ACCOUNT}/Messages/${sidOf(1)}/Media/${mediaOf(1)}.json`,
      `DELETE /2010-04-01/Accounts/${ACCOUNT}/Messages/${sidOf(1)}/Media/${mediaOf(2)}.json`,
      `POST /2010-04-01/Accounts/${ACCOUNT}/Messages/${sidOf(2)}.json`,
      `GET /2010-04-01/Accounts/${ACCOUNT}/Messages/${sidOf(2)}/Media.json?PageSize=100`,
    ]);
    expect(new Set(twilio.requests.map((request) => request.user))).toEqual(new Set([ACCOUNT]));
  });

  it("works in the endpoint's own account (a subaccount), logged in as the main account, as the sender does", async () => {
    // Prepare
    const twilio = fakeTwilio();
    twilio.messages.set(sidOf(5), { accountSid: SUBACCOUNT, body: 'canary', media: [] });
    const { redact } = erasureWith(twilio);
    // Act
    const report = await redact([
      messageItem('msg_sub', {
        provider: 'twilio',
        direction: 'inbound',
        providerMessageId: sidOf(5),
        endpoint: { ...smsEndpoint, accountId: SUBACCOUNT },
      }),
    ]);
    // Assess
    expect(report.twilio).toEqual({ messages: 1, media: 0, failed: 0 });
    expect(twilio.requests.every((request) => request.path.includes(SUBACCOUNT))).toBe(true);
    // Twilio: the main account's SID and token reach its subaccounts' messages; the subaccount's
    // own SID with the main account's token is refused.
    expect(twilio.requests.every((request) => request.user === ACCOUNT)).toBe(true);
  });

  it('counts a message Twilio no longer has (404) as done, without asking for its media', async () => {
    // Prepare
    const twilio = fakeTwilio();
    const { redact } = erasureWith(twilio);
    // Act
    const report = await redact([sendItem('msg_gone', [sidOf(6)], {})]);
    // Assess
    expect(report.twilio).toEqual({ messages: 1, media: 0, failed: 0 });
    expect(twilio.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it('retries throttling, server errors and dropped connections up to three tries; a refusal is not retried; failures are counted and logged by code only', async () => {
    // Prepare
    const twilio = fakeTwilio();
    for (const n of [7, 8, 9])
      twilio.messages.set(sidOf(n), { accountSid: ACCOUNT, body: 'canary', media: [] });
    // 7: throttled, dropped, then done; 8: three server errors; 9: refused (still sending).
    twilio.answerNext(429, 0);
    const { redact, lines, slept } = erasureWith(twilio);
    const first = await redact([sendItem('msg_7', [sidOf(7)], {})]);
    twilio.answerNext(500, 500, 500);
    const second = await redact([sendItem('msg_8', [sidOf(8)], {})]);
    twilio.answerNext(400);
    // Act
    const third = await redact([sendItem('msg_9', [sidOf(9)], {})]);
    // Assess
    expect(first.twilio).toEqual({ messages: 1, media: 0, failed: 0 });
    expect(second.twilio).toEqual({ messages: 0, media: 0, failed: 1 });
    expect(third.twilio).toEqual({ messages: 0, media: 0, failed: 1 });
    const posts = (sid: string) =>
      twilio.requests.filter((request) => request.method === 'POST' && request.path.includes(sid)).length;
    expect([posts(sidOf(7)), posts(sidOf(8)), posts(sidOf(9))]).toEqual([3, 3, 1]);
    expect(slept).toEqual([200, 400, 200, 400]);
    expect(twilio.messages.get(sidOf(8))?.body).toBe('canary');
    const warnings = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warnings.map((entry) => entry.errorCodes)).toEqual([['twilio_20500'], ['twilio_20500']]);
    expect(lines.join('\n')).not.toMatch(/canary|\+30691|SM0/);
  });

  it("counts a message id not in Twilio's form as failed for good: never asked, never kept to retry (found by a review)", async () => {
    // Prepare: ids a message record may hold from before the intake checked them
    const twilio = fakeTwilio();
    const { redact, lines } = erasureWith(twilio);
    const malformed = ['SMerasure1', `SM${'b'.repeat(98)}`, `SM${'a'.repeat(1_018)}`];
    // Act
    const report = await redact([sendItem('msg_malformed', malformed, {})]);
    // Assess
    expect(report.twilio).toEqual({ messages: 0, media: 0, failed: 3 });
    expect(report.unfinished).toEqual([]);
    expect(twilio.requests).toEqual([]);
    expect(lines.join('\n')).toContain('switchboard.invalid_sid');
  });

  it("keeps to retry a message whose account SID is not in Twilio's form: the channel secret may be fixed", async () => {
    // Prepare
    const twilio = fakeTwilio();
    const { redact } = erasureWith(twilio, {
      secrets: { twilio: { ...LOCAL_DEV_SECRETS.twilio, accountSid: 'AC1' } },
    });
    // Act
    const report = await redact([sendItem('msg_account', [sidOf(14)], {})]);
    // Assess
    expect(report.twilio).toEqual({ messages: 0, media: 0, failed: 1 });
    expect(report.unfinished).toEqual([
      {
        provider: 'twilio',
        providerMessageId: sidOf(14),
        endpoint: smsEndpoint,
        code: 'switchboard.invalid_account_sid',
      },
    ]);
    expect(twilio.requests).toEqual([]);
  });

  it('without Twilio credentials keeps no message id the store could not read back (over 64 characters)', async () => {
    // Prepare
    const twilio = fakeTwilio();
    const { redact } = erasureWith(twilio, { secrets: { meta: LOCAL_DEV_SECRETS.meta } });
    // Act
    const report = await redact([sendItem('msg_long', [sidOf(15), `SM${'c'.repeat(98)}`], {})]);
    // Assess: both counted, the readable one kept
    expect(report.twilio).toEqual({ messages: 0, media: 0, failed: 2 });
    expect(report.unfinished.map((left) => left.provider === 'twilio' && left.providerMessageId)).toEqual([
      sidOf(15),
    ]);
  });

  it('without Twilio credentials counts every message as failed and calls nothing', async () => {
    // Prepare
    const twilio = fakeTwilio();
    const { redact, lines } = erasureWith(twilio, { secrets: { meta: LOCAL_DEV_SECRETS.meta } });
    // Act
    const report = await redact([sendItem('msg_10', [sidOf(10), sidOf(11)], {})]);
    // Assess
    expect(report.twilio).toEqual({ messages: 0, media: 0, failed: 2 });
    expect(
      report.unfinished.map((left) => [left.provider === 'twilio' && left.providerMessageId, left.code]),
    ).toEqual([
      [sidOf(10), 'switchboard.no_twilio_credentials'],
      [sidOf(11), 'switchboard.no_twilio_credentials'],
    ]);
    expect(twilio.requests).toEqual([]);
    expect(lines.join('\n')).toContain('switchboard.no_twilio_credentials');
  });

  it('starts no call past the time budget: what is left counts as failed', async () => {
    // Prepare: every answer takes 60 ms of a 100 ms budget.
    const twilio = fakeTwilio();
    for (const n of [12, 13])
      twilio.messages.set(sidOf(n), { accountSid: ACCOUNT, body: 'canary', media: [] });
    let clock = 0;
    const timed: typeof fetch = async (input, init) => {
      clock += 60;
      return twilio.fetch(input, init);
    };
    const { redact, lines } = erasureWith({ ...twilio, fetch: timed }, { now: () => clock, budgetMs: 100 });
    // Act
    const report = await redact([sendItem('msg_12', [sidOf(12), sidOf(13)], {})]);
    // Assess
    expect(report.twilio).toEqual({ messages: 1, media: 0, failed: 1 });
    expect(twilio.messages.get(sidOf(13))?.body).toBe('canary');
    expect(lines.join('\n')).toContain('switchboard.deadline');
  });
});

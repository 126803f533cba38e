import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handleTwilioWebhook } from '#shared/channels/sms/inbound/webhook.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import type { Fault } from '#shared/local/simulators/index.ts';
import {
  asWebhookRequest,
  basic,
  eventsOf,
  graphErrorOf,
  listedRequests,
  postJson,
  type Rig,
  secrets,
  startRig,
  TWILIO_MAIN_LOGIN,
} from './support.ts';

const PHONE = '+4915112345678';
const OTHER_PHONE = '+4915187654321';
const PSID = '7319482765104823';
const EMAIL = 'anahit@customer.example';
const TEXT = 'Ihre Bestellung ist unterwegs';
const ACCOUNT_SID = `AC${'0a1b2c3d'.repeat(4)}`;
const BEARER = { authorization: 'Bearer local-token' };
const SIGV4 = { authorization: 'AWS4-HMAC-SHA256 Credential=local/20261130/us-east-1/ses/aws4_request' };

type Provider = Fault['provider'];
/** Where each provider's status callbacks land on the stand-in hub. */
const CALLBACK_PATHS: Readonly<Record<Provider, string>> = {
  whatsapp: '/webhooks/whatsapp',
  messenger: '/webhooks/messenger',
  twilio: '/webhooks/sms/twilio',
  ses: '/_local/aws/ses-events',
  mailgun: '/webhooks/email/mailgun/events',
};

describe('provider faults', () => {
  let rig: Rig;

  /** A valid send to each provider, optionally to another recipient. */
  const sendTo = (provider: Provider, recipient?: string, signal?: AbortSignal): Promise<Response> => {
    const { urls } = rig.simulators;
    switch (provider) {
      case 'whatsapp':
        return fetch(`${urls.graph}/v21.0/109384756201938/messages`, {
          method: 'POST',
          headers: { ...BEARER, 'content-type': 'application/json' },
          body: JSON.stringify({
            messaging_product: 'whatsapp',
            to: recipient ?? PHONE,
            type: 'text',
            text: { body: TEXT },
            biz_opaque_callback_data: 'out_1',
          }),
          ...(signal ? { signal } : {}),
        });
      case 'messenger':
        return postJson(
          `${urls.graph}/v21.0/104728593216847/messages`,
          {
            recipient: { id: recipient ?? PSID },
            messaging_type: 'RESPONSE',
            message: { text: TEXT, metadata: 'out_1' },
          },
          BEARER,
        );
      case 'twilio':
        return fetch(`${urls.twilio}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
          method: 'POST',
          headers: {
            authorization: TWILIO_MAIN_LOGIN,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            To: recipient ?? PHONE,
            From: '+14155550100',
            Body: TEXT,
            StatusCallback: `${rig.hub.baseUrl}${CALLBACK_PATHS.twilio}`,
          }),
        });
      case 'ses':
        return postJson(
          `${urls.sesV2}/v2/email/outbound-emails`,
          {
            FromEmailAddress: 'support@hub.example',
            Destination: { ToAddresses: [recipient ?? EMAIL] },
            ConfigurationSetName: 'switchboard-outbound',
            Content: { Simple: { Subject: { Data: 'Order' }, Body: { Text: { Data: TEXT } } } },
          },
          SIGV4,
        );
      case 'mailgun':
        return fetch(`${urls.mailgun}/v3/mg.hub.example/messages`, {
          method: 'POST',
          headers: { authorization: basic('api', 'key-local') },
          body: new URLSearchParams({
            from: 'support@hub.example',
            to: recipient ?? EMAIL,
            subject: 'Order',
            text: TEXT,
          }),
        });
    }
  };

  /** Nothing reached the hub for this provider within a short wait. */
  const expectNoCallbacks = async (provider: Provider) => {
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(rig.hub.on(CALLBACK_PATHS[provider])).toHaveLength(0);
  };

  const setFaultsOverHttp = (faults: unknown) =>
    postJson(`${rig.simulators.baseUrl}/_local/providers/faults`, faults);

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.stop();
  });

  describe('admin routes', () => {
    it.each([
      ['an unknown provider', [{ provider: 'sms', kind: 'throttle' }], /provider/],
      ['an unknown kind', [{ provider: 'twilio', kind: 'explode' }], /kind/],
      ['an SES error given as a number', [{ provider: 'ses', kind: 'error', code: 400 }], /error type name/],
      ['a media fault on Twilio', [{ provider: 'twilio', kind: 'expired_media' }], /whatsapp media only/],
      ['slow without delayMs', [{ provider: 'mailgun', kind: 'slow' }], /delayMs/],
      ['not a list', { provider: 'whatsapp', kind: 'throttle' }, /array/],
    ])('refuses %s with 400 and a reason', async (_name, faults, reason) => {
      // Act
      const response = await setFaultsOverHttp(faults);
      const body = z.object({ error: z.string(), reason: z.string() }).parse(await response.json());

      // Assess
      expect(response.status).toBe(400);
      expect(body.reason).toMatch(reason);
    });

    it('replaces the faults with POST and clears them with DELETE', async () => {
      // Act
      const set = await setFaultsOverHttp([{ provider: 'twilio', kind: 'throttle' }]);
      const throttled = await sendTo('twilio');
      const cleared = await fetch(`${rig.simulators.baseUrl}/_local/providers/faults`, { method: 'DELETE' });
      const accepted = await sendTo('twilio');

      // Assess
      expect(set.status).toBe(200);
      expect(throttled.status).toBe(429);
      expect(cleared.status).toBe(204);
      expect(accepted.status).toBe(201);
    });
  });

  describe('accept_then_timeout', () => {
    it('WhatsApp: the client times out, the message went out anyway and its statuses arrive', async () => {
      // Prepare
      rig.simulators.setFaults([{ provider: 'whatsapp', kind: 'accept_then_timeout', delayMs: 2_000 }]);

      // Act
      const outcome = await sendTo('whatsapp', undefined, AbortSignal.timeout(200)).then(
        () => 'answered',
        (error: unknown) => (error instanceof Error ? error.name : 'error'),
      );
      const posts = await rig.hub.waitFor(CALLBACK_PATHS.whatsapp, 3);

      // Assess
      expect(outcome).toBe('TimeoutError');
      const [recorded] = await listedRequests(rig);
      const accepted = z
        .object({
          response: z.object({
            withheld: z.literal(true),
            body: z.object({ messages: z.tuple([z.object({ id: z.string() })]) }),
          }),
        })
        .parse(recorded);
      const wamid = accepted.response.body.messages[0].id;
      const events = posts.flatMap((post) =>
        eventsOf(handleWhatsAppWebhook(asWebhookRequest(post), { secrets })),
      );
      expect(
        events.map((event) => (event.data as { providerMessageIds: string[] }).providerMessageIds[0]),
      ).toEqual([wamid, wamid, wamid]);
      expect(recorded?.fault).toBe('accept_then_timeout');
    });

    it('closes the connection without an answer once the hold is over', async () => {
      // Prepare
      rig.simulators.setFaults([{ provider: 'ses', kind: 'accept_then_timeout', delayMs: 150, times: 1 }]);
      const started = Date.now();

      // Act
      const outcome = await sendTo('ses').then(
        (response) => `answered ${response.status}`,
        () => 'connection closed',
      );
      await rig.hub.waitFor(CALLBACK_PATHS.ses, 2);

      // Assess
      expect(outcome).toBe('connection closed');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect((await sendTo('ses')).status).toBe(200);
    });
  });

  describe('throttle', () => {
    it.each([
      ['whatsapp', 400, 130429],
      ['messenger', 400, 613],
    ] as const)('%s answers the Graph error %i / %i and sends nothing', async (provider, status, code) => {
      // Prepare
      rig.simulators.setFaults([{ provider, kind: 'throttle' }]);

      // Act
      const response = await sendTo(provider);

      // Assess
      expect(response.status).toBe(status);
      expect((await graphErrorOf(response)).code).toBe(code);
      await expectNoCallbacks(provider);
    });

    it('Twilio answers 429 with code 20429, SES 429 TooManyRequestsException, Mailgun 429', async () => {
      // Prepare
      rig.simulators.setFaults([
        { provider: 'twilio', kind: 'throttle' },
        { provider: 'ses', kind: 'throttle' },
        { provider: 'mailgun', kind: 'throttle' },
      ]);

      // Act
      const twilio = await sendTo('twilio');
      const ses = await sendTo('ses');
      const mailgun = await sendTo('mailgun');

      // Assess
      expect(twilio.status).toBe(429);
      expect(z.object({ code: z.number(), status: z.number() }).parse(await twilio.json())).toEqual({
        code: 20429,
        status: 429,
      });
      expect(ses.status).toBe(429);
      expect(ses.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
      expect(mailgun.status).toBe(429);
      expect(z.object({ message: z.string() }).parse(await mailgun.json()).message).toMatch(/too many/i);
      for (const provider of ['twilio', 'ses', 'mailgun'] as const) await expectNoCallbacks(provider);
    });
  });

  describe('error', () => {
    it.each([
      ['whatsapp', { code: 131047 }, 400, { code: 131047 }],
      ['whatsapp', { code: 131026 }, 400, { code: 131026 }],
      ['whatsapp', { code: 132000 }, 400, { code: 132000 }],
      ['whatsapp', { code: 190 }, 401, { code: 190, type: 'OAuthException' }],
      ['whatsapp', { code: 100 }, 400, { code: 100 }],
      ['messenger', { code: 551 }, 400, { code: 551, error_subcode: 1545041 }],
      ['messenger', { code: 2018278 }, 400, { code: 10, error_subcode: 2018278 }],
      ['messenger', { code: 190 }, 401, { code: 190 }],
    ] as const)('%s %j answers HTTP %i with the Graph error', async (provider, codes, status, error) => {
      // Prepare
      rig.simulators.setFaults([{ provider, kind: 'error', ...codes }]);

      // Act
      const response = await sendTo(provider);

      // Assess
      expect(response.status).toBe(status);
      expect(await graphErrorOf(response)).toMatchObject(error);
      await expectNoCallbacks(provider);
    });

    it.each([
      [21610, 400],
      [21211, 400],
      [20003, 401],
    ])('Twilio %i answers HTTP %i with {code, message, more_info, status}', async (code, status) => {
      // Prepare
      rig.simulators.setFaults([{ provider: 'twilio', kind: 'error', code }]);

      // Act
      const response = await sendTo('twilio');

      // Assess
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({
        code,
        message: expect.any(String),
        more_info: `https://www.twilio.com/docs/errors/${code}`,
        status,
      });
    });

    it('SES MessageRejected answers 400 with the error type header; Mailgun 400 and 401 answer as Mailgun', async () => {
      // Prepare
      rig.simulators.setFaults([
        { provider: 'ses', kind: 'error', code: 'MessageRejected' },
        { provider: 'mailgun', kind: 'error', code: 401, times: 1 },
        { provider: 'mailgun', kind: 'error', code: 400, times: 1 },
      ]);

      // Act
      const ses = await sendTo('ses');
      const mailgunForbidden = await sendTo('mailgun');
      const mailgunBad = await sendTo('mailgun');

      // Assess
      expect(ses.status).toBe(400);
      expect(ses.headers.get('x-amzn-errortype')).toBe('MessageRejected');
      expect(z.strictObject({ message: z.string() }).parse(await ses.json()).message).toMatch(/not verified/);
      expect(mailgunForbidden.status).toBe(401);
      expect(await mailgunForbidden.text()).toBe('Forbidden');
      expect(mailgunBad.status).toBe(400);
      expect(z.strictObject({ message: z.string() }).parse(await mailgunBad.json()).message).toMatch(/'to'/);
    });
  });

  describe('server_error', () => {
    it.each(['whatsapp', 'messenger', 'twilio', 'ses', 'mailgun'] as const)(
      '%s answers 500 and 503 and sends nothing',
      async (provider) => {
        // Prepare
        rig.simulators.setFaults([
          { provider, kind: 'server_error', status: 500, times: 1 },
          { provider, kind: 'server_error', status: 503, times: 1 },
        ]);

        // Act
        const first = await sendTo(provider);
        const second = await sendTo(provider);

        // Assess
        expect([first.status, second.status]).toEqual([500, 503]);
        expect((await first.text()).length).toBeGreaterThan(0);
        await expectNoCallbacks(provider);
      },
    );
  });

  it('slow answers normally after delayMs', async () => {
    // Prepare
    rig.simulators.setFaults([{ provider: 'mailgun', kind: 'slow', delayMs: 200 }]);
    const started = Date.now();

    // Act
    const response = await sendTo('mailgun');

    // Assess
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect((await listedRequests(rig))[0]).toMatchObject({ fault: 'slow', response: { delayedMs: 200 } });
  });

  describe('delivery_failed', () => {
    it('WhatsApp posts a failed status with the error code, which the adapter reads as failed', async () => {
      // Prepare
      rig.simulators.setFaults([{ provider: 'whatsapp', kind: 'delivery_failed', code: 131047 }]);

      // Act
      expect((await sendTo('whatsapp')).status).toBe(200);
      const [failed] = await rig.hub.waitFor(CALLBACK_PATHS.whatsapp, 1);
      if (!failed) throw new Error('no status posted');
      await expectNoMore(CALLBACK_PATHS.whatsapp, 1);

      // Assess
      const [event] = eventsOf(handleWhatsAppWebhook(asWebhookRequest(failed), { secrets }));
      expect(event?.data).toMatchObject({
        status: 'failed',
        errors: [expect.objectContaining({ code: '131047' })],
      });
      expect(failed.body.toString('utf8')).toContain('"error_data":{"details"');
    });

    it('Twilio posts sent then undelivered with ErrorCode 30003', async () => {
      // Prepare
      rig.simulators.setFaults([{ provider: 'twilio', kind: 'delivery_failed' }]);
      const url = `${rig.hub.baseUrl}${CALLBACK_PATHS.twilio}`;

      // Act
      await sendTo('twilio');
      const posts = await rig.hub.waitFor(CALLBACK_PATHS.twilio, 2);

      // Assess
      const params = posts.map((post) => Object.fromEntries(new URLSearchParams(post.body.toString('utf8'))));
      expect(params.map((one) => [one.MessageStatus, one.ErrorCode])).toEqual([
        ['sent', undefined],
        ['undelivered', '30003'],
      ]);
      const events = posts.flatMap((post) =>
        eventsOf(handleTwilioWebhook(asWebhookRequest(post), { secrets, publicUrl: url })),
      );
      expect(events[1]?.data).toMatchObject({ status: 'failed', errors: [{ code: '30003' }] });
    });

    it('SES publishes Send then a permanent Bounce; Mailgun posts failed with severity', async () => {
      // Prepare
      rig.simulators.setFaults([
        { provider: 'ses', kind: 'delivery_failed' },
        { provider: 'mailgun', kind: 'delivery_failed', severity: 'temporary' },
      ]);

      // Act
      await sendTo('ses');
      await sendTo('mailgun');
      const sesPosts = await rig.hub.waitFor(CALLBACK_PATHS.ses, 2);
      const [mailgunPost] = await rig.hub.waitFor(CALLBACK_PATHS.mailgun, 1);

      // Assess
      const sesEvents = sesPosts.map((post) =>
        z
          .looseObject({ eventType: z.string() })
          .parse(
            JSON.parse(
              z.object({ Message: z.string() }).parse(JSON.parse(post.body.toString('utf8'))).Message,
            ),
          ),
      );
      expect(sesEvents.map((event) => event.eventType)).toEqual(['Send', 'Bounce']);
      expect(sesEvents[1]).toMatchObject({
        bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: EMAIL }] },
      });
      const mailgunEvent = z
        .object({ 'event-data': z.record(z.string(), z.unknown()) })
        .parse(JSON.parse(mailgunPost?.body.toString('utf8') ?? ''));
      expect(mailgunEvent['event-data']).toMatchObject({
        event: 'failed',
        severity: 'temporary',
        reason: 'generic',
        recipient: EMAIL,
        'delivery-status': { code: 452 },
      });
    });

    it('Messenger posts the echo only', async () => {
      // Prepare
      rig.simulators.setFaults([{ provider: 'messenger', kind: 'delivery_failed' }]);

      // Act
      await sendTo('messenger');
      await rig.hub.waitFor(CALLBACK_PATHS.messenger, 1);

      // Assess
      await expectNoMore(CALLBACK_PATHS.messenger, 1);
    });
  });

  describe('matching', () => {
    it('times counts down: only the next N matching sends are affected', async () => {
      // Prepare
      rig.simulators.setFaults([{ provider: 'whatsapp', kind: 'throttle', times: 2 }]);

      // Act
      const statuses = [];
      for (let index = 0; index < 3; index += 1) statuses.push((await sendTo('whatsapp')).status);

      // Assess
      expect(statuses).toEqual([400, 400, 200]);
    });

    it('recipient limits a fault to sends addressed to it, and other providers are untouched', async () => {
      // Prepare
      rig.simulators.setFaults([{ provider: 'twilio', kind: 'error', code: 21610, recipient: OTHER_PHONE }]);

      // Act
      const toOther = await sendTo('twilio', OTHER_PHONE);
      const toPhone = await sendTo('twilio');
      const whatsApp = await sendTo('whatsapp', OTHER_PHONE);

      // Assess
      expect(toOther.status).toBe(400);
      expect(toPhone.status).toBe(201);
      expect(whatsApp.status).toBe(200);
    });
  });

  it('logs no message text, phone number, PSID or e-mail address', async () => {
    // Prepare
    rig.simulators.setFaults([{ provider: 'whatsapp', kind: 'throttle', times: 1 }]);

    // Act
    for (const provider of ['whatsapp', 'whatsapp', 'messenger', 'twilio', 'ses', 'mailgun'] as const) {
      await sendTo(provider);
    }
    await rig.hub.waitFor(CALLBACK_PATHS.mailgun, 1);
    await rig.hub.waitFor(CALLBACK_PATHS.ses, 2);

    // Assess
    expect(rig.logs.length).toBeGreaterThan(10);
    for (const line of rig.logs) {
      expect(line).not.toMatch(/\d{7,}/);
      expect(line).not.toContain('@');
      expect(line).not.toContain(TEXT);
    }
  });

  /** After `count` posts on `path`, nothing more arrives. */
  const expectNoMore = async (path: string, count: number) => {
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(rig.hub.on(path)).toHaveLength(count);
  };
});

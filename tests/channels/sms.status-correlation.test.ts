import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  handleTwilioWebhook,
  signTwilioRequest,
  twilioPublicUrl,
} from '#shared/channels/sms/inbound/webhook.ts';
import {
  TWILIO_CONNECTION_OVERRIDES,
  twilioStatusCallbackUrl,
} from '#shared/channels/sms/status-callback.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * Golden samples are flat parameter files posted to a fixed route URL (shared/local/samples.ts):
 * they cannot carry the callback URL's query, so the correlation of status callbacks is tested here.
 */

const BASE_URL = 'https://hub.example.com';
const WEBHOOK_URL = `${BASE_URL}/webhooks/sms/twilio`;
const CORRELATION = 'msg_0123456789abcdef0123456789abcdef.3';

const STATUS: Array<[string, string]> = [
  ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
  ['MessageStatus', 'delivered'],
  ['AccountSid', 'AC0a1b2c3d4e5f60718293a4b5c6d7e8f9'],
  ['From', '+14155550100'],
  ['To', '+447700900123'],
  ['ApiVersion', '2010-04-01'],
];
const INBOUND: Array<[string, string]> = [
  ['MessageSid', 'SMfedcba9876543210fedcba9876543210'],
  ['AccountSid', 'AC0a1b2c3d4e5f60718293a4b5c6d7e8f9'],
  ['From', '+447700900123'],
  ['To', '+14155550100'],
  ['Body', 'Thanks!'],
  ['NumMedia', '0'],
];

/** A Twilio POST to `callbackUrl`, signed over `signedUrl` (the same, unless a test forges one). */
const post = (params: Array<[string, string]>, callbackUrl: string, signedUrl = callbackUrl) => {
  const url = new URL(callbackUrl);
  const request = webhookRequest({
    path: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers: {
      host: url.host,
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(LOCAL_DEV_SECRETS.twilio.authToken, signedUrl, params),
    },
    body: Buffer.from(new URLSearchParams(params).toString(), 'utf8'),
  });
  return handleTwilioWebhook(request, {
    secrets: LOCAL_DEV_SECRETS,
    publicUrl: twilioPublicUrl(request, BASE_URL),
  });
};

const eventsOf = (outcome: ReturnType<typeof handleTwilioWebhook>) => {
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${JSON.stringify(outcome)}`);
  return outcome.events.map((event) => HubEventSchema.parse(event));
};

describe('Twilio status callbacks name the hub message', () => {
  it('builds the callback URL with the correlation id in `sb`', () => {
    // Act
    const url = twilioStatusCallbackUrl(`${WEBHOOK_URL}?x=1`, CORRELATION);
    // Assess
    expect(url).toBe(`${WEBHOOK_URL}?x=1&sb=${CORRELATION}#${TWILIO_CONNECTION_OVERRIDES}`);
  });

  it('asks Twilio to retry on a 5xx, and passes the signature Twilio computes without the fragment', () => {
    // Prepare: Twilio's own computation, over the URL less its connection overrides
    const callbackUrl = twilioStatusCallbackUrl(WEBHOOK_URL, CORRELATION);
    const [called = ''] = callbackUrl.split('#');
    const data =
      called +
      [...STATUS]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => k + v)
        .join('');
    const signature = createHmac('sha1', LOCAL_DEV_SECRETS.twilio.authToken).update(data).digest('base64');
    const request = webhookRequest({
      path: '/webhooks/sms/twilio',
      rawQueryString: `sb=${CORRELATION}`,
      headers: {
        host: 'hub.example.com',
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
      },
      body: Buffer.from(new URLSearchParams(STATUS).toString(), 'utf8'),
    });
    // Act
    const outcome = handleTwilioWebhook(request, {
      secrets: LOCAL_DEV_SECRETS,
      publicUrl: twilioPublicUrl(request, BASE_URL),
    });
    // Assess: up to five retries on a failed connection or any 5xx; the status accepted
    expect(new URLSearchParams(callbackUrl.split('#')[1])).toEqual(new URLSearchParams('rc=5&rp=ct,5xx'));
    expect(eventsOf(outcome)[0]?.data).toMatchObject({ correlationId: CORRELATION });
  });

  it('keeps a configured base URL as written, so a callback to a host in capitals passes its signature check', () => {
    // Prepare: the public base URL as an operator wrote it; Twilio signs the callback URL it was given
    const base = 'https://Hooks.Example.com';
    const callbackUrl = twilioStatusCallbackUrl(`${base}/webhooks/sms/twilio`, CORRELATION);
    const request = webhookRequest({
      path: '/webhooks/sms/twilio',
      rawQueryString: `sb=${CORRELATION}`,
      headers: {
        host: 'hooks.example.com',
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(LOCAL_DEV_SECRETS.twilio.authToken, callbackUrl, STATUS),
      },
      body: Buffer.from(new URLSearchParams(STATUS).toString(), 'utf8'),
    });
    // Act
    const outcome = handleTwilioWebhook(request, {
      secrets: LOCAL_DEV_SECRETS,
      publicUrl: twilioPublicUrl(request, base),
    });
    // Assess
    expect(callbackUrl).toBe(`${base}/webhooks/sms/twilio?sb=${CORRELATION}#${TWILIO_CONNECTION_OVERRIDES}`);
    expect(eventsOf(outcome)[0]?.data).toMatchObject({ correlationId: CORRELATION });
  });

  it('puts the correlation id of the signed callback URL on the status event', () => {
    // Act
    const events = eventsOf(post(STATUS, twilioStatusCallbackUrl(WEBHOOK_URL, CORRELATION)));
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.message.status_updated',
      data: {
        status: 'delivered',
        providerMessageIds: ['SM0123456789abcdef0123456789abcdef'],
        correlationId: CORRELATION,
      },
    });
  });

  it('reads a percent-encoded value', () => {
    // Act
    const events = eventsOf(post(STATUS, `${WEBHOOK_URL}?sb=${CORRELATION.replace('.', '%2E')}`));
    // Assess
    expect(events[0]?.data).toMatchObject({ correlationId: CORRELATION });
  });

  it.each([
    ['no query', WEBHOOK_URL],
    ['a value that is no hub correlation id', `${WEBHOOK_URL}?sb=msg_123.0`],
    ['two values', `${WEBHOOK_URL}?sb=${CORRELATION}&sb=${CORRELATION.replace('.3', '.4')}`],
  ])('sets none for %s', (_name, url) => {
    // Act
    const events = eventsOf(post(STATUS, url));
    // Assess
    expect(events[0]?.type).toBe('switchboard.message.status_updated');
    expect(events[0]?.data).not.toHaveProperty('correlationId');
  });

  it('sets none on an inbound message, whatever the URL holds', () => {
    // Act
    const events = eventsOf(post(INBOUND, twilioStatusCallbackUrl(WEBHOOK_URL, CORRELATION)));
    // Assess
    expect(events[0]?.type).toBe('switchboard.message.received');
    expect(events[0]?.data).not.toHaveProperty('correlationId');
  });

  it('refuses a query added to a request Twilio signed without it', () => {
    // Act
    const outcome = post(STATUS, twilioStatusCallbackUrl(WEBHOOK_URL, CORRELATION), WEBHOOK_URL);
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });
});

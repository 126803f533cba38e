import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, type WebhookOutcome } from '#shared/channels/inbound.ts';
import {
  CONSENT_KEYWORDS,
  MAX_KEYWORD_LENGTH,
  matchConsentKeyword,
} from '#shared/channels/sms/inbound/keywords.ts';
import { normalizeSmsAddress } from '#shared/channels/sms/inbound/phone.ts';
import { sha256Hex } from '#shared/channels/sms/inbound/signature.ts';
import {
  handleTwilioWebhook,
  signTwilioRequest,
  twilioPublicUrl,
} from '#shared/channels/sms/inbound/webhook.ts';
import { type AllChannelSecrets, LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { webhookRequest } from '#tests/support/requests.ts';
import { sentOrderSignature, twilioNodeSignature } from '#tests/support/twilio-signatures.ts';

const PUBLIC_URL = 'https://hub.example.com/webhooks/sms/twilio';
const TOKEN = LOCAL_DEV_SECRETS.twilio.authToken;
const FORM = 'application/x-www-form-urlencoded';
const SID = 'SM0123456789abcdef0123456789abcdef';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';

type Params = ReadonlyArray<readonly [string, string]>;

const inboundParams = (body = 'Hello there', sid = SID): Params => [
  ['SmsMessageSid', sid],
  ['NumMedia', '0'],
  ['SmsSid', sid],
  ['SmsStatus', 'received'],
  ['Body', body],
  ['To', '+14155550100'],
  ['NumSegments', '1'],
  ['MessageSid', sid],
  ['AccountSid', ACCOUNT],
  ['From', '+14155550123'],
  ['ApiVersion', '2010-04-01'],
];

const statusParams = (status: string, extra: Params = []): Params => [
  ...extra,
  ['SmsSid', SID],
  ['SmsStatus', status],
  ['MessageStatus', status],
  ['To', '+14155550123'],
  ['MessageSid', SID],
  ['AccountSid', ACCOUNT],
  ['From', '+14155550100'],
  ['ApiVersion', '2010-04-01'],
];

const encode = (params: Params): string =>
  new URLSearchParams(params.map(([name, value]): [string, string] => [name, value])).toString();

interface SignedOptions {
  readonly token?: string;
  readonly signedUrl?: string;
  readonly publicUrl?: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly signature?: string | undefined;
  readonly method?: string;
  readonly rawQueryString?: string;
  readonly secrets?: AllChannelSecrets;
}

/** Signs `params` as Twilio would for `signedUrl`, then hands the request to the adapter. */
const post = (params: Params, options: SignedOptions = {}): WebhookOutcome => {
  const signature =
    'signature' in options
      ? options.signature
      : signTwilioRequest(options.token ?? TOKEN, options.signedUrl ?? PUBLIC_URL, params);
  const request = webhookRequest({
    method: options.method ?? 'POST',
    rawQueryString: options.rawQueryString ?? '',
    path: '/webhooks/sms/twilio',
    headers: {
      'content-type': options.contentType ?? FORM,
      ...(signature === undefined ? {} : { 'x-twilio-signature': signature }),
    },
    body: Buffer.from(options.body ?? encode(params), 'utf8'),
  });
  return handleTwilioWebhook(request, {
    secrets: options.secrets ?? LOCAL_DEV_SECRETS,
    publicUrl: options.publicUrl ?? PUBLIC_URL,
  });
};

const eventsOf = (outcome: WebhookOutcome): HubEvent[] => {
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${JSON.stringify(outcome)}`);
  return outcome.events.map((event) => HubEventSchema.parse(event));
};

const statusOf = (outcome: WebhookOutcome): number | 'accept' | 'respond' =>
  outcome.kind === 'reject' ? outcome.status : outcome.kind;

describe('signTwilioRequest', () => {
  it("reproduces Twilio's documented example signature", () => {
    // Prepare
    const params: Params = [
      ['CallSid', 'CA1234567890ABCDE'],
      ['Caller', '+12349013030'],
      ['Digits', '1234'],
      ['From', '+12349013030'],
      ['To', '+18005551212'],
    ];

    // Act
    const signature = signTwilioRequest('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params);

    // Assess
    expect(signature).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('does not depend on the order parameters were given in', () => {
    // Prepare
    const params: Params = [
      ['To', '+18005551212'],
      ['CallSid', 'CA1234567890ABCDE'],
      ['Digits', '1234'],
      ['Caller', '+12349013030'],
      ['From', '+12349013030'],
    ];

    // Act
    const signature = signTwilioRequest('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params);

    // Assess
    expect(signature).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });
});

describe('twilioPublicUrl', () => {
  it('joins the configured base URL, the path and the raw query', () => {
    // Prepare
    const request = webhookRequest({ path: '/webhooks/sms/twilio', rawQueryString: 'tenant=a%20b&x=1' });

    // Act
    const url = twilioPublicUrl(request, 'https://hub.example.com/');

    // Assess
    expect(url).toBe('https://hub.example.com/webhooks/sms/twilio?tenant=a%20b&x=1');
  });

  it('rebuilds the URL from forwarded headers, keeping the port, when no base is configured', () => {
    // Prepare
    const request = webhookRequest({
      path: '/webhooks/sms/twilio',
      headers: { host: 'localhost:3000', 'x-forwarded-proto': 'http' },
    });

    // Act
    const url = twilioPublicUrl(request);

    // Assess
    expect(url).toBe('http://localhost:3000/webhooks/sms/twilio');
  });

  it('defaults to https and adds no "?" without a query', () => {
    // Prepare
    const request = webhookRequest({
      path: '/webhooks/sms/twilio',
      headers: { host: 'abc.execute-api.aws' },
    });

    // Act
    const url = twilioPublicUrl(request);

    // Assess
    expect(url).toBe('https://abc.execute-api.aws/webhooks/sms/twilio');
  });
});

describe('handleTwilioWebhook: request checks', () => {
  it('accepts a correctly signed request and answers empty TwiML', () => {
    // Act
    const outcome = post(inboundParams());

    // Assess
    expect(outcome.kind).toBe('accept');
    if (outcome.kind !== 'accept') return;
    expect(outcome.response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'text/xml' },
      body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    });
    expect(outcome.blobs).toEqual([]);
  });

  it('rejects a request without X-Twilio-Signature with 401', () => {
    // Act
    const outcome = post(inboundParams(), { signature: undefined });

    // Assess
    expect(statusOf(outcome)).toBe(401);
  });

  it('rejects a wrong signature with 403', () => {
    // Act
    const outcome = post(inboundParams(), { token: 'not-the-auth-token' });

    // Assess
    expect(statusOf(outcome)).toBe(403);
  });

  it.each([
    ['http instead of https', 'http://hub.example.com/webhooks/sms/twilio', PUBLIC_URL],
    ['a port Twilio called but we dropped', 'https://hub.example.com:8443/webhooks/sms/twilio', PUBLIC_URL],
    ['a query Twilio called but we dropped', `${PUBLIC_URL}?tenant=acme`, PUBLIC_URL],
    ['a different path', 'https://hub.example.com/prod/webhooks/sms/twilio', PUBLIC_URL],
  ])('rejects a signature made for %s with 403', (_case, signedUrl, publicUrl) => {
    // Act
    const outcome = post(inboundParams(), { signedUrl, publicUrl });

    // Assess
    expect(statusOf(outcome)).toBe(403);
  });

  it("accepts the scheme's default port written or omitted, as Twilio's validators do", () => {
    // Act
    const withPort = post(inboundParams(), { signedUrl: 'https://hub.example.com:443/webhooks/sms/twilio' });

    // Assess
    expect(statusOf(withPort)).toBe('accept');
  });

  it('accepts the secondary auth token during rotation, and still the primary', () => {
    // Prepare
    const secrets: AllChannelSecrets = {
      ...LOCAL_DEV_SECRETS,
      twilio: { authToken: 'new-primary-token', secondaryAuthToken: TOKEN },
    };

    // Act
    const bySecondary = post(inboundParams(), { secrets, token: TOKEN });
    const byPrimary = post(inboundParams(), { secrets, token: 'new-primary-token' });
    const byNeither = post(inboundParams(), { secrets, token: 'retired-token' });

    // Assess
    expect([statusOf(bySecondary), statusOf(byPrimary), statusOf(byNeither)]).toEqual([
      'accept',
      'accept',
      403,
    ]);
  });

  it('verifies parameters Twilio added without notice (never an allow-list)', () => {
    // Prepare
    const params: Params = [
      ...inboundParams(),
      ['AddOns', '{"status":"successful"}'],
      ['BrandNewParam', 'x'],
    ];

    // Act
    const outcome = post(params);

    // Assess
    expect(eventsOf(outcome).map((event) => event.type)).toEqual(['switchboard.message.received']);
  });

  it('rejects a body whose value was changed after signing with 403', () => {
    // Prepare
    const params = inboundParams('Refund me $10');
    const tampered = encode(params).replace('10', '99');

    // Act
    const outcome = post(params, { body: tampered });

    // Assess
    expect(statusOf(outcome)).toBe(403);
  });

  it('rejects a body with a parameter removed after signing with 403', () => {
    // Prepare
    const params = inboundParams();
    const withoutBody = encode(params.filter(([name]) => name !== 'Body'));

    // Act
    const outcome = post(params, { body: withoutBody });

    // Assess
    expect(statusOf(outcome)).toBe(403);
  });

  it.each(['application/json', 'text/plain', 'multipart/form-data; boundary=x', ''])(
    'rejects content-type "%s" with 415',
    (contentType) => {
      // Act
      const outcome = post(inboundParams(), { contentType });

      // Assess
      expect(statusOf(outcome)).toBe(415);
    },
  );

  it('accepts the form content type with a charset parameter, in any case', () => {
    // Act
    const outcome = post(inboundParams(), {
      contentType: 'Application/X-WWW-Form-Urlencoded; charset=UTF-8',
    });

    // Assess
    expect(statusOf(outcome)).toBe('accept');
  });

  it('rejects a body over the size limit with 413 before looking at it', () => {
    // Prepare
    const params = inboundParams('x'.repeat(MAX_BODY_BYTES.twilio));

    // Act
    const outcome = post(params);

    // Assess
    expect(statusOf(outcome)).toBe(413);
  });

  it('rejects anything but POST with 405', () => {
    // Act
    const outcome = post(inboundParams(), { method: 'GET' });

    // Assess
    expect(statusOf(outcome)).toBe(405);
  });

  it('rejects a malformed form body with 400 and a reason free of customer data', () => {
    // Prepare
    const params = inboundParams();
    const malformed = `${encode(params)}&+14155550123`;

    // Act
    const outcome = post(params, { body: malformed });

    // Assess
    expect(statusOf(outcome)).toBe(400);
    expect(JSON.stringify(outcome)).not.toContain('14155550123');
  });

  it('never puts customer data in any rejection reason', () => {
    // Prepare
    const params = inboundParams('my secret text');

    // Act
    const outcomes = [
      post(params, { token: 'wrong' }),
      post(params, { signature: undefined }),
      post(params, { contentType: 'text/plain' }),
    ];

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.kind).toBe('reject');
      expect(JSON.stringify(outcome)).not.toMatch(/secret text|4155550123/);
    }
  });

  it('verifies a body that went through base64 (API Gateway) exactly as the original bytes', () => {
    // Prepare
    const params = inboundParams('Ünïcödé 👋 + & = %');
    const original = Buffer.from(encode(params), 'utf8');
    const viaGateway = Buffer.from(original.toString('base64'), 'base64');
    const request = (body: Buffer) =>
      webhookRequest({
        path: '/webhooks/sms/twilio',
        headers: { 'content-type': FORM, 'x-twilio-signature': signTwilioRequest(TOKEN, PUBLIC_URL, params) },
        body,
      });

    // Act
    const direct = handleTwilioWebhook(request(original), {
      secrets: LOCAL_DEV_SECRETS,
      publicUrl: PUBLIC_URL,
    });
    const decoded = handleTwilioWebhook(request(viaGateway), {
      secrets: LOCAL_DEV_SECRETS,
      publicUrl: PUBLIC_URL,
    });

    // Assess
    expect(viaGateway.equals(original)).toBe(true);
    expect(statusOf(decoded)).toBe('accept');
    expect(eventsOf(decoded)).toEqual(eventsOf(direct));
  });
});

describe('handleTwilioWebhook: repeated parameters', () => {
  it.each([
    [
      'values out of order',
      [
        ['Extra', 'b'],
        ['Extra', 'a'],
      ],
    ],
    [
      'a value repeated',
      [
        ['Extra', 'a'],
        ['Extra', 'a'],
      ],
    ],
    [
      'both',
      [
        ['Extra', 'b'],
        ['Extra', 'a'],
        ['Extra', 'b'],
      ],
    ],
  ] as const)('accepts %s signed the way twilio-node validates it', (_case, extra) => {
    // Prepare
    const params: Params = [...inboundParams(), ...extra];

    // Act
    const outcome = post(params, { signature: twilioNodeSignature(TOKEN, PUBLIC_URL, params) });

    // Assess
    expect(statusOf(outcome)).toBe('accept');
  });

  it('signs a repeated name the way twilio-node validates it', () => {
    // Prepare
    const params: Params = [...inboundParams(), ['Extra', 'b'], ['Extra', 'a'], ['Extra', 'b']];

    // Act
    const signature = signTwilioRequest(TOKEN, PUBLIC_URL, params);

    // Assess
    expect(signature).toBe(twilioNodeSignature(TOKEN, PUBLIC_URL, params));
    expect(signature).not.toBe(sentOrderSignature(TOKEN, PUBLIC_URL, params));
  });

  it('still accepts every value signed in the order sent, and only in that order', () => {
    // Prepare
    const params: Params = [...inboundParams(), ['Tag', 'b'], ['Tag', 'a']];
    const swapped: Params = [...inboundParams(), ['Tag', 'a'], ['Tag', 'b']];
    const signature = sentOrderSignature(TOKEN, PUBLIC_URL, params);

    // Act
    const asSent = post(params, { signature });
    const reordered = post(params, { body: encode(swapped), signature });

    // Assess
    expect(statusOf(asSent)).toBe('accept');
    expect(statusOf(reordered)).toBe(403);
  });

  it('refuses a repeated name signed with a wrong token or over other values with 403', () => {
    // Prepare
    const params: Params = [...inboundParams(), ['Extra', 'b'], ['Extra', 'a']];
    const otherValues: Params = [...inboundParams(), ['Extra', 'b'], ['Extra', 'c']];

    // Act
    const wrongToken = post(params, { signature: twilioNodeSignature('not-the-token', PUBLIC_URL, params) });
    const wrongValues = post(params, { signature: twilioNodeSignature(TOKEN, PUBLIC_URL, otherValues) });

    // Assess
    expect(statusOf(wrongToken)).toBe(403);
    expect(statusOf(wrongValues)).toBe(403);
  });

  it('keeps a request with a repeated known parameter whole instead of picking one value', () => {
    // Prepare
    const params: Params = [...inboundParams(), ['Body', 'second body']];

    // Act
    const [event] = eventsOf(post(params));

    // Assess
    expect(event?.type).toBe('switchboard.provider.unsupported');
    if (event?.type !== 'switchboard.provider.unsupported') return;
    expect(event.data.providerType).toBe('twilio_request');
    expect(event.data.raw).toMatchObject({ Body: ['Hello there', 'second body'], MessageSid: SID });
  });
});

describe('handleTwilioWebhook: JSON-bodied webhooks', () => {
  const jsonBody = JSON.stringify({ event: 'something-new', sid: 'XX123' });
  const query = `bodySHA256=${sha256Hex(Buffer.from(jsonBody))}`;
  const urlWithHash = `${PUBLIC_URL}?${query}`;

  it('verifies the URL signature and the body hash, and keeps the JSON whole', () => {
    // Act
    const outcome = post([], {
      contentType: 'application/json',
      body: jsonBody,
      signedUrl: urlWithHash,
      publicUrl: urlWithHash,
      rawQueryString: query,
    });

    // Assess
    const [event] = eventsOf(outcome);
    expect(event?.type).toBe('switchboard.provider.unsupported');
    expect(event?.data).toMatchObject({ providerType: 'twilio_json', raw: { event: 'something-new' } });
  });

  it('rejects a JSON body that does not match bodySHA256 with 403', () => {
    // Act
    const outcome = post([], {
      contentType: 'application/json',
      body: jsonBody.replace('XX123', 'XX124'),
      signedUrl: urlWithHash,
      publicUrl: urlWithHash,
      rawQueryString: query,
    });

    // Assess
    expect(statusOf(outcome)).toBe(403);
  });

  it('rejects a JSON body without bodySHA256 with 415', () => {
    // Act
    const outcome = post([], { contentType: 'application/json', body: jsonBody });

    // Assess
    expect(outcome).toMatchObject({
      kind: 'reject',
      status: 415,
      reason: expect.stringContaining('bodySHA256'),
    });
  });
});

describe('handleTwilioWebhook: normalization', () => {
  it.each([
    ['ad', '120210987654321012', { source: 'ad', adId: '120210987654321012' }],
    ['post', '122108765432101234', { source: 'post', postId: '122108765432101234' }],
  ])(
    'keeps a WhatsApp referral from an %s, its source id as the ad id for an ad and the post id for a post',
    (type, id, expected) => {
      // Prepare: a customer writing from a click-to-WhatsApp ad or post, through Twilio
      const params: Params = [
        ...inboundParams('Is this still available?').map(([name, value]): readonly [string, string] =>
          name === 'From' || name === 'To' ? [name, `whatsapp:${value}`] : [name, value],
        ),
        ['WaId', '14155550123'],
        ['ReferralSourceType', type],
        ['ReferralSourceId', id],
        ['ReferralSourceUrl', 'https://fb.me/abc'],
        ['ReferralHeadline', 'Winter sale'],
      ];

      // Act
      const [event] = eventsOf(post(params));

      // Assess
      expect(event?.type).toBe('switchboard.message.received');
      expect((event?.data as { referral?: unknown } | undefined)?.referral).toEqual({
        ...expected,
        sourceUrl: 'https://fb.me/abc',
        headline: 'Winter sale',
      });
    },
  );

  it("keeps a WhatsApp list-picker choice's item id and title as a list reply, its Body not repeated as text", () => {
    // Prepare: the customer picks an item of a twilio/list-picker template
    const params: Params = [
      ...inboundParams('Tuesday 10:00').map(([name, value]): readonly [string, string] =>
        name === 'From' || name === 'To' ? [name, `whatsapp:${value}`] : [name, value],
      ),
      ['WaId', '14155550123'],
      ['MessageType', 'interactive'],
      ['ListId', 'slot-2026-12-08T10:00'],
      ['ListTitle', 'Tuesday 10:00'],
    ];

    // Act
    const [event] = eventsOf(post(params));

    // Assess
    expect(event?.type).toBe('switchboard.message.received');
    expect((event?.data as { parts?: unknown } | undefined)?.parts).toEqual([
      { type: 'interactive_reply', kind: 'list', payload: 'slot-2026-12-08T10:00', title: 'Tuesday 10:00' },
    ]);
  });

  it('gives each status of one message its own event id, whatever order they arrive in', () => {
    // Prepare
    const arrivalOrder = ['delivered', 'queued', 'sent', 'sending', 'accepted'];

    // Act
    const events = arrivalOrder.flatMap((status) => eventsOf(post(statusParams(status))));

    // Assess
    expect(events.map((event) => event.type)).toEqual(Array(5).fill('switchboard.message.status_updated'));
    expect(new Set(events.map((event) => event.id)).size).toBe(5);
    expect(new Set(events.map((event) => event.subject)).size).toBe(1);
  });

  it('gives the same request delivered twice the same event ids', () => {
    // Act
    const first = eventsOf(post(inboundParams('STOP')));
    const retry = eventsOf(post(inboundParams('STOP')));

    // Assess
    expect(first.map((event) => event.id)).toHaveLength(2);
    expect(retry.map((event) => event.id)).toEqual(first.map((event) => event.id));
  });

  it('maps undelivered with an ErrorCode to failed and keeps the code and raw status', () => {
    // Act
    const [event] = eventsOf(post(statusParams('undelivered', [['ErrorCode', '30005']])));

    // Assess
    expect(event?.data).toMatchObject({
      status: 'failed',
      providerStatus: 'undelivered',
      errors: [{ code: '30005' }],
      providerMessageIds: [SID],
      contact: { identities: [{ type: 'phone', value: '+14155550123' }] },
      endpoint: { type: 'phone_number', id: '+14155550100' },
    });
  });

  it('puts a status callback in the same conversation as the inbound messages of that contact', () => {
    // Act
    const [inbound] = eventsOf(post(inboundParams()));
    const [status] = eventsOf(post(statusParams('delivered')));

    // Assess
    expect(status?.subject).toBe(inbound?.subject);
  });

  it('keeps an unknown status value as provider.unsupported', () => {
    // Act
    const [event] = eventsOf(post(statusParams('teleported')));

    // Assess
    expect(event?.type).toBe('switchboard.provider.unsupported');
    expect(event?.data).toMatchObject({ providerType: 'twilio_status_callback' });
  });

  it("reads partially_delivered, one of Twilio's documented statuses, as sent (found by a review)", () => {
    // Act
    const [event] = eventsOf(post(statusParams('partially_delivered')));

    // Assess: no more than sent can be said; a later delivered still moves it on
    expect(event?.type).toBe('switchboard.message.status_updated');
    expect(event?.data).toMatchObject({ status: 'sent', providerStatus: 'partially_delivered' });
  });

  it('keeps a signed request without MessageSid as provider.unsupported with its raw params', () => {
    // Prepare
    const params: Params = [
      ['AccountSid', ACCOUNT],
      ['Something', 'new'],
    ];

    // Act
    const [event] = eventsOf(post(params));

    // Assess
    expect(event?.type).toBe('switchboard.provider.unsupported');
    expect(event?.data).toMatchObject({
      providerType: 'twilio_request',
      raw: { AccountSid: ACCOUNT, Something: 'new' },
    });
  });

  const MALFORMED_SIDS = [
    ['of 1,020 characters (within the intake bound on ids)', `SM${'a'.repeat(1_018)}`],
    ['of 100 characters', `SM${'b'.repeat(98)}`],
    ['too short', 'SMhostile01'],
    ['not hexadecimal', `SM${'g'.repeat(32)}`],
    ['of another prefix', `XX${'0'.repeat(32)}`],
  ] as const;
  const withSid = (params: Params, sid: string): Params =>
    params.map(([name, value]): readonly [string, string] => [
      name,
      name === 'MessageSid' || name === 'SmsSid' || name === 'SmsMessageSid' ? sid : value,
    ]);

  it.each(MALFORMED_SIDS)(
    'keeps a message whose MessageSid is not a Twilio Message SID (%s) as provider.unsupported, never a message carrying it (found by a review)',
    (_label, sid) => {
      // Act
      const events = eventsOf(post(withSid(inboundParams('STOP'), sid)));

      // Assess: the request whole, and no message or consent change filed under that id
      expect(events.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
      expect(events[0]?.data).toMatchObject({
        providerType: 'twilio_request',
        raw: { MessageSid: sid, Body: 'STOP', From: '+14155550123' },
      });
      expect(JSON.stringify(events[0]?.data)).not.toContain('providerMessageId');
    },
  );

  it.each(MALFORMED_SIDS)(
    'keeps a status callback whose MessageSid is not a Twilio Message SID (%s) as provider.unsupported (found by a review)',
    (_label, sid) => {
      // Act
      const events = eventsOf(post(withSid(statusParams('delivered'), sid)));

      // Assess
      expect(events.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
      expect(events[0]?.data).toMatchObject({
        providerType: 'twilio_request',
        raw: { MessageSid: sid, MessageStatus: 'delivered' },
      });
    },
  );

  it("files an MMS and an upper-case SID, both in Twilio's documented form, as messages", () => {
    // Prepare
    const mms = `MM${'0123456789abcdef'.repeat(2)}`;
    const upper = `SM${'0123456789ABCDEF'.repeat(2)}`;

    // Act
    const [first] = eventsOf(post(inboundParams('Hello', mms)));
    const [second] = eventsOf(post(inboundParams('Hello', upper)));

    // Assess
    expect(first?.data).toMatchObject({ providerMessageId: mms });
    expect(second?.data).toMatchObject({ providerMessageId: upper });
  });

  it('keeps a message with an empty From as provider.unsupported instead of inventing a contact', () => {
    // Prepare
    const params = inboundParams().map(([name, value]): readonly [string, string] => [
      name,
      name === 'From' ? '' : value,
    ]);

    // Act
    const [event] = eventsOf(post(params));

    // Assess
    expect(event?.type).toBe('switchboard.provider.unsupported');
    expect(event?.data).toMatchObject({ providerType: 'twilio_request', raw: { From: '', MessageSid: SID } });
  });

  it('falls back to SmsMessageSid when MessageSid is absent', () => {
    // Prepare
    const params = inboundParams().filter(([name]) => name !== 'MessageSid');

    // Act
    const [event] = eventsOf(post(params));

    // Assess
    expect(event?.type).toBe('switchboard.message.received');
    expect(event?.data).toMatchObject({ providerMessageId: SID });
  });

  it('keeps a keyword message as a message and adds the consent change', () => {
    // Act
    const events = eventsOf(post(inboundParams('  unsubscribe ')));

    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.received',
      'switchboard.contact.consent_changed',
    ]);
    expect(events[1]?.data).toMatchObject({ scope: 'sms', consent: 'opted_out', trigger: 'UNSUBSCRIBE' });
  });

  it("prefers Twilio's OptOutType over the keyword lists (custom Advanced Opt-Out keywords)", () => {
    // Prepare
    const params: Params = [...inboundParams('BAJA'), ['OptOutType', 'STOP']];

    // Act
    const events = eventsOf(post(params));

    // Assess
    expect(events[1]?.data).toMatchObject({ consent: 'opted_out', trigger: 'STOP' });
  });

  it('does not treat a keyword inside a longer message as consent', () => {
    // Act
    const events = eventsOf(post(inboundParams('Please stop calling me after 6pm')));

    // Assess
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.received']);
  });

  it('keeps media listed beyond NumMedia and reports a media item without URL as unsupported', () => {
    // Prepare
    const params: Params = [
      ...inboundParams(''),
      ['MediaContentType0', 'video/mp4'],
      ['MediaUrl0', 'https://api.twilio.com/media/ME0'],
      ['MediaUrl1', 'https://api.twilio.com/media/ME1'],
    ].map(([name, value]): readonly [string, string] => [name, name === 'NumMedia' ? '3' : value]);

    // Act
    const [event] = eventsOf(post(params));

    // Assess
    if (event?.type !== 'switchboard.message.received') throw new Error('expected a message');
    expect(event.data.parts).toEqual([
      {
        type: 'media',
        kind: 'video',
        mimeType: 'video/mp4',
        ref: { store: 'provider_url', url: 'https://api.twilio.com/media/ME0', requiresAuth: true },
      },
      {
        type: 'media',
        kind: 'file',
        ref: { store: 'provider_url', url: 'https://api.twilio.com/media/ME1', requiresAuth: true },
      },
      { type: 'unsupported', providerType: 'twilio_media', raw: { index: 2 } },
    ]);
  });

  const media01 = {
    type: 'media',
    kind: 'image',
    mimeType: 'image/png',
    ref: { store: 'provider_url', url: 'https://api.twilio.com/media/ME01', requiresAuth: true },
  };
  const media1 = {
    type: 'media',
    kind: 'audio',
    mimeType: 'audio/ogg',
    ref: { store: 'provider_url', url: 'https://api.twilio.com/media/ME1', requiresAuth: true },
  };

  it.each([
    ['alone', [['MediaUrl01', 'https://api.twilio.com/media/ME01']], [media01]],
    [
      'beside MediaUrl1, which comes first',
      [
        ['MediaUrl01', 'https://api.twilio.com/media/ME01'],
        ['MediaUrl1', 'https://api.twilio.com/media/ME1'],
      ],
      [media1, media01],
    ],
  ] as const)(
    'reads a media key spelled with a leading zero (%s) under that very key',
    (_case, media, parts) => {
      // Prepare: NumMedia 2 counts a MediaUrl0 that never came.
      const params: Params = [
        ...inboundParams('').map(([name, value]): readonly [string, string] => [
          name,
          name === 'NumMedia' ? '2' : value,
        ]),
        ...media,
        ['MediaContentType01', 'image/png'],
        ['MediaContentType1', 'audio/ogg'],
      ];

      // Act
      const [event] = eventsOf(post(params));

      // Assess
      expect(HubEventSchema.parse(event).type).toBe('switchboard.message.received');
      if (event?.type !== 'switchboard.message.received') throw new Error('expected a message');
      expect(event.data.parts).toEqual([
        { type: 'unsupported', providerType: 'twilio_media', raw: { index: 0 } },
        ...parts,
      ]);
    },
  );
});

describe('normalizeSmsAddress', () => {
  it.each([
    ['+14155550123', 'phone', '+14155550123'],
    ['+1 (415) 555-0123', 'phone', '+14155550123'],
    ['+44 7700 900123', 'phone', '+447700900123'],
    ['14155550123', 'phone', '14155550123'],
    ['72345', 'short_code', '72345'],
    ['898', 'short_code', '898'],
    ['12345678', 'short_code', '12345678'],
    ['123456789', 'phone', '123456789'],
    ['ParcelCo', 'alphanumeric', 'ParcelCo'],
    ['My Shop', 'alphanumeric', 'My Shop'],
    ['AB-12', 'alphanumeric', 'AB-12'],
  ])('%s → %s %s', (address, type, value) => {
    // Act
    const identity = normalizeSmsAddress(address);

    // Assess
    expect(identity).toEqual({ type, value });
  });
});

describe('matchConsentKeyword', () => {
  it.each([
    ['STOP', 'opted_out', 'STOP'],
    ['stop', 'opted_out', 'STOP'],
    [' Stop\n', 'opted_out', 'STOP'],
    ['stop all', 'opted_out', 'STOP ALL'],
    ['StopAll', 'opted_out', 'STOPALL'],
    ['cancel', 'opted_out', 'CANCEL'],
    ['end', 'opted_out', 'END'],
    ['quit', 'opted_out', 'QUIT'],
    ['revoke', 'opted_out', 'REVOKE'],
    ['optout', 'opted_out', 'OPTOUT'],
    ['Opt  out', 'opted_out', 'OPT OUT'],
    ['start', 'opted_in', 'START'],
    ['unstop', 'opted_in', 'UNSTOP'],
    ['Yes', 'opted_in', 'YES'],
    ['help', 'help_requested', 'HELP'],
    ['INFO', 'help_requested', 'INFO'],
  ])('%j → %s', (body, consent, trigger) => {
    // Act
    const signal = matchConsentKeyword(body);

    // Assess
    expect(signal).toEqual({ consent, trigger });
  });

  it.each([
    ['REZYGNUJĘ', 'opted_out', 'REZYGNUJĘ'],
    ['rezygnuje', 'opted_out', 'REZYGNUJĘ'],
    ['Wypisz', 'opted_out', 'WYPISZ'],
    ['Start', 'opted_in', 'START'],
    ['pomoc', 'help_requested', 'POMOC'],
    ['atteikties', 'opted_out', 'ATTEIKTIES'],
    ['Atrakstīties', 'opted_out', 'ATRAKSTĪTIES'],
    ['ATRAKSTITIES', 'opted_out', 'ATRAKSTĪTIES'],
    ['sākt', 'opted_in', 'SĀKT'],
    ['SAKT', 'opted_in', 'SĀKT'],
    ['Palīdzība', 'help_requested', 'PALĪDZĪBA'],
    ['PALIDZIBA', 'help_requested', 'PALĪDZĪBA'],
    ['στοπ', 'opted_out', 'ΣΤΟΠ'],
    ['Στοπ', 'opted_out', 'ΣΤΟΠ'],
    ['ΣΤΌΠ', 'opted_out', 'ΣΤΟΠ'],
    ['στόπ', 'opted_out', 'ΣΤΟΠ'],
    ['Διαγραφή', 'opted_out', 'ΔΙΑΓΡΑΦΗ'],
    ['απεγγραφή', 'opted_out', 'ΑΠΕΓΓΡΑΦΗ'],
    ['ΔΙΑΚΟΠΉ', 'opted_out', 'ΔΙΑΚΟΠΗ'],
    ['Έναρξη', 'opted_in', 'ΕΝΑΡΞΗ'],
    ['βοήθεια', 'help_requested', 'ΒΟΗΘΕΙΑ'],
    ['ստոպ', 'opted_out', 'ՍՏՈՊ'],
    ['Ստօպ', 'opted_out', 'ՍՏՈՊ'],
    ['Դադարեցնել', 'opted_out', 'ԴԱԴԱՐԵՑՆԵԼ'],
    ['հրաժարվել', 'opted_out', 'ՀՐԱԺԱՐՎԵԼ'],
    ['Սկսել', 'opted_in', 'ՍԿՍԵԼ'],
    ['օգնություն', 'help_requested', 'ՕԳՆՈՒԹՅՈՒՆ'],
    ['օգնութիւն', 'help_requested', 'ՕԳՆՈՒԹՅՈՒՆ'],
    ['ＳＴＯＰ', 'opted_out', 'STOP'],
    ['\u00a0Stop\u00a0all ', 'opted_out', 'STOP ALL'],
  ])('%j → %s %s (other languages and folded forms)', (body, consent, trigger) => {
    // Act
    const signal = matchConsentKeyword(body);

    // Assess
    expect(signal).toEqual({ consent, trigger });
  });

  it.each([
    ['STOP.', 'opted_out', 'STOP'],
    ['Stop!', 'opted_out', 'STOP'],
    ['stop?!', 'opted_out', 'STOP'],
    ['Opt-out', 'opted_out', 'OPT OUT'],
    ['OPT-OUT', 'opted_out', 'OPT OUT'],
    ['Opt-out.', 'opted_out', 'OPT OUT'],
    ['opt_out', 'opted_out', 'OPT OUT'],
    ['opt – out', 'opted_out', 'OPT OUT'],
    ['Stop-all', 'opted_out', 'STOP ALL'],
    ['Unsubscribe.', 'opted_out', 'UNSUBSCRIBE'],
    ['"Cancel"', 'opted_out', 'CANCEL'],
    ['(quit)', 'opted_out', 'QUIT'],
    ['¡End!', 'opted_out', 'END'],
    ['Revoke…', 'opted_out', 'REVOKE'],
    ['STOP\u200b', 'opted_out', 'STOP'],
    ['\ufeffstop\u200e', 'opted_out', 'STOP'],
    ['\u2068STOP\u2069\u00ad', 'opted_out', 'STOP'],
    ['S\u200bTOP', 'opted_out', 'STOP'],
    ['STOP‼️', 'opted_out', 'STOP'],
    [`STOP${'!'.repeat(100)}`, 'opted_out', 'STOP'],
    ['Stop please', 'opted_out', 'STOP'],
    ['STOP, please.', 'opted_out', 'STOP'],
    ['please stop', 'opted_out', 'STOP'],
    ['Please: unsubscribe!', 'opted_out', 'UNSUBSCRIBE'],
    ['opt-out please', 'opted_out', 'OPT OUT'],
    ['stop pls', 'opted_out', 'STOP'],
    ['PLZ STOP ALL', 'opted_out', 'STOP ALL'],
    ['ΣΤΟΠ!', 'opted_out', 'ΣΤΟΠ'],
    ['«Διαγραφή»', 'opted_out', 'ΔΙΑΓΡΑΦΗ'],
    ['Ստո՜պ', 'opted_out', 'ՍՏՈՊ'],
    ['Ստոպ։', 'opted_out', 'ՍՏՈՊ'],
    ['Wypisz.', 'opted_out', 'WYPISZ'],
    ['Start!', 'opted_in', 'START'],
    ['Sākt.', 'opted_in', 'SĀKT'],
    ['HELP?', 'help_requested', 'HELP'],
    ['help!\u200b', 'help_requested', 'HELP'],
    ['Βοήθεια;', 'help_requested', 'ΒΟΗΘΕΙΑ'],
  ])('%j → %s %s (punctuation, format characters, hyphens and a polite word)', (body, consent, trigger) => {
    // Act
    const signal = matchConsentKeyword(body);

    // Assess
    expect(signal).toEqual({ consent, trigger });
  });

  it.each([
    "don't stop",
    'Stop by tomorrow',
    'stop by tomorrow.',
    'Please stop by the shop',
    'STOP STOP',
    'stop stop please',
    'please please stop',
    'Stop. Thanks',
    'Stop texting me',
    'STOP 🙂',
    '🛑 STOP',
    'Stop=',
    'opt.out',
    'opt out now',
    'Yes please',
    'please start',
    'Help please',
    'please help',
    'help stop',
    'stop help',
    'HELP STOP!',
    'please',
    'pls.',
    '!?…',
    '\u200b\ufeff',
    'helpful',
    'Nie',
    'tak',
    'Nē',
    'Jā',
    'Όχι',
    'Ναι',
    'Ոչ',
    'Այո',
    'Τέλος',
    'proszę wypisz',
    'ΣΤΟΠ τα μηνύματα',
    '',
    ' \n ',
  ])('%j is not a keyword', (body) => {
    // Act
    const signal = matchConsentKeyword(body);

    // Assess
    expect(signal).toBeUndefined();
  });

  it('lists, for each language, upper-case canonical keywords for all three signals, each matching itself', () => {
    // Prepare
    const languages = new Set(CONSENT_KEYWORDS.map((keyword) => keyword.language));

    // Assess
    expect([...languages]).toEqual(['en', 'pl', 'lv', 'el', 'hy']);
    for (const language of languages) {
      const consents = new Set(CONSENT_KEYWORDS.filter((k) => k.language === language).map((k) => k.consent));
      expect([...consents].sort(), language).toEqual(['help_requested', 'opted_in', 'opted_out']);
    }
    for (const { consent, trigger, variants } of CONSENT_KEYWORDS) {
      expect(trigger).toBe(trigger.normalize('NFC').toUpperCase());
      expect(trigger.length).toBeLessThanOrEqual(MAX_KEYWORD_LENGTH);
      for (const spelling of [trigger, ...variants]) {
        expect(matchConsentKeyword(spelling), spelling).toEqual({ consent, trigger });
      }
    }
  });

  /** A keyword written any way a phone may send it: the signal it must give, and the text. */
  const keywordArbitrary = fc
    .record({
      keyword: fc.constantFrom(...CONSENT_KEYWORDS),
      pick: fc.nat(),
      cases: fc.array(fc.nat({ max: 2 }), { minLength: MAX_KEYWORD_LENGTH, maxLength: MAX_KEYWORD_LENGTH }),
      mark: fc.option(
        fc.record({ at: fc.nat(), mark: fc.constantFrom('\u0301', '\u0308', '\u0304', '\u0328', '\u030C') }),
      ),
      form: fc.constantFrom('NFC', 'NFD', 'NFKC', 'bare'),
    })
    .map(({ keyword, pick, cases, mark, form }) => {
      const spellings = [keyword.trigger, ...keyword.variants];
      const spelling = spellings[pick % spellings.length] ?? keyword.trigger;
      const letters = [...spelling].map((letter, index) => {
        const lower = letter.toLowerCase();
        const choice = cases[index] ?? 0;
        if (choice === 0) return letter;
        // A lower-case Σ at the end of a Greek word is written ς.
        return letter === 'Σ' && choice === 2 ? 'ς' : lower;
      });
      if (mark) letters.splice((mark.at % letters.length) + 1, 0, mark.mark);
      const written = letters.join('');
      const text =
        form === 'bare' ? written.normalize('NFD').replace(/\p{M}/gu, '') : written.normalize(form);
      return { consent: keyword.consent, trigger: keyword.trigger, text };
    });

  /** Words around a keyword that make it a message ("please", "pls" and "plz" do not, before or after an opt-out). */
  const fillerArbitrary = fc.constantFrom(
    'thanks',
    'now',
    'proszę',
    'teraz',
    'lūdzu',
    'tagad',
    'παρακαλώ',
    'τώρα',
    'խնդրում',
    'եմ',
    '42',
    '🙂',
  );

  it('maps any case, accent or diacritic variant of a keyword, with space around it, to its canonical trigger', () => {
    fc.assert(
      fc.property(
        keywordArbitrary,
        fc.constantFrom('', ' ', '\n', '\t ', '\u00a0'),
        fc.constantFrom('', ' ', '\r\n', ' \u3000'),
        ({ consent, trigger, text }, before, after) => {
          // Act
          const signal = matchConsentKeyword(`${before}${text}${after}`);

          // Assess
          expect(signal).toEqual({ consent, trigger });
        },
      ),
      { numRuns: 2000 },
    );
  });

  /** What may surround a keyword: white space, invisible format characters, punctuation. */
  const edgeArbitrary = fc
    .array(
      fc.constantFrom(
        ' ',
        '\n',
        '\u00a0',
        '\u3000',
        '\u200b',
        '\ufeff',
        '\u200e',
        '\u2069',
        '\u00ad',
        '.',
        '!',
        '?',
        ',',
        ';',
        ':',
        '"',
        "'",
        '«',
        '»',
        '“',
        '”',
        '(',
        ')',
        '¡',
        '¿',
        '…',
        '-',
        '։',
        '!\ufe0f',
      ),
      { maxLength: 8 },
    )
    .map((characters) => characters.join(''));

  it('maps a keyword wrapped in any punctuation, white space and format characters to its canonical trigger', () => {
    fc.assert(
      fc.property(
        keywordArbitrary,
        edgeArbitrary,
        edgeArbitrary,
        ({ consent, trigger, text }, before, after) => {
          // Act
          const signal = matchConsentKeyword(`${before}${text}${after}`);

          // Assess
          expect(signal).toEqual({ consent, trigger });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads a hyphen or an underscore between the words of a keyword as a space', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(['OPT', 'OUT', 'OPT OUT'], ['STOP', 'ALL', 'STOP ALL']),
        fc.constantFrom('-', '_', '\u2010', '\u2013', ' - ', '__'),
        edgeArbitrary,
        ([first, second, trigger], joiner, after) => {
          // Act
          const signal = matchConsentKeyword(`${first?.toLowerCase()}${joiner}${second}${after}`);

          // Assess
          expect(signal).toEqual({ consent: 'opted_out', trigger });
        },
      ),
    );
  });

  it('never reads a keyword after another word of letters, whatever separates them', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzñąłśžāīσπτωΣΩաբգպստ'),
          minLength: 1,
          maxLength: 10,
        }),
        fc.constantFrom(' ', '  ', '\n', ', ', '. ', ' - ', '-', '_', '\u200b ', "'"),
        keywordArbitrary,
        edgeArbitrary,
        (word, separator, { text }, edges) => {
          // Prepare: a polite word before an opt-out is the one word allowed
          fc.pre(!['PLEASE', 'PLS', 'PLZ'].includes(word.toUpperCase()));

          // Act
          const signal = matchConsentKeyword(`${edges}${word}${separator}${text}${edges}`);

          // Assess
          expect(signal).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads an opt-out keyword with one polite word before or after it, and no other keyword', () => {
    fc.assert(
      fc.property(
        keywordArbitrary,
        fc.constantFrom('please', 'Please', 'PLEASE', 'pls', 'plz'),
        fc.constantFrom(' ', ', ', ' - ', '\n', ': '),
        fc.boolean(),
        edgeArbitrary,
        ({ consent, trigger, text }, polite, separator, first, edges) => {
          // Prepare
          const body = first ? `${polite}${separator}${text}` : `${text}${separator}${polite}`;

          // Act
          const signal = matchConsentKeyword(`${edges}${body}${edges}`);

          // Assess
          if (consent === 'opted_out') expect(signal).toEqual({ consent, trigger });
          else expect(signal).toBeUndefined();
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never reads a keyword inside a longer message', () => {
    fc.assert(
      fc.property(
        keywordArbitrary,
        fc.array(fillerArbitrary, { maxLength: 3 }),
        fc.array(fillerArbitrary, { maxLength: 3 }),
        ({ text }, before, after) => {
          // Prepare
          fc.pre(before.length + after.length > 0);
          const body = [...before, text, ...after].join(' ');

          // Act
          const signal = matchConsentKeyword(body);

          // Assess
          expect(signal).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never reads a keyword in a message longer than the bound, even one that folds to a keyword', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('OPT', 'STOP'),
        fc.integer({ min: 1, max: 2 * MAX_KEYWORD_LENGTH }),
        fc.constantFrom(' ', '\n', '\u00a0'),
        (first, gap, space) => {
          // Prepare: the same space repeated between the two words of a multi-word keyword
          const body = `${first}${space.repeat(gap)}${first === 'OPT' ? 'out' : 'all'}`;

          // Act
          const signal = matchConsentKeyword(body);

          // Assess
          if (body.length > MAX_KEYWORD_LENGTH) expect(signal).toBeUndefined();
          else expect(signal?.consent).toBe('opted_out');
        },
      ),
    );
    fc.assert(
      fc.property(fc.string({ minLength: MAX_KEYWORD_LENGTH + 1, maxLength: 400 }), (body) => {
        // Prepare: longer than the bound once white space, format characters and punctuation are trimmed
        fc.pre(
          body.replace(/^[\s\p{Cf}\p{P}\p{M}]+|[\s\p{Cf}\p{P}\p{M}]+$/gu, '').length > MAX_KEYWORD_LENGTH,
        );

        // Act
        const signal = matchConsentKeyword(body);

        // Assess
        expect(signal).toBeUndefined();
      }),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { encodeForm, type FormParam, parseFormBody } from '#shared/channels/sms/inbound/form.ts';
import { normalizeSmsAddress } from '#shared/channels/sms/inbound/phone.ts';
import { handleTwilioWebhook, signTwilioRequest } from '#shared/channels/sms/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { webhookRequest } from '#tests/support/requests.ts';
import { twilioNodeSignature, twilioNodeSignedPairs } from '#tests/support/twilio-signatures.ts';

const PUBLIC_URL = 'https://hub.example.com/webhooks/sms/twilio';
const TOKEN = LOCAL_DEV_SECRETS.twilio.authToken;

/** Names the adapter reads, names that trip naive object handling, and anything else. */
const nameArbitrary = fc.oneof(
  fc.constantFrom(
    'MessageSid',
    'SmsSid',
    'SmsMessageSid',
    'AccountSid',
    'From',
    'To',
    'Body',
    'NumMedia',
    'MediaUrl0',
    'MediaContentType0',
    'MediaUrl7',
    'MessageStatus',
    'SmsStatus',
    'ErrorCode',
    'OptOutType',
    'ButtonPayload',
    'ButtonText',
    'ListId',
    'ListTitle',
    'Latitude',
    'Longitude',
    'WaId',
    'ProfileName',
    'MessageType',
    'Forwarded',
    '__proto__',
    'constructor',
    'toString',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** Values Twilio sends, values that look like them, and arbitrary Unicode. */
const valueArbitrary = fc.oneof(
  fc.constantFrom(
    'SM0123456789abcdef0123456789abcdef',
    '+14155550123',
    'whatsapp:+447700900123',
    'whatsapp:ParcelCo',
    'rcs:+14155550123',
    '72345',
    'ParcelCo',
    'received',
    'delivered',
    'undelivered',
    'read',
    'STOP',
    'START',
    'HELP',
    '2',
    '99999',
    '-91.5',
    '45.1',
    'https://api.twilio.com/media/ME1',
    'not a url',
    'true',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const paramsArbitrary = fc.array(fc.tuple(nameArbitrary, valueArbitrary), { maxLength: 16 });

const postSigned = (body: Buffer, signature: string): WebhookOutcome =>
  handleTwilioWebhook(
    webhookRequest({
      path: '/webhooks/sms/twilio',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body,
    }),
    { secrets: LOCAL_DEV_SECRETS, publicUrl: PUBLIC_URL },
  );

const isHexDigitCaseFlip = (body: Buffer, index: number, replacement: number): boolean => {
  const original = body[index] ?? 0;
  const insideEscape = body[index - 1] === 0x25 || body[index - 2] === 0x25;
  const sameLetter =
    String.fromCharCode(original).toLowerCase() === String.fromCharCode(replacement).toLowerCase();
  return insideEscape && sameLetter && /[a-f]/i.test(String.fromCharCode(original));
};

describe('Twilio webhook properties', () => {
  it('accepts any correctly signed parameter set without throwing, and every event fits the contract', () => {
    fc.assert(
      fc.property(paramsArbitrary, (params) => {
        // Prepare
        const body = Buffer.from(encodeForm(params), 'utf8');
        const signature = signTwilioRequest(TOKEN, PUBLIC_URL, params);

        // Act
        const outcome = postSigned(body, signature);

        // Assess
        expect(outcome.kind).toBe('accept');
        if (outcome.kind !== 'accept') return;
        expect(outcome.response.statusCode).toBe(200);
        expect(outcome.events.length).toBeGreaterThan(0);
        for (const event of outcome.events) expect(HubEventSchema.safeParse(event).success).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts any parameter set, repeated names included, signed the way twilio-node validates it', () => {
    fc.assert(
      fc.property(paramsArbitrary, fc.array(fc.nat(), { maxLength: 4 }), (params, repeats) => {
        // Prepare: some pairs sent again, out of order, as a repeated name's values may come
        const withRepeats = [
          ...params,
          ...repeats.flatMap((at) => (params.length > 0 ? [params[at % params.length]] : [])),
        ]
          .filter((pair) => pair !== undefined)
          .reverse();
        const body = Buffer.from(encodeForm(withRepeats), 'utf8');
        const signature = twilioNodeSignature(TOKEN, PUBLIC_URL, withRepeats);

        // Act
        const outcome = postSigned(body, signature);

        // Assess
        expect(outcome.kind).toBe('accept');
        expect(postSigned(body, twilioNodeSignature(`${TOKEN}x`, PUBLIC_URL, withRepeats)).kind).toBe(
          'reject',
        );
      }),
      { numRuns: 500 },
    );
  });

  it("rejects any single-byte change to a signed body (a hex escape written in lower case decodes identically; reordering or repeating a repeated name's values signs alike, as for twilio-node)", () => {
    fc.assert(
      fc.property(
        paramsArbitrary.filter((params) => params.length > 0),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (params, position, replacement) => {
          // Prepare
          const body = Buffer.from(encodeForm(params), 'utf8');
          fc.pre(body.length > 0);
          const index = position % body.length;
          fc.pre(body[index] !== replacement);
          const mutated = Buffer.from(body);
          mutated[index] = replacement;
          const signature = signTwilioRequest(TOKEN, PUBLIC_URL, params);

          // Act
          const outcome = postSigned(mutated, signature);

          // Assess
          const decoded = parseFormBody(mutated);
          if (isHexDigitCaseFlip(body, index, replacement)) {
            expect(outcome.kind).toBe('accept');
            expect(outcome).toEqual(postSigned(body, signature));
          } else if (decoded.ok && twilioNodeSignedPairs(decoded.params) === twilioNodeSignedPairs(params)) {
            // The change only reordered or repeated a repeated name's values: twilio-node accepts it too.
            expect(outcome.kind).toBe('accept');
          } else {
            expect(outcome.kind).toBe('reject');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('decodes exactly the parameters that were encoded, repeated names and order included', () => {
    fc.assert(
      fc.property(paramsArbitrary, (params) => {
        // Act
        const parsed = parseFormBody(Buffer.from(encodeForm(params), 'utf8'));

        // Assess
        expect(parsed).toEqual({ ok: true, params: params.map(([name, value]): FormParam => [name, value]) });
      }),
    );
  });

  it('normalizes phone numbers idempotently', () => {
    const addressArbitrary = fc.string({
      unit: fc.constantFrom(...'+0123456789 -()().ABCxyz:'.split('')),
      maxLength: 20,
    });
    fc.assert(
      fc.property(addressArbitrary, (address) => {
        // Act
        const once = normalizeSmsAddress(address);
        const twice = normalizeSmsAddress(once.value);

        // Assess
        expect(twice).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });
});

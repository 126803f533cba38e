import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleTwilioWebhook, signTwilioRequest } from '#shared/channels/sms/inbound/webhook.ts';
import {
  type AllChannelSecrets,
  ChannelSecretsSchema,
  LOCAL_DEV_SECRETS,
  requireSections,
} from '#shared/config/secrets.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { parseOrThrow } from '#shared/validation/schema.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * Twilio credentials per account: the secret's `accounts` holds further accounts (subaccounts or
 * accounts of their own), each with its token and its numbers. Twilio signs a number's webhooks
 * with the token of the account the number is in and names that account in AccountSid, so a
 * request naming a further account is checked with that account's token and accepted only about
 * one of its numbers (the `To` of an incoming message, the `From` of a status callback); any other
 * is checked with the main account's token, as before, and refused about a further account's
 * number.
 */

const PUBLIC_BASE_URL = 'https://hooks.switchboard.example';
const PATH = '/webhooks/sms/twilio';
const PUBLIC_URL = `${PUBLIC_BASE_URL}${PATH}`;

const MAIN = LOCAL_DEV_SECRETS.twilio.accountSid ?? '';
const MAIN_TOKEN = LOCAL_DEV_SECRETS.twilio.authToken;
const SHOP = `AC${'1'.repeat(32)}`;
const CLINIC = `AC${'2'.repeat(32)}`;
/** A subaccount the secret does not list: its number's messages are reached through the main login. */
const UNLISTED = `AC${'3'.repeat(32)}`;

const MAIN_NUMBER = '+14155550100';
const SHOP_NUMBER = '+14155550111';
const SHOP_WHATSAPP = '+14155550112';
const CLINIC_NUMBER = '+14155550122';
const CUSTOMER = '+447700900123';
const MESSAGE_SID = `SM${'a'.repeat(32)}`;

const ACCOUNTS = {
  [SHOP]: {
    authToken: 'shop-token',
    secondaryAuthToken: 'shop-token-rotating-in',
    numbers: [SHOP_NUMBER, `whatsapp:${SHOP_WHATSAPP}`],
  },
  [CLINIC]: { authToken: 'clinic-token', numbers: [CLINIC_NUMBER] },
};

const SECRETS: AllChannelSecrets = requireSections(
  parseOrThrow(ChannelSecretsSchema, {
    ...LOCAL_DEV_SECRETS,
    twilio: { ...LOCAL_DEV_SECRETS.twilio, accounts: ACCOUNTS },
  }),
  ['meta', 'twilio', 'mailgun', 'email'],
);

type Params = ReadonlyArray<readonly [string, string]>;

const inbound = (accountSid: string, to: string, from = CUSTOMER): Params => [
  ['MessageSid', MESSAGE_SID],
  ['SmsMessageSid', MESSAGE_SID],
  ['SmsSid', MESSAGE_SID],
  ['SmsStatus', 'received'],
  ['AccountSid', accountSid],
  ['To', to],
  ['From', from],
  ['Body', 'Is my order ready?'],
  ['NumMedia', '0'],
  ['ApiVersion', '2010-04-01'],
];

/** A status callback of a message the business sent: From is the business, To the customer. */
const status = (accountSid: string, from: string, to = CUSTOMER): Params => [
  ['MessageSid', MESSAGE_SID],
  ['SmsSid', MESSAGE_SID],
  ['MessageStatus', 'delivered'],
  ['SmsStatus', 'delivered'],
  ['AccountSid', accountSid],
  ['From', from],
  ['To', to],
  ['ApiVersion', '2010-04-01'],
];

const encode = (params: Params): string =>
  new URLSearchParams(params.map(([name, value]): [string, string] => [name, value])).toString();

const post = (params: Params, token: string, secrets: AllChannelSecrets = SECRETS): WebhookOutcome =>
  handleTwilioWebhook(
    webhookRequest({
      path: PATH,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(token, PUBLIC_URL, params),
      },
      body: Buffer.from(encode(params), 'utf8'),
    }),
    { secrets, publicUrl: PUBLIC_URL },
  );

const eventsOf = (outcome: WebhookOutcome): HubEvent[] => {
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${JSON.stringify(outcome)}`);
  return outcome.events.map((event) => HubEventSchema.parse(event));
};

const endpointsOf = (outcome: WebhookOutcome) =>
  eventsOf(outcome).map((event) => ('endpoint' in event.data ? event.data.endpoint : undefined));

describe('Twilio webhooks of further accounts', () => {
  it("accepts a further account's incoming message, signed with its token, to one of its numbers", () => {
    // Act
    const outcome = post(inbound(SHOP, SHOP_NUMBER), 'shop-token');
    // Assess
    expect(eventsOf(outcome).map((event) => event.type)).toEqual(['switchboard.message.received']);
    expect(endpointsOf(outcome)).toEqual([{ type: 'phone_number', id: SHOP_NUMBER, accountId: SHOP }]);
  });

  it("accepts one on the account's WhatsApp sender, and one signed with its token being rotated in", () => {
    // Act
    const whatsapp = post(inbound(SHOP, `whatsapp:${SHOP_WHATSAPP}`, `whatsapp:${CUSTOMER}`), 'shop-token');
    const rotating = post(inbound(SHOP, SHOP_NUMBER), 'shop-token-rotating-in');
    // Assess
    expect(endpointsOf(whatsapp)).toEqual([
      { type: 'whatsapp_phone_number', id: SHOP_WHATSAPP, accountId: SHOP },
    ]);
    expect(rotating.kind).toBe('accept');
  });

  it("refuses one signed with the account's token to a main-account number or another account's, 403", () => {
    // Act
    const outcomes = [
      post(inbound(SHOP, MAIN_NUMBER), 'shop-token'),
      post(inbound(SHOP, CLINIC_NUMBER), 'shop-token'),
      // The account's number on a channel it does not list (SMS is listed, WhatsApp on it is not).
      post(inbound(SHOP, `whatsapp:${SHOP_NUMBER}`, `whatsapp:${CUSTOMER}`), 'shop-token'),
      // No business number at all.
      post(
        inbound(SHOP, SHOP_NUMBER).filter(([name]) => name !== 'To'),
        'shop-token',
      ),
    ];
    // Assess
    expect(outcomes).toEqual(
      outcomes.map(() => ({
        kind: 'reject',
        status: 403,
        reason: 'the business number is not one of those configured for the account in AccountSid',
      })),
    );
  });

  it("refuses a further account's request signed with another token, even the main account's", () => {
    // Act
    const outcomes = [
      post(inbound(SHOP, SHOP_NUMBER), MAIN_TOKEN),
      post(inbound(SHOP, SHOP_NUMBER), 'clinic-token'),
      post(inbound(CLINIC, SHOP_NUMBER), 'shop-token'),
    ];
    // Assess
    expect(outcomes.map((outcome) => outcome.kind === 'reject' && outcome.status)).toEqual([403, 403, 403]);
    expect(new Set(outcomes.map((outcome) => outcome.kind === 'reject' && outcome.reason))).toEqual(
      new Set(['X-Twilio-Signature does not match the URL and parameters']),
    );
  });

  it("verifies the status callback of a message sent from a further account's number (From is the business)", () => {
    // Act
    const delivered = post(status(SHOP, SHOP_NUMBER), 'shop-token');
    // A callback whose From is the main account's number, To the account's own: not its message.
    const misfiled = post(status(SHOP, MAIN_NUMBER, SHOP_NUMBER), 'shop-token');
    // Assess
    expect(
      eventsOf(delivered).map((event) => [event.type, 'status' in event.data && event.data.status]),
    ).toEqual([['switchboard.message.status_updated', 'delivered']]);
    expect(endpointsOf(delivered)).toEqual([{ type: 'phone_number', id: SHOP_NUMBER, accountId: SHOP }]);
    expect(misfiled).toMatchObject({ kind: 'reject', status: 403 });
  });

  it("still accepts the main account's requests, and an unlisted subaccount's signed with the main token", () => {
    // Act
    const outcomes = [
      post(inbound(MAIN, MAIN_NUMBER), MAIN_TOKEN),
      post(status(MAIN, MAIN_NUMBER), MAIN_TOKEN),
      post(inbound(UNLISTED, '+14155550133'), MAIN_TOKEN),
    ];
    // Assess
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['accept', 'accept', 'accept']);
  });

  it("refuses a request signed with the main token about a further account's number, 403", () => {
    // Act
    const outcomes = [
      post(inbound(MAIN, SHOP_NUMBER), MAIN_TOKEN),
      post(status(UNLISTED, CLINIC_NUMBER), MAIN_TOKEN),
      post(
        inbound(SHOP, SHOP_NUMBER).filter(([name]) => name !== 'AccountSid'),
        MAIN_TOKEN,
      ),
    ];
    // Assess
    expect(outcomes).toEqual(
      outcomes.map(() => ({
        kind: 'reject',
        status: 403,
        reason: 'the business number is configured under another Twilio account than the one in AccountSid',
      })),
    );
  });

  it('refuses a request naming two accounts, whichever token signed it', () => {
    // Prepare
    const twice: Params = [...inbound(SHOP, SHOP_NUMBER), ['AccountSid', MAIN]];
    // Act
    const outcomes = [post(twice, 'shop-token'), post(twice, MAIN_TOKEN)];
    // Assess
    expect(outcomes.map((outcome) => outcome.kind === 'reject' && outcome.status)).toEqual([403, 403]);
  });

  it('checks a deployment without further accounts with the main token alone, as before', () => {
    // Act
    const outcomes = [
      post(inbound(SHOP, SHOP_NUMBER), MAIN_TOKEN, LOCAL_DEV_SECRETS),
      post(inbound(SHOP, SHOP_NUMBER), 'shop-token', LOCAL_DEV_SECRETS),
    ];
    // Assess
    expect(outcomes.map((outcome) => (outcome.kind === 'reject' ? outcome.status : outcome.kind))).toEqual([
      'accept',
      403,
    ]);
  });
});

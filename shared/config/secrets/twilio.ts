import * as v from 'valibot';
import {
  parseTwilioAddress,
  twilioBusinessKey,
  twilioEndpointKey,
} from '#shared/channels/sms/inbound/phone.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import { ownValue } from '#shared/validation/own-value.ts';
import { checked, checkedAt, lazily, nonEmptyString, object, record } from '#shared/validation/schema.ts';
import type { SectionParsing } from './sections.ts';

/** An account SID as Twilio writes it in webhooks and URLs. */
const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;

/**
 * Whether an address may be listed under a further account: one an endpoint is made of, and a phone
 * number in E.164 as Twilio posts it (`+` and 7 to 15 digits). A number listed without its `+`
 * (`14155550100`) would never match what Twilio posts: the account's own webhooks refused, and the
 * main token taken for that number (found by a review on 2026-12-05).
 */
const listableTwilioAddress = (address: string): boolean => {
  const parsed = parseTwilioAddress(address);
  if (parsed.channel === 'unknown') return false;
  return (
    parsed.channel === 'whatsapp' || parsed.identity.type !== 'phone' || E164.test(parsed.identity.value)
  );
};
const E164 = /^\+\d{7,15}$/;

/** A further Twilio account: the token its numbers' webhooks are signed with, and those numbers. */
const TwilioAccountSchema = () =>
  object({
    /** Signs the webhooks of this account's numbers; with the account's SID, logs in for its own messages. */
    authToken: nonEmptyString(),
    /** Accepted too during this account's auth-token rotation. */
    secondaryAuthToken: v.optional(nonEmptyString()),
    /**
     * The business addresses in this account, as Twilio writes them in `To` and `From`: `+14155550100`
     * (SMS and MMS), a short code or sender id, `whatsapp:+14155550100`. A webhook naming this account
     * is accepted only about one of them; one of them is accepted only from this account.
     */
    numbers: v.pipe(
      v.array(
        v.pipe(
          v.string(),
          checked(
            listableTwilioAddress,
            'a Twilio address as Twilio writes it (+<country code and number>, a short code, a sender id, or whatsapp:+<number>)',
          ),
        ),
      ),
      v.minLength(1),
    ),
  });

type ListedNumbers = Readonly<Record<string, { readonly numbers: readonly string[] }>>;

/** Every number the further accounts list, in order, with its business key (twilioBusinessKey). */
function* listedNumbers(accounts: ListedNumbers) {
  for (const [accountSid, account] of Object.entries(accounts))
    for (const [index, address] of account.numbers.entries()) {
      const key = twilioBusinessKey(address);
      if (key !== undefined) yield { accountSid, index, key };
    }
}

/** The keys (under the accounts map) of each listed number some account earlier in the map lists already. */
function* numbersListedTwice(accounts: ListedNumbers) {
  const owners = new Map<string, string>();
  for (const { accountSid, index, key } of listedNumbers(accounts)) {
    const owner = owners.get(key);
    if (owner === undefined) owners.set(key, accountSid);
    else if (owner !== accountSid) yield [accountSid, 'numbers', index] as const;
  }
}

/** Twilio's section: the SMS webhook's and the replies' credentials, the further accounts' among them. */
export const TwilioSectionSchema = lazily(() =>
  v.pipe(
    object({
      /**
       * The main account: signs the webhooks of every number not listed under `accounts`; with
       * `accountSid`, logs in to the REST API (its subaccounts' messages too).
       */
      authToken: nonEmptyString(),
      /** Accepted too during auth-token rotation. */
      secondaryAuthToken: v.optional(nonEmptyString()),
      /** Sending: the account SID (`AC…`); requests authenticate as it with `authToken`. */
      accountSid: v.optional(nonEmptyString()),
      /**
       * Further accounts by account SID (subaccounts or accounts of their own), each with its token
       * and its numbers: their webhooks are verified with their own token, and only about their own
       * numbers; their messages are sent and redacted with their own login. A number is listed under
       * one account at most.
       */
      accounts: v.optional(
        v.pipe(
          record(TwilioAccountSchema()),
          checkedAt(
            (accounts) =>
              // Named by position, never by the key itself (a token pasted in its place would be logged).
              Object.keys(accounts)
                .map((accountSid, index) => [accountSid, index] as const)
                .filter(([accountSid]) => !ACCOUNT_SID.test(accountSid))
                .map(([, index]) => [`(account ${index + 1})`]),
            'an account SID (AC and 32 lower-case hexadecimal digits)',
          ),
          checkedAt((accounts) => numbersListedTwice(accounts), 'a number listed under no other account'),
        ),
      ),
    }),
    checkedAt(
      (section) =>
        section.accountSid !== undefined &&
        section.accounts !== undefined &&
        Object.hasOwn(section.accounts, section.accountSid)
          ? [['accounts', section.accountSid]]
          : [],
      'an account other than the main one (accountSid)',
    ),
  ),
);
export type TwilioSection = v.InferOutput<typeof TwilioSectionSchema>;

/** HTTP Basic credentials for the Twilio REST API. */
export interface TwilioLogin {
  readonly username: string;
  readonly password: string;
}

/**
 * The main account's login: its SID and token, which reach its own resources and every
 * subaccount's 2010-04-01 resources (Twilio, "REST API: Subaccounts"); a message in a subaccount
 * (`endpoint.accountId`) keeps that account in its URL. Undefined without an account SID.
 */
export const twilioLogin = (twilio: TwilioSection): TwilioLogin | undefined =>
  twilio.accountSid === undefined ? undefined : { username: twilio.accountSid, password: twilio.authToken };

export type TwilioAccount = NonNullable<TwilioSection['accounts']>[string];

/** A further account by its SID (from a webhook's `AccountSid`, an endpoint's `accountId`), or undefined. */
export const twilioAccountOf = (twilio: TwilioSection, accountSid: string): TwilioAccount | undefined =>
  twilio.accounts === undefined ? undefined : ownValue(twilio.accounts, accountSid);

/** Per section read, which further account lists each business key (built on first use). */
const numberOwners = new WeakMap<TwilioSection, ReadonlyMap<string, string>>();

/** The further account that lists a business address's key (twilioBusinessKey), or undefined. */
export const twilioNumberOwner = (twilio: TwilioSection, key: string): string | undefined => {
  if (twilio.accounts === undefined) return undefined;
  let owners = numberOwners.get(twilio);
  if (owners === undefined) {
    const built = new Map<string, string>();
    for (const { accountSid, key: owned } of listedNumbers(twilio.accounts))
      if (!built.has(owned)) built.set(owned, accountSid);
    owners = built;
    numberOwners.set(twilio, owners);
  }
  return owners.get(key);
};

/**
 * The tokens an account's webhooks may be signed with: its own (`authToken`, the one every login
 * uses), then during a rotation the one being rotated out (`secondaryAuthToken`), which Twilio
 * signs with until the new token is promoted (README, Secrets: "Rotating a Twilio auth token").
 */
export const twilioWebhookTokens = (account: Pick<TwilioSection, 'authToken' | 'secondaryAuthToken'>) =>
  [account.authToken, account.secondaryAuthToken].filter(
    (token): token is string => typeof token === 'string' && token.length > 0,
  );

/**
 * The account a business endpoint's messages live in and the login that reaches them: the account
 * its webhooks named (`endpoint.accountId`), else the further account listing its number, else the
 * main one. A further account logs in as itself; any other is reached with the main account's login
 * (a subaccount's through its parent). Sends, MMS downloads and redactions all ask it.
 */
export const twilioAccountFor = (
  twilio: TwilioSection,
  endpoint: Pick<BusinessEndpoint, 'type' | 'id' | 'accountId'>,
): { readonly accountSid: string | undefined; readonly login: TwilioLogin | undefined } => {
  const listedKey = endpoint.accountId === undefined ? twilioEndpointKey(endpoint) : undefined;
  const accountSid =
    endpoint.accountId ??
    (listedKey === undefined ? undefined : twilioNumberOwner(twilio, listedKey)) ??
    twilio.accountSid;
  const own = accountSid === undefined ? undefined : twilioAccountOf(twilio, accountSid);
  return {
    accountSid,
    login:
      own !== undefined && accountSid !== undefined
        ? { username: accountSid, password: own.authToken }
        : twilioLogin(twilio),
  };
};

/** Twilio's development defaults for the local hub and the replay kit. Public, so never valid in production. */
export const LOCAL_DEV_TWILIO: TwilioSection = {
  authToken: 'local-twilio-auth-token',
  accountSid: 'AC00000000000000000000000000000000',
};

/** `SWITCHBOARD_TWILIO_ACCOUNTS`: the secret's further Twilio `accounts` as JSON; none by default. */
const twilioAccountsFromEnv = (json: string | undefined): unknown => {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    throw new Error('SWITCHBOARD_TWILIO_ACCOUNTS is not JSON (an object of accounts by account SID)');
  }
};

/** How the Twilio section is read: the SMS webhook reads it alone. */
export const TWILIO_SECRET: SectionParsing<'twilio'> = {
  schema: TwilioSectionSchema,
  localInput: (env) => ({
    authToken: env.SWITCHBOARD_TWILIO_AUTH_TOKEN ?? LOCAL_DEV_TWILIO.authToken,
    secondaryAuthToken: env.SWITCHBOARD_TWILIO_SECONDARY_AUTH_TOKEN,
    accountSid: env.SWITCHBOARD_TWILIO_ACCOUNT_SID ?? LOCAL_DEV_TWILIO.accountSid,
    accounts: twilioAccountsFromEnv(env.SWITCHBOARD_TWILIO_ACCOUNTS),
  }),
};

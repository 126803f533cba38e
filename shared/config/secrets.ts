import * as v from 'valibot';
import { SECRET_SECTIONS, type SecretSection } from '#shared/channels/registry.ts';
import {
  parseTwilioAddress,
  twilioBusinessKey,
  twilioEndpointKey,
} from '#shared/channels/sms/inbound/phone.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import { ownValue } from '#shared/validation/own-value.ts';
import {
  checked,
  checkedAt,
  lazily,
  nonEmptyString,
  object,
  parseOrThrow,
  record,
} from '#shared/validation/schema.ts';

/**
 * Channel credentials. In AWS each section lives in a Secrets Manager secret of its own (JSON of its
 * section's shape; deployments before that kept them all in one secret of this whole shape); locally
 * they come from environment variables with development defaults. Never logged.
 *
 * One section per provider; a deployment needs only the sections of the connectors it switches on
 * (each connector names its sections in shared/channels/registry.ts, and its function refuses to
 * run, answering 503, while one is missing).
 */
const MetaSectionSchema = lazily(() =>
  object({
    /** Signs X-Hub-Signature-256 on Messenger and WhatsApp webhooks. */
    appSecret: nonEmptyString(),
    /** Echoed back in the GET subscription handshake. */
    verifyToken: nonEmptyString(),
    /** App ids whose echoes are the hub's own sends (marked `sentBy: hub`). */
    hubAppIds: v.optional(v.array(v.string()), []),
    /** Sending: a system user's token for every page and WhatsApp number (Graph API `Authorization: Bearer`). */
    accessToken: v.optional(nonEmptyString()),
    /**
     * Sending: a token per page id, Instagram account id or WhatsApp phone-number id, preferred over
     * `accessToken` (Messenger page tokens). An Instagram account's is the Page access token of the
     * page linked to it: its sends go to `/me/messages`, which Meta resolves from the token.
     */
    accessTokens: v.optional(record(nonEmptyString())),
  }),
);
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

const TwilioSectionSchema = lazily(() =>
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
const MailgunSectionSchema = lazily(() =>
  object({
    /** The HTTP webhook signing key. */
    signingKey: nonEmptyString(),
    /** Sending: the private API key (HTTP basic auth as `api`). */
    apiKey: v.optional(nonEmptyString()),
    /** Sending: a domain sending key per sending domain, preferred over `apiKey` for that domain. */
    apiKeys: v.optional(record(nonEmptyString())),
  }),
);
const EmailSectionSchema = lazily(() =>
  object({
    /**
     * Keys the tag of `reply+<tag>@…` addresses (an HMAC of the conversation id): only a tag the hub
     * made places an inbound e-mail in a conversation. At least 32 random characters.
     */
    replyTagKey: v.pipe(v.string(), v.minLength(32)),
  }),
);

/** Each section's schema: the JSON of its own secret, and its key in the legacy one-secret form. */
export const SECTION_SCHEMAS = {
  meta: MetaSectionSchema,
  twilio: TwilioSectionSchema,
  mailgun: MailgunSectionSchema,
  email: EmailSectionSchema,
} satisfies Record<SecretSection, v.GenericSchema>;

/** Every section, as the legacy one secret held them (and the shape the functions are handed). */
export const ChannelSecretsSchema = lazily(() =>
  object({
    meta: v.optional(MetaSectionSchema),
    twilio: v.optional(TwilioSectionSchema),
    mailgun: v.optional(MailgunSectionSchema),
    email: v.optional(EmailSectionSchema),
  } satisfies Record<SecretSection, v.GenericSchema>),
);

/**
 * The environment variable holding the ARN of a section's own secret
 * (`SWITCHBOARD_META_SECRET_ARN`…, shared/config/runtime.ts). The CDK app sets it only on the
 * functions it lets read that secret.
 */
export const sectionSecretVariable = <S extends SecretSection>(
  section: S,
): `SWITCHBOARD_${Uppercase<S>}_SECRET_ARN` =>
  `SWITCHBOARD_${section.toUpperCase() as Uppercase<S>}_SECRET_ARN`;

/**
 * What the deploy puts in a credentials secret until the operator replaces it (with a random
 * `placeholder` field beside it): a section secret holding it is read as no section, so an
 * unconfigured provider's functions answer 503 and the rest run.
 */
export const SECRET_PLACEHOLDER_TEMPLATE = { replaceMe: true } as const;

/** Whether a parsed secret is still the deploy's placeholder. */
export const isSecretPlaceholder = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && (json as { replaceMe?: unknown }).replaceMe === true;
export type ChannelSecrets = v.InferOutput<typeof ChannelSecretsSchema>;

/** The channel secret with the named sections guaranteed present. */
export type SecretsWith<S extends SecretSection> = { readonly [K in S]: NonNullable<ChannelSecrets[K]> };
export type AllChannelSecrets = SecretsWith<SecretSection>;

export class MissingSecretSectionError extends Error {
  override readonly name = 'MissingSecretSectionError';
}

/**
 * A section whose secret could not be read just now (throttled, deleted, its key denied) with no
 * earlier value to serve: whatever needs that provider is retried or answered 503, while the other
 * providers' sections, read fine, keep working.
 */
export class SecretSectionUnreadableError extends Error {
  override readonly name = 'SecretSectionUnreadableError';
}

/** Per secrets object read, the sections whose secret could not be read, with the error's name. */
const unreadableSections = new WeakMap<ChannelSecrets, ReadonlyMap<SecretSection, string>>();

/** Marks sections of a freshly read secrets object as unreadable this time (see sectionOf). */
export const withUnreadableSections = (
  secrets: ChannelSecrets,
  unreadable: ReadonlyMap<SecretSection, string>,
): ChannelSecrets => {
  if (unreadable.size > 0) unreadableSections.set(secrets, unreadable);
  return secrets;
};

const throwIfUnreadable = (secrets: ChannelSecrets, sections: readonly SecretSection[]): void => {
  const unreadable = unreadableSections.get(secrets);
  const failed = sections.filter((section) => unreadable?.has(section));
  if (failed.length > 0) {
    throw new SecretSectionUnreadableError(
      `could not read the secret of section(s): ${failed.map((section) => `${section} (${unreadable?.get(section)})`).join(', ')}`,
    );
  }
};

/**
 * One provider's credentials: undefined when the deployment has none (no secret, the placeholder,
 * invalid); throws SecretSectionUnreadableError when its secret could not be read just now, so the
 * caller retries instead of taking a passing error for a missing provider.
 */
export const sectionOf = <S extends SecretSection>(
  secrets: ChannelSecrets,
  section: S,
): ChannelSecrets[S] => {
  throwIfUnreadable(secrets, [section]);
  return secrets[section];
};

/** The secret narrowed to the sections a connector needs, or an error naming the missing ones. */
export const requireSections = <S extends SecretSection>(
  secrets: ChannelSecrets,
  sections: readonly S[],
): SecretsWith<S> => {
  throwIfUnreadable(secrets, sections);
  const missing = sections.filter((section) => secrets[section] === undefined);
  if (missing.length > 0) {
    throw new MissingSecretSectionError(
      `no credentials for section(s): ${missing.join(', ')} (each section's secret, <prefix>/channel-secrets/<section>, is unset, still the placeholder or invalid)`,
    );
  }
  return secrets as SecretsWith<S>;
};

/**
 * The Graph token for a page or WhatsApp phone-number id: its own, else the system user's (what
 * sends and uploads, and erasure deletes uploads, with). An Instagram account's is its own only:
 * its sends go to `/me/messages`, where `me` is whoever the token is, so the system user's token
 * would be refused by Meta (100/33) as content rather than credentials; without its own the send
 * ends `credentials` (paused, alarmed) before any call.
 */
export const metaAccessTokenFor = (
  meta: ChannelSecrets['meta'],
  id: string,
  endpointType?: string,
): string | undefined =>
  endpointType === 'instagram_account'
    ? meta?.accessTokens?.[id]
    : (meta?.accessTokens?.[id] ?? meta?.accessToken);

/** A sending domain's own key (a domain sending key) when given, else the private API key. */
export const mailgunApiKeyFor = (mailgun: ChannelSecrets['mailgun'], domain: string): string | undefined => {
  const wanted = domain.toLowerCase();
  const own = Object.entries(mailgun?.apiKeys ?? {}).find(([name]) => name.toLowerCase() === wanted);
  return own?.[1] ?? mailgun?.apiKey;
};

type TwilioSection = NonNullable<ChannelSecrets['twilio']>;

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

/** The tokens an account's webhooks may be signed with: its own, then the one being rotated in. */
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

/**
 * The Instagram account of the samples (events/messenger/instagram-*.json), which the local hub
 * answers with a Page access token of its own, as a deployment must (see `accessTokens`).
 */
const LOCAL_INSTAGRAM_ACCOUNT_ID = '17841458392017465';

/** Development defaults for the local hub and the replay kit. Public, so never valid in production. */
export const LOCAL_DEV_SECRETS: AllChannelSecrets = {
  meta: {
    appSecret: 'local-meta-app-secret',
    verifyToken: 'local-verify-token',
    hubAppIds: ['100000000000001'],
    accessToken: 'local-meta-access-token',
    accessTokens: { [LOCAL_INSTAGRAM_ACCOUNT_ID]: 'local-instagram-page-access-token' },
  },
  twilio: { authToken: 'local-twilio-auth-token', accountSid: 'AC00000000000000000000000000000000' },
  mailgun: { signingKey: 'local-mailgun-signing-key', apiKey: 'local-mailgun-api-key' },
  email: { replyTagKey: 'local-reply-tag-key-public-and-only-for-development' },
};

/** `SWITCHBOARD_META_ACCESS_TOKENS`: a JSON object of tokens by page, Instagram account or phone-number id. */
const accessTokensFromEnv = (json: string | undefined): unknown => {
  if (json === undefined) return LOCAL_DEV_SECRETS.meta.accessTokens;
  try {
    return JSON.parse(json);
  } catch {
    throw new Error('SWITCHBOARD_META_ACCESS_TOKENS is not JSON (an object of tokens by id)');
  }
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

/** Local secrets, each overridable by an environment variable. */
export const localSecretsFromEnv = (env: NodeJS.ProcessEnv = process.env): AllChannelSecrets =>
  requireSections(
    parseOrThrow(ChannelSecretsSchema, {
      meta: {
        appSecret: env.SWITCHBOARD_META_APP_SECRET ?? LOCAL_DEV_SECRETS.meta.appSecret,
        verifyToken: env.SWITCHBOARD_META_VERIFY_TOKEN ?? LOCAL_DEV_SECRETS.meta.verifyToken,
        hubAppIds:
          env.SWITCHBOARD_META_HUB_APP_IDS?.split(',').filter(Boolean) ?? LOCAL_DEV_SECRETS.meta.hubAppIds,
        accessToken: env.SWITCHBOARD_META_ACCESS_TOKEN ?? LOCAL_DEV_SECRETS.meta.accessToken,
        accessTokens: accessTokensFromEnv(env.SWITCHBOARD_META_ACCESS_TOKENS),
      },
      twilio: {
        authToken: env.SWITCHBOARD_TWILIO_AUTH_TOKEN ?? LOCAL_DEV_SECRETS.twilio.authToken,
        secondaryAuthToken: env.SWITCHBOARD_TWILIO_SECONDARY_AUTH_TOKEN,
        accountSid: env.SWITCHBOARD_TWILIO_ACCOUNT_SID ?? LOCAL_DEV_SECRETS.twilio.accountSid,
        accounts: twilioAccountsFromEnv(env.SWITCHBOARD_TWILIO_ACCOUNTS),
      },
      mailgun: {
        signingKey: env.SWITCHBOARD_MAILGUN_SIGNING_KEY ?? LOCAL_DEV_SECRETS.mailgun.signingKey,
        apiKey: env.SWITCHBOARD_MAILGUN_API_KEY ?? LOCAL_DEV_SECRETS.mailgun.apiKey,
      },
      email: { replyTagKey: env.SWITCHBOARD_EMAIL_REPLY_TAG_KEY ?? LOCAL_DEV_SECRETS.email.replyTagKey },
    }),
    SECRET_SECTIONS,
  );

/**
 * The pseudonym key (shared/aws/pseudonym-key.ts) of the local hub, the replay kit and the tests:
 * fixed, so a local data directory's kept opt-outs stay found across restarts, and public, so it
 * protects nothing (local data is development data). Overridable by SWITCHBOARD_PSEUDONYM_KEY.
 */
const LOCAL_DEV_PSEUDONYM_KEY = 'local-pseudonym-key-public-and-only-for-development';

/** The local pseudonym key: the environment's, else the development default. */
export const localPseudonymKeyFromEnv = (env: NodeJS.ProcessEnv = process.env): string =>
  env.SWITCHBOARD_PSEUDONYM_KEY ?? LOCAL_DEV_PSEUDONYM_KEY;

import { PROVIDER_LINK_SECONDS } from '#shared/aws/media-objects.ts';
import type { TwilioLogin } from '#shared/config/secrets/twilio.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import type { BusinessEndpoint, ChannelIdentity } from '#shared/contract/types.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';
import type { ProviderRequest } from '#shared/outbound/provider-http.ts';
import type { TwilioChannel } from './prepare.ts';

/**
 * Basic credentials: the auth token of the account each request is for, an API key SID and its
 * secret, or one account's login (`twilioLogin`), which also reaches its subaccounts.
 */
export type TwilioCredentials =
  | { readonly authToken: string }
  | { readonly apiKeySid: string; readonly apiKeySecret: string }
  | { readonly login: TwilioLogin };

const E164 = /^\+[1-9]\d{6,14}$/;

/** What the hub can address: an E.164 number on SMS; a wa_id or an E.164 number on WhatsApp. */
export const twilioAddressOf = (channel: TwilioChannel, identity: ChannelIdentity): string | undefined => {
  if (channel === 'sms')
    return identity.type === 'phone' && E164.test(identity.value) ? identity.value : undefined;
  if (identity.type === 'wa_id' && /^[1-9]\d{6,14}$/.test(identity.value))
    return `whatsapp:+${identity.value}`;
  if (identity.type === 'phone' && E164.test(identity.value)) return `whatsapp:${identity.value}`;
  return undefined;
};

/** The sender: the endpoint's number (or short code, or alphanumeric id) as Twilio knows it. */
const twilioFromOf = (channel: TwilioChannel, endpointId: string): string =>
  channel === 'whatsapp' ? `whatsapp:${endpointId.replace(/^whatsapp:/i, '')}` : endpointId;

/** Positional parameters become `{"1": …, "2": …}`; named ones are passed as they are. */
const contentVariables = (parameters: readonly string[] | Readonly<Record<string, string>>): string =>
  JSON.stringify(
    Array.isArray(parameters)
      ? Object.fromEntries(parameters.map((value, index) => [String(index + 1), value]))
      : parameters,
  );

const contentParams = (part: OutboundPart): Array<[string, string]> => {
  switch (part.type) {
    case 'text':
      return [['Body', part.text]];
    case 'media':
      return [
        ...(part.caption ? ([['Body', part.caption]] as Array<[string, string]>) : []),
        ...('url' in part.source ? ([['MediaUrl', part.source.url]] as Array<[string, string]>) : []),
      ];
    case 'template':
      return [
        ['ContentSid', part.name],
        ...(part.parameters !== undefined
          ? ([['ContentVariables', contentVariables(part.parameters)]] as Array<[string, string]>)
          : []),
      ];
    default:
      return [];
  }
};

/**
 * The account a business endpoint's messages live in: its own (`endpoint.accountId`, a subaccount,
 * as the webhook's AccountSid named it) or the one the sender was made for (`twilioAccountFor` in
 * shared/config/secrets/twilio.ts, which erasure and media downloads ask too).
 */
export const twilioAccountSidFor = <T extends string | undefined>(
  endpoint: BusinessEndpoint,
  deploymentAccountSid: T,
): string | T => endpoint.accountId ?? deploymentAccountSid;

const loginOf = (accountSid: string, credentials: TwilioCredentials): TwilioLogin => {
  if ('login' in credentials) return credentials.login;
  return 'authToken' in credentials
    ? { username: accountSid, password: credentials.authToken }
    : { username: credentials.apiKeySid, password: credentials.apiKeySecret };
};

/** The Authorization header for a request about `accountSid`'s resources. */
export const basicAuthorization = (accountSid: string, credentials: TwilioCredentials): string => {
  const login = loginOf(accountSid, credentials);
  return `Basic ${Buffer.from(`${login.username}:${login.password}`, 'utf8').toString('base64')}`;
};

export interface TwilioRequestInput {
  readonly apiBaseUrl: string;
  readonly accountSid: string;
  /** The Authorization header (basicAuthorization). */
  readonly authorization: string;
  readonly channel: TwilioChannel;
  readonly to: string;
  readonly part: OutboundPart;
  readonly context: MessageContext;
  /** When the request is made: a deadline becomes the seconds left from then. */
  readonly now: Date;
}

/** Twilio's `ValidityPeriod` bounds in seconds; without one it queues a message for the maximum (outbound.md 1.3). */
const MIN_VALIDITY_SECONDS = 1;
const MAX_VALIDITY_SECONDS = 36_000;

/**
 * How long Twilio may hold the message in its queue: the seconds left until the command's deadline,
 * rounded up, within Twilio's bounds (a deadline passing during the call still gets its minimum).
 * A message with a file's link at most as long as such a link works (PROVIDER_LINK_SECONDS): Twilio
 * fetches the file when the message leaves its queue, and a message that waited longer would fail
 * there after the hub said `sent` (before 2026-12-04 it could wait 10 hours; found by a review).
 * Nothing when neither applies: Twilio's own default.
 */
const validityPeriod = (
  deadline: string | undefined,
  now: Date,
  carriesLink: boolean,
): Array<[string, string]> => {
  const untilDeadline =
    deadline === undefined ? undefined : Math.ceil((Date.parse(deadline) - now.getTime()) / 1000);
  const bounds = [untilDeadline, carriesLink ? PROVIDER_LINK_SECONDS : undefined].filter(
    (bound): bound is number => bound !== undefined,
  );
  if (bounds.length === 0) return [];
  const clamped = Math.min(MAX_VALIDITY_SECONDS, Math.max(MIN_VALIDITY_SECONDS, Math.min(...bounds)));
  return [['ValidityPeriod', String(clamped)]];
};

/** `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded, Basic auth. */
export const twilioMessageRequest = (input: TwilioRequestInput): ProviderRequest => {
  const { context } = input;
  const form = new URLSearchParams([
    ['To', input.to],
    ['From', twilioFromOf(input.channel, context.target.endpoint.id)],
    ...contentParams(input.part),
    ...(context.statusCallbackUrl
      ? ([['StatusCallback', context.statusCallbackUrl]] as Array<[string, string]>)
      : []),
    ...validityPeriod(context.deadline, input.now, input.part.type === 'media' && 'url' in input.part.source),
  ]);
  const base = input.apiBaseUrl.replace(/\/+$/, '');
  return {
    method: 'POST',
    url: `${base}/2010-04-01/Accounts/${encodeURIComponent(input.accountSid)}/Messages.json`,
    headers: {
      authorization: input.authorization,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form.toString(),
  };
};

import type { SendFailureReason } from '#shared/contract/types.ts';
import type { ChannelSender, SendOutcome } from '#shared/outbound/channel-sender.ts';
import { callProvider } from '#shared/outbound/provider-http.ts';
import { classifyTwilioResponse } from './classify.ts';
import { prepareTwilioParts, type TwilioChannel } from './prepare.ts';
import {
  basicAuthorization,
  type TwilioCredentials,
  twilioAccountSidFor,
  twilioAddressOf,
  twilioMessageRequest,
} from './request.ts';

export type TwilioSenderOptions = {
  /** SMS/MMS or WhatsApp: `prepare` is given no conversation, so one sender serves one channel. */
  readonly channel: TwilioChannel;
  /** `https://api.twilio.com`; a local server in tests. */
  readonly apiBaseUrl: string;
  /** The account the messages are sent from, unless the endpoint names its own (`endpoint.accountId`, a subaccount). */
  readonly accountSid: string;
  /** Give up waiting after this long (the message may still have been created). Default 10 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
} & TwilioCredentials;

const DEFAULT_TIMEOUT_MS = 10_000;

const credentialsOf = (options: TwilioSenderOptions): TwilioCredentials =>
  'login' in options
    ? { login: options.login }
    : 'apiKeySid' in options
      ? { apiKeySid: options.apiKeySid, apiKeySecret: options.apiKeySecret }
      : { authToken: options.authToken };

/** Refused before any call: the hub's own code, in words without the contact's number. */
const refusedBeforeCall = (reason: SendFailureReason, code: string, title: string): SendOutcome => ({
  kind: 'refused',
  reason,
  retryable: false,
  error: { code, title },
});

/**
 * Twilio Programmable Messaging (SMS/MMS or WhatsApp) for conversations whose provider is
 * `twilio`: the endpoint id is the business number, `endpoint.accountId` the account SID.
 */
export const createTwilioSender = (options: TwilioSenderOptions): ChannelSender => {
  const credentials = credentialsOf(options);
  const http = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  return {
    provider: 'twilio',
    prepare: (parts, policy, _target, stored) => prepareTwilioParts(options.channel, parts, policy, stored),
    send: async (message, context) => {
      const { target } = context;
      if (target.provider !== 'twilio' || target.channel !== options.channel) {
        return refusedBeforeCall(
          'provider_error',
          'switchboard.wrong_sender',
          `a Twilio ${options.channel} sender was given another channel`,
        );
      }
      const to = twilioAddressOf(options.channel, target.recipient);
      if (to === undefined) {
        return refusedBeforeCall(
          'recipient_invalid',
          'switchboard.recipient_unaddressable',
          `the contact has no ${options.channel} number Twilio can send to`,
        );
      }
      const accountSid = twilioAccountSidFor(target.endpoint, options.accountSid);
      const request = twilioMessageRequest({
        apiBaseUrl: options.apiBaseUrl,
        accountSid,
        authorization: basicAuthorization(accountSid, credentials),
        channel: options.channel,
        to,
        part: message.part,
        context,
        now: new Date(),
      });
      const call = await callProvider(request, http);
      if (call.kind === 'not_sent') return { kind: 'unreachable', error: call.error };
      if (call.kind === 'no_answer') return { kind: 'ambiguous', error: call.error };
      return classifyTwilioResponse(call.response);
    },
  };
};

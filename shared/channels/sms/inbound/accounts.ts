import {
  type TwilioSection,
  twilioAccountOf,
  twilioNumberOwner,
  twilioWebhookTokens,
} from '#shared/config/secrets/twilio.ts';
import type { FormParam } from './form.ts';
import { businessAddressOf } from './normalize.ts';
import { twilioBusinessKey } from './phone.ts';
import { twilioSignatureMatches } from './signature.ts';

/*
 * Which Twilio account's token a Messaging request is checked with. Twilio signs a number's webhooks
 * (its incoming messages, and the status callbacks of messages sent from it) with the auth token of
 * the account the number is in, and names that account in `AccountSid`. A conversation is the
 * business number's, whichever account posts about it, so a token is trusted only for its own
 * account's numbers: a request naming a further account (the secret's `accounts`) is checked with
 * that account's token and accepted only about one of its listed numbers; any other is checked with
 * the main account's token, and refused when it is about a number listed under a further account.
 */

const SIGNATURE_MISMATCH = 'X-Twilio-Signature does not match the URL and parameters';

/** The parameters that name the account a request comes from and the business it is about. */
const SUBJECT_NAMES = new Set(['AccountSid', 'MessageStatus', 'SmsStatus', 'To', 'From']);

interface Subject {
  /** Every distinct AccountSid sent. */
  readonly accountSids: readonly string[];
  /** The business address the normalizer files the request under, when it can file it under one. */
  readonly business: string | undefined;
}

/**
 * The subject as the normalizer reads it (./normalize.ts): a name sent once has its value; a name
 * sent more than once has none, since the normalizer's schema refuses it and then files the request
 * under no business endpoint at all.
 */
const subjectOf = (params: readonly FormParam[]): Subject => {
  const values = new Map<string, string[]>();
  for (const [name, value] of params) {
    if (!SUBJECT_NAMES.has(name)) continue;
    const seen = values.get(name);
    if (seen) seen.push(value);
    else values.set(name, [value]);
  }
  const single = (name: string): string | undefined => {
    const sent = values.get(name);
    return sent?.length === 1 ? sent[0] : undefined;
  };
  return {
    accountSids: [...new Set(values.get('AccountSid'))],
    business: businessAddressOf({
      MessageStatus: single('MessageStatus'),
      SmsStatus: single('SmsStatus'),
      To: single('To'),
      From: single('From'),
    }),
  };
};

const hasFurtherAccounts = (twilio: TwilioSection): boolean =>
  twilio.accounts !== undefined && Object.keys(twilio.accounts).length > 0;

/**
 * Why a form-encoded request is refused (403), or undefined to accept it. The signature is checked
 * first, with the tokens of the account the request names (a further account's own, else the main
 * account's), so a caller without a token learns nothing of which numbers are whose. Without
 * further accounts this is the main account's signature check alone, as before them.
 */
export const twilioFormRefusal = (
  twilio: TwilioSection,
  url: string,
  params: readonly FormParam[],
  signature: string,
): string | undefined => {
  if (!hasFurtherAccounts(twilio))
    return twilioSignatureMatches(twilioWebhookTokens(twilio), url, params, signature)
      ? undefined
      : SIGNATURE_MISMATCH;
  const subject = subjectOf(params);
  // Twilio names one account; two would leave the token to the order of the parameters.
  if (subject.accountSids.length > 1) return 'AccountSid is sent with more than one value';
  const accountSid = subject.accountSids[0];
  const account = accountSid === undefined ? undefined : twilioAccountOf(twilio, accountSid);
  if (!twilioSignatureMatches(twilioWebhookTokens(account ?? twilio), url, params, signature))
    return SIGNATURE_MISMATCH;
  const key = subject.business === undefined ? undefined : twilioBusinessKey(subject.business);
  const owner = key === undefined ? undefined : twilioNumberOwner(twilio, key);
  if (account !== undefined)
    return owner === accountSid
      ? undefined
      : 'the business number is not one of those configured for the account in AccountSid';
  return owner === undefined
    ? undefined
    : 'the business number is configured under another Twilio account than the one in AccountSid';
};

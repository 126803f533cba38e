import type { ProviderError, SendFailureReason } from '#shared/contract/types.ts';
import type { SendOutcome, ThrottleBackoff } from '#shared/outbound/channel-sender.ts';
import type { GraphFailure } from './graph-error.ts';

/** What a Graph failure means, before the provider's words are attached. */
export type Verdict =
  | { readonly kind: 'throttled'; readonly backoff?: ThrottleBackoff }
  | { readonly kind: 'credentials' }
  | { readonly kind: 'ambiguous' }
  | {
      readonly kind: 'refused';
      readonly reason: SendFailureReason;
      readonly retryable: boolean;
      /** Retryable, but not by the hub's backoff: see `SendOutcome`. */
      readonly retryLater?: true;
    };

export const refused = (reason: SendFailureReason, retryable = false): Verdict => ({
  kind: 'refused',
  reason,
  retryable,
});
/** Refused for now, to be sent again later than the hub's backoff would (hours): the command ends retryable at once. */
export const refusedUntilLater = (reason: SendFailureReason): Verdict => ({
  kind: 'refused',
  reason,
  retryable: true,
  retryLater: true,
});
export const THROTTLED: Verdict = { kind: 'throttled' };
/** The token, or the business account behind the endpoint, refused: the endpoint is paused and a person alerted. */
export const CREDENTIALS: Verdict = { kind: 'credentials' };
const AMBIGUOUS: Verdict = { kind: 'ambiguous' };

/**
 * A generic failure (Graph's 1 "API Unknown", WhatsApp's 131000 "Something went wrong", 131016
 * "Service unavailable"): after a 5xx the request may have been acted on; after a 4xx it was not,
 * and a later try may pass.
 */
export const generic = (failure: GraphFailure): Verdict =>
  failure.status >= 500 ? AMBIGUOUS : refused('provider_error', true);

/** Graph's code 1 subcode that Meta documents as sent all the same (Messenger Platform, common error codes). */
const SENT_DESPITE_ERROR_SUBCODE = 1_357_046;

/** Graph API business-use-case throttling codes (80000–80014, WhatsApp's 80007 among them). */
const isBusinessUseCaseThrottle = (code: number): boolean => code >= 80_000 && code <= 80_014;

/**
 * Graph-wide codes (Graph error-handling guide), after a channel's own table:
 * 2 temporary downtime, 4 app, 17 user, 32 page, 613 custom and 800xx use-case rate limits → throttled;
 * 0, 102, 190 token and 3, 10, 200–299 permission errors → credentials (stop the endpoint);
 * 1 unknown → generic. (100/33 on the call's own node is decided before the tables: `decide`.)
 *
 * Code 10 is a missing permission of the app only without a subcode ("Application does not have
 * permission for this action"). The subcoded code-10 refusals known are about one conversation
 * (Messenger's and Instagram's "sent outside of allowed window", in the channel's table): a subcode
 * no table knows is refused for this message alone (`provider_error`, not retryable), because
 * pausing the endpoint would fail every other conversation's sends for 5 minutes and raise the
 * credentials alarm over one thread; the token and permission refusals Meta documents (190,
 * 200–299, 10 without a subcode, HTTP 401) still pause it.
 */
const graphWide = (failure: GraphFailure, code: number): Verdict | undefined => {
  if ([2, 4, 17, 32, 613].includes(code) || isBusinessUseCaseThrottle(code)) return THROTTLED;
  if (code === 10 && failure.subcode !== undefined) return refused('provider_error', false);
  if ([0, 3, 10, 102, 190].includes(code) || (code >= 200 && code <= 299)) return CREDENTIALS;
  // Meta's common error codes: 1/1357046 "The messages are all sent successfully, but the endpoint
  // returns an error… a system delay in returning the error message": it may have gone, whatever the
  // status (until 2026-12-06 a 4xx was refused as retryable, so a new command could double it; found by a review).
  if (code === 1 && failure.subcode === SENT_DESPITE_ERROR_SUBCODE) return AMBIGUOUS;
  if (code === 1) return generic(failure);
  return undefined;
};

/**
 * Graph's own reading of a failure, without a channel's table or the HTTP status: HTTP 401 and the
 * Graph-wide codes above (throttled, credentials, a generic or a subcoded code-10 refusal); undefined
 * when neither decides. For a Graph call that sends nothing (the media fetcher's lookup of an inbound
 * attachment), so that it reads Graph's codes as the sender does.
 */
export const graphVerdict = (failure: GraphFailure): Verdict | undefined => {
  if (failure.status === 401) return CREDENTIALS;
  return failure.code === undefined ? undefined : graphWide(failure, failure.code);
};

/** What is left once no code decided: the HTTP status. */
const byStatus = (status: number): Verdict => {
  if (status === 429) return THROTTLED;
  if (status >= 500) return AMBIGUOUS;
  if (status >= 400) return refused('provider_error', false);
  // Anything else (a redirect not followed, an informational status) answered without saying: it may have gone.
  return AMBIGUOUS;
};

/**
 * HTTP 401 first (the token), then the call's own node refused to the token, then the channel's
 * codes, then Graph-wide codes, then the status.
 *
 * A node refused (code 100, subcode 33, naming the phone number id, page id or `me` the call was made
 * on: `GraphFailure.nodeUnreachable`) comes before the channel tables, which read code 100 as an
 * invalid parameter of the message: the token was never given the endpoint, so every message from it
 * would fail alike. It pauses the endpoint and raises the credentials alarm, as a refused token does.
 */
export const decide = (
  failure: GraphFailure,
  channelTable: (failure: GraphFailure, code: number) => Verdict | undefined,
): Verdict => {
  if (failure.status === 401 || failure.nodeUnreachable) return CREDENTIALS;
  const code = failure.code;
  if (code !== undefined) {
    const verdict = channelTable(failure, code) ?? graphWide(failure, code);
    if (verdict !== undefined) return verdict;
  }
  return byStatus(failure.status);
};

/** The verdict with the provider's words and any wait it named. */
export const toOutcome = (verdict: Verdict, failure: GraphFailure): SendOutcome => {
  const error = failure.error;
  switch (verdict.kind) {
    case 'throttled':
      return {
        kind: 'throttled',
        ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
        ...(verdict.backoff !== undefined ? { backoff: verdict.backoff } : {}),
        error,
      };
    case 'credentials':
    case 'ambiguous':
      return { kind: verdict.kind, error };
    case 'refused':
      return {
        kind: 'refused',
        reason: verdict.reason,
        retryable: verdict.retryable,
        ...(verdict.retryLater ? { retryLater: true } : {}),
        error,
      };
  }
};

/** A refusal decided here, before any call: nothing was sent. */
export const localRefusal = (
  reason: SendFailureReason,
  error: ProviderError,
  retryable = false,
): SendOutcome => ({ kind: 'refused', reason, retryable, error });

/** Graph names the recipient in the details of a generic parameter error (`to`, `recipient`, a phone number…). */
const RECIPIENT_DETAILS = /['"](to|recipient|recipient_id|wa_id)['"]|\brecipient\b|phone number|\bwa_id\b/i;

export const detailsNameRecipient = (failure: GraphFailure): boolean =>
  failure.details !== undefined && RECIPIENT_DETAILS.test(failure.details);

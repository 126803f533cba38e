import type { GraphFailure } from '#shared/channels/meta/outbound/graph-error.ts';
import {
  CREDENTIALS,
  decide,
  detailsNameRecipient,
  generic,
  refused,
  refusedUntilLater,
  THROTTLED,
  type Verdict,
} from '#shared/channels/meta/outbound/verdict.ts';

/*
 * WhatsApp Cloud API error codes (developers.facebook.com …/whatsapp/support/error-codes; outbound.md
 * 1.1 and 7.3). Meta asks to key on `code` and `error_data.details`, never on titles.
 */

/** Template errors: 132000 parameter count, 132001 missing, 132005 too long, 132007 policy, 132012 format, 132015 paused, 132016 disabled, 132068/132069 flow blocked/throttled. */
const isTemplateCode = (code: number): boolean => code >= 132_000 && code <= 132_069;
/** Paused templates and throttled flows may pass later. */
const TEMPORARY_TEMPLATE_CODES = new Set([132_015, 132_069]);
/**
 * 131056, the pair rate (about one message per 6 s to one user): a try sooner is refused again, so
 * the message waits at least 6 s, then 24 s, 96 s… (4^n; outbound.md 1.1 and 7.3), where the generic
 * throttle's backoff would come back after 0–2 s, then 0–4 s.
 */
const PAIR_RATE: Verdict = { kind: 'throttled', backoff: { minMs: 6_000, factor: 4 } };

const whatsAppTable = (failure: GraphFailure, code: number): Verdict | undefined => {
  if (isTemplateCode(code)) return refused('template_invalid', TEMPORARY_TEMPLATE_CODES.has(code));
  switch (code) {
    // The number cannot send anything until a person acts at Meta: paused and alarmed as a refused
    // token is (Graph's 10 and 200–299), not refused message by message as one conversation's fault.
    case 131_005: // access denied: the app's permission not granted or removed
    case 131_031: // business account locked (a policy violation, or data it could not verify)
    // 368, beside 131031 among WhatsApp's integrity errors (HTTP 403): the business account
    // restricted or disabled for a policy violation. Every send of the number is refused until Meta
    // lifts it or an appeal passes: the number's, not one conversation's. Before 2026-12-06 it ended
    // `provider_error`, not retryable, one conversation at a time (found by a review).
    case 368:
    case 133_010: // the phone number is not registered on the Cloud API
    // 33, "Parameter value is not valid": the business phone number has been deleted (WhatsApp's
    // error-codes table). Every send from it fails alike, as 133010's: until 2026-12-07 it ended
    // `provider_error` one message at a time, the number neither paused nor alarmed (found by a review).
    case 33:
      return CREDENTIALS;
    case 131_042: // business eligibility: the account's payment method
      // Billing blocks the messages Meta charges for; a free reply in an open window may still go, so
      // the number is not paused. A person must act (the credentials alarm counts the reason), and a
      // try within the hub's minutes would be refused again: ended at once, retryable.
      return refusedUntilLater('credentials');
    case 131_062: // a business-scoped user id cannot receive this message (an authentication template)
      return refused('recipient_invalid');
    case 130_429: // throughput reached
      return THROTTLED;
    case 131_056: // pair rate: too many messages to one user
      return PAIR_RATE;
    case 131_047: // re-engagement: more than 24 hours since the user wrote
      return refused('window_closed');
    case 131_026: // undeliverable: not on WhatsApp, old app, blocked
      return refused('recipient_unreachable');
    case 131_021: // recipient cannot be sender
    case 131_030: // not in the test number's allowed list
      return refused('recipient_invalid');
    case 131_050: // the user stopped marketing messages
      return refused('opted_out');
    case 131_048: // spam rate limit (the number's quality)
    case 131_049: // Meta chose not to deliver (per-user marketing limit)
      // Lifted after hours (the user's marketing cap) or once the number's quality recovers; Meta asks
      // not to retry soon. The hub's 10 minutes of backoff would be refused again while holding the
      // conversation's later commands: ended at once, retryable, for the helpdesk to send later.
      return refusedUntilLater('rate_limited');
    case 131_008: // required parameter missing
    case 131_051: // unsupported message type
    case 131_052: // media download error (the link could not be fetched)
    case 131_053: // media upload error
      return refused('content_invalid');
    // Code 100 naming the phone number id the call was made on (subcode 33) is its token's: verdict.ts.
    // A media id Meta no longer knows (an upload expired or deleted) is code 100 too ("Param
    // image['id'] is not a valid whatsapp business account media attachment ID"): refused here as
    // content; the sender tries once more with a fresh upload when the id was an earlier try's
    // (shared/outbound/send-command.ts, refusedForNow).
    case 100: // invalid parameter
    case 131_009: // parameter value not valid
      return refused(detailsNameRecipient(failure) ? 'recipient_invalid' : 'content_invalid');
    case 131_000: // something went wrong
    case 131_016: // service unavailable
      return generic(failure);
    case 131_057: // business account in maintenance mode
      return refused('provider_error', true);
    default:
      return undefined;
  }
};

export const classifyWhatsAppFailure = (failure: GraphFailure): Verdict => decide(failure, whatsAppTable);

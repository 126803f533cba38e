import type { GraphFailure } from '#shared/channels/meta/outbound/graph-error.ts';
import { decide, refused, type Verdict } from '#shared/channels/meta/outbound/verdict.ts';

/*
 * Messenger Platform error codes (…/messenger-platform/error-codes; outbound.md 1.2): the window
 * and user codes come with a subcode. Throttles (2, 4, 613, 800xx, HTTP 429), tokens (190) and
 * permissions (10, 200–299) are Graph-wide (verdict.ts).
 */

/**
 * Code 10 with these subcodes: "This message is sent outside of allowed window", a refusal for one
 * conversation, not a missing permission of the page. 2018278 and 2018065 on Messenger (Meta's
 * error-code tables, outbound.md 1.2); 2534022 on Instagram (IGApiException, seen in public issue
 * reports). Code 10 without a subcode is a permission of the app (credentials); with any other
 * subcode, see verdict.ts.
 */
const WINDOW_SUBCODES = new Set([2_018_278, 2_018_065, 2_534_022]);

/**
 * Code 10 with 2018108: "This Person Cannot Receive Messages: This person isn't receiving messages
 * from you right now" (Meta's Send API error table): the person blocked the page or turned its
 * messages off, as 551 and 200/1545041 say. Not a window a human agent's tag or a later message of
 * the customer's could reopen for this send.
 */
const PERSON_CANNOT_RECEIVE_SUBCODE = 2_018_108;

/**
 * "This person isn't available right now": the subcode Meta sends with 551, which public client code
 * and reports also read with code 200 (a person who blocked the page or turned messages off). A
 * refusal of one recipient: pausing the page for it (code 200 is otherwise a permission of the page,
 * verdict.ts) would fail every other customer's replies for 5 minutes over one person's choice.
 */
const PERSON_UNAVAILABLE_SUBCODE = 1_545_041;

/**
 * Code 100 with these subcodes: no matching user, the recipient id names no one this page or
 * account can message. 2018001 on Messenger (Meta's error-code table, outbound.md 1.2); 2534014 on
 * Instagram (IGApiException; in no Meta table read, mapped to the recipient by public Instagram
 * client code). Code 100 otherwise is an invalid parameter of the message, except subcode 33 naming
 * the page id or `me` the call was made on: the token cannot reach the endpoint (verdict.ts).
 */
const NO_MATCHING_USER_SUBCODES = new Set([2_018_001, 2_534_014]);

const messengerTable = (failure: GraphFailure, code: number): Verdict | undefined => {
  if (code === 10 && failure.subcode !== undefined && WINDOW_SUBCODES.has(failure.subcode)) {
    return refused('window_closed');
  }
  if (code === 10 && failure.subcode === PERSON_CANNOT_RECEIVE_SUBCODE)
    return refused('recipient_unreachable');
  if (code === 200 && failure.subcode === PERSON_UNAVAILABLE_SUBCODE) return refused('recipient_unreachable');
  switch (code) {
    case 551: // this person isn't available right now (messages turned off, blocked)
      return refused('recipient_unreachable');
    case 100: // no matching user (Messenger 2018001, Instagram 2534014); otherwise an invalid parameter
      return refused(
        failure.subcode !== undefined && NO_MATCHING_USER_SUBCODES.has(failure.subcode)
          ? 'recipient_invalid'
          : 'content_invalid',
      );
    case 1200: // temporary send message failure: try again later
      return refused('provider_error', true);
    default:
      return undefined;
  }
};

export const classifyMessengerFailure = (failure: GraphFailure): Verdict => decide(failure, messengerTable);

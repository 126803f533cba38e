import { z } from 'zod';
import type { ProviderError, SendFailureReason } from '#shared/contract/types.ts';
import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import type { ProviderResponse } from '#shared/outbound/provider-http.ts';
import { jsonOrUndefined, retryAfterMsOf } from '../../provider-answer.ts';
import { redactContactDetails } from '../../provider-text.ts';

/** Twilio's answer to a created message (HTTP 201): its SID names it. */
const CreatedSchema = z.looseObject({ sid: z.string().regex(/^[A-Z]{2}[0-9a-f]{32}$/) });

/** Twilio's REST error body: `{code, message, more_info, status}` (twilio.com/docs/usage/twilios-response). */
const TwilioErrorSchema = z.looseObject({
  code: z.number().int().optional(),
  message: z.string().optional(),
  more_info: z.string().optional(),
  status: z.number().int().optional(),
});
type TwilioErrorBody = z.infer<typeof TwilioErrorSchema>;

type Refusal = { readonly reason: SendFailureReason; readonly retryable: boolean };

/**
 * Codes that mean "too fast, nothing sent" (outbound.md §1.3): 20429 API rate, 14107 replies between
 * two numbers, 63018 channel rate, 21611 the From number's queue holds more than 10 hours of messages
 * (refused at creation, so nothing was queued; it passes once the queue drains).
 */
const THROTTLE_CODES = new Set([20429, 14107, 63018, 21611]);
/**
 * The hub's login refused (20003), or the account it sends from not active (10001: suspended for its
 * balance or a policy violation, or its parent suspended; 20005: out of funds or a trial not
 * activated; twilio.com/docs/api/errors/10001, …/20005): every send of the account fails alike until
 * a person fixes it, so the endpoint is paused and the alarm raised, and the command may be sent again
 * then. So is a WhatsApp sender Twilio does not know (63007: the From is no WhatsApp sender of the
 * account, or one still pending approval; twilio.com/docs/api/errors/63007), as the Cloud API's
 * 133010 (number not registered) is; and a number the login's account does not own (21660: the
 * credentials are another account's, or the number moved to another account;
 * twilio.com/docs/api/errors/21660). Until 2026-12-07 these answers (unless HTTP 401)
 * ended provider_error, not retryable and unalarmed (found by a review).
 */
const CREDENTIAL_CODES = new Set([20003, 10001, 20005, 63007, 21660]);
/** Refusals by Twilio error code; none of these is helped by sending the same command again. */
const REFUSALS: ReadonlyMap<number, Refusal> = new Map([
  [21610, { reason: 'opted_out', retryable: false }],
  [21211, { reason: 'recipient_invalid', retryable: false }],
  [21614, { reason: 'recipient_invalid', retryable: false }],
  [21635, { reason: 'recipient_invalid', retryable: false }],
  // Split out of 21211 and 21614 in July 2024 (Twilio's changelog, "Updates to the error code
  // dictionary to clarify number validation errors"): the To is a short code, which Twilio numbers
  // cannot message (twilio.com/docs/api/errors/21265), or the sending number itself (21266). The
  // address is at fault, as with 21211; until 2026-12-07 both ended provider_error (found by a review).
  [21265, { reason: 'recipient_invalid', retryable: false }],
  [21266, { reason: 'recipient_invalid', retryable: false }],
  // Trial accounts send only to verified numbers: the account must change, not the command, so it is
  // a refusal of the hub's setup (as SES's sandbox), not of the recipient.
  [21608, { reason: 'provider_error', retryable: false }],
  [63016, { reason: 'window_closed', retryable: false }],
  [21617, { reason: 'content_invalid', retryable: false }],
  // A parameter (Body, a ContentVariables value) over its character limit.
  [21658, { reason: 'content_invalid', retryable: false }],
  // The ContentVariables parameter is invalid: not a JSON object, a variable empty or null, a key over
  // 16 characters (twilio.com/docs/api/errors/21656). The command's template values, not the text.
  [21656, { reason: 'template_invalid', retryable: false }],
  // The ContentSid names no Content template of the sending account: deleted, mistyped, or another
  // account's (twilio.com/docs/api/errors/21655, 92006), as WhatsApp's 132001 (no such template).
  [21655, { reason: 'template_invalid', retryable: false }],
  [92006, { reason: 'template_invalid', retryable: false }],
]);

const errorBodyOf = (response: ProviderResponse): TwilioErrorBody => {
  const parsed = TwilioErrorSchema.safeParse(jsonOrUndefined(response.body));
  return parsed.success ? parsed.data : {};
};

/** What Twilio said, its message's contact details masked; `details` holds the documentation link. */
const providerErrorOf = (response: ProviderResponse, body: TwilioErrorBody): ProviderError => ({
  code: String(body.code ?? response.status),
  title: `HTTP ${response.status}`,
  ...(body.message ? { message: redactContactDetails(body.message) } : {}),
  ...(body.more_info ? { details: body.more_info } : {}),
});

/** Twilio's answer to `POST …/Messages.json` as an outcome (outbound.md §1.3 and §7.3). */
export const classifyTwilioResponse = (response: ProviderResponse): SendOutcome => {
  if (response.status >= 200 && response.status < 300) {
    const created = CreatedSchema.safeParse(jsonOrUndefined(response.body));
    // A 2xx without a SID: the message may exist; only its status callback can tell.
    return created.success
      ? { kind: 'accepted', providerMessageId: created.data.sid }
      : {
          kind: 'ambiguous',
          error: { code: String(response.status), title: 'success without a message SID' },
        };
  }
  const body = errorBodyOf(response);
  const error = providerErrorOf(response, body);
  const code = body.code;
  if (response.status === 429 || (code !== undefined && THROTTLE_CODES.has(code))) {
    const retryAfterMs = retryAfterMsOf(response.headers);
    return { kind: 'throttled', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), error };
  }
  if (response.status === 401 || (code !== undefined && CREDENTIAL_CODES.has(code))) {
    return { kind: 'credentials', error };
  }
  const refusal = code === undefined ? undefined : REFUSALS.get(code);
  if (refusal) return { kind: 'refused', ...refusal, error };
  if (response.status >= 500) return { kind: 'ambiguous', error };
  return { kind: 'refused', reason: 'provider_error', retryable: false, error };
};

import { z } from 'zod';
import type { ProviderError, SendFailureReason } from '#shared/contract/types.ts';
import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import type { ProviderResponse } from '#shared/outbound/provider-http.ts';
import { jsonOrUndefined, retryAfterMsOf } from '../../provider-answer.ts';
import { redactContactDetails } from '../../provider-text.ts';

/** Mailgun's answer to a queued message: `{"id": "<…@domain>", "message": "Queued. Thank you."}`. */
const QueuedSchema = z.looseObject({ id: z.string().min(3).max(998) });
/** Mailgun's error body: `{"message": "…"}` (a 401 may answer plain text). */
const ErrorSchema = z.looseObject({ message: z.string() });

const messageOf = (body: string): string | undefined => {
  const parsed = ErrorSchema.safeParse(jsonOrUndefined(body));
  return parsed.success ? parsed.data.message : undefined;
};

const providerErrorOf = (response: ProviderResponse, message: string | undefined): ProviderError => ({
  code: String(response.status),
  title: `HTTP ${response.status}`,
  ...(message ? { message: redactContactDetails(message) } : {}),
});

const RECIPIENT_WORD = /\b(?:to|recipient)\b/gi;
const INVALID_WORDS = /\b(?:invalid|not a valid)\b/gi;
/** What JavaScript's `.` does not match: a line ends at any of them. */
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * Whether a line names the recipient (`to`, `recipient`) and, after it, calls something invalid:
 * what `/\b(to|recipient)\b.*\b(invalid|not a valid)\b/i` says, in linear time. That regex tried
 * `.*` to the end of the line from every `to`, and backed off one character at a time: 60 KB of
 * "to " took 1.9 s, and an answer is read up to 256 KiB. The first recipient word of the line is
 * the only one to try: any later one is followed by less of the line.
 */
const namesInvalidRecipient = (line: string): boolean => {
  RECIPIENT_WORD.lastIndex = 0;
  if (RECIPIENT_WORD.exec(line) === null) return false;
  INVALID_WORDS.lastIndex = RECIPIENT_WORD.lastIndex;
  return INVALID_WORDS.exec(line) !== null;
};

/**
 * What a 400 refuses, from Mailgun's message (its codes are HTTP statuses only): a recipient,
 * the sending domain's setup, or else the message itself. Each check takes time linear in the
 * message (tests/channels/email.mailgun-sender.test.ts).
 */
const reasonOf400 = (message: string): SendFailureReason =>
  message.split(LINE_BREAK).some(namesInvalidRecipient) || /\bnot a valid address\b/i.test(message)
    ? 'recipient_invalid'
    : /\b(domain|sandbox|not allowed|authorized recipients)\b/i.test(message)
      ? 'provider_error'
      : 'content_invalid';

/** Mailgun's answer to `POST /v3/{domain}/messages.mime` as an outcome. */
export const classifyMailgunResponse = (response: ProviderResponse): SendOutcome => {
  if (response.status >= 200 && response.status < 300) {
    const queued = QueuedSchema.safeParse(jsonOrUndefined(response.body));
    return queued.success
      ? { kind: 'accepted', providerMessageId: queued.data.id.trim().replace(/^<|>$/g, '') }
      : {
          kind: 'ambiguous',
          error: { code: String(response.status), title: 'success without a message id' },
        };
  }
  const message = messageOf(response.body);
  const error = providerErrorOf(response, message);
  if (response.status === 401) return { kind: 'credentials', error };
  if (response.status === 429) {
    const retryAfterMs = retryAfterMsOf(response.headers);
    return { kind: 'throttled', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), error };
  }
  if (response.status >= 500) return { kind: 'ambiguous', error };
  if (response.status === 400) {
    return { kind: 'refused', reason: reasonOf400(message ?? ''), retryable: false, error };
  }
  if (response.status === 413) return { kind: 'refused', reason: 'content_invalid', retryable: false, error };
  return { kind: 'refused', reason: 'provider_error', retryable: false, error };
};

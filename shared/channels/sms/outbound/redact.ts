import { z } from 'zod';
import {
  callProviderRetrying,
  type ProviderRequest,
  type ProviderResponse,
  type ProviderRetryOptions,
} from '#shared/outbound/provider-http.ts';
import { isTwilioMessageSid } from '../inbound/schema.ts';
import { basicAuthorization, type TwilioCredentials } from './request.ts';

/*
 * Provider-side erasure at Twilio (SMS, MMS and WhatsApp through Twilio). A message's text is
 * redacted by updating its `Body` to the empty string (`POST /2010-04-01/Accounts/{AccountSid}/
 * Messages/{Sid}.json`, `Body=`: Twilio's documented redaction of a post-flight message, which keeps
 * the record and its status), and each of its Media resources is deleted (`GET …/Messages/{Sid}/
 * Media.json`, then `DELETE …/Media/{MediaSid}.json`). A 404 means already gone: done. Twilio does
 * not redact a message still queued or sending; that, like any other refusal, is a failure.
 */

/** One provider message to redact: the account it lives in and its SID. */
export interface TwilioMessageRef {
  readonly accountSid: string;
  readonly sid: string;
  /** The login for this message's account when it is not the redactor's (a further account's own). */
  readonly credentials?: TwilioCredentials;
}

export type TwilioRedaction =
  /** The body is empty (or the message is gone) and every media resource is deleted. */
  | { readonly kind: 'redacted'; readonly media: number }
  /**
   * Some step failed; `code` is safe to log (an HTTP status, a Twilio error code, our own). `final`
   * when no retry can succeed: the message's id is not a Twilio Message SID, so Twilio is never asked
   * (`switchboard.invalid_sid`). The id is stored data, not configuration, and stays what it is.
   */
  | { readonly kind: 'failed'; readonly media: number; readonly code: string; readonly final?: true };

export interface TwilioRedactorOptions extends Omit<ProviderRetryOptions, 'sleep'> {
  /** `https://api.twilio.com`; a local simulator in development. */
  readonly apiBaseUrl: string;
  readonly credentials: TwilioCredentials;
  readonly sleep?: (ms: number) => Promise<void>;
}

const ACCOUNT_SID = /^AC[0-9a-f]{32}$/i;
const MEDIA_SID = /^ME[0-9a-f]{32}$/i;
/** A message carries at most 10 media; a listing that keeps returning more is not trusted further. */
const MAX_MEDIA_ROUNDS = 5;
const API_VERSION = '2010-04-01';

const MediaListSchema = z.object({
  media_list: z.array(z.looseObject({ sid: z.string() })),
  next_page_uri: z.string().nullish(),
});

const TwilioErrorSchema = z.looseObject({ code: z.number() });

type Answer = { readonly response: ProviderResponse } | { readonly code: string };

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const isGone = (answer: Answer): boolean => 'response' in answer && answer.response.status === 404;
const isDone = (answer: Answer): boolean =>
  'response' in answer && answer.response.status >= 200 && answer.response.status < 300;

/** A failure's code: Twilio's error code when it gave one, else the HTTP status or the connection error. */
const codeOf = (answer: Answer): string => {
  if ('code' in answer) return answer.code;
  try {
    const parsed = TwilioErrorSchema.safeParse(JSON.parse(answer.response.body));
    if (parsed.success) return `twilio_${parsed.data.code}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return `http_${answer.response.status}`;
};

/** Redacts Twilio messages one at a time; concurrency and the budget are the caller's. */
export const createTwilioRedactor = (options: TwilioRedactorOptions) => {
  const sleep = options.sleep ?? sleepFor;
  const base = options.apiBaseUrl.replace(/\/+$/, '');

  /** One request, retried (with exponential backoff) while Twilio throttles, fails or does not answer. */
  const call = async (request: ProviderRequest): Promise<Answer> => {
    // Redacting and deleting are idempotent: a request that may have arrived is safe to repeat.
    const answer = await callProviderRetrying(request, { ...options, sleep });
    return answer.kind === 'response' ? { response: answer.response } : { code: answer.error.code };
  };

  const requestFor = (
    method: ProviderRequest['method'],
    ref: TwilioMessageRef & { readonly authorization: string },
    path: string,
    body?: string,
  ): ProviderRequest => ({
    method,
    url: `${base}/${API_VERSION}/Accounts/${ref.accountSid}/Messages/${ref.sid}${path}`,
    headers: {
      authorization: ref.authorization,
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(body !== undefined ? { body } : {}),
  });

  /** Deletes every media resource of a message; how many, and the first failure. */
  const deleteMedia = async (
    ref: TwilioMessageRef & { readonly authorization: string },
  ): Promise<{ media: number; code?: string }> => {
    let media = 0;
    for (let round = 0; round < MAX_MEDIA_ROUNDS; round++) {
      const listed = await call(requestFor('GET', ref, '/Media.json?PageSize=100'));
      if (isGone(listed)) return { media };
      if (!isDone(listed) || !('response' in listed)) return { media, code: codeOf(listed) };
      let page: z.infer<typeof MediaListSchema>;
      try {
        page = MediaListSchema.parse(JSON.parse(listed.response.body));
      } catch {
        return { media, code: 'switchboard.unreadable_media_list' };
      }
      const sids = page.media_list.map((item) => item.sid);
      if (sids.some((sid) => !MEDIA_SID.test(sid))) return { media, code: 'switchboard.invalid_media_sid' };
      for (const sid of sids) {
        const deleted = await call(requestFor('DELETE', ref, `/Media/${sid}.json`));
        if (isDone(deleted)) media++;
        else if (!isGone(deleted)) return { media, code: codeOf(deleted) };
      }
      // The first page again, until a listing is empty or was the only page.
      if (sids.length === 0 || !page.next_page_uri) return { media };
    }
    return { media, code: 'switchboard.too_many_media' };
  };

  return {
    redact: async (message: TwilioMessageRef): Promise<TwilioRedaction> => {
      // Refused here, never put in a URL. A message id not in Twilio's format never will be (final);
      // the account SID may be the channel secret's, which a fix of the secret changes (not final).
      if (!isTwilioMessageSid(message.sid))
        return { kind: 'failed', media: 0, code: 'switchboard.invalid_sid', final: true };
      if (!ACCOUNT_SID.test(message.accountSid))
        return { kind: 'failed', media: 0, code: 'switchboard.invalid_account_sid' };
      const credentials = message.credentials ?? options.credentials;
      const ref = { ...message, authorization: basicAuthorization(message.accountSid, credentials) };
      const emptied = await call(
        requestFor('POST', ref, '.json', new URLSearchParams({ Body: '' }).toString()),
      );
      if (isGone(emptied)) return { kind: 'redacted', media: 0 };
      if (!isDone(emptied)) return { kind: 'failed', media: 0, code: codeOf(emptied) };
      const { media, code } = await deleteMedia(ref);
      return code === undefined ? { kind: 'redacted', media } : { kind: 'failed', media, code };
    },
  };
};

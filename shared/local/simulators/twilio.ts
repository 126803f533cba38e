import { z } from 'zod';
import { signTwilioRequest } from '#shared/channels/sms/inbound/signature.ts';
import { twilioAccountOf } from '#shared/config/secrets.ts';
import { twilioSignedUrl } from '#shared/local/twilio-signed-url.ts';
import type { CallbackRetry, CallbackStep } from './callbacks.ts';
import type { Fault } from './faults.ts';
import { basicAuth, fieldsRecord, readForm, textFields } from './http-io.ts';
import { digitsOf } from './ids.ts';
import {
  inboundMedia,
  inboundMediaChunks,
  inboundMediaSha256,
  SLOW_MEDIA_DELAY_MS,
} from './inbound-media.ts';
import { smsSegments } from './sms-segments.ts';
import { isTwilioMessagePath, type TwilioMessages } from './twilio-messages.ts';
import type { ProviderHandler, ProviderReply, SimContext, SimRequest } from './types.ts';

/**
 * Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form,
 * Basic auth) → 201 and the Message resource; then status callbacks to the message's
 * `StatusCallback` URL, only when one was given, signed with `X-Twilio-Signature`. The messages
 * sent are kept, with a Media resource per `MediaUrl`, for redaction (./twilio-messages.ts).
 */

const API_VERSION = '2010-04-01';
const ROUTE = `POST /${API_VERSION}/Accounts/{AccountSid}/Messages.json`;
const MAX_BODY = 1600;
const MAX_MEDIA = 10;
const E164 = /^\+[1-9]\d{6,14}$/;

const first = (value: unknown) => (Array.isArray(value) ? value[0] : value);
const single = z.preprocess(first, z.string().optional());

const ParamsSchema = z.looseObject({
  To: single,
  From: single,
  MessagingServiceSid: single,
  Body: single,
  MediaUrl: z.preprocess(
    (value) => (typeof value === 'string' ? [value] : value),
    z.array(z.string()).optional(),
  ),
  ContentSid: single,
  ContentVariables: single,
  StatusCallback: single,
});
type Params = z.infer<typeof ParamsSchema>;

interface TwilioError {
  readonly code: number;
  readonly message: string;
  readonly status: number;
}

const CATALOG: Readonly<Record<number, Omit<TwilioError, 'code'>>> = {
  20003: { message: 'Authenticate', status: 401 },
  20429: { message: 'Too Many Requests', status: 429 },
  20500: { message: 'Internal Server Error', status: 500 },
  20503: { message: 'Service Unavailable', status: 503 },
  21211: { message: "The 'To' number is not a valid phone number.", status: 400 },
  21602: { message: 'Message body is required.', status: 400 },
  21603: { message: "A 'From' phone number is required.", status: 400 },
  21604: { message: "A 'To' phone number is required.", status: 400 },
  21608: {
    message: 'The number is unverified. Trial accounts cannot send messages to unverified numbers.',
    status: 400,
  },
  21609: { message: 'Invalid StatusCallback URL.', status: 400 },
  21610: { message: 'Attempt to send to unsubscribed recipient', status: 400 },
  21614: { message: "'To' number is not a valid mobile number", status: 400 },
  21617: { message: `The concatenated message body exceeds the ${MAX_BODY} character limit.`, status: 400 },
  21623: { message: `The number of media files exceeds the limit of ${MAX_MEDIA}.`, status: 400 },
  21656: { message: 'The ContentVariables Parameter is invalid.', status: 400 },
  63016: {
    message: 'Failed to send freeform message because you are outside the allowed window.',
    status: 400,
  },
};

/** The codes the simulated Messages API knows by name, for the fault switches (./fault-switches.ts). */
export const TWILIO_ERROR_TITLES: ReadonlyArray<readonly [code: number, title: string]> = Object.entries(
  CATALOG,
).map(([code, known]) => [Number(code), known.message]);

const twilioError = (code: number, message?: string): TwilioError => {
  const known = CATALOG[code] ?? { message: `Error ${code}`, status: 400 };
  return { code, status: known.status, message: message ?? known.message };
};

const errorReply = (
  error: TwilioError,
  base: Pick<ProviderReply, 'provider' | 'route' | 'recordBody' | 'fault'>,
): ProviderReply => ({
  ...base,
  status: error.status,
  body: {
    json: {
      code: error.code,
      message: error.message,
      more_info: `https://www.twilio.com/docs/errors/${error.code}`,
      status: error.status,
    },
  },
});

const isUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};

/** A Content variable's key holds at most 16 characters ("Using Variables with Content Templates"). */
const MAX_CONTENT_VARIABLE_KEY = 16;

const jsonObjectOf = (value: string): Record<string, unknown> | undefined => {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * ContentVariables as Twilio takes them (error 21656): a JSON object, no variable empty or null at
 * send time, no key over 16 characters.
 */
const contentVariablesValid = (value: string): boolean => {
  const variables = jsonObjectOf(value);
  return (
    variables !== undefined &&
    Object.entries(variables).every(
      ([key, variable]) =>
        [...key].length <= MAX_CONTENT_VARIABLE_KEY && variable !== null && variable !== '',
    )
  );
};

const paramsProblem = (params: Params): TwilioError | undefined => {
  if (!params.To) return twilioError(21604);
  if (!params.From && !params.MessagingServiceSid) return twilioError(21603);
  if (!params.Body && !params.MediaUrl?.length && !params.ContentSid) return twilioError(21602);
  if ((params.Body?.length ?? 0) > MAX_BODY) return twilioError(21617);
  if ((params.MediaUrl?.length ?? 0) > MAX_MEDIA) return twilioError(21623);
  if (!E164.test(params.To.replace(/^whatsapp:/i, ''))) return twilioError(21211);
  if (params.StatusCallback !== undefined && !isUrl(params.StatusCallback)) return twilioError(21609);
  if (params.ContentVariables !== undefined && !contentVariablesValid(params.ContentVariables))
    return twilioError(21656);
  return undefined;
};

const faultError = (fault: Fault | undefined): TwilioError | undefined => {
  switch (fault?.kind) {
    case 'throttle':
      return twilioError(20429);
    case 'error':
      return twilioError(typeof fault.code === 'number' ? fault.code : 21211, fault.message);
    case 'server_error':
      return twilioError(fault.status === 503 ? 20503 : 20500);
    default:
      return undefined;
  }
};

/** RFC 2822 with `+0000`, as Twilio writes dates. */
const twilioDate = (date: Date): string => date.toUTCString().replace('GMT', '+0000');

interface AcceptedMessage {
  readonly accountSid: string;
  readonly sid: string;
  readonly params: Params;
  readonly from: string;
  readonly to: string;
}

/** The token Twilio signs an account's webhooks with: a further account's own, else the main one's. */
const authTokenOf = (accountSid: string, context: SimContext): string => {
  const { twilio } = context.secrets;
  return twilioAccountOf(twilio, accountSid)?.authToken ?? twilio.authToken;
};

/**
 * The URL a callback is signed over. Twilio signs the URL it calls; a callback to a hub that a
 * tunnel exposes stands for one Twilio made through the tunnel, so it is signed over the hub's
 * public URL (the one the hub checks) while it is still posted to the hub over loopback.
 */
/**
 * How Twilio tries a callback again, from the URL's connection overrides (`#rc=…&rp=…`, the fragment
 * Twilio reads and never sends or signs): `rc` more tries (0 to 5, 1 by default), on the failures
 * `rp` lists (`ct` a failed connection or TLS handshake, `4xx`, `5xx`, `all`; `ct` by default). A
 * read timeout (`rt`) is not modelled: the simulator waits out its 15 s and records the failure.
 * https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides
 */
const twilioCallbackRetry = (url: string): CallbackRetry => {
  const hash = url.indexOf('#');
  const overrides = new URLSearchParams(hash < 0 ? '' : url.slice(hash + 1));
  const count = Number(overrides.get('rc') ?? '1');
  const policy = new Set((overrides.get('rp') ?? 'ct').split(','));
  const all = policy.has('all');
  return {
    times: Number.isInteger(count) ? Math.min(Math.max(count, 0), 5) : 1,
    onStatus: (status) =>
      (all || policy.has('5xx')) && status >= 500
        ? true
        : (all || policy.has('4xx')) && status >= 400 && status < 500,
    onConnectFailure: all || policy.has('ct'),
  };
};

const signedUrlOf = (url: string, context: SimContext): string =>
  context.hubPublicBaseUrl !== undefined && new URL(url).origin === new URL(context.hubBaseUrl).origin
    ? twilioSignedUrl(url, context.hubPublicBaseUrl)
    : url;

const callbackStep = (
  message: AcceptedMessage,
  url: string,
  status: string,
  atMs: number,
  context: SimContext,
  errorCode?: number,
): CallbackStep => {
  const params: [string, string][] = [
    ['AccountSid', message.accountSid],
    ['ApiVersion', API_VERSION],
    ['From', message.from],
    ['MessageSid', message.sid],
    ['MessageStatus', status],
    ['SmsSid', message.sid],
    ['SmsStatus', status],
    ['To', message.to],
  ];
  if (message.params.MessagingServiceSid)
    params.push(['MessagingServiceSid', message.params.MessagingServiceSid]);
  if (errorCode !== undefined) params.push(['ErrorCode', String(errorCode)]);
  return {
    event: status,
    atMs,
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'user-agent': 'TwilioProxy/1.1',
      'i-twilio-idempotency-token': context.ids.uuid(),
      'x-twilio-signature': signTwilioRequest(
        authTokenOf(message.accountSid, context),
        signedUrlOf(url, context),
        params,
      ),
    },
    body: new URLSearchParams(params).toString(),
    retry: twilioCallbackRetry(url),
  };
};

const callbackSteps = (
  message: AcceptedMessage,
  fault: Fault | undefined,
  context: SimContext,
): CallbackStep[] => {
  const url = message.params.StatusCallback;
  if (url === undefined) return [];
  const { delays } = context;
  const sent = callbackStep(message, url, 'sent', delays.sent, context);
  if (fault?.kind === 'delivery_failed') {
    const status = fault.twilioStatus ?? 'undelivered';
    return [sent, callbackStep(message, url, status, delays.delivered, context, fault.code ?? 30003)];
  }
  const steps = [sent, callbackStep(message, url, 'delivered', delays.delivered, context)];
  if (/^whatsapp:/i.test(message.to)) steps.push(callbackStep(message, url, 'read', delays.read, context));
  return steps;
};

const ACCOUNT_SID = /^AC[0-9a-f]{32}$/i;

/** A Media resource's content: the media URL of an inbound MMS (`MediaUrl{N}`), without `.json`. */
const MEDIA_CONTENT_PATH = /^\/2010-04-01\/Accounts\/[^/]+\/Messages\/[^/]+\/Media\/([^/.]+)$/;

/**
 * The file a customer sent (./inbound-media.ts). Twilio answers the media URL with a redirect to a
 * short-lived storage URL; the simulator serves the bytes itself, with the same content type.
 */
const inboundMediaReply = (
  mediaSid: string,
  base: Pick<ProviderReply, 'provider' | 'route' | 'recordBody'>,
): ProviderReply => {
  const media = inboundMedia(mediaSid);
  if (media.fault === 'expired')
    return errorReply({ code: 20404, message: 'The requested resource was not found', status: 404 }, base);
  return {
    ...base,
    status: 200,
    ...(media.fault === 'slow'
      ? { fault: { provider: 'twilio', kind: 'slow', delayMs: SLOW_MEDIA_DELAY_MS } as const }
      : {}),
    body: {
      chunks: () => inboundMediaChunks(mediaSid),
      contentType: media.mimeType,
      byteLength: media.size,
      sha256: inboundMediaSha256(mediaSid),
    },
  };
};

/**
 * As Twilio checks a REST request on an account's resources: the configured account's SID and
 * token, which reach every other account too (the simulator's other accounts are its
 * subaccounts), a further account's (`accounts`) own SID and token for its own resources, or an
 * API key (`SK…`, whose secret the simulator does not check). An account's own SID with another
 * account's token is refused, as at Twilio.
 */
const isAuthorized = (request: SimRequest, accountSid: string, context: SimContext): boolean => {
  const auth = basicAuth(request.headers);
  if (!ACCOUNT_SID.test(accountSid) || auth === undefined || auth.password.length === 0) return false;
  if (/^SK[0-9a-f]{32}$/i.test(auth.user)) return true;
  const { twilio } = context.secrets;
  if (auth.user === twilio.accountSid) return auth.password === twilio.authToken;
  return auth.user === accountSid && auth.password === twilioAccountOf(twilio, accountSid)?.authToken;
};

export const createTwilioHandler =
  (messages: TwilioMessages): ProviderHandler =>
  (request, context) =>
    handleTwilio(request, context, messages);

const handleTwilio = async (
  request: SimRequest,
  context: SimContext,
  messages: TwilioMessages,
): Promise<ProviderReply> => {
  const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(request.pathname);
  const form = await readForm(request.body, request.headers);
  const fields = form ? textFields(form) : {};
  const base = { provider: 'twilio' as const, route: ROUTE, recordBody: form ? fieldsRecord(form) : {} };
  const messageAccount = /^\/2010-04-01\/Accounts\/([^/]+)\//.exec(request.pathname)?.[1] ?? '';
  const mediaSid = MEDIA_CONTENT_PATH.exec(request.pathname)?.[1];
  if (mediaSid !== undefined && request.method.toUpperCase() === 'GET') {
    const route = `GET /${API_VERSION}/Accounts/{AccountSid}/Messages/{Sid}/Media/{Sid}`;
    const mediaBase = { provider: 'twilio' as const, route, recordBody: null };
    if (!isAuthorized(request, messageAccount, context)) return errorReply(twilioError(20003), mediaBase);
    return inboundMediaReply(mediaSid, mediaBase);
  }
  if (!match && isTwilioMessagePath(request.pathname)) {
    if (!isAuthorized(request, messageAccount, context)) return errorReply(twilioError(20003), base);
    return messages.handle(request, fields, messageAccount);
  }
  if (!match || request.method.toUpperCase() !== 'POST') {
    return errorReply({ code: 20404, message: 'The requested resource was not found', status: 404 }, base);
  }
  const accountSid = match[1] ?? '';
  if (!isAuthorized(request, accountSid, context)) return errorReply(twilioError(20003), base);

  const params = ParamsSchema.parse(fields);
  const problem = paramsProblem(params);
  if (problem) return errorReply(problem, base);
  const to = params.To ?? '';
  const fault = context.takeFault({ provider: 'twilio', operation: 'send', recipients: [to] });
  const refused = faultError(fault);
  if (refused) return errorReply(refused, { ...base, fault });

  const sid = context.ids.twilioMessageSid();
  const isWhatsApp = /^whatsapp:/i.test(to);
  // Without From, the Messaging Service picks a sender from its pool (made up here, stable per service).
  const pooled = `+1${digitsOf(`pool:${params.MessagingServiceSid ?? ''}`, 10, '5')}`;
  const from = params.From ?? (isWhatsApp ? `whatsapp:${pooled}` : pooled);
  const now = new Date();
  const messageUri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}`;
  const body = params.Body ?? '';
  const resource = {
    account_sid: accountSid,
    api_version: API_VERSION,
    body,
    date_created: twilioDate(now),
    date_sent: null,
    date_updated: twilioDate(now),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: params.From ?? null,
    messaging_service_sid: params.MessagingServiceSid ?? null,
    num_media: String(params.MediaUrl?.length ?? 0),
    num_segments: String(isWhatsApp ? 1 : smsSegments(body)),
    price: null,
    price_unit: 'USD',
    sid,
    // With a Messaging Service and no From, Twilio first answers `accepted`, then picks the sender.
    status: params.From ? 'queued' : 'accepted',
    subresource_uris: { media: `${messageUri}/Media.json` },
    to,
    uri: `${messageUri}.json`,
  };
  messages.keep({
    accountSid,
    sid,
    direction: 'outbound-api',
    body,
    // The content type is Twilio's to find out when it fetches the URL; the simulator does not fetch.
    mediaContentTypes: (params.MediaUrl ?? []).map(() => 'application/octet-stream'),
  });
  const accepted: AcceptedMessage = { accountSid, sid, params, from, to };
  return {
    ...base,
    fault,
    status: 201,
    body: { json: resource },
    afterAccept: (record) => context.callbacks.run('twilio', callbackSteps(accepted, fault, context), record),
  };
};

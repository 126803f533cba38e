import { z } from 'zod';
import { type GraphFailure, readGraphFailure } from '#shared/channels/meta/outbound/graph-error.ts';
import { graphVerdict } from '#shared/channels/meta/outbound/verdict.ts';
import { jsonOrUndefined, readBoundedText } from '#shared/channels/provider-answer.ts';
import { WhatsAppMediaIdSchema } from '#shared/channels/whatsapp/media-id.ts';
import { type ChannelSecrets, sectionOf, twilioAccountFor } from '#shared/config/secrets.ts';
import {
  CredentialsMissingFailure,
  CredentialsRefusedError,
  failureForStatus,
  MAX_MEDIA_BYTES,
  MediaFailure,
  TransientMediaError,
} from './failures.ts';
import type { MediaJob } from './job.ts';

/*
 * Where each provider keeps an attachment, and how the hub may read it:
 * - WhatsApp Cloud API: `GET /{version}/{media-id}` with the number's Bearer token gives a URL
 *   (valid minutes), its type, size and sha256; the URL is read with the same token, but only on
 *   Meta's CDN over HTTPS (Meta documents `lookaside.fbsbx.com`), so the lookup's answer never sends
 *   the token elsewhere.
 * - Twilio: the media URL, with HTTP Basic auth as the account (sent only to the Twilio API's own
 *   origin: the credentials never go to a host a webhook named). Twilio redirects it to its storage
 *   (`mms.twiliocdn.com`; older media a `media.twiliocdn.com` bucket on S3), read without them.
 * - Messenger: the attachment's CDN URL, as it is (no credential), and only on Meta's CDN
 *   (`*.fbcdn.net`, `*.fbsbx.com`, over HTTPS): a signed webhook names it, but a fetcher that would
 *   read any URL could be pointed at internal addresses. A hub whose Graph API (or Twilio API) is a
 *   local simulator reads attachments from that simulator only, so a local run never reaches the
 *   internet.
 * Redirects are followed here, not by fetch: at most MAX_REDIRECTS, each Location held to the rules
 * the first URL was (the provider's hosts, HTTPS where it had to be HTTPS), and a credential goes
 * only to its own origin. A redirect elsewhere ends the part as `forbidden`, as a first URL
 * elsewhere does, and that host is never asked.
 * A refusal of the hub's own credentials (on the lookup, Graph's 401 or a code the sender too reads
 * as the token's or the app's permission: 0, 3, 10 without a subcode, 102, 190, 200–299; the Twilio
 * API's 401 to the account's login) is retried, not the part's end (failures.ts
 * CredentialsRefusedError); so is a lookup Graph throttled (2, 4, 17, 32, 613, 80000–80014: Meta
 * answers its rate limits with HTTP 400). A refusal from a CDN or Twilio's storage, which got no credential, is the object's.
 * Nothing here logs or reports a URL or a token.
 */

/** Meta's CDN (lookaside.fbsbx.com, cdn.fbsbx.com, scontent.*.fbcdn.net): Messenger and WhatsApp media. */
const META_CDN_SUFFIXES = ['.fbcdn.net', '.fbsbx.com'];
const REAL_GRAPH_ORIGIN = 'https://graph.facebook.com';
const REAL_TWILIO_ORIGIN = 'https://api.twilio.com';
/** Where Twilio's media URLs redirect: its media CDN, or the S3 bucket older media live in (path-style). */
const TWILIO_STORAGE_SUFFIX = '.twiliocdn.com';
const TWILIO_LEGACY_STORAGE = {
  hostname: 's3-external-1.amazonaws.com',
  pathPrefix: '/media.twiliocdn.com/',
};
const MAX_REDIRECTS = 5;
/**
 * The most a media lookup's answer may be: Graph answers a URL, a type, a sha256 and a size (under
 * 1 KB); the bytes past this bound are never read, whatever the answer announces or streams.
 */
const MAX_LOOKUP_BYTES = 64 * 1024;
/** Enough of a Graph error answer for its code (Graph's are under 1 KB); the rest is never read. */
const MAX_ERROR_BYTES = 4 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** An attachment being read: the bytes as they arrive, and what the provider said about them. */
export interface MediaDownload {
  readonly body: AsyncIterable<Uint8Array>;
  readonly declaredType?: string;
  readonly announcedSha256?: string;
}

export type OpenMedia = (job: MediaJob, signal: AbortSignal) => Promise<MediaDownload>;

export interface MediaSourceOptions {
  readonly secrets: () => Promise<ChannelSecrets>;
  readonly graphApiUrl: string;
  readonly graphApiVersion: string;
  readonly twilioApiUrl: string;
  readonly fetch?: typeof fetch;
}

const MediaInfoSchema = z.object({
  url: z.string().url(),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  file_size: z.coerce.number().int().nonnegative().optional(),
});

const isHttp = (url: URL): boolean => url.protocol === 'https:' || url.protocol === 'http:';

const parseUrl = (text: string): URL => {
  try {
    const url = new URL(text);
    if (isHttp(url)) return url;
  } catch {
    // Falls through to the refusal below.
  }
  throw new MediaFailure('forbidden', 'the reference is not an http(s) URL');
};

/** A socket error or a timeout: the provider may answer next time. */
const transientFetch = async (doFetch: typeof fetch, url: URL, init: RequestInit, what: string) => {
  try {
    return await doFetch(url, init);
  } catch (error) {
    throw new TransientMediaError(
      `${what} did not answer (${error instanceof Error ? error.name : 'error'})`,
    );
  }
};

/**
 * Throws `error` about a response whose body is not read: the body is cancelled first, so its
 * connection closes now instead of staying open (the provider still sending) until the download's
 * timeout aborts it.
 */
const refuse = async (response: Response, error: Error): Promise<never> => {
  await response.body?.cancel().catch(() => undefined);
  throw error;
};

/** A response that is not OK is refused as `failureForStatus` says. */
const okOrRefuse = async (
  response: Response,
  what: string,
  goneStatuses?: Parameters<typeof failureForStatus>[2],
): Promise<void> => {
  if (!response.ok) await refuse(response, failureForStatus(response.status, what, goneStatuses));
};

const checkedLength = async (response: Response): Promise<void> => {
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length > MAX_MEDIA_BYTES)
    await refuse(response, new MediaFailure('too_large', `the provider announced ${length} bytes`));
};

const bodyOf = (response: Response, what: string): AsyncIterable<Uint8Array> => {
  if (!response.body) throw new TransientMediaError(`${what} answered no body`);
  const stream = response.body as unknown as AsyncIterable<Uint8Array>;
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* stream;
      } catch (error) {
        if (error instanceof MediaFailure) throw error;
        throw new TransientMediaError(`${what} broke off (${error instanceof Error ? error.name : 'error'})`);
      }
    },
  };
};

/**
 * The body as text, read no further than `maxBytes`: a larger answer (announced or streamed) is a
 * provider error, its body cancelled so the connection closes at once.
 */
const boundedText = async (response: Response, maxBytes: number, what: string): Promise<string> => {
  const tooLarge = () => new MediaFailure('provider_error', `${what} answered more than ${maxBytes} bytes`);
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length > maxBytes) await refuse(response, tooLarge());
  const { text, complete } = await readBoundedText(bodyOf(response, what), maxBytes);
  if (!complete) throw tooLarge();
  return text;
};

const mimeTypeOf = (response: Response): string | undefined =>
  response.headers.get('content-type')?.split(';')[0]?.trim() || undefined;

/** Where a download may go, and the credential it carries there. */
interface DownloadRoute {
  /** Whether a URL (the first, or one a redirect names) may be read. */
  readonly allows: (url: URL) => boolean;
  /** An Authorization header, sent only to `origin`. */
  readonly credential?: { readonly origin: string; readonly authorization: string };
}

const locationOf = (response: Response, from: URL): URL | undefined => {
  const location = response.headers.get('location');
  if (location === null) return undefined;
  try {
    return new URL(location, from);
  } catch {
    return undefined;
  }
};

/** A provider's answer, and the URL that gave it (the last of any redirects). */
interface Answer {
  readonly response: Response;
  readonly url: URL;
}

/**
 * GETs `first`, following at most MAX_REDIRECTS redirects itself: each Location, resolved against the
 * URL that named it, must be one `route` allows (else `forbidden`, before it is asked anything), and
 * the credential goes to its own origin only.
 */
const fetchFollowing = async (
  doFetch: typeof fetch,
  first: URL,
  route: DownloadRoute,
  signal: AbortSignal,
  what: string,
): Promise<Answer> => {
  let url = first;
  for (let hops = 0; ; hops += 1) {
    const { credential } = route;
    const headers: Record<string, string> =
      credential && url.origin === credential.origin ? { authorization: credential.authorization } : {};
    const response = await transientFetch(doFetch, url, { headers, signal, redirect: 'manual' }, what);
    if (!REDIRECT_STATUSES.has(response.status)) return { response, url };
    await response.body?.cancel().catch(() => undefined);
    if (hops >= MAX_REDIRECTS)
      throw new MediaFailure('provider_error', `${what} redirected more than ${MAX_REDIRECTS} times`);
    const next = locationOf(response, url);
    if (next === undefined)
      throw new MediaFailure(
        'provider_error',
        `${what} answered HTTP ${response.status} without a usable location`,
      );
    if (!isHttp(next) || !route.allows(next))
      throw new MediaFailure('forbidden', `${what} redirected off the provider's hosts`);
    url = next;
  }
};

/**
 * A refused answer as Graph's error, its body read to MAX_ERROR_BYTES at most (the rest cancelled);
 * without a code when the body is no Graph error, is larger, or breaks off: the status decides then.
 */
const graphFailureOf = async (response: Response, what: string): Promise<GraphFailure> => {
  let body = '';
  try {
    const { text, complete } = await readBoundedText(bodyOf(response, what), MAX_ERROR_BYTES);
    if (complete) body = text;
  } catch {
    // No body to read: the status alone is read below.
  }
  return readGraphFailure({ status: response.status, headers: {}, body });
};

/**
 * A refused media lookup, read as the sender reads Graph (verdict.ts `graphVerdict`, one home for
 * Graph's codes): HTTP 401, or a token or permission code whatever the status (a token invalidated
 * has been answered 400, a missing permission 403), refuses the hub's credentials, not the media
 * id; a throttling code (Meta answers its rate limits 400: code 4, 80007) is tried again later;
 * else as its status says (an unknown or expired id is 400, code 100).
 */
const lookupRefusal = async (lookup: Response, what: string): Promise<Error> => {
  const failure = await graphFailureOf(lookup, what);
  switch (graphVerdict(failure)?.kind) {
    case 'credentials':
      return new CredentialsRefusedError(what, lookup.status, failure.code);
    case 'throttled':
      return new TransientMediaError(
        `${what} was throttled (HTTP ${lookup.status}${failure.code === undefined ? '' : `, code ${failure.code}`})`,
      );
    default:
      return failureForStatus(lookup.status, what, [400, 404, 410]);
  }
};

export const createMediaSources = (options: MediaSourceOptions): OpenMedia => {
  const doFetch = options.fetch ?? fetch;
  const graphBase = `${options.graphApiUrl.replace(/\/+$/, '')}/${options.graphApiVersion}`;
  const twilioOrigin = new URL(options.twilioApiUrl).origin;
  const graphOrigin = new URL(options.graphApiUrl).origin;
  /** Where a CDN URL (a Messenger attachment, a WhatsApp download) may point. */
  const isAllowedCdn = (url: URL): boolean =>
    graphOrigin === REAL_GRAPH_ORIGIN
      ? url.protocol === 'https:' && META_CDN_SUFFIXES.some((suffix) => url.hostname.endsWith(suffix))
      : url.origin === graphOrigin;
  /** Where a Twilio media URL may lead: the API's own origin, and with the real API its storage, over HTTPS. */
  const isTwilioMedia = (url: URL): boolean =>
    url.origin === twilioOrigin ||
    (twilioOrigin === REAL_TWILIO_ORIGIN &&
      url.protocol === 'https:' &&
      (url.hostname.endsWith(TWILIO_STORAGE_SUFFIX) ||
        (url.hostname === TWILIO_LEGACY_STORAGE.hostname &&
          url.pathname.startsWith(TWILIO_LEGACY_STORAGE.pathPrefix))));

  const whatsApp = async (job: MediaJob, mediaId: string, signal: AbortSignal): Promise<MediaDownload> => {
    // Throws while Meta's secret cannot be read: the job is tried again, not failed for want of a token.
    const meta = sectionOf(await options.secrets(), 'meta');
    const token = meta?.accessTokens?.[job.endpoint.id] ?? meta?.accessToken;
    if (!token) throw new CredentialsMissingFailure('no WhatsApp access token for the business number');
    // Meta's signed webhook gives the id; one that would leave its path segment gets no token.
    if (!WhatsAppMediaIdSchema.safeParse(mediaId).success)
      throw new MediaFailure('forbidden', 'the media id is not one Graph gives');
    const authorization = `Bearer ${token}`;
    const { response: lookup } = await fetchFollowing(
      doFetch,
      new URL(`${graphBase}/${encodeURIComponent(mediaId)}`),
      { allows: (url) => url.origin === graphOrigin, credential: { origin: graphOrigin, authorization } },
      signal,
      'the media lookup',
    );
    if (!lookup.ok) throw await lookupRefusal(lookup, 'the media lookup');
    const info = MediaInfoSchema.safeParse(
      jsonOrUndefined(await boundedText(lookup, MAX_LOOKUP_BYTES, 'the media lookup')),
    );
    if (!info.success) throw new TransientMediaError('the media lookup answered no download URL');
    if (info.data.file_size !== undefined && info.data.file_size > MAX_MEDIA_BYTES)
      throw new MediaFailure('too_large', `the provider announced ${info.data.file_size} bytes`);
    const what = 'the media download';
    const url = parseUrl(info.data.url);
    if (!isAllowedCdn(url))
      throw new MediaFailure(
        'forbidden',
        "the media lookup named a download URL off Meta's CDN: no token is sent there",
      );
    const { response: download } = await fetchFollowing(
      doFetch,
      url,
      { allows: isAllowedCdn, credential: { origin: url.origin, authorization } },
      signal,
      what,
    );
    // The CDN refuses the object (a URL past its life or not this number's), not the token the
    // lookup just took: its 401 and 403 stay `forbidden`.
    await okOrRefuse(download, what);
    await checkedLength(download);
    const declaredType = job.part.mimeType ?? info.data.mime_type ?? mimeTypeOf(download);
    const announcedSha256 = job.part.sha256 ?? info.data.sha256;
    return {
      body: bodyOf(download, what),
      ...(declaredType ? { declaredType } : {}),
      ...(announcedSha256 ? { announcedSha256 } : {}),
    };
  };

  const routeTo = async (job: MediaJob, url: URL, requiresAuth: boolean): Promise<DownloadRoute> => {
    if (!requiresAuth) {
      if (!isAllowedCdn(url)) throw new MediaFailure('forbidden', "the URL is not on the provider's CDN");
      return { allows: isAllowedCdn };
    }
    if (job.provider !== 'twilio' || url.origin !== twilioOrigin)
      throw new MediaFailure('forbidden', "the URL is not the provider's API: no credential is sent there");
    const twilio = sectionOf(await options.secrets(), 'twilio');
    // A further account's own login for its numbers' media; else the main account's, which reaches
    // the media of its subaccounts' messages too.
    const login = twilio && twilioAccountFor(twilio, job.endpoint).login;
    if (!login) throw new CredentialsMissingFailure('no Twilio account SID configured');
    const basic = Buffer.from(`${login.username}:${login.password}`).toString('base64');
    return { allows: isTwilioMedia, credential: { origin: twilioOrigin, authorization: `Basic ${basic}` } };
  };

  const byUrl = async (job: MediaJob, text: string, requiresAuth: boolean, signal: AbortSignal) => {
    const url = parseUrl(text);
    const route = await routeTo(job, url, requiresAuth);
    const what = 'the media URL';
    const { response, url: answeredBy } = await fetchFollowing(doFetch, url, route, signal, what);
    // The Twilio API's 401 to the account's login refuses the credentials, not the media; its
    // storage, which gets none, refuses only the object.
    if (response.status === 401 && answeredBy.origin === route.credential?.origin)
      await refuse(response, new CredentialsRefusedError(what, response.status));
    // A CDN URL past its signature's life answers 403 ("URL signature expired"): gone, not refused.
    await okOrRefuse(response, what, requiresAuth ? [404, 410] : [403, 404, 410]);
    await checkedLength(response);
    const declaredType = job.part.mimeType ?? mimeTypeOf(response);
    return { body: bodyOf(response, what), ...(declaredType ? { declaredType } : {}) };
  };

  return async (job, signal) => {
    const { ref } = job.part;
    switch (ref.store) {
      case 'provider_media_id':
        if (job.channel !== 'whatsapp' || job.provider !== 'meta')
          throw new MediaFailure('forbidden', `no way to resolve a ${job.channel} media id`);
        return whatsApp(job, ref.mediaId, signal);
      case 'provider_url':
        return byUrl(job, ref.url, ref.requiresAuth, signal);
      case 's3':
        throw new MediaFailure('provider_error', 'already in the bucket');
    }
  };
};

import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type ChannelSecrets, LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { CredentialsRefusedError, TransientMediaError } from '#shared/media/failures.ts';
import { createMediaFetcher } from '#shared/media/fetch-service.ts';
import type { MediaJob } from '#shared/media/job.ts';
import { createMediaSources } from '#shared/media/sources.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { memoryMediaStore } from '#tests/support/memory-media-store.ts';

/*
 * The hub's own credentials refused while it fetches an attachment (found by a review): Graph
 * answering the WhatsApp media lookup 401, or with OAuthException 190 whatever the status (an expired
 * or revoked token), or the Twilio API answering 401 to the account's login (rotated credentials not
 * yet in the channel secret). That says nothing of the attachment, which the provider still keeps
 * (WhatsApp media ids for days, Twilio media until deleted): the part is tried again as after a
 * server error, within the fetcher's attempts, each refusal logged and counted for the operator, and
 * one still refused at its last attempt ends `forbidden` (the contract has no `credentials` reason)
 * with a detail that says credentials. Before, the first refusal ended the part `forbidden` for good.
 * A refusal of the object itself (a CDN URL past its life or not the hub's: 403, 404) is unchanged.
 */

const GRAPH_API = 'https://graph.facebook.com';
const MEDIA_ID = '998877';
const LOOKUP_URL = `${GRAPH_API}/v23.0/${MEDIA_ID}`;
const CDN_URL = `https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=${MEDIA_ID}&ext=1&hash=x`;
const TWILIO_API = 'https://api.twilio.com';
const TWILIO_MEDIA_URL = `${TWILIO_API}/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef`;
const TWILIO_STORAGE_URL = 'https://mms.twiliocdn.com/AC00000000000000000000000000000000/0a1b2c3d';
const MESSENGER_URL = 'https://scontent.xx.fbcdn.net/v/t1/photo.jpg';
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]);

const baseJob = {
  hubMessageId: 'msg_token',
  conversationId: 'conv_70c3e11a0b5e4c6d8f9a1b2c3d4e5f60',
  partIndex: 0,
} as const;

const whatsAppJob: MediaJob = {
  ...baseJob,
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: '1234567890' },
  part: { type: 'media', kind: 'image', ref: { store: 'provider_media_id', mediaId: MEDIA_ID } },
};

const twilioJob: MediaJob = {
  ...baseJob,
  channel: 'sms',
  provider: 'twilio',
  endpoint: { type: 'phone_number', id: '+15005550006' },
  part: {
    type: 'media',
    kind: 'image',
    ref: { store: 'provider_url', url: TWILIO_MEDIA_URL, requiresAuth: true },
  },
};

const messengerJob: MediaJob = {
  ...baseJob,
  channel: 'messenger',
  provider: 'meta',
  endpoint: { type: 'facebook_page', id: '1029384756' },
  part: {
    type: 'media',
    kind: 'image',
    ref: { store: 'provider_url', url: MESSENGER_URL, requiresAuth: false },
  },
};

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** Graph's error answer, as the WhatsApp Cloud API gives it. */
const graphError = (status: number, code: number, message: string) =>
  json(status, { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEf123' } });

const EXPIRED_TOKEN =
  'Error validating access token: Session has expired on Thursday, 26-Nov-26 09:00:00 PST.';
const INVALIDATED =
  'Error validating access token: The session has been invalidated because the user changed their password.';

/** What each URL answers; a URL not listed answers 404. */
type Answers = Record<string, () => Response>;

const LOOKUP_OK: Answers = {
  [LOOKUP_URL]: () => json(200, { url: CDN_URL, mime_type: 'image/jpeg', file_size: JPEG.length }),
};
const WHATSAPP_OK: Answers = {
  ...LOOKUP_OK,
  [CDN_URL]: () => new Response(JPEG, { headers: { 'content-type': 'image/jpeg' } }),
};

const emptyAnswer = (status: number) => () => new Response('', { status });
const lookupAnswers = (answer: Response): Answers => ({ [LOOKUP_URL]: () => answer });
const cdnAnswers = (status: number): Answers => ({ ...LOOKUP_OK, [CDN_URL]: emptyAnswer(status) });
const twilioApiAnswers = (status: number): Answers => ({
  [TWILIO_MEDIA_URL]: () => json(status, { status }),
});
/** Twilio's API redirecting the media URL to its storage, which answers `status`. */
const twilioStorageAnswers = (status: number): Answers => ({
  [TWILIO_MEDIA_URL]: () => new Response(null, { status: 307, headers: { location: TWILIO_STORAGE_URL } }),
  [TWILIO_STORAGE_URL]: emptyAnswer(status),
});
const messengerAnswers = (status: number): Answers => ({ [MESSENGER_URL]: emptyAnswer(status) });

/** The providers behind `answers()`, which a test may change between attempts (a token fixed). */
const providers = (answers: () => Answers, secrets: ChannelSecrets = LOCAL_DEV_SECRETS) => {
  const asked: string[] = [];
  const doFetch = (async (input: URL | string) => {
    const url = String(input);
    asked.push(url);
    return answers()[url]?.() ?? new Response('not found', { status: 404 });
  }) as typeof fetch;
  const open = createMediaSources({
    secrets: async () => secrets,
    graphApiUrl: GRAPH_API,
    graphApiVersion: 'v23.0',
    twilioApiUrl: TWILIO_API,
    fetch: doFetch,
  });
  return { open, asked };
};

/** A MediaFailure's reason, or the error's name (TransientMediaError: the job comes back). */
const refusalOf = async (answers: Answers, job: MediaJob): Promise<string> => {
  const { open } = providers(() => answers);
  return open(job, new AbortController().signal).then(
    () => 'opened',
    (error: { reason?: string; name?: string }) => error.reason ?? error.name ?? 'unknown',
  );
};

describe('a provider refusing the hub’s own credentials for an attachment', () => {
  it.each([
    ['Graph answers the lookup 401, OAuthException 190 (expired token)', graphError(401, 190, EXPIRED_TOKEN)],
    [
      'Graph answers the lookup 400, OAuthException 190 (token invalidated)',
      graphError(400, 190, INVALIDATED),
    ],
    [
      'Graph answers the lookup 401 without a Graph error body',
      new Response('Unauthorized', { status: 401 }),
    ],
  ])('WhatsApp: when %s, the job comes back', async (_case, lookup) => {
    // Act
    const refusal = await refusalOf(lookupAnswers(lookup), whatsAppJob);
    // Assess
    expect(refusal).toBe('TransientMediaError');
  });

  it('Twilio: when its API answers 401 to the account’s login (20003), the job comes back', async () => {
    // Prepare
    const answers: Answers = {
      [TWILIO_MEDIA_URL]: () =>
        json(401, { code: 20003, message: 'Authentication Error - invalid username', status: 401 }),
    };
    // Act
    const refusal = await refusalOf(answers, twilioJob);
    // Assess
    expect(refusal).toBe('TransientMediaError');
  });

  it.each([
    [
      'WhatsApp',
      'Graph answers the lookup 403 without a Graph error body',
      'forbidden',
      whatsAppJob,
      lookupAnswers(new Response('Forbidden', { status: 403 })),
    ],
    [
      'WhatsApp',
      'Graph answers the lookup 400, code 100 (an unknown or expired id)',
      'expired',
      whatsAppJob,
      lookupAnswers(graphError(400, 100, 'Unsupported get request.')),
    ],
    [
      'WhatsApp',
      'the CDN answers the download 403 (the URL past its life)',
      'forbidden',
      whatsAppJob,
      cdnAnswers(403),
    ],
    ['WhatsApp', 'the CDN answers the download 404', 'expired', whatsAppJob, cdnAnswers(404)],
    ['Twilio', 'its API answers 403', 'forbidden', twilioJob, twilioApiAnswers(403)],
    ['Twilio', 'its API answers 404 (a deleted media)', 'expired', twilioJob, twilioApiAnswers(404)],
    [
      'Twilio',
      'its storage, reached without the credentials, answers 401',
      'forbidden',
      twilioJob,
      twilioStorageAnswers(401),
    ],
    ['Twilio', 'its storage answers 403', 'forbidden', twilioJob, twilioStorageAnswers(403)],
    [
      'Messenger',
      'the CDN answers 401 (no credential was sent)',
      'forbidden',
      messengerJob,
      messengerAnswers(401),
    ],
    [
      'Messenger',
      'the CDN answers 403 (the URL past its life)',
      'expired',
      messengerJob,
      messengerAnswers(403),
    ],
  ] as const)(
    '%s: when %s, the object itself is refused as before (%s)',
    async (_channel, _case, expected, job, answers) => {
      // Act
      const refusal = await refusalOf(answers, job);
      // Assess
      expect(refusal).toBe(expected);
    },
  );
});

/** How the fetcher ends a lookup: the hub's credentials refused, tried again later, or the part's reason. */
const lookupVerdictOf = async (lookup: Response): Promise<string> => {
  const { open } = providers(() => lookupAnswers(lookup));
  try {
    await open(whatsAppJob, new AbortController().signal);
    return 'opened';
  } catch (error) {
    if (error instanceof CredentialsRefusedError) return 'credentials';
    if (error instanceof TransientMediaError) return 'retried';
    return (error as { reason?: string }).reason ?? 'unknown';
  }
};

/*
 * Graph's codes on the media lookup, read as the sender reads them (verdict.ts, found by a review):
 * before, only 401 and code 190 were the hub's credentials, and every other answer went by its
 * status, so a throttled lookup (Meta answers its rate limits 400) ended the part `expired` and a
 * missing permission (403) `forbidden`, both for good, at the first attempt.
 */
describe("Graph's error codes on the media lookup", () => {
  it.each([
    // WhatsApp Cloud API error codes: 4 "API Too Many Calls", 80007 "Rate limit issues", both HTTP 400.
    [
      'HTTP 400, code 4 (application request limit): retried',
      graphError(400, 4, '(#4) Application request limit reached'),
      'retried',
    ],
    [
      'HTTP 400, code 80007 (business use case limit): retried',
      graphError(400, 80007, '(#80007) Rate limit issues'),
      'retried',
    ],
    [
      'HTTP 400, code 613 (custom rate limit): retried',
      graphError(400, 613, '(#613) Calls to this api have exceeded the rate limit.'),
      'retried',
    ],
    // 10 "Permission denied" (no subcode) and 200 "API Permission", HTTP 403: the app's, not the media's.
    [
      'HTTP 403, code 10 (the app lacks a permission): credentials refused',
      graphError(403, 10, '(#10) Application does not have permission for this action'),
      'credentials',
    ],
    [
      'HTTP 403, code 200 (permissions error): credentials refused',
      graphError(403, 200, '(#200) Permissions error'),
      'credentials',
    ],
    // Unchanged: an unknown or expired id, and a 403 no Graph code explains.
    [
      'HTTP 400, code 100 (an unknown or expired id): expired, as before',
      graphError(400, 100, 'Unsupported get request.'),
      'expired',
    ],
    [
      'HTTP 403 without a Graph error body: forbidden, as before',
      new Response('Forbidden', { status: 403 }),
      'forbidden',
    ],
  ] as const)('%s', async (_case, lookup, expected) => {
    // Act
    const verdict = await lookupVerdictOf(lookup);
    // Assess
    expect(verdict).toBe(expected);
  });
});

const record = (job: MediaJob): SQSRecord =>
  ({
    messageId: 'm1',
    body: JSON.stringify(job),
    attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'g' },
  }) as never;

const MAX_ATTEMPTS = 3;

/** A fetcher over the providers, its log lines, its events and its count of refused credentials. */
const fetcherOver = (answers: () => Answers, secrets?: ChannelSecrets) => {
  const { open, asked } = providers(answers, secrets);
  const memory = memoryMediaStore();
  const published: HubEvent[] = [];
  const retries: number[] = [];
  const lines: Array<Record<string, unknown>> = [];
  let refusals = 0;
  const fetcher = createMediaFetcher({
    store: memory.store,
    open,
    upload: async (body) => {
      let size = 0;
      for await (const chunk of body) size += chunk.byteLength;
      return { size, sha256: '0'.repeat(64), contentType: 'image/jpeg', mimeType: 'image/jpeg' };
    },
    deleteObject: async () => undefined,
    publisher: { publish: async (events) => void published.push(...events) },
    retryLater: async (_record, seconds) => void retries.push(seconds),
    clock: () => new Date('2026-11-26T17:05:00.000Z'),
    logger: createLogger({ write: (line) => void lines.push(JSON.parse(line)) }),
    maxAttempts: MAX_ATTEMPTS,
    backoffSeconds: (attempts) => 30 * 2 ** (attempts - 1),
    staleClaimSeconds: 120,
    downloadTimeoutMs: 10_000,
    onCredentialsRefused: () => void refusals++,
  });
  return { fetcher, asked, published, retries, lines, refusals: () => refusals };
};

describe('the media fetcher while the hub’s credentials are refused', () => {
  it('retries a WhatsApp part refused for an expired token, tells the operator, and stores it once the token works', async () => {
    // Prepare: the token expired, then the operator rotates it before the second attempt
    let answers: Answers = { [LOOKUP_URL]: () => graphError(401, 190, EXPIRED_TOKEN) };
    const hub = fetcherOver(() => answers);
    // Act
    const refused = await hub.fetcher.handleSqsEvent({ Records: [record(whatsAppJob)] });
    answers = WHATSAPP_OK;
    await hub.fetcher.handleSqsEvent({ Records: [record(whatsAppJob)] });
    // Assess: the first receive comes back after the backoff, with nothing told the helpdesk
    expect(refused.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(hub.retries).toEqual([30]);
    expect(hub.refusals()).toBe(1);
    expect(hub.published.map((event) => event.type)).toEqual(['switchboard.message.media_stored']);
    expect(hub.asked).toEqual([LOOKUP_URL, LOOKUP_URL, CDN_URL]);
    const logged = hub.lines.filter((line) => line.reason === 'meta credentials refused');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining("provider refused the hub's credentials"),
        channel: 'whatsapp',
        conversationId: 'conv_70c3e11a0b5e4c6d8f9a1b2c3d4e5f60',
        statusCode: 401,
        errorCodes: ['190'],
        attempt: 1,
      }),
    ]);
    // The log names neither the token, nor the media id, nor the provider's words
    const text = JSON.stringify(hub.lines);
    expect(text).not.toContain('local-meta-access-token');
    expect(text).not.toContain(MEDIA_ID);
    expect(text).not.toContain('Session has expired');
  });

  it('retries a WhatsApp part whose lookup Graph refused for a missing permission (403, code 200), counting it for the operator', async () => {
    // Prepare: the app's permission missing, then granted before the second attempt
    let answers: Answers = { [LOOKUP_URL]: () => graphError(403, 200, '(#200) Permissions error') };
    const hub = fetcherOver(() => answers);
    // Act
    await hub.fetcher.handleSqsEvent({ Records: [record(whatsAppJob)] });
    answers = WHATSAPP_OK;
    await hub.fetcher.handleSqsEvent({ Records: [record(whatsAppJob)] });
    // Assess
    expect(hub.retries).toEqual([30]);
    expect(hub.refusals()).toBe(1);
    expect(hub.published.map((event) => event.type)).toEqual(['switchboard.message.media_stored']);
  });

  it('ends a Twilio part still refused at its last attempt forbidden, saying credentials', async () => {
    // Prepare: the account's credentials rotated at Twilio, never put in the channel secret
    const hub = fetcherOver(() => ({
      [TWILIO_MEDIA_URL]: () => json(401, { code: 20003, message: 'Authenticate', status: 401 }),
    }));
    // Act
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++)
      await hub.fetcher.handleSqsEvent({ Records: [record(twilioJob)] });
    // Assess
    expect(hub.asked).toEqual(Array(MAX_ATTEMPTS).fill(TWILIO_MEDIA_URL));
    expect(hub.retries).toEqual([30, 60]);
    expect(hub.refusals()).toBe(MAX_ATTEMPTS);
    expect(hub.published).toHaveLength(1);
    expect(hub.published[0]).toMatchObject({
      type: 'switchboard.message.media_failed',
      data: {
        reason: 'forbidden',
        attempts: MAX_ATTEMPTS,
        detail: `gave up after ${MAX_ATTEMPTS} attempts: the provider refused the hub's credentials (the media URL answered HTTP 401)`,
      },
    });
  });

  it.each([
    [
      'WhatsApp: no access token for the business number',
      whatsAppJob,
      {
        ...LOCAL_DEV_SECRETS,
        meta: { ...LOCAL_DEV_SECRETS.meta, accessToken: undefined, accessTokens: {} },
      },
      'meta credentials missing',
    ],
    [
      'Twilio: no account login',
      twilioJob,
      { meta: LOCAL_DEV_SECRETS.meta, email: LOCAL_DEV_SECRETS.email },
      'twilio credentials missing',
    ],
  ] as const)(
    'ends a part forbidden when the channel secret has no credentials for it (%s), counting it for the operator',
    async (_case, job, secrets, reason) => {
      // Prepare
      const hub = fetcherOver(() => WHATSAPP_OK, secrets as ChannelSecrets);
      // Act
      await hub.fetcher.handleSqsEvent({ Records: [record(job)] });
      // Assess: ended at once, as before, but counted (MediaCredentialsRefused) and logged at error level
      expect(hub.asked).toEqual([]);
      expect(hub.published[0]).toMatchObject({ data: { reason: 'forbidden', attempts: 1 } });
      expect(hub.refusals()).toBe(1);
      expect(hub.lines.filter((line) => line.reason === reason)).toEqual([
        expect.objectContaining({ level: 'error', channel: job.channel, attempt: 1 }),
      ]);
    },
  );

  it('ends a part whose object the CDN refuses at the first attempt, as before, counting no credentials refusal', async () => {
    // Prepare
    const hub = fetcherOver(() => ({
      ...LOOKUP_OK,
      [CDN_URL]: () => new Response('URL signature expired', { status: 403 }),
    }));
    // Act
    await hub.fetcher.handleSqsEvent({ Records: [record(whatsAppJob)] });
    // Assess
    expect(hub.retries).toEqual([]);
    expect(hub.refusals()).toBe(0);
    expect(hub.published[0]).toMatchObject({ data: { reason: 'forbidden', attempts: 1 } });
  });
});

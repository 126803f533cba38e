import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { MediaJob } from '#shared/media/job.ts';
import { createMediaSources, type MediaDownload } from '#shared/media/sources.ts';

/*
 * A provider's answer may redirect the download (Twilio's media URL sends it to a storage URL), and
 * every hop is held to the rules the first URL is: the provider's own hosts, HTTPS wherever the first
 * URL had to be HTTPS, at most five hops, and the credential only on the origin it belongs to. A
 * redirect off those hosts ends the part as `forbidden`, as a first URL off them does, and the host it
 * names is never asked. Local servers stand for the providers where the hub would be pointed at local
 * simulators; the real providers' host names are played by a fetch that answers by URL.
 */

interface Seen {
  readonly path: string;
  readonly authorization?: string;
}

interface LocalServer {
  readonly origin: string;
  readonly seen: Seen[];
}

const running: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()));
});

const BODY = 'bytes that must never be stored';

/** A loopback HTTP server that records every request's path and Authorization header. */
const serve = async (
  answer: (request: IncomingMessage, response: ServerResponse, origin: string) => void = (_, response) => {
    response.writeHead(200, { 'content-type': 'image/jpeg' });
    response.end(BODY);
  },
): Promise<LocalServer> => {
  const seen: Seen[] = [];
  let origin = '';
  const server = createServer((request, response) => {
    const { authorization } = request.headers;
    seen.push({ path: request.url ?? '/', ...(authorization ? { authorization } : {}) });
    answer(request, response, origin);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  running.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { origin, seen };
};

const redirectTo =
  (location: string, status = 302) =>
  (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(status, { location });
    response.end();
  };

const TWILIO_BASIC = `Basic ${Buffer.from(
  `${LOCAL_DEV_SECRETS.twilio.accountSid}:${LOCAL_DEV_SECRETS.twilio.authToken}`,
).toString('base64')}`;
const META_BEARER = `Bearer ${LOCAL_DEV_SECRETS.meta.accessToken}`;
const TWILIO_MEDIA_PATH = `/2010-04-01/Accounts/${LOCAL_DEV_SECRETS.twilio.accountSid}/Messages/MM0123/Media/ME0123`;

const baseJob = {
  hubMessageId: 'msg_redirects',
  conversationId: 'conv_redirects',
  partIndex: 0,
} as const;

const messengerJob = (url: string): MediaJob => ({
  ...baseJob,
  channel: 'messenger',
  provider: 'meta',
  endpoint: { type: 'facebook_page', id: '1029384756' },
  part: { type: 'media', kind: 'image', ref: { store: 'provider_url', url, requiresAuth: false } },
});

const twilioJob = (url: string): MediaJob => ({
  ...baseJob,
  channel: 'sms',
  provider: 'twilio',
  endpoint: { type: 'phone_number', id: '+15005550006' },
  part: { type: 'media', kind: 'image', ref: { store: 'provider_url', url, requiresAuth: true } },
});

const whatsAppJob = (mediaId: string): MediaJob => ({
  ...baseJob,
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: '109384756201938' },
  part: { type: 'media', kind: 'image', ref: { store: 'provider_media_id', mediaId } },
});

const sourcesAt = (urls: { graph?: string; twilio?: string }, doFetch?: typeof fetch) =>
  createMediaSources({
    secrets: async () => LOCAL_DEV_SECRETS,
    graphApiUrl: urls.graph ?? 'https://graph.facebook.com',
    graphApiVersion: 'v23.0',
    twilioApiUrl: urls.twilio ?? 'https://api.twilio.com',
    ...(doFetch ? { fetch: doFetch } : {}),
  });

const textOf = async (download: MediaDownload): Promise<string> => {
  const chunks: Uint8Array[] = [];
  for await (const chunk of download.body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
};

/** What became of the part: its bytes as text, or the failure's reason (or error name). */
const outcomeOf = async (open: ReturnType<typeof createMediaSources>, job: MediaJob): Promise<string> => {
  try {
    return `opened: ${await textOf(await open(job, new AbortController().signal))}`;
  } catch (error) {
    return (error as { reason?: string }).reason ?? (error as Error).name;
  }
};

describe('media redirects against local provider servers', () => {
  it('a Messenger CDN URL redirecting to another host ends forbidden, and that host is never asked', async () => {
    // Prepare
    const elsewhere = await serve();
    const simulator = await serve(redirectTo(`${elsewhere.origin}/latest/meta-data/`));
    const open = sourcesAt({ graph: simulator.origin });
    // Act
    const outcome = await outcomeOf(open, messengerJob(`${simulator.origin}/fbcdn/v/file-1/photo.jpg`));
    // Assess
    expect(outcome).toBe('forbidden');
    expect(simulator.seen).toHaveLength(1);
    expect(elsewhere.seen).toEqual([]);
  });

  it('a Twilio media URL redirecting to another host ends forbidden; neither the bytes nor the credential reach it', async () => {
    // Prepare
    const elsewhere = await serve();
    const twilio = await serve(redirectTo(`${elsewhere.origin}/latest/meta-data/iam/security-credentials/`));
    const open = sourcesAt({ twilio: twilio.origin });
    // Act
    const outcome = await outcomeOf(open, twilioJob(`${twilio.origin}${TWILIO_MEDIA_PATH}`));
    // Assess
    expect(outcome).toBe('forbidden');
    expect(twilio.seen).toEqual([{ path: TWILIO_MEDIA_PATH, authorization: TWILIO_BASIC }]);
    expect(elsewhere.seen).toEqual([]);
  });

  it('a Twilio media URL redirecting on its own origin is followed (a relative Location too), with the credential', async () => {
    // Prepare
    const twilio = await serve((request, response) => {
      if (request.url === '/storage/ME0123') {
        response.writeHead(200, { 'content-type': 'image/jpeg' });
        response.end('the stored file');
      } else redirectTo('../../../../../../../storage/ME0123', 307)(request, response);
    });
    const open = sourcesAt({ twilio: twilio.origin });
    // Act
    const outcome = await outcomeOf(open, twilioJob(`${twilio.origin}${TWILIO_MEDIA_PATH}`));
    // Assess
    expect(outcome).toBe('opened: the stored file');
    expect(twilio.seen).toEqual([
      { path: TWILIO_MEDIA_PATH, authorization: TWILIO_BASIC },
      { path: '/storage/ME0123', authorization: TWILIO_BASIC },
    ]);
  });

  it('a redirect loop ends after five hops as a provider error, not a retry', async () => {
    // Prepare
    const simulator = await serve(redirectTo('/fbcdn/v/file-1/photo.jpg'));
    const open = sourcesAt({ graph: simulator.origin });
    // Act
    const outcome = await outcomeOf(open, messengerJob(`${simulator.origin}/fbcdn/v/file-1/photo.jpg`));
    // Assess
    expect(outcome).toBe('provider_error');
    expect(simulator.seen).toHaveLength(6);
  });

  it('a WhatsApp lookup whose download URL is on another host ends forbidden; the token never reaches it', async () => {
    // Prepare
    const elsewhere = await serve();
    const graph = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ url: `${elsewhere.origin}/download/4490709327384033`, mime_type: 'image/jpeg' }),
      );
    });
    const open = sourcesAt({ graph: graph.origin });
    // Act
    const outcome = await outcomeOf(open, whatsAppJob('4490709327384033'));
    // Assess
    expect(outcome).toBe('forbidden');
    expect(graph.seen).toEqual([{ path: '/v23.0/4490709327384033', authorization: META_BEARER }]);
    expect(elsewhere.seen).toEqual([]);
  });

  it('a WhatsApp download URL redirecting to another host ends forbidden; the token never reaches it', async () => {
    // Prepare
    const elsewhere = await serve();
    const graph = await serve((request, response, origin) => {
      if (request.url?.startsWith('/download/'))
        return redirectTo(`${elsewhere.origin}/latest/meta-data/`)(request, response);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ url: `${origin}/download/4490709327384033`, mime_type: 'image/jpeg' }));
    });
    const open = sourcesAt({ graph: graph.origin });
    // Act
    const outcome = await outcomeOf(open, whatsAppJob('4490709327384033'));
    // Assess
    expect(outcome).toBe('forbidden');
    expect(graph.seen.map((seen) => seen.authorization)).toEqual([META_BEARER, META_BEARER]);
    expect(elsewhere.seen).toEqual([]);
  });

  it('a WhatsApp download URL on the simulator is read with the token', async () => {
    // Prepare
    const graph = await serve((request, response, origin) => {
      if (request.url?.startsWith('/download/')) {
        response.writeHead(200, { 'content-type': 'image/jpeg' });
        return response.end('the whatsapp image');
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ url: `${origin}/download/4490709327384033`, mime_type: 'image/jpeg' }));
    });
    const open = sourcesAt({ graph: graph.origin });
    // Act
    const outcome = await outcomeOf(open, whatsAppJob('4490709327384033'));
    // Assess
    expect(outcome).toBe('opened: the whatsapp image');
    expect(graph.seen.map((seen) => seen.authorization)).toEqual([META_BEARER, META_BEARER]);
  });
});

/**
 * The real providers' hosts, played by a fetch that answers from `routes` by URL and records every
 * request with its Authorization header. Asked to follow redirects, it follows them as a naive
 * client would (headers and all), so a fetcher that left the following to fetch would show it.
 */
const providerHosts = (routes: Readonly<Record<string, Response | (() => Response)>>) => {
  const requests: { url: string; authorization?: string }[] = [];
  const answer = (url: string): Response => {
    const route = routes[url];
    if (route === undefined)
      return new Response(BODY, { status: 200, headers: { 'content-type': 'image/jpeg' } });
    return typeof route === 'function' ? route() : route.clone();
  };
  const doFetch = async (input: URL | string, init?: RequestInit): Promise<Response> => {
    const authorization = new Headers(init?.headers).get('authorization') ?? undefined;
    let url = String(input);
    for (let hop = 0; hop < 20; hop += 1) {
      requests.push({ url, ...(authorization ? { authorization } : {}) });
      const response = answer(url);
      const location = response.headers.get('location');
      if (init?.redirect === 'manual' || location === null) return response;
      url = new URL(location, url).href;
    }
    throw new TypeError('redirect count exceeded');
  };
  return { doFetch: doFetch as typeof fetch, requests };
};

const moved = (location: string, status = 302) => new Response(null, { status, headers: { location } });
const jpeg = (text: string) => new Response(text, { status: 200, headers: { 'content-type': 'image/jpeg' } });
const graphLookup = (url: string) =>
  new Response(JSON.stringify({ url, mime_type: 'image/jpeg' }), {
    headers: { 'content-type': 'application/json' },
  });

const TWILIO_MEDIA_URL = `https://api.twilio.com${TWILIO_MEDIA_PATH}`;
const LOOKUP_URL = 'https://graph.facebook.com/v23.0/4490709327384033';
const LOOKASIDE_URL =
  'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=4490709327384033&ext=1&hash=x';

describe('media redirects with the real providers', () => {
  it.each([
    ['https://mms.twiliocdn.com/AC00000000000000000000000000000000/0a1b2c3d', 'opened'],
    [
      'https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC00000000000000000000000000000000/0a1b2c3d',
      'opened',
    ],
    ['http://mms.twiliocdn.com/AC00000000000000000000000000000000/0a1b2c3d', 'forbidden'],
    ['https://mms.twiliocdn.com.attacker.example/0a1b2c3d', 'forbidden'],
    ['https://s3-external-1.amazonaws.com/attacker-bucket/0a1b2c3d', 'forbidden'],
    ['https://s3-external-1.amazonaws.com/media.twiliocdn.com.attacker/0a1b2c3d', 'forbidden'],
    ['http://169.254.169.254/latest/meta-data/', 'forbidden'],
    ['https://cdn.fbsbx.com/v/t59/file.pdf', 'forbidden'],
  ])('Twilio redirecting its media URL to %s: %s, never with the credential', async (location, expected) => {
    // Prepare
    const hosts = providerHosts({
      [TWILIO_MEDIA_URL]: moved(location, 307),
      [location]: jpeg('the stored file'),
    });
    const open = sourcesAt({}, hosts.doFetch);
    // Act
    const outcome = await outcomeOf(open, twilioJob(TWILIO_MEDIA_URL));
    // Assess
    expect(outcome).toBe(expected === 'opened' ? 'opened: the stored file' : expected);
    expect(hosts.requests).toEqual([
      { url: TWILIO_MEDIA_URL, authorization: TWILIO_BASIC },
      ...(expected === 'opened' ? [{ url: location }] : []),
    ]);
  });

  it.each([
    ['https://scontent.xx.fbcdn.net/v/t1/photo.jpg', 'opened'],
    ['/v/t59/elsewhere.pdf', 'opened'],
    ['http://scontent.xx.fbcdn.net/v/t1/photo.jpg', 'forbidden'],
    ['https://fbsbx.com.attacker.example/file.pdf', 'forbidden'],
    ['http://169.254.169.254/latest/meta-data/', 'forbidden'],
    ['file:///etc/passwd', 'forbidden'],
  ])('a Messenger CDN URL redirecting to %s: %s', async (location, expected) => {
    // Prepare
    const first = 'https://cdn.fbsbx.com/v/t59/file.pdf?oh=1';
    const target = new URL(location, first).href;
    const hosts = providerHosts({ [first]: moved(location), [target]: jpeg('the attachment') });
    const open = sourcesAt({}, hosts.doFetch);
    // Act
    const outcome = await outcomeOf(open, messengerJob(first));
    // Assess
    expect(outcome).toBe(expected === 'opened' ? 'opened: the attachment' : expected);
    expect(hosts.requests).toEqual([{ url: first }, ...(expected === 'opened' ? [{ url: target }] : [])]);
  });

  it.each([
    [LOOKASIDE_URL, 'opened'],
    ['https://scontent.xx.fbcdn.net/v/t1/media.jpg', 'opened'],
    ['http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=4490709327384033', 'forbidden'],
    ['https://lookaside.fbsbx.com.attacker.example/whatsapp_business/attachments/', 'forbidden'],
    ['https://attacker.example/collect', 'forbidden'],
    ['http://169.254.169.254/latest/meta-data/', 'forbidden'],
  ])(
    'a WhatsApp lookup answering the download URL %s: %s, the token sent only to Meta',
    async (url, expected) => {
      // Prepare
      const hosts = providerHosts({
        [LOOKUP_URL]: () => graphLookup(url),
        [url]: jpeg('the whatsapp image'),
      });
      const open = sourcesAt({}, hosts.doFetch);
      // Act
      const outcome = await outcomeOf(open, whatsAppJob('4490709327384033'));
      // Assess
      expect(outcome).toBe(expected === 'opened' ? 'opened: the whatsapp image' : expected);
      expect(hosts.requests).toEqual([
        { url: LOOKUP_URL, authorization: META_BEARER },
        ...(expected === 'opened' ? [{ url, authorization: META_BEARER }] : []),
      ]);
    },
  );

  it('a WhatsApp download redirecting to another Meta CDN host is followed without the token', async () => {
    // Prepare
    const cdn = 'https://scontent.xx.fbcdn.net/v/t1/media.jpg';
    const hosts = providerHosts({
      [LOOKUP_URL]: () => graphLookup(LOOKASIDE_URL),
      [LOOKASIDE_URL]: moved(cdn),
      [cdn]: jpeg('the whatsapp image'),
    });
    const open = sourcesAt({}, hosts.doFetch);
    // Act
    const outcome = await outcomeOf(open, whatsAppJob('4490709327384033'));
    // Assess
    expect(outcome).toBe('opened: the whatsapp image');
    expect(hosts.requests).toEqual([
      { url: LOOKUP_URL, authorization: META_BEARER },
      { url: LOOKASIDE_URL, authorization: META_BEARER },
      { url: cdn },
    ]);
  });

  it('a WhatsApp download redirecting to the metadata service ends forbidden, which is never asked', async () => {
    // Prepare
    const hosts = providerHosts({
      [LOOKUP_URL]: () => graphLookup(LOOKASIDE_URL),
      [LOOKASIDE_URL]: moved('http://169.254.169.254/latest/meta-data/'),
    });
    const open = sourcesAt({}, hosts.doFetch);
    // Act
    const outcome = await outcomeOf(open, whatsAppJob('4490709327384033'));
    // Assess
    expect(outcome).toBe('forbidden');
    expect(hosts.requests.map((request) => request.url)).toEqual([LOOKUP_URL, LOOKASIDE_URL]);
  });
});

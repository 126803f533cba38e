import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { MediaJob } from '#shared/media/job.ts';
import { createMediaSources } from '#shared/media/sources.ts';

/*
 * A download the fetcher refuses before reading its body (an error status, a length above the
 * bound) lets go of its connection at once: the provider stops sending and the socket closes, not
 * minutes later when the download's timeout aborts it. A local server plays the provider (the hub's
 * Graph API and CDN, as a local simulator is) and streams without end until its socket closes.
 */

/** Far longer than any of these tests: only a cancelled body closes the socket in time. */
const DOWNLOAD_TIMEOUT_MS = 120_000;
const CLOSED_WITHIN_MS = 2_000;

interface Provider {
  readonly origin: string;
  /** Whether the socket of the request to `path` closed, at the latest CLOSED_WITHIN_MS from now. */
  readonly closesSoon: (path: string) => Promise<boolean>;
  readonly close: () => Promise<void>;
}

const startProvider = async (
  answer: (request: IncomingMessage, response: ServerResponse, origin: string) => void,
): Promise<Provider> => {
  const closes = new Map<string, Promise<true>>();
  let origin = '';
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    closes.set(path, new Promise((resolve) => request.socket.once('close', () => resolve(true))));
    answer(request, response, origin);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    closesSoon: async (path) => {
      const closed = closes.get(path);
      if (!closed) return false;
      const timeout = new Promise<false>((resolve) =>
        setTimeout(() => resolve(false), CLOSED_WITHIN_MS).unref(),
      );
      return Promise.race([closed, timeout]);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

/** Writes 64 KiB chunks for as long as the client reads or its socket stays open. */
const streamForever = (response: ServerResponse): void => {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const pump = () => {
    while (!response.destroyed && response.write(chunk)) {
      // The buffer takes more: keep writing.
    }
    if (!response.destroyed) response.once('drain', pump);
  };
  response.on('error', () => undefined);
  pump();
};

const HUGE = String(200 * 1024 * 1024);

const messengerJob = (url: string): MediaJob => ({
  hubMessageId: 'msg_refused',
  conversationId: 'conv_refused',
  channel: 'messenger',
  provider: 'meta',
  endpoint: { type: 'facebook_page', id: '1029384756' },
  partIndex: 0,
  part: { type: 'media', kind: 'image', ref: { store: 'provider_url', url, requiresAuth: false } },
});

const whatsAppJob = (mediaId: string): MediaJob => ({
  hubMessageId: 'msg_refused',
  conversationId: 'conv_refused',
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: '106540352242922' },
  partIndex: 0,
  part: { type: 'media', kind: 'file', ref: { store: 'provider_media_id', mediaId } },
});

describe('a refused download lets go of its connection', () => {
  let provider: Provider | undefined;
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
  });

  const openWith = (origin: string, job: MediaJob) =>
    createMediaSources({
      secrets: async () => LOCAL_DEV_SECRETS,
      graphApiUrl: origin,
      graphApiVersion: 'v23.0',
      twilioApiUrl: 'http://127.0.0.1:9',
    })(job, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)).then(
      () => 'opened',
      (error: { reason?: string; name?: string }) => error.reason ?? error.name,
    );

  it.each([
    ['announces more than the bound', 200, { 'content-length': HUGE }, 'too_large'],
    ['answers an error status with a body', 404, {}, 'expired'],
    ['answers a server error with a body', 503, {}, 'TransientMediaError'],
  ])('a Messenger URL that %s is refused and its socket closed', async (_case, status, headers, refusal) => {
    // Prepare
    provider = await startProvider((_request, response) => {
      response.writeHead(status, { 'content-type': 'image/jpeg', ...headers });
      streamForever(response);
    });
    const path = '/fbcdn/v/photo.jpg';

    // Act
    const outcome = await openWith(provider.origin, messengerJob(`${provider.origin}${path}`));
    const closed = await provider.closesSoon(path);

    // Assess
    expect(outcome).toBe(refusal);
    expect(closed).toBe(true);
  });

  it.each([
    ['the lookup answers an error status with a body', 'lookup', 'expired'],
    ['the download announces more than the bound', 'download', 'too_large'],
  ])('a WhatsApp media id where %s is refused and its socket closed', async (_case, refused, refusal) => {
    // Prepare
    const lookupPath = '/v23.0/media-refused';
    const downloadPath = '/cdn/media-refused';
    provider = await startProvider((request, response, origin) => {
      if (request.url === lookupPath && refused === 'download') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ url: `${origin}${downloadPath}`, mime_type: 'application/pdf' }));
        return;
      }
      response.writeHead(refused === 'lookup' ? 400 : 200, {
        'content-type': 'application/pdf',
        ...(refused === 'download' ? { 'content-length': HUGE } : {}),
      });
      streamForever(response);
    });

    // Act
    const outcome = await openWith(provider.origin, whatsAppJob('media-refused'));
    const closed = await provider.closesSoon(refused === 'lookup' ? lookupPath : downloadPath);

    // Assess
    expect(outcome).toBe(refusal);
    expect(closed).toBe(true);
  });

  it.each([
    ['announces more than the bound', 'announced'],
    ['streams more than the bound in a valid answer', 'padded'],
    ['streams without end', 'endless'],
  ])(
    'a WhatsApp media lookup that %s ends provider_error, read no further; nothing is downloaded',
    async (_case, answer) => {
      // Prepare
      const lookupPath = '/v23.0/media-oversize';
      const downloadPath = '/cdn/media-oversize';
      const asked: string[] = [];
      provider = await startProvider((request, response, origin) => {
        asked.push(request.url ?? '');
        if (request.url !== lookupPath) {
          response.writeHead(200, { 'content-type': 'application/pdf' });
          response.end('%PDF-1.7');
          return;
        }
        response.writeHead(200, {
          'content-type': 'application/json',
          ...(answer === 'announced' ? { 'content-length': HUGE } : {}),
        });
        if (answer !== 'padded') return streamForever(response);
        // Two writes: no length announced, the answer sent in chunks.
        response.write(
          JSON.stringify({ url: `${origin}${downloadPath}`, mime_type: 'application/pdf', padding: ' ' }),
        );
        response.end(' '.repeat(1024 * 1024));
      });

      // Act
      const outcome = await openWith(provider.origin, whatsAppJob('media-oversize'));
      const closed = await provider.closesSoon(lookupPath);

      // Assess
      expect(outcome).toBe('provider_error');
      expect(asked).toEqual([lookupPath]);
      expect(closed).toBe(true);
    },
  );
});

import { describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { MediaJob } from '#shared/media/job.ts';
import { createMediaSources } from '#shared/media/sources.ts';

/*
 * Where the fetcher may read an attachment without credentials: a Messenger CDN URL is read only on
 * Meta's CDN over HTTPS (never an internal address a URL could name), and a hub pointed at local
 * simulators reads only from them (a local run never reaches the internet).
 */
const messengerJob = (url: string): MediaJob => ({
  hubMessageId: 'msg_sources',
  conversationId: 'conv_sources',
  channel: 'messenger',
  provider: 'meta',
  endpoint: { type: 'facebook_page', id: '1029384756' },
  partIndex: 0,
  part: { type: 'media', kind: 'image', ref: { store: 'provider_url', url, requiresAuth: false } },
});

const sourcesWith = (graphApiUrl: string) => {
  const fetched: string[] = [];
  const open = createMediaSources({
    secrets: async () => LOCAL_DEV_SECRETS,
    graphApiUrl,
    graphApiVersion: 'v23.0',
    twilioApiUrl: 'https://api.twilio.com',
    fetch: (async (url: URL | string) => {
      fetched.push(String(url));
      return new Response(new Uint8Array([0xff, 0xd8, 0xff]), { headers: { 'content-type': 'image/jpeg' } });
    }) as typeof fetch,
  });
  return { open, fetched };
};

const outcomeOf = async (open: ReturnType<typeof sourcesWith>['open'], url: string) => {
  try {
    await open(messengerJob(url), new AbortController().signal);
    return 'opened';
  } catch (error) {
    return (error as { reason?: string }).reason ?? (error as Error).name;
  }
};

describe('media sources: which URLs the fetcher reads', () => {
  it.each([
    ['https://cdn.fbsbx.com/v/t59/file.pdf?oh=1', 'opened'],
    ['https://scontent.xx.fbcdn.net/v/t1/photo.jpg', 'opened'],
    ['http://cdn.fbsbx.com/v/t59/file.pdf', 'forbidden'],
    ['https://fbsbx.com.attacker.example/file.pdf', 'forbidden'],
    ['http://169.254.169.254/latest/meta-data/', 'forbidden'],
    ['http://127.0.0.1:9001/2018-06-01/runtime/invocation/next', 'forbidden'],
    ['file:///etc/passwd', 'forbidden'],
  ])('with the real Graph API, %s is %s', async (url, expected) => {
    // Prepare
    const { open, fetched } = sourcesWith('https://graph.facebook.com');
    // Act
    const outcome = await outcomeOf(open, url);
    // Assess
    expect(outcome).toBe(expected);
    expect(fetched).toEqual(expected === 'opened' ? [url] : []);
  });

  it('with a local simulator as the Graph API, reads from the simulator only', async () => {
    // Prepare
    const { open, fetched } = sourcesWith('http://127.0.0.1:4010');
    // Act
    const simulator = await outcomeOf(open, 'http://127.0.0.1:4010/fbcdn/v/file-1/photo.jpg');
    const realCdn = await outcomeOf(open, 'https://cdn.fbsbx.com/v/t59/file.pdf');
    // Assess
    expect(simulator).toBe('opened');
    expect(realCdn).toBe('forbidden');
    expect(fetched).toEqual(['http://127.0.0.1:4010/fbcdn/v/file-1/photo.jpg']);
  });

  it.each([
    ['..', 'forbidden'],
    ['.', 'forbidden'],
    ['1483920571650987', 'looked up'],
  ])('a WhatsApp media id %s is %s with the access token', async (mediaId, expected) => {
    // Prepare: an id that would resolve the lookup's URL to the Graph API's root must not get the token
    const { open, fetched } = sourcesWith('https://graph.facebook.com');
    const job: MediaJob = {
      ...messengerJob('https://cdn.fbsbx.com/unused'),
      channel: 'whatsapp',
      endpoint: { type: 'whatsapp_phone_number', id: '106540352242922' },
      part: { type: 'media', kind: 'image', ref: { store: 'provider_media_id', mediaId } },
    };
    // Act
    const outcome = await open(job, new AbortController().signal).then(
      () => 'opened',
      (error: { reason?: string }) => error.reason ?? 'other',
    );
    // Assess
    if (expected === 'forbidden') {
      expect(outcome).toBe('forbidden');
      expect(fetched).toEqual([]);
    } else expect(fetched).toEqual([`https://graph.facebook.com/v23.0/${mediaId}`]);
  });
});

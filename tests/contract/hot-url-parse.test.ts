import { describe, expect, it } from 'vitest';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { httpUri, parseUrl } from '#shared/validation/uri.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * A URL whose host is not ASCII, read from JSON (a one-byte Latin-1 string, `aü`), in a warm
 * function. Node 22's `URL.canParse` takes a fast path once its call site is hot and then refuses
 * such a string that `new URL` takes, so a warm Messenger webhook kept the attachment as
 * unsupported. The hub parses with `new URL` (parseUrl).
 */

const fromJson = (text: string): string =>
  (JSON.parse(Buffer.from(JSON.stringify({ u: text }), 'utf8').toString('utf8')) as { u: string }).u;

const SAMPLES = ['http://aü.example/', 'http://a.llo\nü', 'https://x.example/p?q=ü'];

describe('URLs with a non-ASCII host, however hot the parsing', () => {
  it('parses the same on the 100,000th call as on the first', () => {
    // Act
    const answers = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const value = fromJson(SAMPLES[i % SAMPLES.length] ?? '');
      answers.add(`${value}→${parseUrl(value)?.href ?? 'refused'}|${httpUri(value) ?? 'none'}`);
    }
    // Assess: one answer per sample, never "refused"
    expect([...answers].sort()).toEqual(
      [
        'http://a.llo\nü→http://a.xn--llo-joa/|http://a.xn--llo-joa/',
        'http://aü.example/→http://xn--a-eha.example/|http://xn--a-eha.example/',
        'https://x.example/p?q=ü→https://x.example/p?q=%C3%BC|https://x.example/p?q=%C3%BC',
      ].sort(),
    );
  });

  it('keeps a warm Messenger webhook making a media part of such an attachment', () => {
    // Prepare: warm the URL parsing first, as a busy function's would be
    for (let i = 0; i < 20_000; i++) httpUri(fromJson(SAMPLES[i % SAMPLES.length] ?? ''));
    const body = Buffer.from(
      JSON.stringify({
        object: 'page',
        entry: [
          {
            id: '104728593216847',
            time: 1795167244123,
            messaging: [
              {
                sender: { id: '5547190283364109' },
                recipient: { id: '104728593216847' },
                timestamp: 1795167243912,
                message: {
                  mid: 'm_hot_1',
                  attachments: [{ type: 'image', payload: { url: 'https://bücher.example/a.jpg' } }],
                },
              },
            ],
          },
        ],
      }),
      'utf8',
    );
    // Act
    const outcome = handleMessengerWebhook(
      webhookRequest({
        path: '/webhooks/messenger',
        headers: { 'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, body) },
        body,
      }),
      { secrets: LOCAL_DEV_SECRETS },
    );
    // Assess
    const parts =
      outcome.kind === 'accept'
        ? outcome.events.flatMap((event) => ('parts' in event.data ? event.data.parts : []))
        : [];
    expect(parts).toEqual([
      {
        type: 'media',
        kind: 'image',
        ref: { store: 'provider_url', url: 'https://xn--bcher-kva.example/a.jpg', requiresAuth: false },
      },
    ]);
  });
});

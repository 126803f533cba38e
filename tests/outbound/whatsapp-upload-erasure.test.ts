import { describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createProviderErasure, whatsappUploadsIn } from '#shared/outbound/provider-erasure.ts';
import { pendingRedactionItem } from '#shared/store/pending-redactions.ts';
import { whatsappUploadItem } from '#shared/store/whatsapp-uploads.ts';

/*
 * Provider-side erasure of the hub's own WhatsApp uploads, against a fake Graph API behind `fetch`:
 * each upload the items name is deleted once (`DELETE /{version}/{media-id}?phone_number_id=…`,
 * with the token the sender uploads with), an id Meta no longer knows counts as deleted, throttling
 * and 5xx are retried, and what is left is counted and returned to be kept, never thrown or logged
 * by id.
 */

const GRAPH = 'https://graph.facebook.test';
const endpoint = { type: 'whatsapp_phone_number' as const, id: '106540352242922' };
const NOW = new Date('2026-12-01T10:00:00.000Z');

/** Graph's media node: the ids it holds; answers queued per id with `answerNext` come first (0: the connection drops). */
const fakeGraph = (held: string[]) => {
  const media = new Set(held);
  const requests: { method: string; path: string; query: string; token: string }[] = [];
  const queued = new Map<string, number[]>();
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const token = (new Headers(init?.headers).get('authorization') ?? '').replace(/^Bearer /, '');
    requests.push({ method: init?.method ?? 'GET', path: url.pathname, query: url.search, token });
    const id = url.pathname.split('/').at(-1) ?? '';
    const next = queued.get(id)?.shift();
    if (next === 0) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    if (next !== undefined) return new Response('upstream trouble', { status: next });
    if (!media.delete(id))
      return new Response(
        JSON.stringify({ error: { message: 'Unsupported delete request.', code: 100, error_subcode: 33 } }),
        { status: 400 },
      );
    return new Response(JSON.stringify({ success: true }), { status: 200 });
  };
  const answerNext = (id: string, ...statuses: number[]) => queued.set(id, statuses);
  return { fetch, media, requests, answerNext };
};

const erasureWith = (graph: ReturnType<typeof fakeGraph>, secrets: object = LOCAL_DEV_SECRETS) => {
  const lines: string[] = [];
  const redact = createProviderErasure({
    secrets: async () => secrets,
    twilioApiUrl: 'https://api.twilio.test',
    graphApiUrl: GRAPH,
    graphApiVersion: 'v23.0',
    fetch: graph.fetch,
    logger: createLogger({ level: 'info', write: (line) => lines.push(line) }),
    sleep: async () => undefined,
    settings: { concurrency: 1 },
  });
  return { redact, lines };
};

describe("provider-side erasure of the hub's WhatsApp uploads", () => {
  it('finds each upload once, from the sends and from what an earlier erasure left', () => {
    // Act
    const found = whatsappUploadsIn([
      whatsappUploadItem('msg_1', '111', endpoint, NOW),
      whatsappUploadItem('msg_1', '222', endpoint, NOW),
      whatsappUploadItem('msg_2', '222', endpoint, NOW),
      pendingRedactionItem(
        'person-1',
        { provider: 'whatsapp', mediaId: '333', endpoint, code: 'http_500' },
        undefined,
        NOW,
      ),
      pendingRedactionItem(
        'person-1',
        { provider: 'twilio', providerMessageId: `SM${'1'.repeat(32)}`, endpoint, code: 'http_500' },
        undefined,
        NOW,
      ),
      { pk: 'MSG#msg_1', sk: 'SEND', mediaId: '444' },
    ]);
    // Assess
    expect(found.map((upload) => upload.mediaId)).toEqual(['111', '222', '333']);
    expect(found.every((upload) => upload.endpoint.id === endpoint.id)).toBe(true);
  });

  it("deletes each upload at Meta with the number's token, counting one Meta no longer has as deleted", async () => {
    // Prepare
    const graph = fakeGraph(['111']);
    const { redact, lines } = erasureWith(graph);
    // Act
    const report = await redact([
      whatsappUploadItem('msg_1', '111', endpoint, NOW),
      whatsappUploadItem('msg_1', '999', endpoint, NOW),
    ]);
    // Assess
    expect(report.whatsapp).toEqual({ uploads: 2, failed: 0 });
    expect(report.twilio).toEqual({ messages: 0, media: 0, failed: 0 });
    expect(report.unfinished).toEqual([]);
    expect(graph.media.size).toBe(0);
    expect(graph.requests).toEqual([
      {
        method: 'DELETE',
        path: '/v23.0/111',
        query: `?phone_number_id=${endpoint.id}`,
        token: LOCAL_DEV_SECRETS.meta.accessToken,
      },
      {
        method: 'DELETE',
        path: '/v23.0/999',
        query: `?phone_number_id=${endpoint.id}`,
        token: LOCAL_DEV_SECRETS.meta.accessToken,
      },
    ]);
    expect(lines).toEqual([]);
  });

  it('retries throttling, 5xx and a dropped connection, then keeps what Meta still holds', async () => {
    // Prepare
    const graph = fakeGraph(['111', '222']);
    graph.answerNext('111', 429, 0);
    graph.answerNext('222', 503, 500, 500);
    const { redact, lines } = erasureWith(graph);
    // Act
    const report = await redact([
      whatsappUploadItem('msg_1', '111', endpoint, NOW),
      whatsappUploadItem('msg_1', '222', endpoint, NOW),
    ]);
    // Assess
    expect(report.whatsapp).toEqual({ uploads: 1, failed: 1 });
    expect(report.unfinished).toEqual([{ provider: 'whatsapp', mediaId: '222', endpoint, code: 'http_500' }]);
    expect(graph.media).toEqual(new Set(['222']));
    expect(graph.requests.filter((request) => request.path === '/v23.0/111')).toHaveLength(3);
    expect(lines.join('\n')).toContain('http_500');
    expect(lines.join('\n')).not.toMatch(/222|106540352242922/);
  });

  it('without a Meta token counts every upload as failed and calls nothing', async () => {
    // Prepare
    const graph = fakeGraph(['111']);
    const { redact } = erasureWith(graph, { twilio: LOCAL_DEV_SECRETS.twilio });
    // Act
    const report = await redact([whatsappUploadItem('msg_1', '111', endpoint, NOW)]);
    // Assess
    expect(report.whatsapp).toEqual({ uploads: 0, failed: 1 });
    expect(report.unfinished).toEqual([
      { provider: 'whatsapp', mediaId: '111', endpoint, code: 'switchboard.no_meta_token' },
    ]);
    expect(graph.requests).toEqual([]);
  });
});

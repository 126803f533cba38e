import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import { uploadWhatsAppMedia } from '#shared/channels/whatsapp/outbound/upload.ts';
import type { ChannelSender, MediaUpload, SendTarget } from '#shared/outbound/channel-sender.ts';
import {
  openCustomerConversation,
  outcomesOf,
  putUpload,
  sendCommand,
  useOutboundHarness,
} from '#tests/outbound/harness.ts';
import { noSuchObjectError } from '#tests/support/meta-errors.ts';

/*
 * The WhatsApp media upload (`POST /{phone-number-id}/media`, multipart) over a real connection to
 * a local server that reads the form as Graph would: fields, the file, its length.
 */

const PHONE_NUMBER_ID = '109384756201938';
const TARGET: SendTarget = {
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: PHONE_NUMBER_ID },
  recipient: { type: 'wa_id', value: '4915112345678' },
  conversationId: 'conv_1',
};

interface Received {
  readonly path: string;
  readonly contentLength: string | undefined;
  readonly authorization: string | undefined;
  readonly fields: Record<string, string>;
  readonly file?: { name: string; type: string; sha256: string; size: number };
}

/** Answers by the first path segment, like the Graph stand-in, but reads multipart bodies. */
const ANSWERS: Record<string, { status: number; body: unknown }> = {
  ok: { status: 200, body: { id: '1037543291543636' } },
  too_large: {
    status: 400,
    body: { error: { message: '(#131053) Media upload error', code: 131053, type: 'OAuthException' } },
  },
  token: { status: 401, body: { error: { message: 'Error validating access token', code: 190 } } },
  // The token was never given this phone number's business account.
  unreachable: { status: 400, body: { error: noSuchObjectError(PHONE_NUMBER_ID) } },
  server: { status: 500, body: { error: { message: 'An unknown error occurred', code: 1 } } },
  unnamed: { status: 200, body: { ok: true } },
  // A Graph id the hub could not store (WhatsAppMediaIdSchema: at most 128 of [A-Za-z0-9_.-]).
  unstorable: { status: 200, body: { id: '1037543291543636:1' } },
};

const fileOf = (bytes: Buffer, filename = 'invoice 42.pdf', timeoutMs = 30_000): MediaUpload => ({
  timeoutMs,
  contentType: 'application/pdf',
  bytes: bytes.length,
  filename,
  body: async () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        // In pieces, as S3 would stream it.
        for (let at = 0; at < bytes.length; at += 16_384) controller.enqueue(bytes.subarray(at, at + 16_384));
        controller.close();
      },
    }),
});

describe('WhatsApp media upload', () => {
  let server: Server;
  let base: string;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const mode = (request.url ?? '').split('/')[1] ?? '';
        if (mode === 'hang') return;
        const form = await new Response(Buffer.concat(chunks), {
          headers: { 'content-type': request.headers['content-type'] ?? '' },
        }).formData();
        const fields: Record<string, string> = {};
        let file: Received['file'];
        for (const [name, value] of form) {
          if (typeof value === 'string') fields[name] = value;
          else {
            const bytes = Buffer.from(await value.arrayBuffer());
            file = {
              name: value.name,
              type: value.type,
              size: bytes.length,
              sha256: createHash('sha256').update(bytes).digest('hex'),
            };
          }
        }
        received.push({
          path: request.url ?? '',
          contentLength: request.headers['content-length'],
          authorization: request.headers.authorization,
          fields,
          ...(file ? { file } : {}),
        });
        const answer = ANSWERS[mode] ?? { status: 404, body: {} };
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Its message calls' timeout is short: an upload is given its own (the file's `timeoutMs`). */
  const senderFor = (mode: string) =>
    createWhatsAppSender({
      graphBaseUrl: `${base}/${mode}`,
      apiVersion: 'v23.0',
      accessTokenFor: () => 'EAAG-token',
      timeoutMs: 100,
    });

  it('streams the file as multipart with messaging_product and type, and answers the media id', async () => {
    // Prepare
    const bytes = randomBytes(200_000);
    const before = received.length;
    // Act
    const outcome = await senderFor('ok').uploadMedia?.(TARGET, fileOf(bytes));
    // Assess
    expect(outcome).toEqual({ mediaId: '1037543291543636' });
    const request = received[before];
    expect(request?.path).toBe(`/ok/v23.0/${PHONE_NUMBER_ID}/media`);
    expect(request?.authorization).toBe('Bearer EAAG-token');
    expect(request?.fields).toEqual({ messaging_product: 'whatsapp', type: 'application/pdf' });
    expect(request?.file).toEqual({
      name: 'invoice 42.pdf',
      type: 'application/pdf',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(Number(request?.contentLength)).toBeGreaterThan(bytes.length);
  });

  it('keeps quotes and line breaks out of the file name header', async () => {
    // Prepare
    const before = received.length;
    // Act
    await senderFor('ok').uploadMedia?.(TARGET, fileOf(randomBytes(100), 'a"b\r\nX-Evil: 1.pdf'));
    // Assess
    expect(received[before]?.file?.name).toBe('a_b__X-Evil: 1.pdf');
  });

  it.each([
    { mode: 'too_large', kind: 'refused', retryable: false },
    { mode: 'token', kind: 'credentials' },
    { mode: 'unreachable', kind: 'credentials' },
    // A 5xx on an upload sent nothing to the customer: a later try is safe.
    { mode: 'server', kind: 'refused', retryable: true },
    { mode: 'unnamed', kind: 'refused', retryable: true },
    // Another upload would be named alike: no later try mends it.
    { mode: 'unstorable', kind: 'refused', retryable: false },
    { mode: 'hang', kind: 'refused', retryable: true },
  ])('$mode: $kind, never ambiguous', async ({ mode, kind, retryable }) => {
    // Act: the server answers as soon as it has read the form, but on a loaded machine that can
    // take longer than a short timeout: only the server that never answers gets one.
    const file = fileOf(randomBytes(1000), undefined, mode === 'hang' ? 500 : 30_000);
    const outcome = await senderFor(mode).uploadMedia?.(TARGET, file);
    // Assess
    expect(outcome).toMatchObject({ kind, ...(retryable === undefined ? {} : { retryable }) });
  });

  it("takes as long as the upload's own timeout, not the message calls' (8 s for a 100 MB file before)", async () => {
    // Prepare: message calls time out after 100 ms, the upload after 1.5 s
    const started = Date.now();
    // Act: a server that never answers
    const outcome = await senderFor('hang').uploadMedia?.(
      TARGET,
      fileOf(randomBytes(1000), undefined, 1_500),
    );
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  });
});

/*
 * An upload answered with a media id the hub cannot store (found by a review): the id was taken as
 * any string of 1–256 characters, and remembering the upload (shared/store/whatsapp-uploads.ts, read
 * with WhatsAppMediaIdSchema) then threw, so the command failed its delivery after the upload, came
 * back, and uploaded the file again on every receive (50 times) before it ended send_failed.
 */
describe('a WhatsApp upload answered with a media id the hub cannot store', () => {
  const hub = useOutboundHarness();

  it('uploads once and ends the command in one send_failed, calling no message', async () => {
    // Prepare: a stored file to send, and Graph answering its upload with an id outside [A-Za-z0-9_.-]
    const { conversationId } = await openCustomerConversation(hub, { prefix: '49151888', tag: 'upid' }, 1);
    const s3Key = 'media/outbound/2f2e3d4c5b6a79889706b5c4d3e2f1a0/photo.jpg';
    await putUpload(hub, s3Key, new TextEncoder().encode('jpeg bytes'), 'image/jpeg');
    await hub.enqueue(
      sendCommand(conversationId, 'unstorable-upload-id', [
        { type: 'media', kind: 'image', source: { s3Key } },
      ]),
    );
    let uploads = 0;
    const graph = (async (_input: unknown, init?: RequestInit) => {
      uploads++;
      await new Response(init?.body).arrayBuffer();
      return new Response(JSON.stringify({ id: '1037543291543636:1' }), { status: 200 });
    }) as typeof fetch;
    const provider = hub.provider.sender as { -readonly [K in keyof ChannelSender]: ChannelSender[K] };
    provider.uploadMedia = (target, file) =>
      uploadWhatsAppMedia(
        { graphBaseUrl: 'https://graph.facebook.test', apiVersion: 'v23.0', fetch: graph },
        target.endpoint.id,
        'EAAG-token',
        file,
      );
    try {
      // Act
      await hub.runOutbox(undefined, 200);
    } finally {
      delete provider.uploadMedia;
    }
    // Assess
    expect(uploads).toBe(1);
    expect(hub.provider.calls).toHaveLength(0);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes).toEqual([
      expect.objectContaining({
        type: 'switchboard.message.send_failed',
        data: expect.objectContaining({
          reason: 'provider_error',
          retryable: false,
          errors: [expect.objectContaining({ code: 'upload_id_unstorable' })],
        }),
      }),
    ]);
  });
});

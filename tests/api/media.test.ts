import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import type { ApiRequest, ApiResponse } from '#shared/api/http.ts';
import { HELPDESK_API_MEDIA } from '#shared/api/media.ts';
import type { HelpdeskApi } from '#shared/api/router.ts';
import { MAX_UPLOAD_BYTES, UPLOAD_CONTENT_TYPES } from '#shared/api/schemas.ts';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { isSendableMediaKey, s3MediaObjects } from '#shared/aws/media-objects.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { displayFileName } from '#shared/channels/file-name.ts';
import {
  type BusinessEndpoint,
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  hubMessageIdFor,
  type MessagePart,
  outboundHubMessageId,
} from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { mediaObjectKey } from '#shared/media/job.ts';
import { streamToS3 } from '#shared/media/upload.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { createMediaFetchStore, type MediaFetchStore } from '#shared/store/media-fetches.ts';
import { alternativeMail } from '#tests/support/customer-mail.ts';
import { expectDocumentedAnswer } from '#tests/support/openapi-contract.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * Attachments through the helpdesk API against the local DynamoDB and S3: a download URL of a part's
 * stored copy, whose key comes from the hub's records (the fetcher's claim item, or the part's own
 * `s3` reference), and the problem that says why there is none (yet); an upload URL for a file to
 * send, under a fresh key. One BatchGetItem per download, no table call per upload.
 */

const NOW = new Date('2026-11-22T12:00:00.000Z');
const WHATSAPP: BusinessEndpoint = { type: 'whatsapp_phone_number', id: 'phone-1' };
const INSTAGRAM: BusinessEndpoint = { type: 'instagram_account', id: 'ig-1' };
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]);

const image = (mediaId: string): MessagePart => ({
  type: 'media',
  kind: 'image',
  mimeType: 'image/jpeg',
  ref: { store: 'provider_media_id', mediaId },
});

/** A customer's message with these parts, as an adapter builds it. */
const received = (customer: string, providerMessageId: string, parts: MessagePart[], endpoint = WHATSAPP) => {
  const channel = endpoint.type === 'instagram_account' ? 'messenger' : 'whatsapp';
  const identity: ChannelIdentity =
    channel === 'whatsapp' ? { type: 'wa_id', value: customer } : { type: 'igsid', value: customer };
  const conversationId = contactConversationId(channel, endpoint, identity);
  return buildEvent('switchboard.message.received', eventIdFor(channel, 'message', providerMessageId), {
    channel,
    provider: 'meta',
    endpoint,
    contact: { identities: [identity] },
    conversationId,
    hubMessageId: hubMessageIdFor(channel, providerMessageId),
    direction: 'inbound',
    providerMessageId,
    providerTimestamp: '2026-11-22T11:00:00.000Z',
    receivedAt: '2026-11-22T11:00:01.000Z',
    parts,
  });
};

/**
 * A message the business sent: `fromCommand`, the sender's record of a hub send (its command, a
 * `source: {url}` part as the sender records it); otherwise an echo of the hub's own app that the
 * recorder keeps, with the provider's CDN URL.
 */
const sentByHub = (providerMessageId: string, url: string, fromCommand: boolean) => {
  const endpoint: BusinessEndpoint = { type: 'facebook_page', id: 'page-1' };
  const identity: ChannelIdentity = { type: 'psid', value: '7700000001' };
  const conversationId = contactConversationId('messenger', endpoint, identity);
  const idempotencyKey = `key-${providerMessageId}`;
  const hubMessageId = fromCommand
    ? outboundHubMessageId(conversationId, idempotencyKey)
    : hubMessageIdFor('messenger', providerMessageId);
  return buildEvent('switchboard.message.sent', eventIdFor('messenger', 'hub_sent', hubMessageId), {
    channel: 'messenger',
    provider: 'meta',
    endpoint,
    contact: { identities: [identity] },
    conversationId,
    hubMessageId,
    direction: 'outbound',
    providerMessageId,
    providerTimestamp: '2026-11-22T11:05:00.000Z',
    receivedAt: '2026-11-22T11:05:00.000Z',
    sentBy: 'hub',
    ...(fromCommand
      ? {
          idempotencyKey,
          commandId: 'cmd_1',
          providerMessageIds: [providerMessageId],
        }
      : { senderAppId: '1234567890' }),
    parts: [{ type: 'media', kind: 'image', ref: { store: 'provider_url', url, requiresAuth: false } }],
  });
};

/** A file a customer attaches to an e-mail. */
interface MailedFile {
  readonly name: string;
  readonly bytes: string;
}

/**
 * A customer's e-mail as the webhook receives it: these lines of plain text (none: a mail of files
 * only), then the files as PDF attachments.
 */
const customerMail = (
  messageId: string,
  lines: readonly string[] | undefined,
  files: readonly MailedFile[],
) =>
  Buffer.from(
    [
      'From: Ann <ann@customer.example>',
      'To: support@acme.example',
      'Subject: the log and the invoice',
      `Message-ID: <${messageId}@customer.example>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      ...(lines === undefined ? [] : ['--b1', 'Content-Type: text/plain; charset=utf-8', '', ...lines]),
      ...files.flatMap((file) => [
        '--b1',
        `Content-Type: application/pdf; name="${file.name}"`,
        `Content-Disposition: attachment; filename="${file.name}"`,
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from(file.bytes).toString('base64'),
      ]),
      '--b1--',
      '',
    ].join('\r\n'),
  );

/**
 * A presigned URL as text without its signing parameters: their hex and dates could hold a short
 * run of digits (`151` at 15:1x), which is no piece of a file name.
 */
const unsignedText = (url: string): string => {
  const parsed = new URL(url);
  for (const name of ['X-Amz-Signature', 'X-Amz-Date', 'X-Amz-Credential', 'X-Amz-Security-Token'])
    parsed.searchParams.delete(name);
  return decodeURIComponent(parsed.href);
};

describe('attachments through the helpdesk API, against the local DynamoDB and S3', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let claims: MediaFetchStore;
  let api: HelpdeskApi;
  /** The table calls of the last request, and of every request in this file. */
  const calls: string[] = [];
  const apiCalls = new Set<string>();

  beforeAll(async () => {
    emulators = await startEmulators();
    const { dynamodb } = emulators.clients;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'countMediaApiCalls' },
    );
    const table = { client: dynamodb, tableName: emulators.resources.tableName, now: () => NOW };
    recorder = quietRecorder(table, () => NOW);
    claims = createMediaFetchStore(table);
    api = quietHelpdeskApi(emulators, table, () => NOW, { newId: () => '0f1e2d3c4b5a69788796a5b4c3d2e1f0' });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** A routed request whose answer must be one the published OpenAPI document describes. */
  const request = async (method: string, path: string, extra: Partial<ApiRequest> = {}) => {
    calls.length = 0;
    const response = await api(apiRequest(method, path, extra));
    expectDocumentedAnswer(method, path, response, { mustRoute: true });
    for (const call of calls) apiCalls.add(call);
    return response;
  };
  const bodyOf = (response: ApiResponse) => response.body as Record<string, unknown>;
  const mediaPath = (hubMessageId: string, partIndex: number | string) =>
    `/v1/messages/${hubMessageId}/media/${partIndex}`;
  const putObject = (key: string, bytes: Uint8Array, contentType: string) =>
    emulators.clients.s3.send(
      new PutObjectCommand({
        Bucket: emulators.resources.bucketName,
        Key: key,
        Body: bytes,
        ContentType: contentType,
      }),
    );
  /** The fetcher's claim of a part, ended as given (or left `fetching`). */
  const claimPart = async (
    event: ReturnType<typeof received>,
    partIndex: number,
    end?: Parameters<MediaFetchStore['end']>[3],
  ) => {
    const { hubMessageId, conversationId } = event.data;
    const key = mediaObjectKey({ conversationId, hubMessageId, partIndex });
    const claim = await claims.claim({
      hubMessageId,
      partIndex,
      conversationId,
      key,
      token: `token-${partIndex}`,
      staleAfterSeconds: 360,
    });
    expect(claim.kind).toBe('claimed');
    if (end) expect(await claims.end(hubMessageId, partIndex, `token-${partIndex}`, end)).toBe('ended');
    return key;
  };

  it('answers a stored WhatsApp image with a 5-minute URL of the object its claim names, in one BatchGetItem', async () => {
    // Prepare
    const event = received('306900000501', 'wamid.media-1', [{ type: 'text', text: 'see' }, image('771')]);
    await recorder.recordEvent(event);
    const key = await claimPart(event, 1, {
      state: 'stored',
      sha256: 'ab'.repeat(32),
      size: JPEG.byteLength,
      contentType: 'image/jpeg',
      at: NOW.toISOString(),
    });
    await putObject(key, JPEG, 'image/jpeg');
    // Act
    const response = await request('GET', mediaPath(event.data.hubMessageId, 1));
    // Assess
    expect(response.status).toBe(200);
    const body = bodyOf(response);
    expect(body).toMatchObject({
      expiresAt: '2026-11-22T12:05:00.000Z',
      contentType: 'image/jpeg',
      size: JPEG.byteLength,
      sha256: 'ab'.repeat(32),
    });
    expect(body.filename).toBeUndefined();
    const url = new URL(String(body.url));
    expect(url.pathname).toBe(`/${emulators.resources.bucketName}/${key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(HELPDESK_API_MEDIA.downloadSeconds));
    expect(url.searchParams.get('response-content-disposition')).toBe(
      'attachment; filename="attachment-1.jpg"',
    );
    expect(calls).toEqual(['BatchGetItem']);
    // The URL serves the stored bytes (the local S3 checks the signature's expiry, not the clock's).
    const served = await fetch(url);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(JPEG);
  });

  it("answers an e-mail attachment (or a file sent by key) from the part's own s3 reference, its name in the answer", async () => {
    // Prepare
    const key = `attachments/${'c'.repeat(64)}/Faktura_11.pdf`;
    const event = received('306900000502', 'wamid.media-2', [
      {
        type: 'media',
        kind: 'file',
        mimeType: 'application/pdf',
        filename: 'Faktura 11.pdf',
        sha256: 'cd'.repeat(32),
        ref: { store: 's3', key },
      },
    ]);
    await recorder.recordEvent(event);
    await putObject(key, new TextEncoder().encode('%PDF-1.7 invoice'), 'application/pdf');
    // Act
    const response = await request('GET', mediaPath(event.data.hubMessageId, 0));
    // Assess
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      contentType: 'application/pdf',
      size: 16,
      sha256: 'cd'.repeat(32),
      filename: 'Faktura 11.pdf',
    });
    const url = new URL(String(bodyOf(response).url));
    expect(url.pathname).toBe(`/${emulators.resources.bucketName}/${key}`);
    expect(url.searchParams.get('response-content-disposition')).toBe(
      'attachment; filename="attachment-0.pdf"',
    );
  });

  it('answers a document the fetcher stored neutralized with the type media_stored tells: application/octet-stream, a name without extension', async () => {
    // Prepare: a WhatsApp document declared text/html, written by the fetcher's uploader (found by a security review)
    const html = new TextEncoder().encode('<!doctype html><script>fetch("/")</script>');
    const event = received('306900000503', 'wamid.media-html', [
      {
        type: 'media',
        kind: 'file',
        mimeType: 'text/html',
        ref: { store: 'provider_media_id', mediaId: '773' },
      },
    ]);
    await recorder.recordEvent(event);
    const key = mediaObjectKey({ ...event.data, partIndex: 0 });
    const stored = await streamToS3(
      emulators.clients.s3,
      (async function* () {
        yield html;
      })(),
      { bucket: emulators.resources.bucketName, key, declaredType: 'text/html' },
    );
    await claimPart(event, 0, { state: 'stored', ...stored, at: NOW.toISOString() });
    // Act
    const response = await request('GET', mediaPath(event.data.hubMessageId, 0));
    // Assess
    expect(stored).toMatchObject({ contentType: 'application/octet-stream', mimeType: 'text/html' });
    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({ contentType: stored.contentType, size: html.byteLength });
    const url = new URL(String(bodyOf(response).url));
    expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="attachment-0"');
  });

  it("never puts the customer's file name in the download URL (S3's access logs keep URLs), only in the answer", async () => {
    // Prepare: the review's name, one with emoji and a lone surrogate, and a type outside the upload list
    const names = [
      { filename: 'Passport Jane Doe jane.doe@example.com +14155550123.pdf', mimeType: 'application/pdf' },
      { filename: `Zdjęcie ${'😀'.repeat(300)} \ud83d.JPG`, mimeType: 'image/JPEG; x=y' },
      { filename: 'Faktura 11.pdf', mimeType: 'application/x-unlisted' },
    ];
    const answers: { filename: unknown; url: string; disposition: string | null }[] = [];
    for (const [index, { filename, mimeType }] of names.entries()) {
      const key = `attachments/${'e'.repeat(63)}${index}/${'f'.repeat(64)}`;
      const event = received(`30690000051${index}`, `wamid.media-name-${index}`, [
        { type: 'text', text: 'see attached' },
        { type: 'media', kind: 'file', mimeType, filename, ref: { store: 's3', key } },
      ]);
      await recorder.recordEvent(event);
      await putObject(key, new TextEncoder().encode('%PDF-1.7'), mimeType);
      // Act
      const response = await request('GET', mediaPath(event.data.hubMessageId, 1));
      const url = String(bodyOf(response).url);
      answers.push({
        filename: bodyOf(response).filename,
        url,
        disposition: new URL(url).searchParams.get('response-content-disposition'),
      });
    }
    // Assess: the names as the adapters pass them on (the emoji one cut to 255 code units, its lone half replaced)
    expect(answers.map((answer) => answer.filename)).toEqual(
      names.map((name) => displayFileName(name.filename)),
    );
    expect(answers[1]?.filename).toMatch(/^Zdjęcie 😀+\.JPG$/u);
    expect(answers.map((answer) => answer.disposition)).toEqual([
      'attachment; filename="attachment-1.pdf"',
      'attachment; filename="attachment-1.jpg"',
      'attachment; filename="attachment-1"',
    ]);
    for (const { url } of answers) {
      const decoded = unsignedText(url);
      for (const piece of [
        'Passport',
        'Jane',
        'jane.doe',
        'example.com',
        '14155550123',
        'Zdj',
        '😀',
        'Faktura',
      ])
        expect(decoded).not.toContain(piece);
    }
  });

  it('answers the name of a part recorded before names were cleaned as the adapters now pass it on', async () => {
    // Prepare: a record holding the name as a WhatsApp document carried it (found by a security review)
    const key = `attachments/${'d'.repeat(64)}/0`;
    const event = received('306900000504', 'wamid.media-raw-name', [
      {
        type: 'media',
        kind: 'file',
        mimeType: 'application/pdf',
        filename: '..\\..\\AppData\\Startup\\invoice\u202Efdp.exe\r\n',
        ref: { store: 's3', key },
      },
    ]);
    await recorder.recordEvent(event);
    await putObject(key, new TextEncoder().encode('%PDF-1.7'), 'application/pdf');
    // Act
    const response = await request('GET', mediaPath(event.data.hubMessageId, 0));
    // Assess
    expect(response.status).toBe(200);
    expect(bodyOf(response).filename).toBe('invoicefdp.exe');
  });

  it('answers 409 media-not-stored while a part is queued, fetched or waiting, and 410 with the reason once it failed', async () => {
    // Prepare: part 0 queued (no claim yet), 1 being fetched, 2 waiting after a transient failure, 3 failed
    const event = received('306900000503', 'wamid.media-3', [image('1'), image('2'), image('3'), image('4')]);
    await recorder.recordEvent(event);
    await claimPart(event, 1);
    await claimPart(event, 2);
    await claims.release(event.data.hubMessageId, 2, 'token-2');
    await claimPart(event, 3, {
      state: 'failed',
      reason: 'expired',
      detail: 'the media id no longer resolves',
      at: NOW.toISOString(),
    });
    // Act
    const answers = [];
    for (const partIndex of [0, 1, 2, 3])
      answers.push(await request('GET', mediaPath(event.data.hubMessageId, partIndex)));
    // Assess
    expect(answers.map((answer) => [answer.status, bodyOf(answer).type])).toEqual([
      [409, 'urn:switchboard:problem:media-not-stored'],
      [409, 'urn:switchboard:problem:media-not-stored'],
      [409, 'urn:switchboard:problem:media-not-stored'],
      [410, 'urn:switchboard:problem:media-failed'],
    ]);
    expect(answers.slice(0, 3).map((answer) => answer.headers['retry-after'])).toEqual(['5', '5', '5']);
    expect(bodyOf(answers[3] as ApiResponse)).toMatchObject({
      reason: 'expired',
      detail: 'the media id no longer resolves',
    });
  });

  it('answers the parts of a message stored without its parts (too large) as it answers any message: 409 while fetched, 410 once failed, 200 once stored', async () => {
    // Prepare: a long text and four images, more than the record keeps, so it keeps no parts;
    // image 1 being fetched, 2 waiting after a transient failure, 3 failed, 4 stored
    const event = received('306900000509', 'wamid.media-large', [
      { type: 'text', text: 'A long paste. '.repeat(6_000) },
      image('l1'),
      image('l2'),
      image('l3'),
      image('l4'),
    ]);
    await recorder.recordEvent(event);
    await claimPart(event, 1);
    await claimPart(event, 2);
    await claims.release(event.data.hubMessageId, 2, 'token-2');
    await claimPart(event, 3, {
      state: 'failed',
      reason: 'too_large',
      detail: 'larger than 5 bytes',
      at: NOW.toISOString(),
    });
    const storedKey = await claimPart(event, 4, {
      state: 'stored',
      sha256: 'ef'.repeat(32),
      size: JPEG.byteLength,
      contentType: 'image/jpeg',
      at: NOW.toISOString(),
    });
    await putObject(storedKey, JPEG, 'image/jpeg');
    const messages = await request('GET', `/v1/conversations/${event.data.conversationId}/messages`);
    // Act
    const answers = [];
    for (const partIndex of [1, 2, 3, 4, 5])
      answers.push(await request('GET', mediaPath(event.data.hubMessageId, partIndex)));
    // Assess: the record did leave its parts out
    expect(bodyOf(messages).items).toEqual([
      expect.objectContaining({ hubMessageId: event.data.hubMessageId, omitted: ['parts'] }),
    ]);
    expect(answers.map((answer) => [answer.status, bodyOf(answer).type])).toEqual([
      [409, 'urn:switchboard:problem:media-not-stored'],
      [409, 'urn:switchboard:problem:media-not-stored'],
      [410, 'urn:switchboard:problem:media-failed'],
      [200, undefined],
      [404, 'urn:switchboard:problem:not-found'],
    ]);
    expect(answers.slice(0, 2).map((answer) => answer.headers['retry-after'])).toEqual(['5', '5']);
    expect(bodyOf(answers[2] as ApiResponse)).toMatchObject({
      reason: 'too_large',
      detail: 'larger than 5 bytes',
    });
    expect(bodyOf(answers[3] as ApiResponse)).toMatchObject({
      contentType: 'image/jpeg',
      sha256: 'ef'.repeat(32),
    });
    expect(String(bodyOf(answers[4] as ApiResponse).detail)).toMatch(/left its parts out for size/);
  });

  /** The mail as the webhook stores and queues it: its objects in the bucket, its event recorded. */
  const receiveMail = async (mail: Buffer) => {
    const { events, blobs } = await normalizeInboundEmail(mail, {
      provider: 'mailgun',
      receivedAt: NOW,
      envelopeRecipients: ['support@acme.example'],
    });
    const [event] = events;
    if (event?.type !== 'switchboard.message.received') throw new Error('no message event');
    for (const blob of blobs) await putObject(blob.key, blob.bytes, blob.contentType);
    await recorder.recordEvent(event);
    return event;
  };
  /** Whether the stored record of a message left its parts out, as the listing of its conversation says. */
  const leftPartsOut = async (event: { data: { conversationId: string; hubMessageId: string } }) => {
    const listed = await request('GET', `/v1/conversations/${event.data.conversationId}/messages`);
    const items = bodyOf(listed).items as { hubMessageId: string; omitted?: string[] }[];
    return (items.find((item) => item.hubMessageId === event.data.hubMessageId)?.omitted ?? []).includes(
      'parts',
    );
  };
  /** An answer without what differs per message and per signature: the object's key and the URL's signature. */
  const comparable = (answer: ApiResponse) => {
    const { url, ...rest } = bodyOf(answer);
    const disposition =
      typeof url === 'string' ? new URL(url).searchParams.get('response-content-disposition') : undefined;
    return { status: answer.status, ...rest, disposition };
  };

  it("answers the attachment of an e-mail stored without its parts (a long text) from the record's e-mail attachments, as it answers a short mail's", async () => {
    // Prepare: the same PDF in a short mail and in a long one (a forwarded log, kept twice in the
    // record: the text part and the reply text), whose record leaves its parts out (found by a review)
    const invoice = { name: 'Faktura 11.pdf', bytes: '%PDF-1.7\n% invoice\n' };
    const log = Array.from(
      { length: 900 },
      (_, index) => `Line ${index} of the forwarded log: order ${index * 7919} failed at step ${index % 13}.`,
    );
    const short = await receiveMail(customerMail('r3-short-mail', ['The invoice.'], [invoice]));
    const long = await receiveMail(customerMail('r3-long-mail', log, [invoice]));
    const omitted = [await leftPartsOut(short), await leftPartsOut(long)];
    // Act
    const shortAnswer = await request('GET', mediaPath(short.data.hubMessageId, 1));
    const longAnswer = await request('GET', mediaPath(long.data.hubMessageId, 1));
    const notFiles = [
      await request('GET', mediaPath(long.data.hubMessageId, 0)),
      await request('GET', mediaPath(long.data.hubMessageId, 2)),
    ];
    // Assess
    expect(omitted).toEqual([false, true]);
    expect(long.data.parts.map((part) => part.type)).toEqual(['text', 'media']);
    expect(comparable(longAnswer)).toEqual(comparable(shortAnswer));
    expect(comparable(longAnswer)).toMatchObject({
      status: 200,
      contentType: 'application/pdf',
      filename: 'Faktura 11.pdf',
      sha256: long.data.email?.attachments[0]?.sha256,
      disposition: 'attachment; filename="attachment-1.pdf"',
    });
    const stored = long.data.email?.attachments[0]?.ref;
    expect(new URL(String(bodyOf(longAnswer).url)).pathname).toBe(
      `/${emulators.resources.bucketName}/${stored?.store === 's3' ? stored.key : 'no key'}`,
    );
    expect(notFiles.map((answer) => [answer.status, bodyOf(answer).detail])).toEqual([
      [404, 'part 0 is text, not media'],
      [404, 'the message has no attachment at part 2'],
    ]);
  });

  it('answers 404 for an attachment of a parts-less e-mail only when its record cannot say whether a text part came first', async () => {
    // Prepare: 100 files under long names, which the record holds twice (parts and e-mail
    // attachments): once in a mail of files only, once with a short text, which the record keeps
    const files = Array.from({ length: 100 }, (_, index) => ({
      name: `${'Scan of the signed delivery note '.repeat(6)}${index}.pdf`,
      bytes: `%PDF-1.7\n% page ${index}\n`,
    }));
    const filesOnly = await receiveMail(customerMail('r3-files-only', undefined, files));
    const withText = await receiveMail(customerMail('r3-files-with-text', ['The scans.'], files));
    const omitted = [await leftPartsOut(filesOnly), await leftPartsOut(withText)];
    // Act
    const answers = [
      await request('GET', mediaPath(filesOnly.data.hubMessageId, 0)),
      await request('GET', mediaPath(filesOnly.data.hubMessageId, 100)),
      await request('GET', mediaPath(filesOnly.data.hubMessageId, 101)),
      await request('GET', mediaPath(withText.data.hubMessageId, 100)),
    ];
    // Assess: part 0 of the mail of files only is its first file, and the record cannot tell
    expect(omitted).toEqual([true, true]);
    expect([filesOnly.data.parts[0]?.type, withText.data.parts[0]?.type]).toEqual(['media', 'text']);
    expect(
      answers.map((answer) => [answer.status, bodyOf(answer).detail ?? bodyOf(answer).filename]),
    ).toEqual([
      [
        404,
        'the stored message left its parts out for size, and its record cannot say which attachment part 0 is',
      ],
      [
        404,
        'the stored message left its parts out for size, and its record cannot say which attachment part 100 is',
      ],
      [404, 'the message has no attachment at part 101'],
      [200, displayFileName(files[99]?.name)],
    ]);
  });

  it('says Instagram media is not kept, and answers 404 for what is not an attachment of a message', async () => {
    // Prepare
    const instagram = received(
      '17841400000000503',
      'ig-media-1',
      [
        {
          type: 'media',
          kind: 'image',
          ref: {
            store: 'provider_url',
            url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1',
            requiresAuth: false,
          },
        },
      ],
      INSTAGRAM,
    );
    const whatsapp = received('306900000504', 'wamid.media-4', [
      { type: 'text', text: 'no file' },
      image('5'),
    ]);
    await recorder.recordEvent(instagram);
    await recorder.recordEvent(whatsapp);
    const stranger = hubMessageIdFor('whatsapp', 'wamid.never-recorded');
    // Act
    const notKept = await request('GET', mediaPath(instagram.data.hubMessageId, 0));
    const missing = [
      await request('GET', mediaPath(stranger, 0)),
      await request('GET', mediaPath(whatsapp.data.hubMessageId, 2)),
      await request('GET', mediaPath(whatsapp.data.hubMessageId, 0)),
    ];
    const malformed = [
      await request('GET', mediaPath('msg_x', 0)),
      await request('GET', mediaPath(whatsapp.data.hubMessageId, '01')),
      await request('GET', mediaPath(whatsapp.data.hubMessageId, '-1')),
    ];
    // Assess
    expect(notKept.status).toBe(404);
    expect(bodyOf(notKept).type).toBe('urn:switchboard:problem:media-not-kept');
    expect(String(bodyOf(notKept).detail)).toMatch(/Instagram/);
    expect(missing.map((answer) => [answer.status, bodyOf(answer).type, bodyOf(answer).detail])).toEqual([
      [404, 'urn:switchboard:problem:not-found', 'no such message'],
      [404, 'urn:switchboard:problem:not-found', 'the message has no part 2'],
      [404, 'urn:switchboard:problem:not-found', 'part 0 is text, not media'],
    ]);
    expect(malformed.map((answer) => answer.status)).toEqual([400, 400, 400]);
  });

  it("says a part the fetcher never gets is not kept, instead of 'queued' for ever", async () => {
    // Prepare: a message of 101 images; the fetcher copies the first 100.
    const many = received(
      '306900000505',
      'wamid.media-many',
      Array.from({ length: 101 }, (_, index) => image(`many-${index}`)),
    );
    await recorder.recordEvent(many);
    // Act
    const queued = await request('GET', mediaPath(many.data.hubMessageId, 99));
    const past = await request('GET', mediaPath(many.data.hubMessageId, 100));
    // Assess
    expect(queued.status).toBe(409);
    expect(past.status).toBe(404);
    expect(bodyOf(past).type).toBe('urn:switchboard:problem:media-not-kept');
    expect(String(bodyOf(past).detail)).toMatch(/first 100 attachments/);
  });

  it("says a file the hub sent by URL is not kept, instead of 'queued' for ever, and still waits for an echo's copy", async () => {
    // Prepare: the sender records its send with no media job; the recorder queues a job for an echo.
    const sent = sentByHub('mid.hub-sent-url', 'https://files.example.com/brochure.jpg', true);
    const echo = sentByHub('mid.hub-echo', 'https://scontent.xx.fbcdn.net/v/echo.jpg', false);
    await recorder.recordEvent(sent);
    await recorder.recordEvent(echo);
    // Act
    const answers = [
      await request('GET', mediaPath(sent.data.hubMessageId, 0)),
      await request('GET', mediaPath(sent.data.hubMessageId, 0)),
    ];
    const echoed = await request('GET', mediaPath(echo.data.hubMessageId, 0));
    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(bodyOf(answer).type).toBe('urn:switchboard:problem:media-not-kept');
      expect(String(bodyOf(answer).detail)).toMatch(/the hub sent it from the URL/);
      expect(answer.headers?.['retry-after']).toBeUndefined();
    }
    expect(echoed.status).toBe(409);
    expect(bodyOf(echoed).type).toBe('urn:switchboard:problem:media-not-stored');
  });

  it('answers 404 once the stored copy is gone, and once the message is erased (whatever is left in S3)', async () => {
    // Prepare
    const gone = received('306900000505', 'wamid.media-5', [image('6')]);
    const erased = received('306900000506', 'wamid.media-6', [image('7')]);
    const stored = {
      state: 'stored',
      sha256: 'ef'.repeat(32),
      size: 9,
      contentType: 'image/jpeg',
      at: NOW.toISOString(),
    } as const;
    for (const event of [gone, erased]) {
      await recorder.recordEvent(event);
      await putObject(await claimPart(event, 0, stored), JPEG, 'image/jpeg');
    }
    await emulators.clients.s3.send(
      new DeleteObjectCommand({
        Bucket: emulators.resources.bucketName,
        Key: mediaObjectKey({ ...gone.data, partIndex: 0 }),
      }),
    );
    const before = await request('GET', mediaPath(erased.data.hubMessageId, 0));
    const conversation = await request('GET', `/v1/conversations/${erased.data.conversationId}`);
    const erasure = await request('DELETE', `/v1/contacts/${String(bodyOf(conversation).contactId)}`);
    // Act
    const afterExpiry = await request('GET', mediaPath(gone.data.hubMessageId, 0));
    const afterErasure = await request('GET', mediaPath(erased.data.hubMessageId, 0));
    // Assess
    expect(before.status).toBe(200);
    expect(erasure.status).toBe(200);
    expect([afterExpiry.status, bodyOf(afterExpiry).detail]).toEqual([
      404,
      'the stored copy is gone (expired or erased)',
    ]);
    expect([afterErasure.status, bodyOf(afterErasure).detail]).toEqual([404, 'no such message']);
  });

  it('hands out a 15-minute PUT URL under a fresh upload key, bound to the type and size, with no table call', async () => {
    // Act
    const named = await request('POST', '/v1/media', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'image/jpeg', bytes: 48_213, filename: 'Zdjęcie z wakacji.JPG' }),
    });
    const unnamed = await request('POST', '/v1/media', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'application/pdf', bytes: MAX_UPLOAD_BYTES }),
    });
    // Assess
    expect(named.status).toBe(201);
    const body = bodyOf(named) as { s3Key: string; upload: Record<string, unknown> };
    expect(body.s3Key).toBe('media/outbound/0f1e2d3c4b5a69788796a5b4c3d2e1f0/file.jpg');
    expect(isSendableMediaKey(body.s3Key)).toBe(true);
    expect(body.upload).toMatchObject({
      method: 'PUT',
      headers: {
        'content-type': 'image/jpeg',
        'x-amz-server-side-encryption': 'AES256',
        'content-disposition': "attachment; filename*=UTF-8''Zdj%C4%99cie%20z%20wakacji.JPG",
      },
      expiresAt: '2026-11-22T12:15:00.000Z',
    });
    const url = new URL(String(body.upload.url));
    expect(url.pathname).toBe(`/${emulators.resources.bucketName}/${body.s3Key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(HELPDESK_API_MEDIA.uploadSeconds));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe(
      'content-disposition;content-length;content-type;host;x-amz-server-side-encryption',
    );
    const plain = bodyOf(unnamed) as {
      s3Key: string;
      upload: { headers: Record<string, string>; url: string };
    };
    expect(plain.s3Key).toBe('media/outbound/0f1e2d3c4b5a69788796a5b4c3d2e1f0/file.pdf');
    expect(plain.upload.headers).toEqual({
      'content-type': 'application/pdf',
      'x-amz-server-side-encryption': 'AES256',
    });
    expect(new URL(plain.upload.url).searchParams.get('X-Amz-SignedHeaders')).toBe(
      'content-length;content-type;host;x-amz-server-side-encryption',
    );
    expect(calls).toEqual([]);
  });

  it("keeps the helpdesk's file name out of the upload's key and URL (S3's access logs keep both), and with the object", async () => {
    // Prepare: the review's name, and one each type of the list
    const filename = 'Invoice jane.doe@example.com +49 151 12345678.pdf';
    const file = new TextEncoder().encode('%PDF-1.7 invoice');
    // Act
    const created = await request('POST', '/v1/media', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contentType: 'application/pdf', bytes: file.byteLength, filename }),
    });
    const { s3Key, upload } = bodyOf(created) as {
      s3Key: string;
      upload: { method: string; url: string; headers: Record<string, string> };
    };
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: file });
    const head = await s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3).head(
      s3Key,
    );
    const keys = [];
    for (const contentType of UPLOAD_CONTENT_TYPES) {
      const answer = await request('POST', '/v1/media', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ contentType, bytes: 1, filename: 'Rechnung März jane@example.com.docx' }),
      });
      keys.push((bodyOf(answer) as { s3Key: string }).s3Key.split('/').at(-1));
    }
    // Assess
    expect(created.status).toBe(201);
    expect(put.status).toBe(200);
    // (the number by its longer runs: a fresh key's random id may hold three given digits by chance)
    for (const logged of [s3Key, unsignedText(upload.url)])
      for (const piece of ['Invoice', 'jane', 'example.com', '12345678', '15112345678'])
        expect(logged).not.toContain(piece);
    expect(head).toMatchObject({ bytes: file.byteLength, contentType: 'application/pdf', filename });
    expect(keys).toEqual([
      'file.jpg',
      'file.png',
      'file.webp',
      'file.gif',
      'file.aac',
      'file.amr',
      'file.m4a',
      'file.mp3',
      'file.ogg',
      'file.mp4',
      'file.3gp',
      'file.pdf',
      'file.txt',
      'file.doc',
      'file.docx',
      'file.xls',
      'file.xlsx',
      'file.ppt',
      'file.pptx',
    ]);
  });

  it('takes every listed type up to 100 MiB and refuses any other type, size or field by name', async () => {
    // Prepare
    const post = (body: unknown) =>
      request('POST', '/v1/media', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Act
    const listed = [];
    for (const contentType of UPLOAD_CONTENT_TYPES)
      listed.push((await post({ contentType, bytes: 1 })).status);
    const refused = [
      await post({ contentType: 'text/html', bytes: 10 }),
      await post({ contentType: 'IMAGE/JPEG', bytes: 10 }),
      await post({ contentType: 'image/jpeg', bytes: MAX_UPLOAD_BYTES + 1 }),
      await post({ contentType: 'image/jpeg', bytes: 0 }),
      await post({ contentType: 'image/jpeg', bytes: 10, key: 'raw/email/x' }),
    ];
    // Assess
    expect(listed).toEqual(UPLOAD_CONTENT_TYPES.map(() => 201));
    expect(
      refused.map((answer) => [answer.status, (bodyOf(answer).errors as { field: string }[])[0]?.field]),
    ).toEqual([
      [400, 'body.contentType'],
      [400, 'body.contentType'],
      [400, 'body.bytes'],
      [400, 'body.bytes'],
      [400, 'body'],
    ]);
  });

  /**
   * A customer's e-mail whose HTML (with a script) and text are each over 256 KiB, as the webhook
   * stores and queues it: its bodies in the bucket through the blob store (the headers it puts), its
   * event recorded.
   */
  const receiveLargeMail = async (messageId: string, keys?: (html: string) => string) => {
    const filler = `<p>${'lorem ipsum '.repeat(40)}</p>\r\n`.repeat(700);
    const html = `<!doctype html><html><body><script>fetch('https://attacker.example/')</script>${filler}</body></html>`;
    const text = `${'Plain words of the same mail. '.repeat(10_000)}\r\n`;
    const mail = alternativeMail(
      [
        'From: Ann <ann@customer.example>',
        'To: support@acme.example',
        'Subject: a long newsletter',
        `Message-ID: <${messageId}@customer.example>`,
      ],
      text,
      html,
    );
    const { events, blobs } = await normalizeInboundEmail(mail, {
      provider: 'mailgun',
      receivedAt: NOW,
      envelopeRecipients: ['support@acme.example'],
    });
    const [event] = events;
    if (event?.type !== 'switchboard.message.received' || !event.data.email)
      throw new Error('no e-mail event');
    const store = new S3BlobStore(emulators.clients.s3, emulators.resources.bucketName);
    for (const blob of blobs) await store.put(blob);
    const recorded = keys
      ? {
          ...event,
          data: {
            ...event.data,
            email: { ...event.data.email, htmlBodyKey: keys(event.data.email.htmlBodyKey ?? '') },
          },
        }
      : event;
    await recorder.recordEvent(recorded);
    return recorded;
  };
  const bodyPath = (hubMessageId: string, kind: string) => `/v1/messages/${hubMessageId}/body/${kind}`;

  it("answers an e-mail's HTML and text bodies stored apart with 5-minute URLs of the objects its record names, as downloads under made-up names, in one GetItem each", async () => {
    // Prepare: found by a review: a helpdesk on the API alone could not read a body the message only names by key
    const mail = await receiveLargeMail('r4-large-bodies');
    const keys = [mail.data.email?.htmlBodyKey, mail.data.email?.textBodyKey];
    // Act
    const html = await request('GET', bodyPath(mail.data.hubMessageId, 'html'));
    const htmlCalls = [...calls];
    const text = await request('GET', bodyPath(mail.data.hubMessageId, 'text'));
    // Assess
    expect(
      keys.map((key) => key?.startsWith(`bodies/${mail.data.conversationId}/${mail.data.hubMessageId}/`)),
    ).toEqual([true, true]);
    expect([html.status, text.status]).toEqual([200, 200]);
    expect(bodyOf(html)).toMatchObject({
      expiresAt: '2026-11-22T12:05:00.000Z',
      contentType: 'application/octet-stream',
    });
    expect(bodyOf(text)).toMatchObject({
      expiresAt: '2026-11-22T12:05:00.000Z',
      contentType: 'text/plain; charset=utf-8',
    });
    const urls = [html, text].map((answer) => new URL(String(bodyOf(answer).url)));
    expect(urls.map((url) => url.pathname)).toEqual(
      keys.map((key) => `/${emulators.resources.bucketName}/${key}`),
    );
    expect(urls.map((url) => url.searchParams.get('X-Amz-Expires'))).toEqual([
      String(HELPDESK_API_MEDIA.downloadSeconds),
      String(HELPDESK_API_MEDIA.downloadSeconds),
    ]);
    expect(urls.map((url) => url.searchParams.get('response-content-disposition'))).toEqual([
      'attachment; filename="body.html"',
      'attachment; filename="body.txt"',
    ]);
    expect(htmlCalls).toEqual(['GetItem']);
    expect(calls).toEqual(['GetItem']);
    // The URL serves the customer's HTML, as a download of a type no browser runs
    const served = await fetch(urls[0] as URL);
    const servedText = await served.text();
    expect(served.headers.get('content-type')).toBe('application/octet-stream');
    expect(served.headers.get('content-disposition')).toBe('attachment; filename="body.html"');
    expect(servedText.startsWith('<!doctype html><html><body><script>')).toBe(true);
    expect(Buffer.byteLength(servedText)).toBe(bodyOf(html).size);
  });

  it('answers 404 for a body a message does not keep apart: one that fits, a chat message, an unknown message, a claim check', async () => {
    // Prepare
    const short = await receiveMail(customerMail('r4-short-body', ['Thanks.'], []));
    const whatsapp = received('306900000507', 'wamid.body-1', [{ type: 'text', text: 'hi' }]);
    await recorder.recordEvent(whatsapp);
    const stranger = hubMessageIdFor('whatsapp', 'wamid.never-recorded-body');
    // A record naming a claim check (whole events under bodies/events/) as its body: never signed for
    const forged = await receiveLargeMail(
      'r4-forged-key',
      () => `bodies/events/conv_${'0a'.repeat(16)}/${'ab'.repeat(32)}.json`,
    );
    // Act
    const missing = [
      await request('GET', bodyPath(short.data.hubMessageId, 'html')),
      await request('GET', bodyPath(short.data.hubMessageId, 'text')),
      await request('GET', bodyPath(whatsapp.data.hubMessageId, 'text')),
      await request('GET', bodyPath(stranger, 'html')),
      await request('GET', bodyPath(forged.data.hubMessageId, 'html')),
    ];
    const malformed = [
      await request('GET', bodyPath(short.data.hubMessageId, 'pdf')),
      await request('GET', bodyPath(short.data.hubMessageId, 'HTML')),
      await request('GET', bodyPath('msg_x', 'html')),
    ];
    // Assess
    expect(missing.map((answer) => [answer.status, bodyOf(answer).type, bodyOf(answer).detail])).toEqual([
      [
        404,
        'urn:switchboard:problem:not-found',
        'the message has no html body stored apart (one that fits is in its email.htmlBody)',
      ],
      [
        404,
        'urn:switchboard:problem:not-found',
        'the message has no text body stored apart (one that fits is in its email.textBody)',
      ],
      [404, 'urn:switchboard:problem:not-found', 'the message is no e-mail'],
      [404, 'urn:switchboard:problem:not-found', 'no such message'],
      [404, 'urn:switchboard:problem:not-found', 'the stored body is not one the API hands out'],
    ]);
    expect(malformed.map((answer) => answer.status)).toEqual([400, 400, 400]);
  });

  it('hands out a body under bodies/email/ (a message outside a conversation id), and answers 404 for one keyed as before 2026-12-02 (bodies/<sha256>.html), which the API role may not read', async () => {
    // Prepare: a record naming a body under each key, and an object there
    const scoped = `bodies/email/${'cd'.repeat(32)}/${'ef'.repeat(32)}.html`;
    const legacy = `bodies/${'ef'.repeat(32)}.html`;
    for (const key of [scoped, legacy])
      await emulators.clients.s3.send(
        new PutObjectCommand({
          Bucket: emulators.resources.bucketName,
          Key: key,
          Body: '<p>hello</p>',
          ContentType: 'application/octet-stream',
        }),
      );
    const underEmail = await receiveLargeMail('r4-body-email-scope', () => scoped);
    const beforeLayout = await receiveLargeMail('r4-body-legacy', () => legacy);
    // Act
    const email = await request('GET', bodyPath(underEmail.data.hubMessageId, 'html'));
    const old = await request('GET', bodyPath(beforeLayout.data.hubMessageId, 'html'));
    // Assess: the grant is bodies/conv_* and bodies/email/* (claim checks under bodies/events/ beside them)
    expect(email.status).toBe(200);
    expect(new URL(String(bodyOf(email).url)).pathname).toBe(`/${emulators.resources.bucketName}/${scoped}`);
    expect([old.status, bodyOf(old).detail]).toEqual([404, 'the stored body is not one the API hands out']);
  });

  it('answers 404 once the stored body is gone, and once the message is erased (whatever is left in S3)', async () => {
    // Prepare
    const gone = await receiveLargeMail('r4-body-gone');
    const erased = await receiveLargeMail('r4-body-erased');
    await emulators.clients.s3.send(
      new DeleteObjectCommand({ Bucket: emulators.resources.bucketName, Key: gone.data.email?.htmlBodyKey }),
    );
    const before = await request('GET', bodyPath(erased.data.hubMessageId, 'html'));
    const conversation = await request('GET', `/v1/conversations/${erased.data.conversationId}`);
    const erasure = await request('DELETE', `/v1/contacts/${String(bodyOf(conversation).contactId)}`);
    // Act
    const afterExpiry = await request('GET', bodyPath(gone.data.hubMessageId, 'html'));
    const afterErasure = await request('GET', bodyPath(erased.data.hubMessageId, 'html'));
    // Assess
    expect(before.status).toBe(200);
    expect(erasure.status).toBe(200);
    expect([afterExpiry.status, bodyOf(afterExpiry).detail]).toEqual([
      404,
      'the stored body is gone (expired or erased)',
    ]);
    expect([afterErasure.status, bodyOf(afterErasure).detail]).toEqual([404, 'no such message']);
  });

  it("sends the table nothing the API's IAM policy does not allow (over every request above)", () => {
    // Assess
    expect(apiCalls.has('BatchGetItem')).toBe(true);
    for (const name of apiCalls)
      expect(HELPDESK_API_TABLE_ACTIONS as readonly string[]).toContain(`dynamodb:${name}`);
  });
});

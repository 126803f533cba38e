import { createHash, randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundPart } from '#shared/contract/commands.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import type { SimulatedRequest } from '#shared/local/simulators/types.ts';
import { freshSample, type HubSession, startHubSession } from '#tests/support/hub-session.ts';

/*
 * Files from the hub's bucket sent through each channel on the local hub: uploaded to WhatsApp's
 * media endpoint, handed to Twilio and Messenger as presigned links they fetch, attached to e-mail.
 * Each check reads what the simulated provider received and compares the bytes with the file.
 */

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A small JPEG-looking file: the marker bytes, then random content. */
const jpeg = (size: number): Buffer =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(size - 4)]);

const isOutcome = (event: HubEvent) =>
  event.type === 'switchboard.message.sent' || event.type === 'switchboard.message.send_failed';

describe('outbound media end to end', () => {
  let session: HubSession;
  let s3: S3Client;
  /** One WhatsApp customer, written once (a sample's message id is taken once). */
  let whatsAppConversation: string;

  beforeAll(async () => {
    session = await startHubSession();
    s3 = new S3Client({
      endpoint: session.hub.endpoints.s3,
      region: session.hub.region,
      credentials: session.hub.credentials,
      forcePathStyle: true,
    });
    whatsAppConversation = await session.customerWrites(freshSample('whatsapp/text.json'));
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await session?.stop();
  });

  const store = async (key: string, bytes: Buffer, contentType: string): Promise<string> => {
    await s3.send(
      new PutObjectCommand({
        Bucket: session.hub.resources.bucketName,
        Key: key,
        Body: bytes,
        ContentType: contentType,
      }),
    );
    return key;
  };

  /** A file uploaded as a helpdesk does: `POST /v1/media`, then a PUT of the bytes with the headers given. */
  const upload = async (bytes: Buffer, contentType: string, filename: string): Promise<string> => {
    const created = await fetch(`${session.hub.urls.base}/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.hub.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contentType, bytes: bytes.length, filename }),
    });
    const { s3Key, upload } = (await created.json()) as {
      s3Key: string;
      upload: { method: string; url: string; headers: Record<string, string> };
    };
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    if (put.status !== 200) throw new Error(`upload failed: ${put.status}`);
    return s3Key;
  };

  const requestsSince = (before: number): SimulatedRequest[] =>
    (session.hub.providers?.requests() ?? []).slice(before);

  const outcomeOf = async (hubMessageId: string): Promise<HubEvent | undefined> => {
    const events = await session.collectUntil((seen) =>
      seen.some((event) => isOutcome(event) && event.data.hubMessageId === hubMessageId),
    );
    return events.find((event) => isOutcome(event) && event.data.hubMessageId === hubMessageId);
  };

  it('WhatsApp: the file is uploaded once and the image message names the upload, even when the command comes again', async () => {
    // Prepare
    const conversationId = whatsAppConversation;
    const file = jpeg(40_000);
    const key = await store('media/outbound/wa-1/photo.jpg', file, 'image/jpeg');
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const hubMessageId = await session.sendCommand(conversationId, 'media-wa', [
      { type: 'media', kind: 'image', source: { s3Key: key }, caption: 'Your photo' },
    ]);
    const outcome = await outcomeOf(hubMessageId);
    await session.sendCommand(conversationId, 'media-wa', [
      { type: 'media', kind: 'image', source: { s3Key: key }, caption: 'Your photo' },
    ]);
    // Until the sender has taken the repeated command off the outbox (not a fixed while, which a
    // slow machine can spend before it even reads it): only then can its requests be counted.
    const repeatHandled = await session.hub.waitForSender(30_000);
    // Assess
    expect(repeatHandled).toBe(true);
    expect(outcome?.type).toBe('switchboard.message.sent');
    const requests = requestsSince(before);
    const uploads = requests.filter((request) => /\/media$/.test(request.path));
    const messages = requests.filter((request) => /\/messages$/.test(request.path));
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.body).toMatchObject({
      messaging_product: 'whatsapp',
      type: 'image/jpeg',
      file: { filename: 'photo.jpg', contentType: 'image/jpeg', sha256: sha256(file) },
    });
    const uploadedId = (uploads[0]?.response.body as { id?: string } | undefined)?.id;
    expect(messages).toHaveLength(1);
    expect(messages[0]?.body).toMatchObject({
      type: 'image',
      image: { id: uploadedId, caption: 'Your photo' },
    });
    expect(JSON.stringify(messages[0]?.body)).not.toContain('link');
  }, 60_000);

  it("WhatsApp: an audio's caption follows the uploaded file as a text of its own, before the next part, each message sent and named", async () => {
    // Prepare: WhatsApp shows no caption on audio
    const conversationId = whatsAppConversation;
    const file = Buffer.concat([Buffer.from('OggS'), randomBytes(16_000)]);
    const key = await store('media/outbound/wa-4/note.ogg', file, 'audio/ogg');
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const hubMessageId = await session.sendCommand(conversationId, 'audio-caption-wa', [
      { type: 'media', kind: 'audio', source: { s3Key: key }, caption: 'Your voice message' },
      { type: 'text', text: 'Thanks!' },
    ]);
    const outcome = await outcomeOf(hubMessageId);
    // Assess
    expect(outcome?.type).toBe('switchboard.message.sent');
    const requests = requestsSince(before);
    const uploads = requests.filter((request) => /\/media$/.test(request.path));
    const messages = requests.filter((request) => /\/messages$/.test(request.path));
    expect(uploads).toHaveLength(1);
    const uploadedId = (uploads[0]?.response.body as { id?: string } | undefined)?.id;
    expect(messages.map((request) => request.body)).toMatchObject([
      { type: 'audio', audio: { id: uploadedId } },
      { type: 'text', text: { body: 'Your voice message' } },
      { type: 'text', text: { body: 'Thanks!' } },
    ]);
    expect(JSON.stringify(messages[0]?.body)).not.toContain('caption');
    const sentIds = messages.map(
      (request) => (request.response.body as { messages?: { id: string }[] } | undefined)?.messages?.[0]?.id,
    );
    expect(sentIds.every((id) => typeof id === 'string' && id !== '')).toBe(true);
    expect(new Set(sentIds).size).toBe(3);
    expect(outcome?.data).toMatchObject({ providerMessageId: sentIds[0], providerMessageIds: sentIds });
  }, 60_000);

  it('WhatsApp template: a header image from the bucket is uploaded once and the header names the upload', async () => {
    // Prepare
    const conversationId = whatsAppConversation;
    const file = jpeg(25_000);
    const key = await store('media/outbound/wa-2/banner.jpg', file, 'image/jpeg');
    const before = session.hub.providers?.requests().length ?? 0;
    const parts: OutboundPart[] = [
      {
        type: 'template',
        name: 'order_shipped',
        language: 'en_US',
        parameters: ['4711'],
        category: 'utility',
        header: { type: 'image', s3Key: key },
      },
    ];
    // Act
    const hubMessageId = await session.sendCommand(conversationId, 'template-header-wa', parts);
    const outcome = await outcomeOf(hubMessageId);
    // Assess
    expect(outcome?.type).toBe('switchboard.message.sent');
    const requests = requestsSince(before);
    const uploads = requests.filter((request) => /\/media$/.test(request.path));
    const messages = requests.filter((request) => /\/messages$/.test(request.path));
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.body).toMatchObject({
      file: { filename: 'banner.jpg', contentType: 'image/jpeg', sha256: sha256(file) },
    });
    const uploadedId = (uploads[0]?.response.body as { id?: string } | undefined)?.id;
    expect(uploadedId).toBeTruthy();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.body).toMatchObject({
      type: 'template',
      template: {
        name: 'order_shipped',
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { id: uploadedId } }] },
          { type: 'body', parameters: [{ type: 'text', text: '4711' }] },
        ],
      },
    });
  }, 60_000);

  it('WhatsApp template: a header image that is a PDF is refused with its field before any call', async () => {
    // Prepare
    const conversationId = whatsAppConversation;
    const key = await store('media/outbound/wa-3/terms.pdf', Buffer.from('%PDF-1.7 test'), 'application/pdf');
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const hubMessageId = await session.sendCommand(conversationId, 'template-header-pdf', [
      {
        type: 'template',
        name: 'order_shipped',
        language: 'en_US',
        category: 'utility',
        header: { type: 'image', s3Key: key },
      },
    ]);
    const outcome = await outcomeOf(hubMessageId);
    // Assess
    expect(outcome?.type).toBe('switchboard.message.send_failed');
    expect(outcome?.data).toMatchObject({ reason: 'content_invalid', failedField: 'parts.0.header.s3Key' });
    expect(requestsSince(before)).toHaveLength(0);
  }, 60_000);

  it('SMS (Twilio): MediaUrl is a presigned link whose bytes are the file', async () => {
    // Prepare
    const conversationId = await session.customerWrites(freshSample('sms/sms-inbound.json'));
    const file = jpeg(20_000);
    const key = await store('media/outbound/sms-1/card.jpg', file, 'image/jpeg');
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const hubMessageId = await session.sendCommand(conversationId, 'media-sms', [
      { type: 'media', kind: 'image', source: { s3Key: key } },
    ]);
    const outcome = await outcomeOf(hubMessageId);
    // Assess
    expect(outcome?.type).toBe('switchboard.message.sent');
    const sends = requestsSince(before).filter((request) => /\/Messages\.json$/.test(request.path));
    expect(sends).toHaveLength(1);
    const mediaUrl = (sends[0]?.body as { MediaUrl?: string } | undefined)?.MediaUrl;
    expect(mediaUrl).toContain('X-Amz-Signature=');
    const fetched = new Uint8Array(await (await fetch(mediaUrl as string)).arrayBuffer());
    expect(sha256(fetched)).toBe(sha256(file));
  }, 60_000);

  it('Messenger: the attachment URL is a presigned link whose bytes are the file', async () => {
    // Prepare
    const conversationId = await session.customerWrites(freshSample('messenger/text.json'));
    const file = jpeg(30_000);
    const key = await store('media/outbound/fb-1/map.jpg', file, 'image/jpeg');
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const hubMessageId = await session.sendCommand(conversationId, 'media-fb', [
      { type: 'media', kind: 'image', source: { s3Key: key } },
    ]);
    const outcome = await outcomeOf(hubMessageId);
    // Assess
    expect(outcome?.type).toBe('switchboard.message.sent');
    const sends = requestsSince(before).filter(
      (request) => request.provider === 'messenger' && /\/messages$/.test(request.path),
    );
    expect(sends).toHaveLength(1);
    const body = sends[0]?.body as { message: { attachment: { type: string; payload: { url: string } } } };
    expect(body.message.attachment.type).toBe('image');
    const fetched = new Uint8Array(await (await fetch(body.message.attachment.payload.url)).arrayBuffer());
    expect(sha256(fetched)).toBe(sha256(file));
  }, 60_000);

  it("e-mail (Mailgun): the files are attached under their names (an upload's from the upload), byte for byte", async () => {
    // Prepare
    const conversationId = await session.customerWrites(freshSample('email/plain-text.eml'));
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(25_000)]);
    const image = jpeg(12_000);
    const pdfKey = await store('media/outbound/mail-1/invoice.pdf', pdf, 'application/pdf');
    const imageKey = await store('media/outbound/mail-2/photo.jpg', image, 'image/jpeg');
    const uploadedName = 'Oferta dla jane.doe@example.com +48 601 234 567.pdf';
    const uploadedKey = await upload(pdf, 'application/pdf', uploadedName);
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const hubMessageId = await session.sendCommand(conversationId, 'media-mail', [
      { type: 'text', text: 'Your invoice and the photo.' },
      { type: 'media', kind: 'file', source: { s3Key: pdfKey }, filename: 'Invoice 42.pdf' },
      { type: 'media', kind: 'image', source: { s3Key: imageKey } },
      { type: 'media', kind: 'file', source: { s3Key: uploadedKey } },
    ]);
    const outcome = await outcomeOf(hubMessageId);
    // Assess
    expect(outcome?.type).toBe('switchboard.message.sent');
    const sends = requestsSince(before).filter((request) => request.provider === 'mailgun');
    expect(sends).toHaveLength(1);
    expect((sends[0]?.body as { attachments?: unknown } | undefined)?.attachments).toEqual([
      {
        filename: 'Invoice 42.pdf',
        mimeType: 'application/pdf',
        byteLength: pdf.length,
        sha256: sha256(pdf),
      },
      { filename: 'photo.jpg', mimeType: 'image/jpeg', byteLength: image.length, sha256: sha256(image) },
      // Uploaded through the API: its key ends `file.pdf`, its name travels with the object.
      { filename: uploadedName, mimeType: 'application/pdf', byteLength: pdf.length, sha256: sha256(pdf) },
    ]);
    expect(uploadedKey).toMatch(/^media\/outbound\/[0-9a-f]{32}\/file\.pdf$/);
  }, 60_000);

  it.each([
    {
      name: 'a key outside the files the hub may send',
      key: 'bodies/events/x.json',
      size: 100,
      field: 'parts.0.source.s3Key',
    },
    {
      name: 'a file that does not exist',
      key: 'media/outbound/none/x.jpg',
      size: 0,
      field: 'parts.0.source.s3Key',
    },
    {
      name: 'an image larger than WhatsApp takes',
      key: 'media/outbound/big/x.jpg',
      size: 5 * 1024 * 1024 + 1,
      field: 'parts.0.source.s3Key',
    },
  ])(
    'refuses $name: content_invalid naming the field, no provider request',
    async ({ key, size, field }) => {
      // Prepare
      const conversationId = whatsAppConversation;
      if (size > 0) await store(key, jpeg(size), 'image/jpeg');
      const before = session.hub.providers?.requests().length ?? 0;
      // Act
      const hubMessageId = await session.sendCommand(conversationId, `refused-${key}`, [
        { type: 'media', kind: 'image', source: { s3Key: key } },
      ]);
      const outcome = await outcomeOf(hubMessageId);
      // Assess
      expect(outcome?.type).toBe('switchboard.message.send_failed');
      expect(outcome?.data).toMatchObject({ reason: 'content_invalid', failedField: field });
      expect(requestsSince(before).filter((request) => request.provider === 'whatsapp')).toHaveLength(0);
    },
    60_000,
  );
});

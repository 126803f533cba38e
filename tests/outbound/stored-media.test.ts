import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSendableMediaKey, MediaObjectChangedError, type MediaObjects } from '#shared/aws/media-objects.ts';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import {
  type ChannelSender,
  correlationIdFor,
  type PreparedMessage,
  type SendTarget,
} from '#shared/outbound/channel-sender.ts';
import { inspectStoredMedia, stageStoredMedia } from '#shared/outbound/stored-media.ts';
import { captureFetch } from '#tests/support/capture-fetch.ts';

/*
 * Media parts that name a file in the hub's bucket: which keys a command may name, what the core
 * looks up before any provider call, and what each kind of channel receives just before the call.
 */

const TARGET: SendTarget = {
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: '1093' },
  recipient: { type: 'wa_id', value: '4915112345678' },
  conversationId: 'conv_1',
};

/** The conversation a command replies in, and another customer's. */
const CONVERSATION = `conv_${'1'.repeat(32)}`;
const OTHER_CONVERSATION = `conv_${'2'.repeat(32)}`;

/** A bucket in memory: key → bytes and type; counts what was asked of it. */
const fakeObjects = (
  files: Record<string, { bytes: Uint8Array; contentType: string; filename?: string }>,
) => {
  const calls: string[] = [];
  const objects: MediaObjects = {
    head: async (key) => {
      calls.push(`head ${key}`);
      const file = files[key];
      return file
        ? {
            bytes: file.bytes.byteLength,
            contentType: file.contentType,
            ...(file.filename !== undefined ? { filename: file.filename } : {}),
          }
        : undefined;
    },
    read: async (key) => {
      calls.push(`read ${key}`);
      const file = files[key];
      if (!file) throw new MediaObjectChangedError('gone');
      return file.bytes;
    },
    open: async (key, bytes) => {
      calls.push(`open ${key}`);
      const file = files[key];
      if (!file || file.bytes.byteLength !== bytes) throw new MediaObjectChangedError('changed');
      return new Blob([file.bytes]).stream();
    },
    presignGet: async (key, seconds) => `https://bucket.example/${key}?X-Amz-Expires=${seconds}`,
    presignPut: async () => 'unused',
  };
  return { objects, calls };
};

const senderWith = (uploadMedia?: ChannelSender['uploadMedia']): ChannelSender => ({
  provider: 'meta',
  prepare: () => ({ ok: true, messages: [] }),
  send: async () => ({ kind: 'accepted', providerMessageId: 'x' }),
  ...(uploadMedia ? { uploadMedia } : {}),
});

const image = (
  s3Key: string,
  extra: Partial<Extract<OutboundPart, { type: 'media' }>> = {},
): OutboundPart => ({
  type: 'media',
  kind: 'image',
  source: { s3Key },
  ...extra,
});

describe('which keys a send may name', () => {
  it.each([
    ['media/outbound/3f2a/photo.jpg', true],
    ['attachments/conv_1/msg_2/0', true],
    ['attachments/3f2a/Rechnung_März_Ζ.pdf', true],
    ['attachments/3f2a/x\u0000y', false],
    ['bodies/events/conv_1/abc.json', false],
    ['raw/email/abc', false],
    ['media/outbound/', false],
    ['media/outbound/../../raw/email/x', false],
    ['media/outbound//x', false],
    ['media/outbound/a/./x', false],
    ['/media/outbound/a', false],
    ['media/outbound/a b.jpg', false],
  ])('%s → %s', (key, sendable) => {
    // Assess
    expect(isSendableMediaKey(key)).toBe(sendable);
  });

  it('never takes a key with a dot segment or outside the two prefixes, whatever its characters', () => {
    // Assess
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (tail) => {
        const key = `media/outbound/${tail}`;
        if (!isSendableMediaKey(key)) return;
        expect(key.split('/')).not.toContain('..');
        expect(key.split('/')).not.toContain('');
      }),
    );
  });
});

describe('inspecting a command before any provider call', () => {
  it("records each stored file's size and type (the part's type first), once per part", async () => {
    // Prepare
    const { objects, calls } = fakeObjects({
      'media/outbound/a/p.jpg': { bytes: new Uint8Array(10), contentType: 'image/jpeg' },
      [`attachments/${CONVERSATION}/msg_1/0`]: {
        bytes: new Uint8Array(20),
        contentType: 'application/octet-stream',
      },
    });
    const parts: OutboundPart[] = [
      { type: 'text', text: 'hi' },
      image('media/outbound/a/p.jpg'),
      image(`attachments/${CONVERSATION}/msg_1/0`, { mimeType: 'image/PNG; x=y' }),
      { type: 'media', kind: 'image', source: { url: 'https://cdn.example/x.jpg' } },
    ];
    // Act
    const inspected = await inspectStoredMedia(parts, objects, CONVERSATION);
    // Assess
    expect(inspected).toEqual({
      ok: true,
      stored: {
        '1': { s3Key: 'media/outbound/a/p.jpg', bytes: 10, contentType: 'image/jpeg' },
        '2': { s3Key: `attachments/${CONVERSATION}/msg_1/0`, bytes: 20, contentType: 'image/png' },
      },
    });
    expect(calls).toEqual(['head media/outbound/a/p.jpg', `head attachments/${CONVERSATION}/msg_1/0`]);
  });

  it('records the name an upload stored for a part that names no file, and only for such a part', async () => {
    // Prepare
    const uploaded = {
      bytes: new Uint8Array(10),
      contentType: 'application/pdf',
      filename: 'Invoice jane.doe@example.com +49 151 12345678.pdf',
    };
    const { objects } = fakeObjects({
      'media/outbound/a/file.pdf': uploaded,
      'media/outbound/b/file.pdf': uploaded,
    });
    // Act
    const inspected = await inspectStoredMedia(
      [
        { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/a/file.pdf' } },
        {
          type: 'media',
          kind: 'file',
          source: { s3Key: 'media/outbound/b/file.pdf' },
          filename: 'Invoice.pdf',
        },
      ],
      objects,
      CONVERSATION,
    );
    // Assess
    expect(inspected).toEqual({
      ok: true,
      stored: {
        '0': {
          s3Key: 'media/outbound/a/file.pdf',
          bytes: 10,
          contentType: 'application/pdf',
          filename: uploaded.filename,
        },
        '1': { s3Key: 'media/outbound/b/file.pdf', bytes: 10, contentType: 'application/pdf' },
      },
    });
  });

  it.each([
    ['a key the hub may not send', 'raw/email/x', 'not a file the hub may send'],
    ['a missing file', 'media/outbound/a/none.jpg', 'no such file'],
    ['an empty file', 'media/outbound/a/empty.jpg', 'empty'],
  ])('refuses %s, naming the field', async (_name, key, detail) => {
    // Prepare
    const { objects, calls } = fakeObjects({
      'raw/email/x': { bytes: new Uint8Array(5), contentType: 'message/rfc822' },
      'media/outbound/a/empty.jpg': { bytes: new Uint8Array(0), contentType: 'image/jpeg' },
    });
    // Act
    const inspected = await inspectStoredMedia(
      [{ type: 'text', text: 'x' }, image(key)],
      objects,
      CONVERSATION,
    );
    // Assess
    expect(inspected).toMatchObject({ ok: false, reason: 'content_invalid', field: 'parts.1.source.s3Key' });
    expect(inspected.ok ? '' : inspected.detail).toContain(detail);
    if (key.startsWith('raw/')) expect(calls).toEqual([]);
  });
});

describe('a stored attachment goes out only in its own conversation', () => {
  const photo = { bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), contentType: 'image/jpeg' };
  const othersPhoto = `attachments/${OTHER_CONVERSATION}/msg_1/0`;
  const replyTagged = `attachments/email/${'ab'.repeat(32)}/${'cd'.repeat(32)}`;

  it.each([
    ["another customer's photo", CONVERSATION, [image(othersPhoto)], 'parts.0.source.s3Key'],
    [
      "another customer's photo as a template header",
      CONVERSATION,
      [
        {
          type: 'template',
          name: 'order_shipped',
          language: 'en_US',
          category: 'utility',
          header: { type: 'image', s3Key: othersPhoto },
        },
      ] satisfies OutboundPart[],
      'parts.0.header.s3Key',
    ],
    ['an attachment filed by its message alone', CONVERSATION, [image(replyTagged)], 'parts.0.source.s3Key'],
    [
      "an attachment under a conversation id not of the hub's making, sent in it",
      'conv_x',
      [image('attachments/conv_x/msg_1/0')],
      'parts.0.source.s3Key',
    ],
  ])(
    'refuses %s as content_invalid naming the field, without looking it up',
    async (_name, conversationId, parts, field) => {
      // Prepare: every file exists
      const { objects, calls } = fakeObjects({
        [othersPhoto]: photo,
        [replyTagged]: photo,
        'attachments/conv_x/msg_1/0': photo,
      });
      // Act
      const inspected = await inspectStoredMedia(parts, objects, conversationId);
      // Assess
      expect(inspected).toMatchObject({ ok: false, reason: 'content_invalid', field });
      expect(inspected.ok ? '' : inspected.detail).toContain("not one of this conversation's");
      expect(calls).toEqual([]);
    },
  );

  it("sends the conversation's own attachment and an upload, in any conversation", async () => {
    // Prepare
    const own = `attachments/${CONVERSATION}/msg_1/0`;
    const { objects, calls } = fakeObjects({ [own]: photo, 'media/outbound/a/file.jpg': photo });
    // Act
    const inspected = await inspectStoredMedia(
      [image(own), image('media/outbound/a/file.jpg')],
      objects,
      CONVERSATION,
    );
    const elsewhere = await inspectStoredMedia(
      [image('media/outbound/a/file.jpg')],
      objects,
      OTHER_CONVERSATION,
    );
    // Assess
    expect(inspected.ok).toBe(true);
    expect(elsewhere.ok).toBe(true);
    expect(calls).toEqual([
      `head ${own}`,
      'head media/outbound/a/file.jpg',
      'head media/outbound/a/file.jpg',
    ]);
  });
});

describe('staging a message just before its provider call', () => {
  const stored = { '0': { bytes: 4, contentType: 'image/jpeg' } };
  const files = {
    'media/outbound/a/p.jpg': { bytes: new Uint8Array([1, 2, 3, 4]), contentType: 'image/jpeg' },
  };
  const message: PreparedMessage = { partIndex: 0, part: image('media/outbound/a/p.jpg') };

  it('uploads to a channel that takes uploads and names the media id, streaming the bytes', async () => {
    // Prepare
    const { objects } = fakeObjects(files);
    const uploaded: number[][] = [];
    const sender = senderWith(async (_target, file) => {
      const bytes = new Uint8Array(await new Response(await file.body()).arrayBuffer());
      uploaded.push([...bytes]);
      return { mediaId: 'media-77' };
    });
    // Act
    const staged = await stageStoredMedia({
      message,
      parts: [message.part],
      stored,
      sender,
      target: TARGET,
      objects,
    });
    // Assess
    expect(staged).toEqual({
      message: { ...message, uploadedMediaId: 'media-77', uploadedFilename: 'p.jpg' },
      // Which file was uploaded, for the send record to keep for a later try (not named again).
      upload: { partIndex: 0, s3Key: 'media/outbound/a/p.jpg', bytes: 4, reused: false },
    });
    expect(uploaded).toEqual([[1, 2, 3, 4]]);
  });

  it('hands other channels a presigned link instead of the key', async () => {
    // Prepare
    const { objects } = fakeObjects(files);
    // Act
    const staged = await stageStoredMedia({
      message,
      parts: [message.part],
      stored,
      sender: senderWith(),
      target: { ...TARGET, channel: 'sms', provider: 'twilio' },
      objects,
    });
    // Assess
    expect(staged).toEqual({
      message: {
        ...message,
        part: {
          ...message.part,
          source: { url: 'https://bucket.example/media/outbound/a/p.jpg?X-Amz-Expires=3600' },
        },
      },
    });
  });

  it('reads the files an e-mail attaches, under their names', async () => {
    // Prepare
    const { objects } = fakeObjects(files);
    const parts: OutboundPart[] = [{ type: 'text', text: 'hi' }, image('media/outbound/a/p.jpg')];
    const email: PreparedMessage = { partIndex: 0, part: { type: 'text', text: 'hi' }, attachParts: [1] };
    // Act
    const staged = await stageStoredMedia({
      message: email,
      parts,
      stored: { '1': stored['0'] },
      sender: senderWith(),
      target: TARGET,
      objects,
    });
    // Assess
    expect(staged).toEqual({
      message: {
        ...email,
        attachments: [
          { filename: 'p.jpg', contentType: 'image/jpeg', content: new Uint8Array([1, 2, 3, 4]) },
        ],
      },
    });
  });

  it('sends an uploaded file under the name it was uploaded with (the plan), not its key, unless the part names one', async () => {
    // Prepare: upload keys end `file.<extension>`; the names came from the objects at inspection
    const pdf = { bytes: new Uint8Array([1, 2]), contentType: 'application/pdf' };
    const { objects } = fakeObjects({
      'media/outbound/a/file.pdf': pdf,
      'media/outbound/b/file.pdf': pdf,
      'media/outbound/c/file.pdf': pdf,
    });
    const parts: OutboundPart[] = [
      { type: 'text', text: 'hi' },
      { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/a/file.pdf' } },
      { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/b/file.pdf' }, filename: 'Own.pdf' },
      { type: 'media', kind: 'file', source: { s3Key: 'media/outbound/c/file.pdf' } },
    ];
    const stored = {
      '1': { bytes: 2, contentType: 'application/pdf', filename: 'Faktura März 11.pdf' },
      '2': { bytes: 2, contentType: 'application/pdf' },
      '3': { bytes: 2, contentType: 'application/pdf' },
    };
    const email: PreparedMessage = {
      partIndex: 0,
      part: { type: 'text', text: 'hi' },
      attachParts: [1, 2, 3],
    };
    const uploadedAs: string[] = [];
    const whatsapp = senderWith(async (_target, file) => {
      uploadedAs.push(file.filename);
      return { mediaId: 'media-1' };
    });
    // Act
    const staged = await stageStoredMedia({
      message: email,
      parts,
      stored,
      sender: senderWith(),
      target: TARGET,
      objects,
    });
    await stageStoredMedia({
      message: { partIndex: 1, part: parts[1] as OutboundPart },
      parts,
      stored,
      sender: whatsapp,
      target: TARGET,
      objects,
    });
    // Assess
    const names = 'message' in staged ? staged.message.attachments?.map((file) => file.filename) : undefined;
    expect(names).toEqual(['Faktura März 11.pdf', 'Own.pdf', 'file.pdf']);
    expect(uploadedAs).toEqual(['Faktura März 11.pdf']);
  });

  it('names an uploaded WhatsApp document in its message as it was uploaded, a media part or a template header', async () => {
    // Prepare: an upload named "Quote 4711.pdf" (its key ends file.pdf), sent twice without a filename
    const key = `media/outbound/q/file.pdf`;
    const { objects } = fakeObjects({
      [key]: { bytes: new Uint8Array([1, 2]), contentType: 'application/pdf', filename: 'Quote 4711.pdf' },
    });
    const parts: OutboundPart[] = [
      { type: 'media', kind: 'file', source: { s3Key: key } },
      {
        type: 'template',
        name: 'quote_ready',
        language: 'en_US',
        category: 'utility',
        header: { type: 'document', s3Key: key },
      },
    ];
    const capture = captureFetch({ id: 'MEDIA1', messages: [{ id: 'wamid.OUT' }] });
    const whatsapp = createWhatsAppSender({
      graphBaseUrl: 'https://graph.example/',
      apiVersion: 'v23.0',
      accessTokenFor: () => 'EAAG-token',
      fetch: capture.fetch,
    });
    const inspected = await inspectStoredMedia(parts, objects, CONVERSATION);
    const stored = inspected.ok ? inspected.stored : undefined;
    // Act: each part staged (uploaded) and sent as the sender core does
    for (const [partIndex, part] of parts.entries()) {
      const staged = await stageStoredMedia({
        message: { partIndex, part },
        parts,
        stored,
        sender: whatsapp,
        target: TARGET,
        objects,
      });
      if (!('message' in staged)) throw new Error('not staged');
      await whatsapp.send(staged.message, {
        target: TARGET,
        hubMessageId: `msg_${'c'.repeat(32)}`,
        sequence: partIndex,
        correlationId: correlationIdFor(`msg_${'c'.repeat(32)}`, partIndex),
        policy: { withinWindow: true, humanAgentTag: false },
      });
    }
    // Assess: both messages name the file (a name given at upload alone shows "Untitled")
    const messages = capture.requests.filter((request) => request.url.endsWith('/messages'));
    expect(messages.map((request) => request.body)).toMatchObject([
      { type: 'document', document: { id: 'MEDIA1', filename: 'Quote 4711.pdf' } },
      {
        type: 'template',
        template: {
          components: [
            {
              type: 'header',
              parameters: [{ type: 'document', document: { id: 'MEDIA1', filename: 'Quote 4711.pdf' } }],
            },
          ],
        },
      },
    ]);
  });

  it('names a forwarded inbound attachment, stored under its hash or part index, file rather than by its id', async () => {
    // Prepare: an e-mail attachment and a fetched WhatsApp image, forwarded by key without a filename
    const hashKey = `attachments/conv_${'1'.repeat(32)}/msg_1/${'ab'.repeat(32)}`;
    const indexKey = `attachments/conv_${'1'.repeat(32)}/msg_2/0`;
    const forwarded = { bytes: new Uint8Array([1, 2]), contentType: 'application/pdf' };
    const { objects } = fakeObjects({ [hashKey]: forwarded, [indexKey]: forwarded });
    const parts: OutboundPart[] = [{ type: 'text', text: 'hi' }, image(hashKey), image(indexKey)];
    const email: PreparedMessage = { partIndex: 0, part: { type: 'text', text: 'hi' }, attachParts: [1, 2] };
    const pdf = { bytes: 2, contentType: 'application/pdf' };
    // Act
    const staged = await stageStoredMedia({
      message: email,
      parts,
      stored: { '1': pdf, '2': pdf },
      sender: senderWith(),
      target: TARGET,
      objects,
    });
    // Assess
    const names = 'message' in staged ? staged.message.attachments?.map((file) => file.filename) : undefined;
    expect(names).toEqual(['file', 'file']);
  });

  it('fails the message as content_invalid when the file changed since the command was accepted; nothing uploaded', async () => {
    // Prepare
    const { objects } = fakeObjects({
      'media/outbound/a/p.jpg': { bytes: new Uint8Array(9), contentType: 'image/jpeg' },
    });
    let uploads = 0;
    const sender = senderWith(async (_target, file) => {
      await file.body();
      uploads++;
      return { mediaId: 'never' };
    });
    // Act
    const staged = await stageStoredMedia({
      message,
      parts: [message.part],
      stored,
      sender,
      target: TARGET,
      objects,
    });
    // Assess
    expect(staged).toMatchObject({
      outcome: {
        kind: 'refused',
        reason: 'content_invalid',
        retryable: false,
        error: { code: 'switchboard.media_changed' },
      },
    });
    expect(uploads).toBe(0);
  });

  it('fails a linked file gone or changed since the command was accepted as content_invalid; no link is handed out', async () => {
    // Prepare
    const smaller = { 'media/outbound/a/p.jpg': { bytes: new Uint8Array(3), contentType: 'image/jpeg' } };
    const gone = fakeObjects({});
    const changed = fakeObjects(smaller);
    const stage = (objects: MediaObjects) =>
      stageStoredMedia({
        message,
        parts: [message.part],
        stored,
        sender: senderWith(),
        target: { ...TARGET, channel: 'sms', provider: 'twilio' },
        objects,
      });
    // Act
    const staged = [await stage(gone.objects), await stage(changed.objects)];
    // Assess
    for (const outcome of staged)
      expect(outcome).toMatchObject({
        outcome: { kind: 'refused', reason: 'content_invalid', error: { code: 'switchboard.media_changed' } },
      });
    expect([...gone.calls, ...changed.calls]).toEqual([
      'head media/outbound/a/p.jpg',
      'head media/outbound/a/p.jpg',
    ]);
  });

  it('fails an e-mail whose attached file is smaller than when the command was accepted as content_invalid', async () => {
    // Prepare
    const { objects } = fakeObjects({
      'media/outbound/a/p.jpg': { bytes: new Uint8Array(3), contentType: 'image/jpeg' },
    });
    const email: PreparedMessage = { partIndex: 0, part: { type: 'text', text: 'hi' }, attachParts: [1] };
    // Act
    const staged = await stageStoredMedia({
      message: email,
      parts: [{ type: 'text', text: 'hi' }, message.part],
      stored: { '1': stored['0'] },
      sender: senderWith(),
      target: { ...TARGET, channel: 'email', provider: 'ses' },
      objects,
    });
    // Assess
    expect(staged).toMatchObject({
      outcome: { kind: 'refused', reason: 'content_invalid', error: { code: 'switchboard.media_changed' } },
    });
  });

  it('passes a message without stored files unchanged, asking nothing of the bucket', async () => {
    // Prepare
    const { objects, calls } = fakeObjects({});
    const text: PreparedMessage = { partIndex: 0, part: { type: 'text', text: 'hi' } };
    // Act
    const staged = await stageStoredMedia({
      message: text,
      parts: [text.part],
      stored: undefined,
      sender: senderWith(),
      target: TARGET,
      objects,
    });
    // Assess
    expect(staged).toEqual({ message: text });
    expect(calls).toEqual([]);
  });
});

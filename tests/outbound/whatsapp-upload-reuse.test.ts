import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaObjects } from '#shared/aws/media-objects.ts';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import { type RunningProviderSimulators, startProviderSimulators } from '#shared/local/simulators/index.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { ChannelSender, SendTarget } from '#shared/outbound/channel-sender.ts';
import { createProviderErasure, whatsappUploadsIn } from '#shared/outbound/provider-erasure.ts';
import type { SendStep } from '#shared/outbound/send-command.ts';
import { stageStoredMedia } from '#shared/outbound/stored-media.ts';
import { sendKey } from '#shared/store/keys.ts';
import { storedSendOf } from '#shared/store/sends.ts';
import { reusableUpload, UPLOAD_REUSE_SECONDS } from '#shared/store/whatsapp-uploads.ts';
import { tableItems } from '#tests/support/emulated-table.ts';
import {
  openCustomerConversation,
  outcomesOf,
  putUpload,
  receivedCommand,
  sendCommand,
  useOutboundHarness,
} from './harness.ts';

/*
 * A WhatsApp message whose file comes from the bucket (`source: {s3Key}`), sent back after its
 * upload (a throttle, 130429): its next try names the upload the first try made instead of
 * uploading the file again, the real WhatsApp sender against the Graph simulator. An upload named
 * again that Meta refuses (code 100, "… is not a valid whatsapp business account media attachment
 * ID": expired or deleted early) is followed by a fresh upload at the next try, not by a failure;
 * every upload made is still remembered and deleted at Meta by the customer's erasure.
 */

const CUSTOMERS = { prefix: '4915188', tag: 'reuse' };
const INVALID_MEDIA_ID = {
  provider: 'whatsapp' as const,
  kind: 'error' as const,
  code: 100,
  message: "(#100) Param image['id'] is not a valid whatsapp business account media attachment ID",
};

describe('a WhatsApp file sent by s3Key is uploaded once per send, not once per try', () => {
  const hub = useOutboundHarness();
  let simulators: RunningProviderSimulators;
  let photos = 0;

  beforeAll(async () => {
    simulators = await startProviderSimulators({
      hubBaseUrl: 'http://127.0.0.1:9',
      secrets: LOCAL_DEV_SECRETS,
      // No status webhook within a test (there is no hub to take it).
      statusDelaysMs: { sent: 600_000, delivered: 600_000, read: 600_000 },
    });
  });
  afterAll(async () => {
    await simulators?.stop();
  });

  const whatsapp = () =>
    createWhatsAppSender({
      graphBaseUrl: simulators.urls.graph,
      apiVersion: 'v23.0',
      accessTokenFor: () => LOCAL_DEV_SECRETS.meta.accessToken,
    });

  /** A photo in the bucket, as the helpdesk's upload stores it. */
  const photo = async (): Promise<string> => {
    photos += 1;
    const s3Key = `media/outbound/${'c'.repeat(28)}${String(photos).padStart(4, '0')}/file.jpg`;
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4_000)]);
    await putUpload(hub, s3Key, bytes, 'image/jpeg');
    return s3Key;
  };

  /**
   * Delivers `command` `times` times (its 1st, 2nd… receive), as SQS would after each backoff; the
   * table requests of each receive, as `<command> <sort key's kind>` (`batch` for a BatchGetItem).
   */
  const deliver = async (
    command: ReturnType<typeof sendCommand>,
    times: number,
    afterStep?: (step: SendStep) => void,
    afterReceive?: (receive: number) => Promise<void>,
  ): Promise<string[][]> => {
    const service = hub.sender(afterStep, { senderFor: async () => whatsapp() });
    const { dynamodb } = hub.pipeline.emulators.clients;
    const receives: string[][] = [];
    let counting = true;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: { sk?: { S?: string } }; Item?: { sk?: { S?: string } } };
        const sk = input.Key?.sk?.S ?? input.Item?.sk?.S ?? 'batch';
        if (counting)
          receives.at(-1)?.push(`${(context.commandName ?? '').replace(/Command$/, '')} ${sk.split('#')[0]}`);
        return next(args);
      },
      { step: 'initialize', name: 'countUploadReuseRequests' },
    );
    try {
      for (let receive = 1; receive <= times; receive++) {
        receives.push([]);
        await service.handleSqsEvent({ Records: [receivedCommand(command, receive)] }, () => 30_000);
        // The test's own reads in between are no receive's.
        counting = false;
        await afterReceive?.(receive);
        counting = true;
      }
    } finally {
      dynamodb.middlewareStack.remove('countUploadReuseRequests');
    }
    return receives;
  };

  /** What the simulator was asked since `from`: uploads (their ids) and message sends (the image id each names, and how it was answered). */
  const graphSince = (from: number) => {
    const requests = simulators.requests().slice(from);
    const uploads = requests
      .filter((request) => request.method === 'POST' && /\/media$/.test(request.path))
      .map((request) => (request.response.body as { id?: string }).id);
    const sends = requests
      .filter((request) => /\/messages$/.test(request.path))
      .map((request) => ({
        mediaId: (request.body as { image?: { id?: string } }).image?.id,
        // 'sent', or the Graph error code it was refused with
        answer:
          request.response.status === 200
            ? 'sent'
            : (request.response.body as { error?: { code?: number } }).error?.code,
      }));
    return { uploads, sends };
  };

  /** The uploads remembered in the send's partition, and what the customer's erasure does with them at Meta. */
  const erasureOf = async (hubMessageId: string) => {
    const { dynamodb } = hub.pipeline.emulators.clients;
    const items = (
      await tableItems({
        client: dynamodb,
        tableName: hub.pipeline.emulators.resources.tableName,
        now: () => hub.now,
      })
    ).filter((item) => item.pk === sendKey(hubMessageId).pk);
    const remembered = whatsappUploadsIn(items).map((upload) => upload.mediaId);
    const from = simulators.requests().length;
    const report = await createProviderErasure({
      secrets: async () => LOCAL_DEV_SECRETS,
      twilioApiUrl: simulators.urls.twilio,
      graphApiUrl: simulators.urls.graph,
      graphApiVersion: 'v23.0',
      logger: createLogger({ level: 'error', write: () => undefined }),
      sleep: async () => undefined,
      settings: { concurrency: 1 },
    })(items);
    const deleted = simulators
      .requests()
      .slice(from)
      .filter((request) => request.method === 'DELETE' && request.response.status === 200)
      .map((request) => request.path.split('?')[0]?.split('/').at(-1));
    return { remembered, report, deleted };
  };

  it('a throttled (130429) first try and a second: one upload, and both messages name it', async () => {
    // Prepare
    const { wa, conversationId } = await openCustomerConversation(hub, CUSTOMERS, 1);
    const s3Key = await photo();
    const command = sendCommand(conversationId, 'reuse-1', [
      { type: 'media', kind: 'image', source: { s3Key } },
    ]);
    const from = simulators.requests().length;
    simulators.setFaults([{ provider: 'whatsapp', recipient: wa, kind: 'throttle', times: 1 }]);
    const hubMessageId = outboundHubMessageId(conversationId, 'reuse-1');
    const kept: unknown[] = [];
    // Act
    const [first, second] = await deliver(command, 2, undefined, async () => {
      kept.push((await hub.sends.get(hubMessageId))?.upload);
    });
    // Assess
    const { uploads, sends } = graphSince(from);
    // Kept on the send record with the throttled try's note; gone with the accept.
    expect(kept).toEqual([
      {
        index: 0,
        partIndex: 0,
        s3Key,
        bytes: 4_004,
        mediaId: uploads[0],
        endpoint: expect.objectContaining({ type: 'whatsapp_phone_number' }),
        uploadedAt: hub.now.toISOString(),
      },
      undefined,
    ]);
    expect(uploads).toHaveLength(1);
    expect(sends).toEqual([
      { mediaId: uploads[0], answer: 130429 },
      { mediaId: uploads[0], answer: 'sent' },
    ]);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
    const erasure = await erasureOf(hubMessageId);
    expect(erasure.remembered).toEqual(uploads);
    expect(erasure.deleted).toEqual(uploads);
    expect(erasure.report.whatsapp).toEqual({ uploads: 1, failed: 0 });
    // The table: the upload recorded once, by the try that made it; the second try found it in the
    // send record every delivery reads with the conversation (one BatchGetItem), no read more.
    const uploadWrites = (requests: string[] = []) =>
      requests.filter((request) => request === 'PutItem UPLOAD');
    const sendReads = (requests: string[] = []) =>
      requests.filter((request) => /^(GetItem|BatchGetItem|Query) (SEND|UPLOAD|batch)$/.test(request));
    expect(uploadWrites(first)).toHaveLength(1);
    expect(uploadWrites(second)).toEqual([]);
    expect(sendReads(first)).toEqual(['BatchGetItem batch']);
    expect(sendReads(second)).toEqual(['BatchGetItem batch']);
  });

  it('an upload named again that Meta refuses as unknown is uploaded anew at the next try, and both are erased', async () => {
    // Prepare: throttled once, then the send naming the first upload again is refused as naming no media
    const { wa, conversationId } = await openCustomerConversation(hub, CUSTOMERS, 2);
    const s3Key = await photo();
    const command = sendCommand(conversationId, 'reuse-2', [
      { type: 'media', kind: 'image', source: { s3Key } },
    ]);
    const from = simulators.requests().length;
    simulators.setFaults([
      { provider: 'whatsapp', recipient: wa, kind: 'throttle', times: 1 },
      { ...INVALID_MEDIA_ID, recipient: wa, times: 1 },
    ]);
    // Act
    await deliver(command, 3);
    // Assess
    const { uploads, sends } = graphSince(from);
    expect(uploads).toHaveLength(2);
    expect(sends).toEqual([
      { mediaId: uploads[0], answer: 130429 },
      { mediaId: uploads[0], answer: 100 },
      { mediaId: uploads[1], answer: 'sent' },
    ]);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
    const erasure = await erasureOf(outboundHubMessageId(conversationId, 'reuse-2'));
    expect([...erasure.remembered].sort()).toEqual([...uploads].sort());
    expect([...erasure.deleted].sort()).toEqual([...uploads].sort());
  });

  it('a fresh upload refused alike is the message at fault: the command fails, as before', async () => {
    // Prepare: refused on its first try, with an upload made for it
    const { wa, conversationId } = await openCustomerConversation(hub, CUSTOMERS, 3);
    const s3Key = await photo();
    const command = sendCommand(conversationId, 'reuse-3', [
      { type: 'media', kind: 'image', source: { s3Key } },
    ]);
    const from = simulators.requests().length;
    simulators.setFaults([{ ...INVALID_MEDIA_ID, recipient: wa, times: 1 }]);
    // Act
    await deliver(command, 2);
    // Assess
    const { uploads, sends } = graphSince(from);
    expect(uploads).toHaveLength(1);
    expect(sends).toEqual([{ mediaId: uploads[0], answer: 100 }]);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect(outcomes[0]?.data).toMatchObject({ reason: 'content_invalid', retryable: false });
  });

  it('per part: the same file in two parts is uploaded for each, and a retried part names its own upload', async () => {
    // Prepare: the second part is throttled once, after the first went
    const { wa, conversationId } = await openCustomerConversation(hub, CUSTOMERS, 4);
    const s3Key = await photo();
    const parts: OutboundPart[] = [
      { type: 'media', kind: 'image', source: { s3Key } },
      { type: 'media', kind: 'image', source: { s3Key } },
    ];
    const command = sendCommand(conversationId, 'reuse-4', parts);
    const from = simulators.requests().length;
    simulators.clearFaults();
    let accepts = 0;
    const armAfterFirstAccept = (step: SendStep) => {
      if (step === 'accept' && ++accepts === 1)
        simulators.setFaults([{ provider: 'whatsapp', recipient: wa, kind: 'throttle', times: 1 }]);
    };
    // Act
    await deliver(command, 2, armAfterFirstAccept);
    // Assess
    const { uploads, sends } = graphSince(from);
    expect(uploads).toHaveLength(2);
    expect(sends).toEqual([
      { mediaId: uploads[0], answer: 'sent' },
      { mediaId: uploads[1], answer: 130429 },
      { mediaId: uploads[1], answer: 'sent' },
    ]);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
    const erasure = await erasureOf(outboundHubMessageId(conversationId, 'reuse-4'));
    expect([...erasure.remembered].sort()).toEqual([...uploads].sort());
  });
});

describe('which upload a later try may name again', () => {
  const ENDPOINT = { type: 'whatsapp_phone_number' as const, id: '106540352242922' };
  const UPLOADED_AT = new Date('2026-12-01T10:00:00.000Z');
  const kept = {
    index: 1,
    partIndex: 1,
    s3Key: 'media/outbound/abc/file.jpg',
    bytes: 4_004,
    mediaId: '1497894784060052',
    endpoint: ENDPOINT,
    uploadedAt: UPLOADED_AT.toISOString(),
  };
  const wanted = { index: 1, partIndex: 1, s3Key: kept.s3Key, bytes: kept.bytes, endpoint: ENDPOINT };
  const aged = (seconds: number) => new Date(UPLOADED_AT.getTime() + seconds * 1000);

  it("is the same message, part, file and endpoint, younger than a day short of Meta's 30 days", () => {
    // Act
    const soon = reusableUpload(kept, wanted, aged(60));
    const lastMoment = reusableUpload(kept, wanted, aged(UPLOAD_REUSE_SECONDS - 1));
    const tooOld = reusableUpload(kept, wanted, aged(UPLOAD_REUSE_SECONDS));
    // Assess
    expect(UPLOAD_REUSE_SECONDS).toBe(29 * 24 * 3_600);
    expect(soon).toBe(kept.mediaId);
    expect(lastMoment).toBe(kept.mediaId);
    expect(tooOld).toBeUndefined();
  });

  it('is never another message, part, file, size or endpoint, nor none kept', () => {
    // Act
    const others = [
      { ...wanted, index: 2 },
      { ...wanted, partIndex: 0 },
      { ...wanted, s3Key: 'media/outbound/abd/file.jpg' },
      { ...wanted, bytes: kept.bytes + 1 },
      { ...wanted, endpoint: { ...ENDPOINT, id: '106540352242923' } },
    ].map((other) => reusableUpload(kept, other, aged(60)));
    const none = reusableUpload(undefined, wanted, aged(60));
    // Assess
    expect(others).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(none).toBeUndefined();
  });

  it('is none when the kept one does not read, and the send record still reads', () => {
    // Prepare: a send record whose kept upload names an id the hub could not have stored
    const record = {
      ...sendKey('msg_reuse-unreadable'),
      hubMessageId: 'msg_reuse-unreadable',
      conversationId: 'conv_1',
      commandId: 'cmd-1',
      commandHash: 'hash',
      state: 'sending',
      acceptedAt: UPLOADED_AT.toISOString(),
      messageCount: 2,
      next: 1,
      providerIds: ['wamid.1'],
      links: {},
    };
    // Act
    const unreadable = storedSendOf({ ...record, upload: { ...kept, mediaId: '../42' } });
    const readable = storedSendOf({ ...record, upload: kept });
    // Assess
    expect(unreadable).toMatchObject({ hubMessageId: 'msg_reuse-unreadable', next: 1 });
    expect(unreadable?.upload).toBeUndefined();
    expect(readable?.upload).toEqual(kept);
  });
});

describe('staging a file whose earlier upload is named again', () => {
  const TARGET: SendTarget = {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint: { type: 'whatsapp_phone_number', id: '1093' },
    recipient: { type: 'wa_id', value: '4915112345678' },
    conversationId: 'conv_1',
  };
  const s3Key = `media/outbound/${'d'.repeat(32)}/file.jpg`;
  const part: OutboundPart = { type: 'media', kind: 'image', source: { s3Key } };
  const stageWith = async (inBucket: number | undefined) => {
    const asked: string[] = [];
    const objects: MediaObjects = {
      head: async (key) => {
        asked.push(`head ${key}`);
        return inBucket === undefined ? undefined : { bytes: inBucket, contentType: 'image/jpeg' };
      },
      read: async () => {
        throw new Error('not read');
      },
      open: async () => {
        throw new Error('not opened');
      },
      presignGet: async () => 'unused',
      presignPut: async () => 'unused',
    };
    const sender: ChannelSender = {
      provider: 'meta',
      prepare: () => ({ ok: true, messages: [] }),
      send: async () => ({ kind: 'accepted', providerMessageId: 'x' }),
      uploadMedia: async () => {
        asked.push('upload');
        return { mediaId: 'fresh' };
      },
    };
    const staged = await stageStoredMedia({
      message: { partIndex: 0, part },
      parts: [part],
      stored: { '0': { s3Key, bytes: 4_004, contentType: 'image/jpeg' } },
      sender,
      target: TARGET,
      objects,
      reusable: (file) => (file.partIndex === 0 && file.s3Key === s3Key ? 'kept-id' : undefined),
    });
    return { staged, asked };
  };

  it('names the kept id with the file looked up, and uploads nothing', async () => {
    // Act
    const { staged, asked } = await stageWith(4_004);
    // Assess
    expect(staged).toMatchObject({
      message: { uploadedMediaId: 'kept-id', uploadedFilename: 'file.jpg' },
      upload: { partIndex: 0, s3Key, bytes: 4_004, reused: true },
    });
    expect(asked).toEqual([`head ${s3Key}`]);
  });

  it('refuses a file gone or changed since the command was accepted, as an upload would', async () => {
    // Act
    const gone = await stageWith(undefined);
    const changed = await stageWith(4_005);
    // Assess
    for (const { staged, asked } of [gone, changed]) {
      expect(staged).toMatchObject({
        outcome: { kind: 'refused', reason: 'content_invalid', error: { code: 'switchboard.media_changed' } },
      });
      expect(asked).not.toContain('upload');
    }
  });
});

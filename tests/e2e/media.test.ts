import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { HubEvent, HubEventOf } from '#shared/contract/index.ts';
import {
  messengerFileFrom,
  postSample,
  twilioMmsFrom,
  whatsappImageFrom,
} from '#shared/local/live-samples.ts';
import { inboundMedia, inboundMediaSha256 } from '#shared/local/simulators/inbound-media.ts';
import { collectHelpdeskUntil } from '#tests/support/helpdesk-queue.ts';
import { useLocalHub } from '#tests/support/local-hub.ts';

/*
 * Attachments on the local hub, end to end: a customer's media webhook is recorded, the recorder
 * enqueues a job per part, the media fetcher downloads each from the provider simulators (WhatsApp
 * lookup then download with the token, Twilio with Basic auth, Messenger's CDN URL as it is) into
 * the payload bucket, and the helpdesk hears one media_stored or media_failed per part.
 */

type MediaStored = HubEventOf<'switchboard.message.media_stored'>;
type MediaFailed = HubEventOf<'switchboard.message.media_failed'>;

const isStored = (event: HubEvent): event is MediaStored => event.type === 'switchboard.message.media_stored';
const isFailed = (event: HubEvent): event is MediaFailed => event.type === 'switchboard.message.media_failed';

/** Media outcomes by event id (a redelivered outcome keeps its id). */
const distinct = <T extends HubEvent>(events: readonly T[]): T[] => [
  ...new Map(events.map((event) => [event.id, event])).values(),
];

describe('inbound attachments on the local hub', () => {
  const local = useLocalHub();

  const providers = () => {
    if (!local.hub.providers) throw new Error('the local hub runs without provider simulators');
    return local.hub.providers;
  };
  /** Successful downloads of a file the simulators served (not lookups), by a substring of the path. */
  const downloadsOf = (id: string) =>
    providers()
      .requests()
      .filter(
        (request) =>
          request.method === 'GET' &&
          request.response.status === 200 &&
          !/^\/v\d+\.\d+\//.test(request.path) &&
          (request.path.startsWith('/whatsapp_business/attachments/')
            ? new URLSearchParams(request.path.split('?')[1]).get('mid') === id
            : request.path.endsWith(`/${id}`) || request.path.includes(`/v/${id}/`)),
      ).length;
  const objectSha256 = async (key: string) => {
    const object = await local.s3.send(
      new GetObjectCommand({ Bucket: local.hub.resources.bucketName, Key: key }),
    );
    const bytes = await object.Body?.transformToByteArray();
    return {
      sha256: createHash('sha256')
        .update(bytes ?? new Uint8Array())
        .digest('hex'),
      object,
    };
  };
  const settle = async () => {
    expect(await local.hub.waitForRecorder()).toBe(true);
    expect(await local.hub.waitForMedia(30_000)).toBe(true);
  };

  it('stores a WhatsApp image and a two-file Twilio MMS once each, even when the webhooks come again', async () => {
    // Prepare
    const imageId = '7710000000000001';
    const mediaSids = [`ME${'1a2b3c4d'.repeat(4)}`, `ME${'5e6f7a8b'.repeat(4)}`];
    const whatsapp = whatsappImageFrom('306900000101', 'media-image-1', imageId);
    const mms = twilioMmsFrom('+306900000102', 'a1', mediaSids, providers().urls.twilio);
    const ids = [imageId, ...mediaSids];

    // Act
    const statuses = [
      await postSample(local.hub.urls.base, whatsapp),
      await postSample(local.hub.urls.base, mms),
    ];
    await settle();
    const first = await collectHelpdeskUntil(
      local.sqs,
      local.hub.resources.helpdeskQueueUrl,
      (events) => distinct(events.filter(isStored)).length >= 3,
      30_000,
    );
    const again = [
      await postSample(local.hub.urls.base, whatsapp),
      await postSample(local.hub.urls.base, mms),
    ];
    await settle();
    const afterRepeat = await collectHelpdeskUntil(
      local.sqs,
      local.hub.resources.helpdeskQueueUrl,
      () => false,
      3_000,
    );
    const stored = distinct([...first, ...afterRepeat].filter(isStored));
    const objects = await Promise.all(stored.map((event) => objectSha256(event.data.key)));

    // Assess
    expect([...statuses, ...again].every((status) => status < 300)).toBe(true);
    expect(stored).toHaveLength(3);
    // Not even a second copy of an outcome: the repeated webhooks publish nothing more.
    expect([...first, ...afterRepeat].filter(isStored)).toHaveLength(3);
    expect([...first, ...afterRepeat].filter(isFailed)).toEqual([]);
    // The MMS body is part 0; its files follow in MediaUrl order.
    const smsParts = stored
      .filter((event) => event.data.channel === 'sms')
      .map((event) => event.data.partIndex)
      .sort();
    const sourceOf = (event: MediaStored) =>
      event.data.channel === 'whatsapp' ? imageId : mediaSids[smsParts.indexOf(event.data.partIndex)];
    for (const [index, event] of stored.entries()) {
      const id = sourceOf(event) ?? '';
      expect(event.data.key).toBe(
        `attachments/${event.data.conversationId}/${event.data.hubMessageId}/${event.data.partIndex}`,
      );
      expect(event.data.sha256).toBe(inboundMediaSha256(id));
      expect(objects[index]?.sha256).toBe(inboundMediaSha256(id));
      expect(event.data.contentType).toBe(inboundMedia(id).mimeType);
      expect(event.data.part.ref).toEqual({ store: 's3', key: event.data.key });
    }
    expect(smsParts).toEqual([1, 2]);
    expect(ids.map(downloadsOf)).toEqual([1, 1, 1]);
  }, 120_000);

  it('reports an expired WhatsApp media id and a checksum mismatch once each, storing nothing', async () => {
    // Prepare
    const expired = whatsappImageFrom('306900000201', 'media-expired-1', 'expired-7710000000000002');
    const corrupt = whatsappImageFrom('306900000202', 'media-checksum-1', 'checksum-7710000000000003');

    // Act
    const statuses = [
      await postSample(local.hub.urls.base, expired),
      await postSample(local.hub.urls.base, corrupt),
    ];
    await settle();
    const events = await collectHelpdeskUntil(
      local.sqs,
      local.hub.resources.helpdeskQueueUrl,
      (taken) => distinct(taken.filter(isFailed)).length >= 2,
      30_000,
    );
    const failed = distinct(events.filter(isFailed));

    // Assess
    expect(statuses.every((status) => status < 300)).toBe(true);
    expect(events.filter(isStored)).toEqual([]);
    expect(failed.map((event) => [event.data.part.ref, event.data.reason]).sort()).toEqual(
      [
        [{ store: 'provider_media_id', mediaId: 'checksum-7710000000000003' }, 'checksum_mismatch'],
        [{ store: 'provider_media_id', mediaId: 'expired-7710000000000002' }, 'expired'],
      ].sort(),
    );
    expect(downloadsOf('expired-7710000000000002')).toBe(0);
  }, 120_000);

  it('stores a Messenger file from its attachment URL', async () => {
    // Prepare
    const attachmentId = 'pdf-claim-7710000000000004';
    const file = messengerFileFrom('7319482765100301', 'media-file-1', attachmentId, providers().baseUrl);

    // Act
    const status = await postSample(local.hub.urls.base, file);
    await settle();
    const events = await collectHelpdeskUntil(
      local.sqs,
      local.hub.resources.helpdeskQueueUrl,
      (taken) => taken.some(isStored),
      30_000,
    );
    const stored = distinct(events.filter(isStored));
    const object = stored[0] ? await objectSha256(stored[0].data.key) : undefined;

    // Assess
    expect(status).toBeLessThan(300);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.data).toMatchObject({
      channel: 'messenger',
      contentType: 'application/pdf',
      sha256: inboundMediaSha256(attachmentId),
    });
    expect(object?.sha256).toBe(inboundMediaSha256(attachmentId));
    expect(downloadsOf(attachmentId)).toBe(1);
  }, 120_000);
});

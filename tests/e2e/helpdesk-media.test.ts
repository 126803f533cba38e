import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import type { paths } from '#shared/contract/generated/helpdesk-api.ts';
import { type HubEvent, type HubEventOf, hubMessageIdFor } from '#shared/contract/index.ts';
import { postSample, whatsappImageFrom } from '#shared/local/live-samples.ts';
import { inboundMedia, inboundMediaSha256 } from '#shared/local/simulators/inbound-media.ts';
import { collectHelpdeskUntil } from '#tests/support/helpdesk-queue.ts';
import { useLocalHub } from '#tests/support/local-hub.ts';

/*
 * Attachments through the helpdesk API on the local hub, with a client generated from the OpenAPI
 * document only: a file uploaded through the URL `POST /v1/media` hands out lands in the bucket as
 * announced; a customer's WhatsApp image, once the media fetcher stored it, comes back through the
 * URL `GET /v1/messages/{id}/media/{partIndex}` hands out with the simulator's sha256; before that
 * the API says it is not stored yet, and for an expired media id why it never will be. The local S3
 * (fauxqs) serves presigned URLs without checking their signature, type or length: what the URLs
 * sign is asserted in tests/api/media.test.ts and tests/media/media-objects.test.ts.
 */

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const isStored = (event: HubEvent): event is HubEventOf<'switchboard.message.media_stored'> =>
  event.type === 'switchboard.message.media_stored';
const isFailed = (event: HubEvent): event is HubEventOf<'switchboard.message.media_failed'> =>
  event.type === 'switchboard.message.media_failed';

describe('attachments through the helpdesk API on the local hub', () => {
  const local = useLocalHub();

  const client = () =>
    createClient<paths>({
      baseUrl: local.hub.urls.base,
      headers: { authorization: `Bearer ${local.hub.apiToken}` },
    });
  const mediaOf = (hubMessageId: string, partIndex: number) =>
    client().GET('/v1/messages/{hubMessageId}/media/{partIndex}', {
      params: { path: { hubMessageId, partIndex: String(partIndex) } },
    });

  it('uploads a file through the presigned PUT it hands out, stored as announced under the key it names', async () => {
    // Prepare
    const file = new TextEncoder().encode('%PDF-1.7\n% a quote for the customer\n');
    // Act
    const created = await client().POST('/v1/media', {
      body: { contentType: 'application/pdf', bytes: file.byteLength, filename: 'Oferta 2026.pdf' },
    });
    const upload = created.data?.upload;
    if (!created.data || !upload) throw new Error(`no upload URL: ${created.response.status}`);
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: file });
    const head = await local.s3.send(
      new HeadObjectCommand({ Bucket: local.hub.resources.bucketName, Key: created.data.s3Key }),
    );
    const object = await local.s3.send(
      new GetObjectCommand({ Bucket: local.hub.resources.bucketName, Key: created.data.s3Key }),
    );
    const stored = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    // Assess
    expect(created.response.status).toBe(201);
    expect(created.data.s3Key).toMatch(/^media\/outbound\/[0-9a-f]{32}\/file\.pdf$/);
    expect(put.status).toBe(200);
    expect([head.ContentType, head.ContentLength]).toEqual(['application/pdf', file.byteLength]);
    expect(head.ContentDisposition).toBe("attachment; filename*=UTF-8''Oferta%202026.pdf");
    expect(sha256Of(stored)).toBe(sha256Of(file));
  }, 60_000);

  it("hands out a WhatsApp image the fetcher stored, as the simulator's bytes; 409 before, 410 for an expired id, 404 for none", async () => {
    // Prepare: a slow download (1.5 s), so the part is not stored yet when first asked for
    const imageId = 'slow-7720000000000001';
    const expiredId = 'expired-7720000000000002';
    const image = whatsappImageFrom('306900000701', 'api-media-1', imageId);
    const expired = whatsappImageFrom('306900000702', 'api-media-2', expiredId);
    const hubMessageId = hubMessageIdFor('whatsapp', 'wamid.api-media-1');
    const expiredMessageId = hubMessageIdFor('whatsapp', 'wamid.api-media-2');
    expect(await postSample(local.hub.urls.base, image)).toBeLessThan(300);
    // Act: ask as soon as the message is recorded (before, the API knows no such message). The
    // simulator holds the download 1.5 s from when the fetcher starts it, which can be as soon as the
    // recorder queues the job, just before it writes the message; a wait for the recorder to go quiet
    // first spent part of that time, and on a loaded machine all of it: the part was stored already.
    let early = await mediaOf(hubMessageId, 0);
    for (const until = Date.now() + 30_000; early.response.status === 404 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      early = await mediaOf(hubMessageId, 0);
    }
    expect(await local.hub.waitForRecorder()).toBe(true);
    expect(await postSample(local.hub.urls.base, expired)).toBeLessThan(300);
    expect(await local.hub.waitForRecorder()).toBe(true);
    const outcomes = await collectHelpdeskUntil(
      local.sqs,
      local.hub.resources.helpdeskQueueUrl,
      (events) => events.some(isStored) && events.some(isFailed),
      30_000,
    );
    const stored = await mediaOf(hubMessageId, 0);
    const failed = await mediaOf(expiredMessageId, 0);
    const unknown = await mediaOf(hubMessageIdFor('whatsapp', 'wamid.never-sent'), 0);
    const beyond = await mediaOf(hubMessageId, 1);
    const download = stored.data ? await fetch(stored.data.url) : undefined;
    const bytes = new Uint8Array((await download?.arrayBuffer()) ?? new ArrayBuffer(0));
    // Assess
    expect(early.response.status).toBe(409);
    expect(early.error).toMatchObject({ type: 'urn:switchboard:problem:media-not-stored', status: 409 });
    expect(early.response.headers.get('retry-after')).toBe('5');
    const storedEvent = outcomes.find(isStored);
    expect(storedEvent?.data).toMatchObject({ hubMessageId, partIndex: 0 });
    expect(stored.response.status).toBe(200);
    expect(stored.data).toMatchObject({
      contentType: inboundMedia(imageId).mimeType,
      size: inboundMedia(imageId).size,
      sha256: inboundMediaSha256(imageId),
    });
    expect(download?.status).toBe(200);
    expect(sha256Of(bytes)).toBe(inboundMediaSha256(imageId));
    expect(failed.response.status).toBe(410);
    expect(failed.error).toMatchObject({ type: 'urn:switchboard:problem:media-failed', reason: 'expired' });
    expect([unknown.response.status, beyond.response.status]).toEqual([404, 404]);
  }, 90_000);
});

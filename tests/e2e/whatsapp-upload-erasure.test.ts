import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { freshSample, type HubSession, startHubSession } from '#tests/support/hub-session.ts';

/*
 * Erasure on the local hub reaches the files the hub uploaded to WhatsApp: a file from the bucket
 * sent to the customer is uploaded to the WhatsApp simulator's media endpoint; after DELETE
 * /v1/contacts/{contactId} the simulator was asked to delete that upload (`DELETE /{media-id}`,
 * answered `{"success": true}`) and no longer knows its id.
 */

const isOutcome = (event: HubEvent) =>
  event.type === 'switchboard.message.sent' || event.type === 'switchboard.message.send_failed';

describe("erasure deletes the hub's WhatsApp uploads", () => {
  let session: HubSession;
  let s3: S3Client;

  beforeAll(async () => {
    session = await startHubSession();
    s3 = new S3Client({
      endpoint: session.hub.endpoints.s3,
      region: session.hub.region,
      credentials: session.hub.credentials,
      forcePathStyle: true,
    });
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await session?.stop();
  });

  it('deletes the upload at the simulator after DELETE /v1/contacts/{id}, and reports it', async () => {
    // Prepare: the customer writes; the hub sends them a photo from its bucket.
    await session.takeHelpdesk();
    await session.post(freshSample('whatsapp/text.json'));
    const received = (
      await session.collectUntil((seen) =>
        seen.some((event) => event.type === 'switchboard.message.received'),
      )
    ).find((event) => event.type === 'switchboard.message.received');
    if (received?.type !== 'switchboard.message.received') throw new Error('no message received');
    const { conversationId, contactId = '' } = received.data;
    const key = 'media/outbound/erasure-wa/photo.jpg';
    await s3.send(
      new PutObjectCommand({
        Bucket: session.hub.resources.bucketName,
        Key: key,
        Body: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(20_000)]),
        ContentType: 'image/jpeg',
      }),
    );
    const simulators = session.hub.providers;
    if (!simulators) throw new Error('the hub plays no providers');
    const hubMessageId = await session.sendCommand(conversationId, 'erasure-upload-1', [
      { type: 'media', kind: 'image', source: { s3Key: key } },
    ]);
    const outcome = (
      await session.collectUntil((seen) =>
        seen.some((event) => isOutcome(event) && event.data.hubMessageId === hubMessageId),
      )
    ).find((event) => isOutcome(event) && event.data.hubMessageId === hubMessageId);
    const upload = simulators
      .requests()
      .find((request) => request.method === 'POST' && /\/media$/.test(request.path));
    const mediaId = (upload?.response.body as { id?: string } | undefined)?.id ?? 'none';
    const lookUp = () =>
      fetch(`${simulators.urls.graph}/v23.0/${mediaId}`, {
        headers: { authorization: `Bearer ${LOCAL_DEV_SECRETS.meta.accessToken}` },
      });
    const before = await lookUp();
    // Act
    const erased = await fetch(`${session.hub.urls.base}/v1/contacts/${encodeURIComponent(contactId)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${session.hub.apiToken}` },
    });
    // Assess
    expect(outcome?.type).toBe('switchboard.message.sent');
    expect(before.status).toBe(200);
    expect(erased.status).toBe(200);
    expect(await erased.json()).toMatchObject({
      providerRedactions: { whatsapp: { uploads: 1, failed: 0 } },
    });
    const deletions = simulators
      .requests()
      .filter((request) => request.method === 'DELETE' && request.provider === 'whatsapp');
    expect(deletions.map((request) => [request.path.split('?')[0], request.response])).toEqual([
      [`/v23.0/${mediaId}`, expect.objectContaining({ status: 200, body: { success: true } })],
    ]);
    expect((await lookUp()).status).toBeGreaterThanOrEqual(400);
  }, 90_000);
});

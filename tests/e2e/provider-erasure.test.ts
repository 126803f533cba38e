import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { claimCheckPrefixFor } from '#shared/aws/claim-check-keys.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import type { paths } from '#shared/contract/generated/helpdesk-api.ts';
import { buildEvent, eventIdFor, type HubEvent, hubMessageIdFor } from '#shared/contract/index.ts';
import { postSample, smsFrom } from '#shared/local/live-samples.ts';
import { collectHelpdeskUntil, takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';
import { useLocalHub } from '#tests/support/local-hub.ts';

/*
 * Erasure on the local hub reaches what the hub keeps outside its table: after DELETE
 * /v1/contacts/{contactId}, the Twilio simulator holds the customer's SMS and the hub's reply with
 * empty bodies and no media, and the conversation's claim-checked oversize event is gone from the
 * payload bucket.
 */

/** The account of events/sms/sms-inbound.json: the conversation's endpoint, so the sender's too. */
const ACCOUNT_SID = 'AC0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const PHONE = '+306912346600';
const CANARY = 'canary-e2e-provider-erasure';

describe('erasure reaches Twilio and the claim checks', () => {
  const local = useLocalHub({ providerStatusDelaysMs: { sent: 10, delivered: 20, read: 30 } });

  const bucketKeys = async (prefix: string) =>
    (
      (
        await local.s3.send(
          new ListObjectsV2Command({ Bucket: local.hub.resources.bucketName, Prefix: prefix }),
        )
      ).Contents ?? []
    ).map((object) => object.Key ?? '');

  it('redacts the SMS and the reply at Twilio, deletes their media and the claim checks', async () => {
    // Prepare: the customer writes (Twilio holds the SMS, with a picture), the hub answers with text and an image.
    const simulators = local.hub.providers;
    if (!simulators) throw new Error('the hub plays no providers');
    const sample = smsFrom(PHONE, '66');
    const inboundSid = /"MessageSid":\s*"(SM[0-9a-f]{32})"/.exec(sample.payload.toString('utf8'))?.[1] ?? '';
    simulators.keepTwilioMessage({
      accountSid: ACCOUNT_SID,
      sid: inboundSid,
      direction: 'inbound',
      body: `${CANARY} inbound`,
      mediaContentTypes: ['image/jpeg'],
    });
    expect(await postSample(local.hub.urls.base, sample)).toBeLessThan(300);
    expect(await local.hub.waitForRecorder()).toBe(true);
    const received = (await takeHelpdeskEvents(local.sqs, local.hub.resources.helpdeskQueueUrl)).find(
      (event) => event.type === 'switchboard.message.received',
    );
    if (received?.type !== 'switchboard.message.received') throw new Error('no message received');
    const { conversationId, contactId = '' } = received.data;
    const api = createClient<paths>({
      baseUrl: local.hub.urls.base,
      headers: { authorization: `Bearer ${local.hub.apiToken}` },
    });
    const reply = await api.POST('/v1/conversations/{conversationId}/messages', {
      params: { path: { conversationId }, header: { 'Idempotency-Key': 'provider-erasure-e2e-1' } },
      body: {
        parts: [
          { type: 'text', text: `${CANARY} reply` },
          { type: 'media', kind: 'image', source: { url: 'https://example.com/receipt.png' } },
        ],
        sender: { kind: 'agent', id: 'agent-7' },
      },
    });
    expect(reply.response.status).toBe(202);
    const outcome = await collectHelpdeskUntil(local.sqs, local.hub.resources.helpdeskQueueUrl, (seen) =>
      seen.some((event) =>
        ['switchboard.message.sent', 'switchboard.message.send_failed'].includes(event.type),
      ),
    );
    expect(outcome.map((event) => event.type)).toContain('switchboard.message.sent');
    // An event of the conversation too large for a queue message arrives (claim-checked into the bucket).
    const oversize: HubEvent = buildEvent(
      'switchboard.message.received',
      eventIdFor('sms', 'message', 'oversize'),
      {
        ...received.data,
        hubMessageId: hubMessageIdFor('sms', `SM${'6'.repeat(32)}`),
        providerMessageId: `SM${'6'.repeat(32)}`,
        parts: [{ type: 'text', text: `${CANARY} ${'x'.repeat(1_100_000)}` }],
      },
    );
    await new SqsEventPublisher({
      client: local.sqs,
      queueUrl: local.hub.resources.ingestQueueUrl,
      overflow: {
        store: new S3BlobStore(local.s3, local.hub.resources.bucketName),
        bucket: local.hub.resources.bucketName,
      },
    }).publish([oversize]);
    expect(await local.hub.waitForRecorder()).toBe(true);
    const prefix = claimCheckPrefixFor(conversationId) ?? 'none';
    const claimChecks = await bucketKeys(prefix);
    const heldBefore = simulators.twilioMessages();
    // Act
    const erased = await api.DELETE('/v1/contacts/{contactId}', { params: { path: { contactId } } });
    // Assess
    expect(claimChecks.length).toBeGreaterThan(0);
    expect(heldBefore.length).toBeGreaterThanOrEqual(2);
    expect(heldBefore.every((message) => message.accountSid === ACCOUNT_SID)).toBe(true);
    expect(heldBefore.reduce((media, message) => media + message.media.length, 0)).toBeGreaterThanOrEqual(2);
    expect(erased.response.status).toBe(200);
    expect(erased.data?.providerRedactions?.twilio).toEqual({
      messages: heldBefore.length + 1, // the oversize event's SID, which Twilio never had: already gone
      media: heldBefore.reduce((media, message) => media + message.media.length, 0),
      failed: 0,
    });
    expect(erased.data?.objectsDeleted).toBeGreaterThanOrEqual(claimChecks.length);
    for (const message of simulators.twilioMessages()) {
      expect(message.body).toBe('');
      expect(message.media).toEqual([]);
    }
    expect(await bucketKeys(prefix)).toEqual([]);
  }, 90_000);
});

import { PutObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import type { HubEventOf } from '#shared/contract/types.ts';
import { localClients } from '#shared/local/emulators.ts';
import { openCustomerConversation, outcomesOf, sendCommand, useOutboundHarness } from './harness.ts';

/*
 * A send naming a file of the hub's bucket that is not there, where S3 answers its HEAD 403 instead
 * of 404 (it does so for a reader whose s3:ListBucket does not cover the key; whether the sender's
 * prefix-conditioned listing grant is enough for the 404 is disputed). The sender lists the key
 * (shared/aws/missing-object.ts): absent, the command is refused at once as `content_invalid`,
 * never called; before 2026-12-03 the refusal was thrown, so the command came back until the
 * sender's give-up receive (50). A file that is there but refused stays a retried failure.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

const forbidden = (name: string) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message: name });

describe('a send naming a missing file that S3 answers 403', () => {
  const hub = useOutboundHarness();
  const made: S3Client[] = [];
  afterAll(() => {
    for (const client of made) client.destroy();
  });

  /**
   * The sender's media objects over a client of the local S3 that answers a HEAD or GET 403 where the
   * local S3 answers 404 (or every one, with `refuseAll`); its listing is the local S3's own.
   */
  const forbiddingObjects = (refuseAll = false) => {
    const { s3 } = localClients(hub.pipeline.emulators.endpoints);
    made.push(s3);
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const head = context.commandName === 'HeadObjectCommand';
        if (!head && context.commandName !== 'GetObjectCommand') return next(args);
        if (refuseAll) throw forbidden(head ? 'Forbidden' : 'AccessDenied');
        try {
          return await next(args);
        } catch (error) {
          const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status === 404) throw forbidden(head ? 'Forbidden' : 'AccessDenied');
          throw error;
        }
      },
      { step: 'initialize', name: 'forbidMissing' },
    );
    return s3MediaObjects(hub.pipeline.emulators.resources.bucketName, async () => s3);
  };

  let customer = 0;
  const openConversation = () =>
    openCustomerConversation(hub, { prefix: '4915560', tag: 'forbidden' }, ++customer);

  it('refuses the command at once as content_invalid, calling no provider', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    const s3Key = 'media/outbound/4c5d6e7f8091a2b3c4d5e6f708192a3b/photo.jpg';
    await hub.enqueue(
      sendCommand(conversationId, 'missing-file', [{ type: 'media', kind: 'image', source: { s3Key } }]),
    );
    // Act
    const totals = await hub.runOutbox(hub.sender(undefined, { mediaObjects: forbiddingObjects() }));
    // Assess
    expect(totals).toEqual({ received: 1, failed: 0 });
    expect(hub.provider.calls).toEqual([]);
    const events = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect(events[0]?.data).toMatchObject({
      reason: 'content_invalid',
      failedField: 'parts.0.source.s3Key',
      retryable: false,
    });
  });

  it('retries a file that is there but whose read is refused, and sends it once readable', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    const { clients, resources } = hub.pipeline.emulators;
    const s3Key = 'media/outbound/5d6e7f8091a2b3c4d5e6f708192a3b4c/photo.jpg';
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: resources.bucketName,
        Key: s3Key,
        Body: new TextEncoder().encode('jpeg bytes'),
        ContentType: 'image/jpeg',
      }),
    );
    await hub.enqueue(
      sendCommand(conversationId, 'refused-file', [{ type: 'media', kind: 'image', source: { s3Key } }]),
    );
    // Act
    const refused = await hub.runOutbox(hub.sender(undefined, { mediaObjects: forbiddingObjects(true) }), 1);
    const refusedOutcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    const readable = await hub.runOutbox();
    // Assess
    expect(refused).toEqual({ received: 1, failed: 1 });
    expect(refusedOutcomes).toEqual([]);
    expect(readable.failed).toBe(0);
    expect(hub.provider.calls).toHaveLength(1);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
  });
});

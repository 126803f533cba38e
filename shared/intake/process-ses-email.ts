import type { BlobReader, BlobStore } from '#shared/aws/blob-store.ts';
import type { EventPublisher } from '#shared/aws/event-publisher.ts';
import { domainOf } from '#shared/channels/email/inbound/addressing.ts';
import type { InboundEmailContext, NormalizedEmail } from '#shared/channels/email/inbound/normalize.ts';
import type { SesReceipt } from '#shared/channels/email/inbound/ses.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { forQueue } from './event-bounds.ts';
import { countByType } from './process-webhook.ts';

export interface SesEmailDeps {
  /** The payload bucket: the receipt rule's S3 action wrote the raw MIME there. */
  readonly payloads: BlobStore & BlobReader;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly normalize: (rawMime: Uint8Array, context: InboundEmailContext) => Promise<NormalizedEmail>;
  /** The channel secret's `email.replyTagKey`, which signs the hub's reply addresses. */
  readonly replyTagKey: string;
}

/**
 * Turns each e-mail SES received into events: read the raw MIME, normalize, store the derived blobs
 * (attachments, large bodies), queue the events. A malformed e-mail is not an error (it becomes
 * events); a failure to read, store or queue throws, so Lambda's asynchronous retries run it again,
 * producing the same deterministic events.
 */
export const processSesReceipts = async (
  receipts: readonly SesReceipt[],
  deps: SesEmailDeps,
): Promise<void> => {
  for (const receipt of receipts) {
    const rawMime = await deps.payloads.get(receipt.objectKey);
    const normalized = await deps.normalize(rawMime, {
      provider: 'ses',
      // SES's receipt time, not ours: a retried invocation yields identical events.
      receivedAt: new Date(receipt.timestamp),
      envelopeRecipients: receipt.recipients,
      // The receipt rule takes the inbound domain whole (infra/constructs/email-intake.ts): the
      // domains of the addresses it matched are the hub's, every address of them.
      ownDomains: receipt.recipients.map(domainOf),
      envelopeSender: receipt.source,
      headerFrom: receipt.from,
      verdicts: receipt.verdicts,
      rawMimeKey: receipt.objectKey,
      replyTagKey: deps.replyTagKey,
    });
    const blobs = normalized.blobs.filter((blob) => blob.key !== receipt.objectKey);
    await Promise.all(blobs.map((blob) => deps.payloads.put(blob)));
    if (normalized.events.length > 0)
      await deps.publisher.publish(forQueue(normalized.events, new Date(receipt.timestamp)));
    deps.logger.info('ses e-mail queued', {
      sesMessageId: receipt.messageId,
      eventCount: normalized.events.length,
      eventCounts: countByType(normalized.events),
      blobCount: blobs.length,
    });
  }
};

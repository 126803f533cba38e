import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { normalizeSesEvent } from '#shared/channels/email/inbound/ses-events.ts';
import { forQueue } from '#shared/intake/event-bounds.ts';
import { ingestPublisher } from '#shared/intake/wiring.ts';
import { logger } from '#shared/observability/logger.ts';
import { logRequestId } from '#shared/observability/middleware.ts';

/**
 * SES configuration-set events (SNS → Lambda): sends, deliveries, bounces and complaints of the
 * hub's e-mail, as statuses and consent changes on the ingest queue. Throws when they cannot be
 * queued: SNS retries the delivery.
 */
export const handler = middy<SNSEvent, void>()
  .use(logRequestId())
  .handler(async (event) => {
    const receivedAt = new Date();
    const events = event.Records.flatMap((record) =>
      normalizeSesEvent(record.Sns.Message, receivedAt, record.Sns.MessageId),
    );
    await ingestPublisher().publish(forQueue(events, receivedAt));
    logger.info('ses events queued', { channel: 'email', eventCount: events.length });
  });

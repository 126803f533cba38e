import middy from '@middy/core';
import { channelSecrets } from '#shared/aws/secrets.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { parseSesReceiptEvent } from '#shared/channels/email/inbound/ses.ts';
import { CONNECTORS } from '#shared/channels/registry.ts';
import { requireSections } from '#shared/config/secrets.ts';
import { payloadStore } from '#shared/intake/payload-store.ts';
import { processSesReceipts } from '#shared/intake/process-ses-email.ts';
import { ingestPublisher } from '#shared/intake/wiring.ts';
import { logger } from '#shared/observability/logger.ts';
import { logRequestId } from '#shared/observability/middleware.ts';
// S3 serves every SES receipt (raw MIME, attachments): loaded with the function, not on the first request.
import '#shared/aws/clients/s3-client.ts';

/** SES receipt rule, Lambda action (after the S3 action). Throws on infrastructure failure: Lambda retries. */
export const handler = middy<unknown, { disposition: 'CONTINUE' }>()
  .use(logRequestId())
  .handler(async (event) => {
    const { email } = requireSections(await channelSecrets(), CONNECTORS['email-ses'].secretSections);
    await processSesReceipts(parseSesReceiptEvent(event, new Date()), {
      payloads: payloadStore(),
      publisher: ingestPublisher(),
      logger: logger.child({ channel: 'email' }),
      normalize: normalizeInboundEmail,
      replyTagKey: email.replyTagKey,
    });
    // Only read for RequestResponse invocations; lets later rule actions run.
    return { disposition: 'CONTINUE' };
  });

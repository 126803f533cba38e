import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { lazyPseudonymKey } from '#shared/aws/lazy-secrets.ts';
import { signedDynamoDbCommands } from '#shared/aws/signed/dynamodb-commands.ts';
import { messageRetentionSeconds } from '#shared/config/message-retention.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { logger } from '#shared/observability/logger.ts';
import { providerErasureSettings } from '#shared/outbound/provider-erasure-settings.ts';
import { createHelpdeskApiHandler } from './wiring.ts';

/** The helpdesk API as the Lambda runs it: this deployment's environment, clients and secrets. */
export const helpdeskApiFromEnvironment = () => {
  const config = requireConfig(
    'SWITCHBOARD_TABLE_NAME',
    'SWITCHBOARD_HELPDESK_QUEUE_URL',
    'SWITCHBOARD_OUTBOX_QUEUE_URL',
    'SWITCHBOARD_PAYLOAD_BUCKET',
  );
  return createHelpdeskApiHandler({
    dynamodb: signedDynamoDbCommands(),
    sqs: sqsClient(),
    tableName: config.SWITCHBOARD_TABLE_NAME,
    helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
    outboxQueueUrl: config.SWITCHBOARD_OUTBOX_QUEUE_URL,
    payloadBucket: config.SWITCHBOARD_PAYLOAD_BUCKET,
    // Erasure redacts at Twilio and deletes WhatsApp uploads as the sender sends (Secrets Manager is
    // loaded on the first erasure, not with every request's bundle).
    providers: providerErasureSettings(config),
    // Erasure files kept opt-outs under the pseudonym key, read on the first erasure (as the secrets).
    pseudonymKey: lazyPseudonymKey,
    logger,
    // Older e-mail conversations keep no provider: the one the sender replies through.
    defaultEmailProvider: config.SWITCHBOARD_EMAIL_PROVIDER,
    // The upload references a send notes, kept as long as the send record the sender writes.
    retentionSeconds: messageRetentionSeconds(config),
    ...(config.SWITCHBOARD_API_DEV_TOKEN ? { devToken: config.SWITCHBOARD_API_DEV_TOKEN } : {}),
  });
};

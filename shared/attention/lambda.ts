import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { signedDynamoDbCommands } from '#shared/aws/signed/dynamodb-commands.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { logger } from '#shared/observability/logger.ts';
import { providerErasureSettings } from '#shared/outbound/provider-erasure-settings.ts';
import { createAttentionSweeperFor, createPendingRedactionRetryFor } from './wiring.ts';

/**
 * The attention sweeper as the Lambda runs it, this deployment's environment and clients: the sweep,
 * and the retry of erased people's pending redactions, with the channel secret as the API's erasure
 * (loaded only when one is due).
 */
export const attentionSweeperFromEnvironment = () => {
  const config = requireConfig('SWITCHBOARD_TABLE_NAME', 'SWITCHBOARD_HELPDESK_QUEUE_URL');
  const wiring = { dynamodb: signedDynamoDbCommands(), tableName: config.SWITCHBOARD_TABLE_NAME, logger };
  return {
    sweeper: createAttentionSweeperFor({
      ...wiring,
      sqs: sqsClient(),
      helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
      targets: config.SWITCHBOARD_RESPONSE_TARGET_SECONDS,
    }),
    retryRedactions: createPendingRedactionRetryFor({ ...wiring, ...providerErasureSettings(config) }),
  };
};

import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createHelpdeskApiHandler } from '#shared/api/wiring.ts';
import { dynamoDbClient } from '#shared/aws/clients/dynamodb.ts';
import { sqsClient } from '#shared/aws/clients/sqs.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import { logger } from '#shared/observability/logger.ts';
import { logRequestId } from '#shared/observability/middleware.ts';

const config = requireConfig(
  'SWITCHBOARD_TABLE_NAME',
  'SWITCHBOARD_HELPDESK_QUEUE_URL',
  'SWITCHBOARD_OUTBOX_QUEUE_URL',
  'SWITCHBOARD_PAYLOAD_BUCKET',
);

const api = createHelpdeskApiHandler({
  dynamodb: dynamoDbClient(),
  sqs: sqsClient(),
  tableName: config.SWITCHBOARD_TABLE_NAME,
  helpdeskQueueUrl: config.SWITCHBOARD_HELPDESK_QUEUE_URL,
  outboxQueueUrl: config.SWITCHBOARD_OUTBOX_QUEUE_URL,
  payloadBucket: config.SWITCHBOARD_PAYLOAD_BUCKET,
  // Erasure redacts at Twilio and deletes WhatsApp uploads as the sender sends: its base URLs, the
  // channel secret's credentials (Secrets Manager is loaded on the first erasure, not with every request's bundle).
  providers: {
    twilioApiUrl: config.SWITCHBOARD_TWILIO_API_URL,
    graphApiUrl: config.SWITCHBOARD_GRAPH_API_URL,
    graphApiVersion: config.SWITCHBOARD_GRAPH_API_VERSION,
    secrets: async () => (await import('#shared/aws/secrets.ts')).channelSecrets(),
  },
  // Erasure files kept opt-outs under the pseudonym key, read on the first erasure (as the secrets).
  pseudonymKey: async (options) => (await import('#shared/aws/secrets.ts')).pseudonymKey(options),
  logger,
  ...(config.SWITCHBOARD_API_DEV_TOKEN ? { devToken: config.SWITCHBOARD_API_DEV_TOKEN } : {}),
});

/** /v1/… behind the HTTP API (IAM or JWT authorizer), or the local hub (development bearer token). */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(logRequestId())
  .handler((event) => api(event));

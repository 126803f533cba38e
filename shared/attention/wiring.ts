import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { singleEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import type { ResponseTargets } from '#shared/config/runtime.ts';
import type { ChannelSecrets } from '#shared/config/secrets.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { createPendingRedactionRetry } from '#shared/outbound/pending-redaction-retry.ts';
import { createProviderErasure } from '#shared/outbound/provider-erasure.ts';
import { type AttentionSweeper, createAttentionSweeper, createSweepMemory } from './sweeper.ts';

export interface AttentionSweeperWiring {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly helpdeskQueueUrl: string;
  readonly targets: ResponseTargets;
  readonly logger: Logger;
}

/** The sweeper over real clients, publishing as the helpdesk API does; its memory lives as long as it does. */
export const createAttentionSweeperFor = (wiring: AttentionSweeperWiring): AttentionSweeper =>
  createAttentionSweeper({
    table: { client: wiring.dynamodb, tableName: wiring.tableName, now: () => new Date() },
    publishEvent: singleEventPublisher(wiring.sqs, wiring.helpdeskQueueUrl),
    targets: wiring.targets,
    memory: createSweepMemory(),
    logger: wiring.logger,
  });

export interface PendingRedactionRetryWiring {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
  readonly secrets: () => Promise<ChannelSecrets>;
  /** The sender's base URLs (SWITCHBOARD_TWILIO_API_URL, SWITCHBOARD_GRAPH_API_URL and its version). */
  readonly twilioApiUrl: string;
  readonly graphApiUrl: string;
  readonly graphApiVersion: string;
  readonly fetch?: typeof fetch;
  readonly logger: Logger;
}

/** The sweeper's retry of pending provider redactions, over real clients and the providers the sender calls. */
export const createPendingRedactionRetryFor = (wiring: PendingRedactionRetryWiring) =>
  createPendingRedactionRetry({
    table: { client: wiring.dynamodb, tableName: wiring.tableName, now: () => new Date() },
    redactAtProviders: createProviderErasure({
      secrets: wiring.secrets,
      twilioApiUrl: wiring.twilioApiUrl,
      graphApiUrl: wiring.graphApiUrl,
      graphApiVersion: wiring.graphApiVersion,
      ...(wiring.fetch ? { fetch: wiring.fetch } : {}),
      logger: wiring.logger,
    }),
    logger: wiring.logger,
  });

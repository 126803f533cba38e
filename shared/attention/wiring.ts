import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { singleEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import type { ResponseTargets } from '#shared/config/runtime.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { type AttentionSweeper, createAttentionSweeper, createSweepMemory } from './sweeper.ts';

export interface AttentionSweeperWiring {
  readonly dynamodb: DynamoDBClient;
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

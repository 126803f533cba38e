import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { messageGroupIdFor, toSqsSafeJson } from '#shared/aws/sqs-event-publisher.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { toApiGatewayResponse, toApiRequest } from './apigw.ts';
import { createHelpdeskApi } from './router.ts';

export interface HelpdeskApiWiring {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly helpdeskQueueUrl: string;
  readonly outboxQueueUrl: string;
  readonly logger: Logger;
  /** Only on the local hub: the development bearer token every request must carry. */
  readonly devToken?: string;
}

/** The API over real clients: one SendMessage per state change or command, group = conversation. */
export const createHelpdeskApiHandler = (wiring: HelpdeskApiWiring) => {
  const send = (queueUrl: string, groupId: string, deduplicationId: string, body: string) =>
    wiring.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageGroupId: messageGroupIdFor(groupId),
        MessageDeduplicationId: deduplicationId,
      }),
    );
  const api = createHelpdeskApi({
    table: { client: wiring.dynamodb, tableName: wiring.tableName, now: () => new Date() },
    publishEvent: async (event) => {
      await send(wiring.helpdeskQueueUrl, event.subject, event.id, toSqsSafeJson(event));
    },
    enqueueCommand: async (command, deduplicationId) => {
      await send(
        wiring.outboxQueueUrl,
        command.data.conversationId,
        deduplicationId,
        JSON.stringify(command),
      );
    },
    clock: () => new Date(),
    newId: () => randomUUID().replaceAll('-', ''),
    logger: wiring.logger,
  });
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const request = toApiRequest(event, wiring.devToken);
    return toApiGatewayResponse('principal' in request ? await api(request) : request);
  };
};

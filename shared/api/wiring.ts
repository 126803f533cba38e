import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  abortPayloadUploadsUnder,
  deletePayloadObjects,
  deletePayloadObjectsUnder,
  listPayloadObjectsUnder,
  type S3ClientSource,
} from '#shared/aws/blob-store.ts';
import { loadS3Client } from '#shared/aws/clients/s3.ts';
import { toSqsSafeJson } from '#shared/aws/event-publisher.ts';
import { type MediaObjects, s3MediaObjects } from '#shared/aws/media-objects.ts';
import { messageGroupIdFor, singleEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import type { ChannelSecrets } from '#shared/config/secrets.ts';
import type { EmailProvider } from '#shared/domain/conversation-provider.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { createProviderErasure } from '#shared/outbound/provider-erasure.ts';
import { checkedPseudonymKey } from '#shared/store/pseudonym-key-check.ts';
import type { PseudonymKeySource } from '#shared/store/suppressions.ts';
import type { TableContext } from '#shared/store/table.ts';
import { toApiGatewayResponse, toApiRequest } from './apigw.ts';
import { createHelpdeskApi } from './router.ts';

export interface HelpdeskApiWiring {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly helpdeskQueueUrl: string;
  readonly outboxQueueUrl: string;
  /** The payload bucket, whose objects an erasure deletes (the S3 client is loaded then). */
  readonly payloadBucket: string;
  /** @default the process-wide client, loaded on the first erasure */
  readonly s3?: S3ClientSource;
  /** @default the payload bucket through the process-wide S3 client (presigned URLs), loaded on first use */
  readonly media?: MediaObjects;
  /**
   * Where an erasure redacts the person's messages at the providers (Twilio) and deletes the hub's
   * WhatsApp uploads, with the channel secret's credentials.
   * @default none: nothing is redacted at providers (the report says so)
   */
  readonly providers?: {
    readonly secrets: () => Promise<ChannelSecrets>;
    /** The same base URL the sender uses (SWITCHBOARD_TWILIO_API_URL). */
    readonly twilioApiUrl: string;
    /** The same Graph API URL and version the sender uses (SWITCHBOARD_GRAPH_API_URL, …_VERSION). */
    readonly graphApiUrl: string;
    readonly graphApiVersion: string;
    readonly fetch?: typeof fetch;
  };
  /**
   * The pseudonym key, which an erasure files kept opt-outs under (read on the first erasure, and
   * checked then against the table's check item: shared/store/pseudonym-key-check.ts).
   */
  readonly pseudonymKey: PseudonymKeySource;
  /**
   * Whether the key's first load on a table without a check item writes it (checkedPseudonymKey's
   * `firstWrite`); `npm run erase` against a deployed table compares only.
   * @default true
   */
  readonly pseudonymKeyFirstWrite?: boolean;
  readonly logger: Logger;
  /** Only on the local hub: the development bearer token every request must carry. */
  readonly devToken?: string;
  /**
   * The provider of e-mail conversations recorded before the hub kept theirs, as the sender's
   * (SWITCHBOARD_EMAIL_PROVIDER): the events the API publishes about them name it.
   * @default 'ses'
   */
  readonly defaultEmailProvider?: EmailProvider;
  /**
   * How long message records and send bookkeeping are kept, in seconds (SWITCHBOARD_MESSAGE_RETENTION_DAYS,
   * as the sender's): the upload references a send notes live as long as its send record.
   * @default MESSAGE_RETENTION_SECONDS (30 days)
   */
  readonly retentionSeconds?: number;
}

/** The API over real clients: one SendMessage per state change or command, group = conversation. */
export const createWiredHelpdeskApi = (wiring: HelpdeskApiWiring) => {
  const table: TableContext = { client: wiring.dynamodb, tableName: wiring.tableName, now: () => new Date() };
  return createHelpdeskApi({
    table,
    // The helpdesk stream: one SendMessage per event (group = conversation, dedup = event id).
    publishEvent: singleEventPublisher(wiring.sqs, wiring.helpdeskQueueUrl),
    enqueueCommand: async (command, deduplicationId) => {
      await wiring.sqs.send(
        new SendMessageCommand({
          QueueUrl: wiring.outboxQueueUrl,
          // SQS refuses U+FFFE and U+FFFF raw; escaped they are the same JSON.
          MessageBody: toSqsSafeJson(command),
          MessageGroupId: messageGroupIdFor(command.data.conversationId),
          MessageDeduplicationId: deduplicationId,
        }),
      );
    },
    clock: () => new Date(),
    newId: () => randomUUID().replaceAll('-', ''),
    deleteObjects: (keys) => deletePayloadObjects(wiring.s3 ?? loadS3Client, wiring.payloadBucket, keys),
    deleteObjectsUnder: (prefix) =>
      deletePayloadObjectsUnder(wiring.s3 ?? loadS3Client, wiring.payloadBucket, prefix),
    abortUploadsUnder: (prefix) =>
      abortPayloadUploadsUnder(wiring.s3 ?? loadS3Client, wiring.payloadBucket, prefix),
    listObjectsUnder: (prefix) =>
      listPayloadObjectsUnder(wiring.s3 ?? loadS3Client, wiring.payloadBucket, prefix),
    media: wiring.media ?? s3MediaObjects(wiring.payloadBucket),
    // A replaced key fails the erasure before anything is deleted (500), instead of filing the
    // person's opt-outs where no function looks.
    pseudonymKey: checkedPseudonymKey(table, wiring.pseudonymKey, {
      logger: wiring.logger,
      firstWrite: wiring.pseudonymKeyFirstWrite ?? true,
    }),
    ...(wiring.providers
      ? { redactAtProviders: createProviderErasure({ ...wiring.providers, logger: wiring.logger }) }
      : {}),
    ...(wiring.defaultEmailProvider ? { defaultEmailProvider: wiring.defaultEmailProvider } : {}),
    ...(wiring.retentionSeconds !== undefined ? { retentionSeconds: wiring.retentionSeconds } : {}),
    logger: wiring.logger,
  });
};

/** The API behind API Gateway (or the local hub, with its development token). */
export const createHelpdeskApiHandler = (wiring: HelpdeskApiWiring) => {
  const api = createWiredHelpdeskApi(wiring);
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const request = toApiRequest(event, wiring.devToken);
    return toApiGatewayResponse('principal' in request ? await api(request) : request);
  };
};

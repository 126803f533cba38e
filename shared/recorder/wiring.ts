import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { resolveIngestMessageBody } from '#shared/aws/claim-check.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { createSqsPublisher } from './publisher.ts';
import { createRecorderService, type RecorderService } from './service.ts';
import type { AfterStep } from './steps.ts';

export interface RecorderWiring {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** Reads claim-checked events (oversize ones the webhook stored in the payload bucket). */
  readonly s3?: S3Client;
  readonly tableName: string;
  readonly helpdeskQueueUrl: string;
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly afterStep?: AfterStep;
  readonly onCapacity?: TableContext['onCapacity'];
}

const claimCheckResolver =
  (s3: S3Client) =>
  (body: string): Promise<unknown> =>
    resolveIngestMessageBody(body, async (bucket, key) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new Error('claim-checked object has no body');
      return object.Body.transformToByteArray();
    });

/** The recorder over real clients: what the Lambda, the local hub and the integration tests run. */
export const createRecorder = (wiring: RecorderWiring): RecorderService => {
  const clock = wiring.clock ?? (() => new Date());
  const { store } = createRecorderStore({
    client: wiring.dynamodb,
    tableName: wiring.tableName,
    now: clock,
    ...(wiring.onCapacity ? { onCapacity: wiring.onCapacity } : {}),
  });
  return createRecorderService({
    store,
    publisher: createSqsPublisher(wiring.sqs, wiring.helpdeskQueueUrl),
    clock,
    logger: wiring.logger,
    ...(wiring.afterStep ? { afterStep: wiring.afterStep } : {}),
    ...(wiring.s3 ? { resolveBody: claimCheckResolver(wiring.s3) } : {}),
  });
};

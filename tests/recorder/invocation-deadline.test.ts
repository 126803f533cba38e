import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#shared/local/local-aws.ts';
import { lambdaContext, useHubEnvironment } from '#tests/support/factories.ts';
import { messageEvent, minute, sqsEvent } from './factories.ts';

/**
 * The recorder Lambda stops starting AWS calls before its invocation ends: when DynamoDB does not
 * answer, the batch comes back with its records failed while the function still has time to say so,
 * instead of being cut off by its timeout (which would bring every record back after the queue's
 * visibility timeout, those already recorded included).
 */
describe('the recorder near the end of its invocation', () => {
  /** When each request reached the DynamoDB that never answers. */
  const arrivals: number[] = [];
  const sockets = new Set<Socket>();
  let silent: Server;
  let restore = () => {};

  beforeAll(async () => {
    silent = createServer(() => {
      arrivals.push(Date.now());
    });
    silent.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    restore = useHubEnvironment({
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_SQS: endpoint,
      SWITCHBOARD_TABLE_NAME: 'switchboard-deadline-test',
      SWITCHBOARD_HELPDESK_QUEUE_URL: `${endpoint}/000000000000/switchboard-helpdesk.fifo`,
      SWITCHBOARD_INGEST_DLQ_URL: `${endpoint}/000000000000/switchboard-ingest-dlq.fifo`,
      SWITCHBOARD_PAYLOAD_BUCKET: 'switchboard-deadline-test',
      SWITCHBOARD_SECRET_ARN: 'local',
    });
  });

  afterAll(async () => {
    restore();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('answers with the record failed, starting no DynamoDB attempt in the last second of its invocation', async () => {
    // Prepare: a customer message to record and 4 s left in the invocation (an attempt waits up to 3 s)
    const { handler } = await import('#functions/recorder.ts');
    const event = messageEvent('491701234567', 'wamid.deadline-1', minute(0));
    const batch = sqsEvent([
      { id: 'record-1', group: event.subject ?? event.id, body: JSON.stringify(event) },
    ]);
    const remainingMs = 4_000;
    const started = Date.now();
    // Act
    const response = (await handler(
      batch,
      lambdaContext({ getRemainingTimeInMillis: () => remainingMs - (Date.now() - started) }),
    )) as SQSBatchResponse;
    const answered = Date.now();
    // Assess: the record comes back for a later receive, DynamoDB was tried, no attempt began in the
    // last second, and the answer came before the invocation's end (Lambda would have cut it off)
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'record-1' }]);
    expect(arrivals.length).toBeGreaterThan(0);
    expect(Math.max(...arrivals)).toBeLessThanOrEqual(started + remainingMs - 1_000);
    expect(answered).toBeLessThan(started + remainingMs);
  }, 30_000);
});

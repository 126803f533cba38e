import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resetAwsClients } from '#shared/aws/clients.ts';
import { signedCallDeadline } from '#shared/aws/signed/signed-caller.ts';
import { signedSqsClient } from '#shared/aws/signed/sqs.ts';
import { SPILL_PUT_RESERVE_MS } from '#shared/intake/spill.ts';

/*
 * A spilling webhook's publish must leave the spill's put time to run: its SQS calls end
 * SPILL_PUT_RESERVE_MS before the invocation's own deadline. With 2.9 s left, a webhook that does
 * not spill still tries SQS (it keeps its one second to answer); a spilling one starts no attempt.
 */

const BATCH = {
  QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111111111111/switchboard-ingest.fifo',
  Entries: [{ Id: '0', MessageBody: '{}', MessageGroupId: 'conv_x', MessageDeduplicationId: 'evt_x' }],
};

describe('the time a spilling webhook keeps for the spill', () => {
  let received = 0;
  const server = createServer((request, response) => {
    received += 1;
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{"Successful":[],"Failed":[]}');
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    for (const [name, value] of Object.entries({
      AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port}`,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
    }))
      vi.stubEnv(name, value);
    resetAwsClients();
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    resetAwsClients();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const withRemaining = async <T>(remainingMs: number, run: () => Promise<T>): Promise<T> => {
    const middleware = signedCallDeadline();
    const request = { context: { getRemainingTimeInMillis: () => remainingMs } };
    await middleware.before?.(request as never);
    try {
      return await run();
    } finally {
      await middleware.after?.(request as never);
    }
  };

  it('lets a webhook without a spill try SQS with 2.9 s left', async () => {
    // Prepare
    received = 0;
    // Act
    await withRemaining(2_900, () => signedSqsClient().sendMessageBatch(BATCH));
    // Assess
    expect(received).toBe(1);
  });

  it('starts no SQS attempt of a spilling webhook with 2.9 s left, leaving them to the spill', async () => {
    // Prepare
    received = 0;
    // Act
    const sending = withRemaining(2_900, () => signedSqsClient(SPILL_PUT_RESERVE_MS).sendMessageBatch(BATCH));
    // Assess
    await expect(sending).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(received).toBe(0);
  });
});

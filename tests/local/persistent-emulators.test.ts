import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { allowSupplementaryCharactersInFauxqs } from '#shared/local/fauxqs-fidelity.ts';
import { INGEST_QUEUE } from '#shared/resources/definitions.ts';

describe('emulators with a data folder', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-emulators-'));
  const running: RunningEmulators[] = [];
  const start = async () => {
    const emulators = await startEmulators({ sqsDataDir: join(dataDir, 'sqs-s3') });
    running.push(emulators);
    return emulators;
  };

  afterEach(async () => {
    for (const emulators of running.splice(0)) await emulators.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keep queued messages, in-flight ones and objects across a restart on another port', async () => {
    // Prepare
    expect(await allowSupplementaryCharactersInFauxqs()).toBe(true);
    const first = await start();
    const { sqs } = first.clients;
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: first.resources.ingestQueueUrl,
        Entries: ['a1', 'a2', 'b1'].map((body) => ({
          Id: body,
          MessageBody: `${body} 👋`,
          MessageGroupId: body.slice(0, 1),
          MessageDeduplicationId: body,
        })),
      }),
    );
    // fauxqs hands out one message per group at a time: a1 and b1.
    const inHand = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: first.resources.ingestQueueUrl, MaxNumberOfMessages: 10 }),
    );
    // b1 made visible again through the API: visible in the file too.
    const b1 = inHand.Messages?.find((message) => message.Body?.startsWith('b1'));
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: first.resources.ingestQueueUrl,
        ReceiptHandle: b1?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await first.clients.s3.send(
      new PutObjectCommand({ Bucket: first.resources.bucketName, Key: 'raw/email/x.eml', Body: 'raw' }),
    );
    const firstPort = new URL(first.endpoints.sqs).port;
    await first.stop();
    running.splice(0);

    // Act
    const second = await start();
    const queueUrl = second.resources.ingestQueueUrl;
    const urlNow = await second.clients.sqs.send(new GetQueueUrlCommand({ QueueName: INGEST_QUEUE.name }));
    const released = await second.releaseInFlight(queueUrl);
    const receive = () =>
      second.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    const afterRestart = await receive();
    const a1 = afterRestart.Messages?.find((message) => message.Body?.startsWith('a1'));
    await second.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: a1?.ReceiptHandle }),
    );
    const next = await receive();
    const object = await second.clients.s3.send(
      new GetObjectCommand({ Bucket: second.resources.bucketName, Key: 'raw/email/x.eml' }),
    );

    // Assess
    const bodies = (result: typeof next) => (result.Messages ?? []).map((message) => message.Body).sort();
    expect(bodies(inHand)).toEqual(['a1 👋', 'b1 👋']);
    expect(new URL(second.endpoints.sqs).port).not.toBe(firstPort);
    expect(new URL(urlNow.QueueUrl ?? '').port).toBe(new URL(second.endpoints.sqs).port);
    expect(queueUrl).toBe(urlNow.QueueUrl);
    expect(released).toBe(1);
    expect(bodies(afterRestart)).toEqual(['a1 👋', 'b1 👋']);
    expect(bodies(next)).toEqual(['a2 👋']);
    expect(await object.Body?.transformToString()).toBe('raw');
  });
});

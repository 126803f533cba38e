import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { HIGH_THROUGHPUT_FIFO } from '#shared/resources/definitions.ts';

describe('local emulators', () => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('listen on loopback only', () => {
    expect(emulators.endpoints.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emulators.endpoints.sqs).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serve the hub table over a real connection', async () => {
    // Prepare
    const { dynamodb } = emulators.clients;
    const key = { pk: { S: 'TEST#1' }, sk: { S: 'A' } };
    // Act
    await dynamodb.send(
      new PutItemCommand({ TableName: emulators.resources.tableName, Item: { ...key, n: { N: '1' } } }),
    );
    const read = await dynamodb.send(
      new GetItemCommand({ TableName: emulators.resources.tableName, Key: key }),
    );
    // Assess
    expect(read.Item?.n).toEqual({ N: '1' });
  });

  it('create every hub queue and dead-letter queue in high-throughput mode, like the CDK app', async () => {
    // Prepare
    const { sqs } = emulators.clients;
    const { resources } = emulators;
    const urls = [
      resources.ingestQueueUrl,
      resources.ingestDlqUrl,
      resources.helpdeskQueueUrl,
      resources.helpdeskDlqUrl,
      resources.outboxQueueUrl,
      resources.outboxDlqUrl,
    ];
    // Act
    const attributes = await Promise.all(
      urls.map(async (QueueUrl) => {
        const output = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ['DeduplicationScope', 'FifoThroughputLimit'],
          }),
        );
        return output.Attributes;
      }),
    );
    // Assess
    for (const queueAttributes of attributes) {
      expect(queueAttributes).toEqual({
        DeduplicationScope: HIGH_THROUGHPUT_FIFO.deduplicationScope,
        FifoThroughputLimit: HIGH_THROUGHPUT_FIFO.fifoThroughputLimit,
      });
    }
  });

  it('serve the FIFO ingest queue with deduplication', async () => {
    // Prepare
    const { sqs } = emulators.clients;
    const QueueUrl = emulators.resources.ingestQueueUrl;
    const send = () =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: '{}',
          MessageGroupId: 'g',
          MessageDeduplicationId: 'same',
        }),
      );
    // Act
    await send();
    await send();
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    // Assess
    expect(received.Messages).toHaveLength(1);
  });
});

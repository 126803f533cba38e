import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryBlobStore } from '#shared/aws/blob-store.ts';
import { BatchEventPublisher, type BatchRequestEntry } from '#shared/aws/event-publisher.ts';
import { SignedSqsClient } from '#shared/aws/signed/sqs.ts';
import { LOCAL_SIGNING_ENV, type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { unsupportedEvent } from '#tests/support/factories.ts';

/*
 * The webhooks' signed SendMessageBatch against the local SQS server (fauxqs), which speaks SQS's
 * JSON protocol and checks the entries as SQS does: what the publisher sends arrives intact, and
 * the server's partial failures and errors come back as the SDK client sees them for the same
 * request. (fauxqs does not verify signatures: tests/intake/signed-requests.test.ts does, against
 * the SDK's signer.)
 */

let emulators: RunningEmulators;
let signed: SignedSqsClient;

beforeAll(async () => {
  emulators = await startEmulators();
  signed = new SignedSqsClient({
    endpoint: emulators.endpoints.sqs,
    env: LOCAL_SIGNING_ENV,
  });
});
afterAll(async () => {
  await emulators?.stop();
});

const receiveAll = async (queueUrl: string) => {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await emulators.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    for (const message of Messages) {
      bodies.push(message.Body ?? '');
      // A FIFO group delivers its next message once this one is deleted.
      await emulators.clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle ?? '' }),
      );
    }
  }
};

describe('signed SendMessageBatch against the local SQS server', () => {
  it('queues what the publisher sends, byte for byte and in order', async () => {
    // Prepare: non-ASCII, an emoji, and a character SQS refuses raw (escaped by the publisher)
    const publisher = new BatchEventPublisher({
      sqs: signed,
      queueUrl: emulators.resources.ingestQueueUrl,
      overflow: { store: new InMemoryBlobStore(), bucket: 'payloads' },
    });
    const events = Array.from({ length: 12 }, (_, index) =>
      unsupportedEvent(index, 'conv_signed', { text: `Grüße ${index} 🙂 \ufffe` }),
    );
    // Act
    await publisher.publish(events);
    // Assess
    const bodies = await receiveAll(emulators.resources.ingestQueueUrl);
    expect(bodies.map((body) => JSON.parse(body))).toEqual(events);
  });

  it('reports the entries the server refuses as the SDK client does', async () => {
    // Prepare: the second body holds a character outside SQS's allowed set
    const entries: BatchRequestEntry[] = [
      { Id: 'ok', MessageBody: '{"n":1}', MessageGroupId: 'g', MessageDeduplicationId: 'd-ok' },
      { Id: 'bad', MessageBody: 'nul \u0000 here', MessageGroupId: 'g', MessageDeduplicationId: 'd-bad' },
    ];
    const input = { QueueUrl: emulators.resources.helpdeskQueueUrl, Entries: entries };
    // Act
    const sdk = await emulators.clients.sqs.send(
      new SendMessageBatchCommand({ ...input, Entries: [...entries] }),
    );
    const ours = await signed.sendMessageBatch(input);
    // Assess
    const failures = (output: typeof ours) =>
      (output.Failed ?? []).map(({ Id, Code, SenderFault }) => ({ Id, Code, SenderFault }));
    expect(failures(ours)).toEqual(failures(sdk));
    expect(failures(ours).map((failure) => failure.Id)).toEqual(['bad']);
    expect(ours.Successful?.map((entry) => entry.Id)).toEqual(['ok']);
  });

  it('fails on a queue that does not exist with the SDK client’s error', async () => {
    // Prepare
    const input = {
      QueueUrl: `${emulators.endpoints.sqs}/000000000000/no-such-queue.fifo`,
      Entries: [{ Id: '0', MessageBody: '{}', MessageGroupId: 'g', MessageDeduplicationId: 'd' }],
    };
    // Act
    const sdkError = await emulators.clients.sqs
      .send(new SendMessageBatchCommand(input))
      .catch((error: Error) => error);
    const ourError = await signed.sendMessageBatch(input).catch((error: Error) => error);
    // Assess
    expect(ourError).toBeInstanceOf(Error);
    expect((ourError as Error).name).toBe((sdkError as Error).name);
  });
});

import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { type MediaJob, MediaJobSchema } from '#shared/media/job.ts';
import { sqsMediaJobQueue } from '#shared/media/job-queue.ts';

/*
 * The media queue takes what the recorder enqueues for a recorded message whatever its part's
 * texts hold: SQS refuses U+FFFE and U+FFFF in a message body, and a caption is the customer's.
 */

const jobWithCaption = (caption: string): MediaJob => ({
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  conversationId: 'conv_0123456789abcdef0123456789abcdef',
  channel: 'whatsapp',
  provider: 'meta',
  endpoint: { type: 'whatsapp_phone_number', id: '106540352242922' },
  partIndex: 0,
  part: { type: 'media', kind: 'image', caption, ref: { store: 'provider_media_id', mediaId: '771' } },
});

describe('the media job queue', () => {
  let emulators: RunningEmulators;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('queues a job whose caption holds U+FFFE and U+FFFF, and the fetcher reads the caption back unchanged', async () => {
    // Prepare
    const job = jobWithCaption('before \ufffe between \uffff after');
    const queue = sqsMediaJobQueue(emulators.clients.sqs, emulators.resources.mediaQueueUrl);
    // Act
    await queue.enqueue([job]);
    const output = await emulators.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: emulators.resources.mediaQueueUrl, MaxNumberOfMessages: 10 }),
    );
    // Assess
    expect(output.Messages).toHaveLength(1);
    expect(MediaJobSchema.parse(JSON.parse(output.Messages?.[0]?.Body ?? ''))).toEqual(job);
  });
});

import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { toSqsSafeJson } from '#shared/aws/event-publisher.ts';
import { type MediaJob, mediaJobId } from './job.ts';

/** Where the recorder leaves a recorded message's attachments for the media fetcher. */
export interface MediaJobQueue {
  /** Resolves once every job is on the queue. */
  enqueue(jobs: readonly MediaJob[]): Promise<void>;
}

/** SQS takes 10 entries per SendMessageBatch; entries it refuses are sent again, a few times. */
const BATCH_ENTRIES = 10;
const MAX_ROUNDS = 4;

/**
 * The media queue over SQS. Group and deduplication id are the part's own: a redelivered message
 * enqueues its jobs again within SQS's five-minute window as one, and after it the fetcher's
 * claim downloads nothing twice.
 */
export const sqsMediaJobQueue = (sqs: Pick<SQSClient, 'send'>, queueUrl: string): MediaJobQueue => ({
  enqueue: async (jobs) => {
    for (let start = 0; start < jobs.length; start += BATCH_ENTRIES) {
      let pending = jobs.slice(start, start + BATCH_ENTRIES).map((job, index) => ({
        Id: String(index),
        // A caption may hold U+FFFE or U+FFFF, which SQS refuses raw (and accepts escaped).
        MessageBody: toSqsSafeJson(job),
        MessageGroupId: mediaJobId(job),
        MessageDeduplicationId: mediaJobId(job),
      }));
      for (let round = 0; pending.length > 0; round++) {
        if (round >= MAX_ROUNDS) throw new Error(`the media queue refused ${pending.length} job(s)`);
        if (round > 0) await new Promise((done) => setTimeout(done, 50 * 2 ** round));
        const output = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
        // Sent again unless the answer names it queued (SQS names every entry, queued or failed).
        const queued = new Set((output.Successful ?? []).map((entry) => entry.Id));
        pending = pending.filter((entry) => !queued.has(entry.Id));
      }
    }
  },
});

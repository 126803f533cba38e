import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';

/*
 * How long the oldest record of a batch had waited on its queue when the function took it, from
 * each record's SentTimestamp: when it was sent to the queue (epoch milliseconds). A receive, a
 * ChangeMessageVisibility (the sender's backoff) or a visibility timeout running out leave it
 * alone, so a command backing off from a provider for ten minutes is ten minutes old at its last
 * receive, on a FIFO queue as on any other.
 *
 * SQS's own ApproximateAgeOfOldestMessage leaves out a message once it has been received three
 * times or more without being deleted (AWS calls it a poison pill, and reports the next-oldest), however
 * long it waits: exactly the reply stuck on a throttling or silent provider. This metric counts it at
 * every receive. It says nothing while nothing is received: the queue's own metric still covers a
 * consumer that stopped.
 */

/** Seconds the oldest of `records` had waited at `nowMs`; undefined for none (or none with a timestamp). */
const oldestRecordAgeSeconds = (records: readonly SQSRecord[], nowMs: number): number | undefined => {
  let oldest: number | undefined;
  for (const record of records) {
    const sentMs = Number(record.attributes.SentTimestamp);
    if (!Number.isFinite(sentMs)) continue;
    const ageSeconds = Math.max(0, (nowMs - sentMs) / 1000);
    if (oldest === undefined || ageSeconds > oldest) oldest = ageSeconds;
  }
  return oldest;
};

/** Stores the batch's oldest record age under `metricName` (seconds); nothing for an empty batch. */
export const addOldestRecordAge = (
  metrics: Pick<Metrics, 'addMetric'>,
  metricName: string,
  records: readonly SQSRecord[],
  nowMs: number,
): void => {
  const ageSeconds = oldestRecordAgeSeconds(records, nowMs);
  if (ageSeconds !== undefined) metrics.addMetric(metricName, MetricUnit.Seconds, ageSeconds);
};

import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { deletePayloadObjects, listDatedPayloadObjectsUnder } from '#shared/aws/blob-store.ts';
import { loadS3Client } from '#shared/aws/clients/s3.ts';
import { requireConfig } from '#shared/config/runtime.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { SPILL_METRICS } from '#shared/observability/metric-names.ts';
import { INGEST_SPILL_DRAIN, PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { payloadStore } from './payload-store.ts';
import { drainSpill, type SpillDrainReport } from './spill-drain.ts';
import { ingestPublisher } from './wiring.ts';

/**
 * One run of the spill drain over this deployment's bucket and ingest queue: the webhooks' own
 * publisher (./wiring.ts: the same message groups, deduplication ids and claim checks), the S3 SDK
 * for the listing, the reads and the deletes.
 */
export const drainSpillFromEnvironment = (logger: Logger): Promise<SpillDrainReport> => {
  const bucket = requireConfig('SWITCHBOARD_PAYLOAD_BUCKET').SWITCHBOARD_PAYLOAD_BUCKET;
  const publisher = ingestPublisher();
  return drainSpill({
    list: () =>
      listDatedPayloadObjectsUnder(
        loadS3Client,
        bucket,
        PAYLOAD_BUCKET.prefixes.spill,
        INGEST_SPILL_DRAIN.maxListed,
      ),
    read: (key) => payloadStore().get(key),
    remove: (key) => deletePayloadObjects(loadS3Client, bucket, [key]),
    publish: (events) => publisher.publish(events),
    now: () => new Date(),
    budgetMs: INGEST_SPILL_DRAIN.budgetSeconds * 1000,
    logger,
  });
};

/** What a run came to, as metrics: the oldest object's age (an alarm watches it), objects drained and left. */
export const countSpillDrain = (metrics: Metrics, report: SpillDrainReport): void => {
  metrics.addMetric(SPILL_METRICS.oldestSpillAge, MetricUnit.Seconds, report.oldestAgeSeconds);
  metrics.addMetric(SPILL_METRICS.spillObjectsDrained, MetricUnit.Count, report.drained);
  metrics.addMetric(SPILL_METRICS.spillObjectsFailed, MetricUnit.Count, report.failed);
};

import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';

/**
 * The recorder over `context` as a test records the hub's events into the table with it: the local
 * pseudonym key, publishing nowhere, logging nothing below an error and those nowhere; on the real
 * clock unless given one.
 */
export const quietRecorder = (context: TableContext, clock: () => Date = () => new Date()): RecorderService =>
  createRecorderService({
    store: createRecorderStore(context, localPseudonymKey),
    publisher: { publish: async () => undefined },
    clock,
    logger: createLogger({ level: 'error', write: () => {} }),
  });

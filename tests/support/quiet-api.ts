import type { HelpdeskApiDeps } from '#shared/api/handlers.ts';
import { createHelpdeskApi, type HelpdeskApi } from '#shared/api/router.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { RunningEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { TableContext } from '#shared/store/table.ts';

/**
 * The helpdesk API over the local emulators as a test reads through it: the local pseudonym key,
 * publishing and queueing nowhere, ids fixed, objects deleted nowhere, logging nothing below an
 * error and those nowhere; `overrides` replace any of these (a test that keeps what is published or
 * queued, or needs other ids).
 */
export const quietHelpdeskApi = (
  emulators: RunningEmulators,
  table: TableContext,
  clock: () => Date,
  overrides: Partial<HelpdeskApiDeps> = {},
): HelpdeskApi =>
  createHelpdeskApi({
    pseudonymKey: localPseudonymKey,
    table,
    publishEvent: async () => undefined,
    enqueueCommand: async () => undefined,
    clock,
    newId: () => 'fixed',
    deleteObjects: async () => undefined,
    media: s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3),
    logger: createLogger({ level: 'error', write: () => {} }),
    ...overrides,
  });

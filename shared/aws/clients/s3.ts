import type { S3Client } from '@aws-sdk/client-s3';
import { runtimeConfig } from '#shared/config/runtime.ts';

/*
 * The S3 client, loaded on first use. The chat webhooks and the recorder touch S3 only for a claim
 * check (an event larger than a queue message, practically never), yet the S3 SDK (its schemas,
 * endpoint rules, checksums, XML) is about a fifth of their bundles and of their import time. The
 * dynamic import makes esbuild wrap those modules in an init function run on the first call, not
 * at import. This module must never import the S3 SDK's values itself, only its types.
 */

/** The process-wide S3 client (./s3-client.ts), its modules evaluated on the first call. */
export const loadS3Client = async (): Promise<S3Client> =>
  (await import('./s3-client.ts')).s3Client({
    forcePathStyle: runtimeConfig().SWITCHBOARD_S3_FORCE_PATH_STYLE,
  });

/** The S3 commands the payload bucket uses, loaded with the client. */
export const loadS3Commands = async (): Promise<typeof import('./s3-client.ts')> => import('./s3-client.ts');

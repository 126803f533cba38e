import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll } from 'vitest';
import { type LocalHub, type LocalHubOptions, startLocalHub } from '#shared/local/hub.ts';

export interface StartedLocalHub {
  readonly hub: LocalHub;
  /** On the hub's SQS: reads the helpdesk queue as a helpdesk would. */
  readonly sqs: SQSClient;
  /** On the hub's S3, path-style as the local S3 serves it: reads the payload bucket. */
  readonly s3: S3Client;
}

/**
 * A local hub in memory, started before a describe block's tests (polls and retries a second apart)
 * and stopped after them, with SQS and S3 clients on it: what the end-to-end tests that read the
 * queues and the bucket set up. `options` add to those defaults or replace them. Read the fields
 * inside tests and hooks, once the block has started.
 */
export const useLocalHub = (options: LocalHubOptions = {}): StartedLocalHub => {
  let started: StartedLocalHub | undefined;
  beforeAll(async () => {
    const hub = await startLocalHub({
      inMemory: true,
      port: 0,
      pollWaitSeconds: 1,
      retryVisibilitySeconds: 1,
      ...options,
    });
    const { endpoints, region, credentials } = hub;
    started = {
      hub,
      sqs: new SQSClient({ endpoint: endpoints.sqs, region, credentials }),
      s3: new S3Client({ endpoint: endpoints.s3, region, credentials, forcePathStyle: true }),
    };
  }, 120_000);
  afterAll(async () => {
    started?.sqs.destroy();
    started?.s3.destroy();
    await started?.hub.stop();
  });
  // Usable at once (it forwards to the started hub), so a block declares it in one line.
  return new Proxy({} as StartedLocalHub, {
    get: (_target, key) => {
      if (!started) throw new Error('the local hub is read before its block started');
      return Reflect.get(started, key);
    },
  });
};

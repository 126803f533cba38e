import type { Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { drainQueue, hubEnvironmentFor, useHubEnvironment } from './factories.ts';

export interface EmulatedHub {
  /** Only inside tests and later hooks: the emulators start in `beforeAll`. */
  readonly emulators: RunningEmulators;
  /** Everything queued on the ingest queue since the last call. */
  ingestQueueMessages(): Promise<Message[]>;
}

/**
 * For a test file that invokes Lambda handlers against the emulators: starts them before its tests
 * and points this process's environment, and every cache that read it, at them; undoes both after.
 * Call it inside `describe`.
 */
export const useEmulatedHub = (extraEnvironment: Record<string, string> = {}): EmulatedHub => {
  let running: RunningEmulators | undefined;
  let restoreEnvironment = () => {};

  beforeAll(async () => {
    running = await startEmulators();
    restoreEnvironment = useHubEnvironment({ ...hubEnvironmentFor(running), ...extraEnvironment });
  });

  afterAll(async () => {
    restoreEnvironment();
    await running?.stop();
  });

  const emulators = (): RunningEmulators => {
    if (!running) throw new Error('the emulators start in beforeAll: use them inside a test');
    return running;
  };

  return {
    get emulators() {
      return emulators();
    },
    ingestQueueMessages: () => drainQueue(emulators().clients.sqs, emulators().resources.ingestQueueUrl),
  };
};

import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import type { TableContext } from '#shared/store/table.ts';
import { quietRecorder } from './quiet-recorder.ts';

export interface EmulatedTable {
  readonly emulators: RunningEmulators;
  /** The hub's table on the local DynamoDB, on the real clock. */
  readonly context: TableContext;
  /** The recorder writing into it (quietRecorder). */
  readonly recorder: RecorderService;
}

/**
 * The local emulators started before a describe block's tests and stopped after them, with the
 * hub's table and a quiet recorder over it: what every store test over the real table sets up.
 * Read the fields inside tests and hooks, once the block has started.
 */
export const useEmulatedTable = (): EmulatedTable => {
  let started: EmulatedTable | undefined;
  beforeAll(async () => {
    const emulators = await startEmulators();
    const context: TableContext = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    started = { emulators, context, recorder: quietRecorder(context) };
  });
  afterAll(async () => {
    await started?.emulators.stop();
  });
  const current = (): EmulatedTable => {
    if (!started) throw new Error('the emulated table is read before its block started');
    return started;
  };
  return {
    get emulators() {
      return current().emulators;
    },
    get context() {
      return current().context;
    },
    get recorder() {
      return current().recorder;
    },
  };
};

/** Every item of the table as a test reads it back: one Scan page, which a test's table fits in. */
export const tableItems = async (context: TableContext): Promise<Record<string, unknown>[]> =>
  ((await context.client.send(new ScanCommand({ TableName: context.tableName }))).Items ?? []).map((raw) =>
    unmarshall(raw),
  );

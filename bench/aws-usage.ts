import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { decodeStoredJson } from '#shared/store/conversations.ts';
import { SQS_CHUNK_BYTES } from './prices.ts';
import { HUB_INDEXES, type MeteredIndex } from './write-units.ts';

/**
 * What the bench's own SQS clients sent, beyond awsCommandCounts(): 64 KB billing chunks and
 * messages. (DynamoDB write units, which dynalite does not report for indexes, are metered by
 * bench/write-units.ts.)
 */
export interface UsageTally {
  sqsChunks: number;
  /** Messages sent (batch entries included). */
  sqsMessages: number;
}

export const newTally = (): UsageTally => ({ sqsChunks: 0, sqsMessages: 0 });

const StoredActivitySchema = z.object({
  state: z.object({ createdAt: z.string(), lastMessageAt: z.string().nullish() }),
});

/**
 * The straightforward design's indexes: the by-status index keyed on the exact time of last
 * activity (so it moves with every message) and projecting every attribute; the others as built.
 */
export const STRAIGHTFORWARD_INDEXES: readonly MeteredIndex[] = HUB_INDEXES.map((index) =>
  index.indexName !== 'gsi1'
    ? index
    : {
        indexName: 'gsi1',
        projection: 'ALL',
        keyOf: (item) => {
          const status = item?.gsi1pk?.S;
          const model = item?.model?.B ?? item?.model?.S;
          if (status === undefined || model === undefined) return undefined;
          const { state } = StoredActivitySchema.parse(JSON.parse(decodeStoredJson(model)));
          return `${status}\u0000${state.lastMessageAt ?? state.createdAt}`;
        },
      },
);

type Input = Record<string, unknown>;
type Next = (args: { input: Input }) => Promise<unknown>;

const bytesOf = (value: unknown): number =>
  typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;

const sqsChunksOf = (commandName: string, input: Input): number => {
  if (commandName === 'SendMessageBatchCommand') {
    const entries = (input.Entries as { MessageBody?: string }[] | undefined) ?? [];
    return Math.max(
      1,
      Math.ceil(entries.reduce((total, entry) => total + bytesOf(entry.MessageBody), 0) / SQS_CHUNK_BYTES),
    );
  }
  if (commandName === 'SendMessageCommand')
    return Math.max(1, Math.ceil(bytesOf(input.MessageBody) / SQS_CHUNK_BYTES));
  return 1;
};

export const tallySqs = (client: SQSClient, tally: UsageTally): void => {
  client.middlewareStack.add(
    ((next: Next, context: { commandName?: string }) => async (args: { input: Input }) => {
      tally.sqsChunks += sqsChunksOf(context.commandName ?? '', args.input);
      if (context.commandName === 'SendMessageBatchCommand') {
        tally.sqsMessages += (args.input.Entries as unknown[] | undefined)?.length ?? 0;
      }
      return next(args);
    }) as never,
    { step: 'initialize', name: 'benchSqsChunks' },
  );
};

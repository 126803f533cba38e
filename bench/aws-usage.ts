import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { HUB_TABLE } from '#shared/resources/definitions.ts';
import { SQS_CHUNK_BYTES } from './prices.ts';

/**
 * What the bench's own AWS clients sent, beyond awsCommandCounts(): SQS 64 KB billing chunks, and
 * the GSI write units DynamoDB charges but dynalite does not report. GSI writes are modelled from the
 * request, per the DynamoDB developer guide: an item written with an index's key attributes costs
 * one extra write unit on that index, two when an existing item's index key changes (delete + put),
 * one when a non-key attribute of an item already in an index changes, if the index projects it.
 */
export interface UsageTally {
  sqsChunks: number;
  /** Messages sent (batch entries included). */
  sqsMessages: number;
  gsiWriteUnits: number;
  /**
   * The same commands against the obvious by-status index (exact last-activity time in the key, all
   * attributes projected), which the straightforward design is costed with.
   */
  exactIndexGsiWriteUnits: number;
}

export const newTally = (): UsageTally => ({
  sqsChunks: 0,
  sqsMessages: 0,
  gsiWriteUnits: 0,
  exactIndexGsiWriteUnits: 0,
});

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

const projectionOf = (indexName: string) =>
  HUB_TABLE.globalSecondaryIndexes.find((index) => index.indexName === indexName)?.projection;

/**
 * gsi1 (conversations by status) is the only index an update can touch: its keys are set when the
 * entry moves (a put for a new conversation, delete + put for an existing one); an update that
 * leaves them alone costs that index a write only if it projects more than keys. gsi2 entries
 * (messages) are only ever put.
 */
const gsiUnitsOf = (commandName: string, input: Input): number => {
  const text = JSON.stringify(input);
  if (commandName === 'PutItemCommand') return text.includes('"gsi2pk"') || text.includes('"gsi1pk"') ? 1 : 0;
  if (commandName !== 'UpdateItemCommand') return 0;
  const expression = String(input.UpdateExpression ?? '');
  if (expression.includes('gsi1pk'))
    return String(input.ConditionExpression ?? '').includes(':expected') ? 2 : 1;
  const isConversation = text.includes('"CONV#');
  return isConversation && projectionOf('gsi1') === 'ALL' ? 1 : 0;
};

/** An exact-time key moves with every message a conversation records (delete + put), and projects everything. */
const exactIndexGsiUnitsOf = (commandName: string, input: Input): number => {
  const text = JSON.stringify(input);
  const recordsMessage =
    commandName === 'UpdateItemCommand' && String(input.UpdateExpression ?? '').includes('#model');
  if (recordsMessage) return String(input.ConditionExpression ?? '').includes(':expected') ? 2 : 1;
  if (commandName === 'UpdateItemCommand' && text.includes('"CONV#')) return 1;
  return gsiUnitsOf(commandName, input);
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

export const tallyGsiWrites = (client: DynamoDBClient, tally: UsageTally): void => {
  client.middlewareStack.add(
    ((next: Next, context: { commandName?: string }) => async (args: { input: Input }) => {
      const result = await next(args);
      tally.gsiWriteUnits += gsiUnitsOf(context.commandName ?? '', args.input);
      tally.exactIndexGsiWriteUnits += exactIndexGsiUnitsOf(context.commandName ?? '', args.input);
      return result;
    }) as never,
    { step: 'initialize', name: 'benchGsiWrites' },
  );
};

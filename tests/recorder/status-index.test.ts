import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { indexShardOf } from '#shared/store/keys.ts';
import { createReadApi, type ReadApi } from '#shared/store/read-api.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import { conversationFor, messageEvent } from './factories.ts';

/** 10:00 UTC plus n minutes, as the factories' `minute()`, but past the hour too. */
const at = (minutes: number): string => new Date(Date.UTC(2026, 10, 22, 10, minutes)).toISOString();

describe('conversations by status (gsi1)', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let read: ReadApi;
  const updateExpressions: string[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
    const { dynamodb } = emulators.clients;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { UpdateExpression?: string; Key?: { pk?: { S?: string } } };
        if (context.commandName === 'UpdateItemCommand' && input.Key?.pk?.S?.startsWith('CONV#')) {
          updateExpressions.push(input.UpdateExpression ?? '');
        }
        return next(args);
      },
      { step: 'initialize', name: 'captureConversationUpdates' },
    );
    const now = () => new Date('2026-11-22T12:00:00.000Z');
    const context = { client: dynamodb, tableName: emulators.resources.tableName, now };
    recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: now,
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    read = createReadApi(context);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** The conversation's entry in its shard of `STATUS#open`. */
  const indexEntryOf = async (customer: string) => {
    const { conversationId } = conversationFor(customer);
    const output = await emulators.clients.dynamodb.send(
      new QueryCommand({
        TableName: emulators.resources.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': `STATUS#open#${indexShardOf(conversationId)}` }),
      }),
    );
    return (output.Items ?? [])
      .map((raw) => unmarshall(raw))
      .filter((item) => item.pk === `CONV#${conversationId}`);
  };

  it('moves the index entry only when the hour of last activity changes, and projects keys only', async () => {
    // Prepare
    updateExpressions.length = 0;
    // Act
    await recorder.recordEvent(messageEvent('hourly', 'hourly-1', at(1)));
    await recorder.recordEvent(messageEvent('hourly', 'hourly-2', at(20)));
    await recorder.recordEvent(messageEvent('hourly', 'hourly-3', at(59)));
    const withinTheHour = await indexEntryOf('hourly');
    await recorder.recordEvent(messageEvent('hourly', 'hourly-4', at(61)));
    const nextHour = await indexEntryOf('hourly');
    // Assess
    expect(updateExpressions.map((expression) => expression.includes('gsi1sk'))).toEqual([
      true,
      false,
      false,
      true,
    ]);
    const { conversationId } = conversationFor('hourly');
    expect(withinTheHour).toEqual([
      {
        pk: `CONV#${conversationId}`,
        sk: 'STATE',
        gsi1pk: `STATUS#open#${indexShardOf(conversationId)}`,
        gsi1sk: `2026-11-22T10#${conversationId}`,
      },
    ]);
    expect(nextHour.map((item) => item.gsi1sk)).toEqual([`2026-11-22T11#${conversationId}`]);
  });

  it('lists open conversations newest activity first, exact within the hour, page by page', async () => {
    // Prepare: three conversations in one hour, one an hour earlier, the latest written first.
    await recorder.recordEvent(messageEvent('list-c', 'list-c-1', at(150)));
    await recorder.recordEvent(messageEvent('list-a', 'list-a-1', at(125)));
    await recorder.recordEvent(messageEvent('list-b', 'list-b-1', at(140)));
    await recorder.recordEvent(messageEvent('list-old', 'list-old-1', at(70)));
    // Act
    const first = await read.listConversationsByStatus('open', { limit: 3 });
    const rest = await read.listConversationsByStatus('open', {
      limit: 10,
      ...(first.cursor ? { cursor: first.cursor } : {}),
    });
    // Assess
    const times = (page: typeof first) => page.items.map((view) => view.state.lastMessageAt);
    expect(times(first)).toEqual([at(150), at(140), at(125)]);
    // 11:01 is the conversation of the test above.
    expect(times(rest)).toEqual([at(70), at(61)]);
    expect(rest.cursor).toBeUndefined();
  });
});

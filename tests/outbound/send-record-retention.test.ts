import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { OUTBOX_LONGEST_WAIT_SECONDS } from '#shared/resources/definitions.ts';
import { commandHashOf, createSendStore, type SendRecord } from '#shared/store/sends.ts';
import type { TableContext } from '#shared/store/table.ts';

/*
 * A send record is the sender's proof that a command was taken: a command redriven from the outbox's
 * dead-letter queue after its record expired would be claimed anew and sent again. So the record
 * outlives the longest a command can wait, however short the deployment's message retention.
 */
describe('send records outlive every command that can still arrive', () => {
  let emulators: RunningEmulators;
  let now = new Date('2026-12-01T12:00:00.000Z');
  let table: TableContext;
  const DAY_SECONDS = 86_400;

  beforeAll(async () => {
    emulators = await startEmulators();
    table = { client: emulators.clients.dynamodb, tableName: emulators.resources.tableName, now: () => now };
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const recordOf = (key: string): SendRecord => {
    const data = {
      conversationId: 'conv_retention',
      idempotencyKey: key,
      parts: [{ type: 'text' as const, text: 'Hello' }],
      sender: { kind: 'agent' as const, id: 'agent-1' },
    };
    return {
      hubMessageId: outboundHubMessageId('conv_retention', key),
      conversationId: 'conv_retention',
      commandId: `cmd-${key}`,
      commandHash: commandHashOf(data),
      state: 'sending',
      acceptedAt: now.toISOString(),
      messageCount: 1,
      next: 0,
      providerIds: [],
      links: {},
    };
  };

  it('keeps a record past the outbox and its dead-letter queue under the shortest message retention', async () => {
    // Prepare: a deployment keeping messages 8 days, the least it may
    const sends = createSendStore(table, 8 * DAY_SECONDS);
    const record = recordOf('short-retention');
    await sends.claim(record);
    // Act: the command comes back from a redrive at the end of its time on both queues
    now = new Date(now.getTime() + OUTBOX_LONGEST_WAIT_SECONDS * 1000);
    const found = await sends.get(record.hubMessageId);
    const again = await sends.claim({ ...record, commandId: 'cmd-redriven' });
    // Assess: still there, so the command is not taken anew
    expect(found?.commandId).toBe(record.commandId);
    expect(again).toBe('exists');
  });
});

import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { hubMessageIdFor } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { epochSeconds } from '#shared/store/item-rules.ts';
import { messageKey, messageStateKey } from '#shared/store/keys.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { messageEvent, minute, statusEvent } from '#tests/recorder/factories.ts';

/*
 * Message retention is a deployment setting (`messageRetentionDays`, SWITCHBOARD_MESSAGE_RETENTION_DAYS):
 * the message record and its state carry the TTL it gives, not the 30-day default.
 */
describe('message retention', () => {
  let emulators: RunningEmulators;
  let context: TableContext;

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('expires message records and states after the configured days', async () => {
    // Prepare
    const now = new Date('2026-12-01T08:00:00.000Z');
    const retentionSeconds = 9 * 86_400;
    const recorder = createRecorderService({
      store: createRecorderStore({ ...context, now: () => now }, localPseudonymKey, retentionSeconds),
      publisher: { publish: async () => undefined },
      clock: () => now,
      logger: createLogger({ level: 'error', write: () => {} }),
      retentionSeconds,
    });
    // Act
    await recorder.recordEvent(messageEvent('retention-1', 'wamid.retention-1', minute(1), 'outbound'));
    await recorder.recordEvent(statusEvent('retention-1', 'wamid.retention-1', 'delivered', minute(2)));
    const expiryOf = async (key: { pk: string; sk: string }) => {
      const output = await context.client.send(
        new GetItemCommand({ TableName: context.tableName, Key: marshall(key) }),
      );
      return output.Item ? unmarshall(output.Item).expiresAt : undefined;
    };
    const hubMessageId = hubMessageIdFor('whatsapp', 'wamid.retention-1');
    // Assess
    expect(await expiryOf(messageKey(hubMessageId))).toBe(epochSeconds(now) + retentionSeconds);
    expect(await expiryOf(messageStateKey(hubMessageId))).toBe(epochSeconds(now) + retentionSeconds);
  });
});

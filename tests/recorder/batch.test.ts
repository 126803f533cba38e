import { describe, expect, it } from 'vitest';
import type { HubEvent } from '#shared/contract/index.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService } from '#shared/recorder/batch-recorder.ts';
import { messageEvent, minute, noStore, sqsEvent, statusEvent } from './factories.ts';

describe('recorder batch handling (FIFO partial failures)', () => {
  it('fails the rest of a failing group only, and lets other groups through', async () => {
    // Prepare: group A = [ok, poison, ok]; group B = [ok, ok]
    const published: string[] = [];
    const recorder = createRecorderService({
      store: noStore,
      publisher: {
        publish: async (events: readonly HubEvent[]) => void published.push(...events.map((e) => e.id)),
      },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    const a1 = statusEvent('a', 'wa-1', 'sent', minute(1));
    const a3 = statusEvent('a', 'wa-1', 'read', minute(3));
    const b1 = messageEvent('b', 'wb-1', minute(1));
    const b2 = statusEvent('b', 'wb-1', 'read', minute(2));
    const event = sqsEvent([
      { id: 'a1', group: 'A', body: JSON.stringify(a1) },
      { id: 'b1', group: 'B', body: JSON.stringify(b1) },
      { id: 'a2', group: 'A', body: '{"broken": true' },
      { id: 'a3', group: 'A', body: JSON.stringify(a3) },
      { id: 'b2', group: 'B', body: JSON.stringify(b2) },
    ]);
    // Act
    const response = await recorder.handleSqsEvent(event);
    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['a2', 'a3']);
    expect(published).toContain(a1.id);
    expect(published).toContain(b2.id);
    expect(published).not.toContain(a3.id);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_REASON_ATTRIBUTE, reasonAttributesWithin } from '#shared/aws/dead-letter.ts';
import { COMMAND_TYPES } from '#shared/contract/index.ts';
import { redriveByResending } from '#shared/local/redrive.ts';
import { OUTBOX_QUEUE } from '#shared/resources/definitions.ts';
import { useOutboundHarness } from './harness.ts';

/*
 * A consumer that cannot end a message moves it to its dead-letter queue with a `reason` attribute.
 * SQS counts an attribute's name, data type and value toward the message's size, and a dead-letter
 * queue has its source queue's limit, so a body near the limit with the whole reason was refused on
 * every try (found by a review on 2026-12-03): the message stayed on the outbox, failing each
 * receive, until the queue's redrive moved it at receive 60 without any reason. The reason is now
 * cut to what the body leaves (none when nothing is), and the consumer logs it whole.
 */

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The size SQS counts for a message: its body and each attribute's name, type and value. */
const sqsSize = (body: string, attributes: ReturnType<typeof reasonAttributesWithin>): number =>
  bytes(body) +
  Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + bytes(name) + bytes(value.DataType ?? '') + bytes(value.StringValue ?? ''),
    0,
  );

describe('the reason a dead-lettered message carries', () => {
  it('is the whole reason when the body leaves room for it', () => {
    // Act
    const attributes = reasonAttributesWithin('{"small":true}', 'not a command the hub knows', 1024);
    // Assess
    expect(attributes).toEqual({
      [DEAD_LETTER_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: 'not a command the hub knows' },
    });
  });

  it('is cut on a whole character to what the body leaves, and absent when nothing is left', () => {
    // Prepare: a body 20 bytes under the limit leaves 8 bytes of value after the name and type
    const body = 'x'.repeat(1000 - 20);
    // Act
    const cut = reasonAttributesWithin(body, 'żółw: no such conversation', 1000);
    const none = reasonAttributesWithin('x'.repeat(1000 - 12), 'anything', 1000);
    // Assess: "żółw" is 7 bytes, the space after it the 8th
    expect(cut[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue).toBe('żółw:');
    expect(sqsSize(body, cut)).toBeLessThanOrEqual(1000);
    expect(none).toEqual({});
  });

  it('never makes the message larger than the queue takes, and is the longest prefix that fits', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 400 }),
        (body, reason, slack) => {
          const limit = bytes(body) + slack;
          const attributes = reasonAttributesWithin(body, reason, limit);
          const value = attributes[DEAD_LETTER_REASON_ATTRIBUTE]?.StringValue ?? '';
          expect(sqsSize(body, attributes)).toBeLessThanOrEqual(limit);
          expect(reason.startsWith(value)).toBe(true);
          if (value.length < reason.length) {
            // The next character would not have fitted.
            const next = String.fromCodePoint(reason.codePointAt(value.length) ?? 0);
            const withNext =
              bytes(body) + bytes(DEAD_LETTER_REASON_ATTRIBUTE) + bytes('String') + bytes(value + next);
            expect(withNext).toBeGreaterThan(limit);
          }
        },
      ),
      { seed: 20261204, numRuns: 500 },
    );
  });

  describe('on the outbox', () => {
    const hub = useOutboundHarness();

    /** A command naming no idempotency key, `under` bytes under the outbox's limit. */
    const nearLimitJunk = (id: string, under: number) => {
      const shell = { id, type: COMMAND_TYPES.sendMessage, data: { conversationId: `conv_${id}`, note: '' } };
      const padding = OUTBOX_QUEUE.maximumMessageSizeBytes - under - bytes(JSON.stringify(shell));
      return { ...shell, data: { ...shell.data, note: 'n'.repeat(padding) } };
    };

    it('moves a command it cannot attribute of almost 1 MiB at its first receive, its reason cut to fit', async () => {
      // Prepare: 20 bytes under the outbox's limit
      const command = nearLimitJunk('near-limit-junk', 20);
      expect(bytes(JSON.stringify(command))).toBe(OUTBOX_QUEUE.maximumMessageSizeBytes - 20);
      // Act
      await hub.enqueue(command);
      const run = await hub.runOutbox(undefined, 3);
      // Assess: moved at its first receive, with what 20 bytes leave of its reason: 8 bytes after the attribute's name and type
      expect(run).toMatchObject({ received: 1, failed: 0 });
      expect(await hub.outboxDlq()).toEqual(['command ']);
    });

    it('is redriven locally although two such commands make more than one request may carry', async () => {
      // Prepare: two near-limit commands on the dead-letter queue
      await hub.enqueue(nearLimitJunk('near-limit-a', 100));
      await hub.enqueue(nearLimitJunk('near-limit-b', 100));
      expect(await hub.runOutbox(undefined, 3)).toMatchObject({ received: 2, failed: 0 });
      const { clients, resources } = hub.pipeline.emulators;
      // Act: SQS refuses a SendMessageBatch over 1 MiB as a whole
      const counts = await redriveByResending(clients.sqs, resources.outboxDlqUrl, resources.outboxQueueUrl);
      // Assess: both back on the outbox, one request each
      expect(counts).toEqual({ received: 2, resent: 2, deleted: 2, failed: 0 });
      expect(await hub.runOutbox(undefined, 3)).toMatchObject({ received: 2, failed: 0 });
      expect(await hub.outboxDlq()).toHaveLength(2);
    });
  });
});

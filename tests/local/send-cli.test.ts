import { describe, expect, it } from 'vitest';
import { resolveSendTarget, sendOutcome } from '#shared/cli/send.ts';
import { type SendRecord, SendRecordSchema } from '#shared/store/sends.ts';

const OUTBOX = 'https://sqs.us-east-1.amazonaws.com/123456789012/acme-outbox.fifo';

/** A send record as the sender leaves it, in `state`. */
const recordIn = (state: SendRecord['state'], extra: Partial<SendRecord> = {}): SendRecord =>
  SendRecordSchema.parse({
    hubMessageId: 'msg_out_1',
    conversationId: 'conv_1',
    commandId: 'cmd_1',
    commandHash: 'hash',
    state,
    acceptedAt: '2026-12-04T10:00:00.000Z',
    messageCount: 1,
    next: state === 'sent' ? 1 : 0,
    providerIds: state === 'sent' ? ['SM1'] : [],
    links: {},
    ...extra,
  });

describe('npm run send: where the command goes', () => {
  it('an explicit --hub beats SWITCHBOARD_OUTBOX_QUEUE_URL in the environment', () => {
    // Prepare
    const env = { SWITCHBOARD_OUTBOX_QUEUE_URL: OUTBOX };
    // Act
    const target = resolveSendTarget('http://127.0.0.1:3001', env);
    // Assess
    expect(target).toEqual({ kind: 'local', hubUrl: 'http://127.0.0.1:3001' });
  });

  it('without --hub the environment names the deployed outbox, else the default local hub', () => {
    // Prepare / Act
    const deployed = resolveSendTarget(undefined, { SWITCHBOARD_OUTBOX_QUEUE_URL: OUTBOX });
    const local = resolveSendTarget(undefined, {});
    // Assess
    expect(deployed).toEqual({ kind: 'deployed', outboxQueueUrl: OUTBOX });
    expect(local).toEqual({ kind: 'local', hubUrl: 'http://127.0.0.1:3000' });
  });
});

describe('npm run send: its exit code', () => {
  it('exits 0 for a send that went, 1 for a failed one, naming the reason', () => {
    // Prepare
    const failed = recordIn('failed', {
      failure: { reason: 'window_closed', retryable: false, decidedAt: '2026-12-04T10:00:01.000Z' },
      published: true,
    });
    // Act
    const sent = sendOutcome(recordIn('sent', { published: true }));
    const refused = sendOutcome(failed);
    // Assess
    expect(sent.code).toBe(0);
    expect(refused).toEqual({ code: 1, message: 'send failed: window_closed' });
  });

  it('exits 1 with a timeout message when no outcome came: never picked up, or still sending', () => {
    // Prepare / Act
    const neverPicked = sendOutcome(undefined);
    const stillSending = sendOutcome(recordIn('sending'));
    // Assess
    expect(neverPicked.code).toBe(1);
    expect(neverPicked.message).toBe(
      'timed out after 30 s waiting for the outcome (the sender never picked it up)',
    );
    expect(stillSending.code).toBe(1);
    expect(stillSending.message).toMatch(/^timed out after 30 s .*still sending: 0 of 1 out/);
  });
});

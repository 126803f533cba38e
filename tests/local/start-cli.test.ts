import { describe, expect, it } from 'vitest';
import { type DemoSummary, demoSucceeded } from '#shared/cli/demo.ts';
import { describeHub, main, startFailureHint } from '#shared/cli/start.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#shared/local/emulators.ts';
import type { LocalHub } from '#shared/local/hub.ts';

describe('npm start: its command line', () => {
  it('prints its usage on --help (exit 0), and why and its usage on an unknown option (exit 2), starting nothing', async () => {
    // Prepare
    const help = memoryOutput();
    const unknown = memoryOutput();
    // Act
    const helpCode = await main(['--help'], help);
    const unknownCode = await main(['--bogus'], unknown);
    // Assess
    expect(helpCode).toBe(0);
    expect(help.lines[0]).toMatch(/^Usage: npm start -- \[--port N\]/);
    expect(unknownCode).toBe(2);
    expect(unknown.lines[0]).toMatch(/^Unknown option '--bogus'/);
    expect(unknown.lines[1]).toBe(help.lines[0]);
  });

  it('refuses --exit without --demo with the usage (exit 2), starting nothing (found by a review)', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const code = await main(['--exit'], output);
    // Assess: before, it was ignored and the hub kept running
    expect(code).toBe(2);
    expect(output.lines[0]).toBe('--exit goes with --demo (npm start -- --demo --exit)');
    expect(output.lines[1]).toMatch(/^Usage: npm start -- /);
    expect(output.lines.join('\n')).not.toMatch(/\[hub\]/);
  });

  it('says a taken port likely means another npm start, and how to run beside it', () => {
    // Prepare: the DynamoDB emulator's failure when PORT+2 is taken, and an unrelated one
    const taken = new Error(
      'the DynamoDB emulator did not start: listen EADDRINUSE: address already in use 127.0.0.1:3002',
    );
    const other = new Error('boom');
    // Act
    const hint = startFailureHint(taken, 3000);
    // Assess
    expect(hint).toContain('127.0.0.1:3002');
    expect(hint).toMatch(/another npm start/);
    expect(hint).toMatch(/--port N/);
    expect(startFailureHint(other, 3000)).toBeUndefined();
  });
});

describe('npm start: its banner', () => {
  const queueUrl = (name: string) => `http://sqs.${LOCAL_REGION}.localhost:3001/000000000000/${name}`;
  const hub: LocalHub = {
    urls: { base: 'http://127.0.0.1:3000', webhooks: {}, info: 'http://127.0.0.1:3000/_switchboard/local' },
    endpoints: {
      dynamodb: 'http://127.0.0.1:3002',
      sqs: 'http://127.0.0.1:3001',
      s3: 'http://127.0.0.1:3001',
    },
    resources: {
      tableName: 'switchboard',
      ingestQueueUrl: queueUrl('ingest.fifo'),
      ingestDlqUrl: queueUrl('ingest-dlq.fifo'),
      helpdeskQueueUrl: queueUrl('helpdesk.fifo'),
      helpdeskDlqUrl: queueUrl('helpdesk-dlq.fifo'),
      outboxQueueUrl: queueUrl('outbox.fifo'),
      outboxDlqUrl: queueUrl('outbox-dlq.fifo'),
      mediaQueueUrl: queueUrl('media'),
      mediaDlqUrl: queueUrl('media-dlq'),
      bucketName: 'payloads',
    },
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    dataDir: undefined,
    missingFunctions: [],
    waitForRecorder: async () => true,
    waitForSender: async () => true,
    waitForMedia: async () => true,
    threadCpuMicros: async () => ({}),
    stop: async () => undefined,
  };

  it('prints every queue and its dead-letter queue, the media ones too (npm run redrive -- media uses them)', () => {
    // Act
    const banner = describeHub(hub).join('\n');
    // Assess
    for (const url of Object.entries(hub.resources)
      .filter(([name]) => name.endsWith('QueueUrl') || name.endsWith('DlqUrl'))
      .map(([, value]) => value)) {
      expect(banner).toContain(url);
    }
    expect(banner).toMatch(/^ {2}media queue {5}http:\/\/\S+\/media$/m);
    expect(banner).toMatch(/^ {2}media DLQ {7}http:\/\/\S+\/media-dlq$/m);
  });
});

describe('npm start -- --demo --exit: its exit code', () => {
  const summary = (accepted: number, outcomes: readonly string[]): DemoSummary => ({
    sent: 127,
    accepted,
    conversations: 40,
    twoWay: {
      replies: outcomes.map((outcome, index) => ({
        channel: (['whatsapp', 'messenger', 'sms', 'email'] as const)[index] ?? 'email',
        outcome,
        statuses: [],
      })),
    },
  });

  it('succeeds only when every sample was accepted and every reply was sent to its furthest status', () => {
    // Act and Assess
    expect(demoSucceeded(summary(127, ['sent', 'sent', 'sent', 'sent']))).toBe(true);
    expect(demoSucceeded(summary(103, ['sent', 'sent', 'sent', 'sent']))).toBe(false);
    expect(demoSucceeded(summary(127, ['sent', 'sent', 'no conversation recorded', 'sent']))).toBe(false);
    expect(demoSucceeded(summary(127, ['sent', 'still under way', 'sent', 'sent']))).toBe(false);
  });
});

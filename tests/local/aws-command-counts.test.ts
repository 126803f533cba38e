import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { awsCommandCounts, resetAwsCommandCounts } from '#shared/local/aws-command-counter.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, signedRequestFor } from '#shared/local/samples.ts';
import { threadCpuMicros } from '#shared/local/thread-cpu.ts';

describe('AWS commands of functions running in their own execution environments', () => {
  let hub: LocalHub;
  beforeAll(async () => {
    hub = await startLocalHub({ inMemory: true, port: 0, pollWaitSeconds: 1, countAwsCommands: true });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('are counted in the hub process, as the benchmark reads them', async () => {
    // Prepare
    resetAwsCommandCounts();
    const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, 'whatsapp/text.json')]).samples;
    if (!sample) throw new Error('sample missing');
    const request = signedRequestFor(sample, { targetBaseUrl: hub.urls.base, secrets: LOCAL_DEV_SECRETS });
    // Act
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    await hub.waitForRecorder();
    // Assess
    expect(response.status).toBe(200);
    const counts = awsCommandCounts();
    expect(counts.SendMessageBatch).toBeGreaterThanOrEqual(2);
    expect(counts.UpdateItem).toBeGreaterThanOrEqual(1);
    expect(counts.PutItem).toBeGreaterThanOrEqual(1);
  });

  // process.threadCpuUsage: Node 22.19 on (npm's scripts run Node 22; the engines field allows 20).
  const threadCpuMeasurable = threadCpuMicros() !== undefined;

  it.runIf(threadCpuMeasurable)(
    'and so is the CPU of each thread: the functions, the DynamoDB emulator and the main thread',
    async () => {
      // Prepare
      const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, 'sms/sms-inbound.json')]).samples;
      if (!sample) throw new Error('sample missing');
      const request = signedRequestFor(sample, { targetBaseUrl: hub.urls.base, secrets: LOCAL_DEV_SECRETS });
      const before = await hub.threadCpuMicros();
      // Act
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      await hub.waitForRecorder();
      const after = await hub.threadCpuMicros();
      // Assess
      expect(response.status).toBe(200);
      const used = (thread: string) => (after[thread] ?? 0) - (before[thread] ?? 0);
      for (const thread of ['main', 'dynamodb', 'recorder', 'webhook-sms-twilio']) {
        expect(after[thread], thread).toBeDefined();
        expect(used(thread), thread).toBeGreaterThan(0);
      }
      // A function that was not invoked spent nothing on an invocation.
      expect(used('sender')).toBe(0);
    },
  );
});

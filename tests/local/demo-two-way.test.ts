import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { runTwoWayDemo } from '#shared/local/demo-two-way.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';

/*
 * The demo's two-way half on a fresh local hub: each channel's reply is sent and its statuses come
 * back through the simulators, and the customer's photo is downloaded from the hub's own copy.
 */

describe('demo: answering on every channel and a stored photo', () => {
  let hub: LocalHub;

  beforeAll(async () => {
    hub = await startLocalHub({
      inMemory: true,
      port: 0,
      pollWaitSeconds: 1,
      retryVisibilitySeconds: 1,
      providerStatusDelaysMs: { sent: 20, delivered: 40, read: 60 },
    });
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers each channel, sees its statuses arrive, and downloads the photo with its sha256', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const summary = await runTwoWayDemo(hub, output);
    // Assess
    expect(summary.replies.map((reply) => [reply.channel, reply.outcome])).toEqual([
      ['whatsapp', 'sent'],
      ['messenger', 'sent'],
      ['sms', 'sent'],
      ['email', 'sent'],
    ]);
    expect(summary.replies.find((reply) => reply.channel === 'whatsapp')?.statuses.at(-1)).toBe('read');
    expect(summary.image?.matches).toBe(true);
    expect(output.lines.join('\n')).toContain('the bytes match');
    // Contacts stay masked: no full phone number or address in what the demo prints.
    expect(output.lines.join('\n')).not.toContain('4915770001234');
  }, 120_000);
});

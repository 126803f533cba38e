import { describe, expect, it } from 'vitest';
import { type DemoSummary, demoSucceeded } from '#shared/cli/demo.ts';
import { main, startFailureHint } from '#shared/cli/start.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';

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

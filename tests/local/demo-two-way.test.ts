import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { runTwoWayDemo } from '#shared/local/demo-two-way.ts';
import { type HubSession, startHubSession } from '#tests/support/hub-session.ts';

/*
 * The demo's two-way half on a fresh local hub: each channel's reply is sent and its statuses come
 * back through the simulators, and the customer's photo is downloaded from the hub's own copy.
 */

describe('demo: answering on every channel and a stored photo', () => {
  let session: HubSession;

  beforeAll(async () => {
    session = await startHubSession();
  }, 120_000);
  afterAll(async () => {
    await session?.stop();
  });

  it('answers each channel, sees its statuses arrive, and downloads the photo with its sha256', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const summary = await runTwoWayDemo(session.hub, output);
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
    // The hub stays up (npm start -- --demo): the presigned link can be opened.
    expect(output.lines.join('\n')).toMatch(/open it \(valid until [^)]+\): http:\/\/127\.0\.0\.1:\d+\//);
    // Contacts stay masked: no full phone number or address in what the demo prints.
    expect(output.lines.join('\n')).not.toContain('4915770001234');
  }, 120_000);

  it('with --exit prints what was checked and no link, which would die with the hub', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const summary = await runTwoWayDemo(session.hub, output, { hubStaysUp: false });
    // Assess
    const printed = output.lines.join('\n');
    expect(summary.image?.matches).toBe(true);
    expect(printed).toMatch(/sha256 [0-9a-f]{16}…/);
    expect(printed).toContain('the bytes match');
    expect(printed).not.toContain('open it');
    expect(printed).not.toContain(session.hub.endpoints.s3);
  }, 120_000);

  it('on a hub an earlier demo ran on (a kept data directory), downloads the photo its customer just sent', async () => {
    // Prepare: an earlier demo's photo is among the WhatsApp conversation's newest messages
    const earlier = await runTwoWayDemo(session.hub, memoryOutput());
    const output = memoryOutput();
    // Act
    const summary = await runTwoWayDemo(session.hub, output);
    // Assess
    expect(earlier.image?.key).toMatch(/\/msg_[0-9a-f]{32}\/0$/);
    expect(summary.image?.key).toMatch(/\/msg_[0-9a-f]{32}\/0$/);
    expect(summary.image?.key).not.toBe(earlier.image?.key);
    expect(summary.image?.matches).toBe(true);
    const earlierMessage = earlier.image?.key.split('/').at(-2) ?? 'none';
    expect(output.lines.join('\n')).not.toContain(earlierMessage);
  }, 120_000);
});

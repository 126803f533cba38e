import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as replay } from '#shared/cli/replay.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { runTwoWayDemo } from '#shared/local/demo-two-way.ts';
import { fetchHubInfo } from '#shared/local/hub-info.ts';
import { smsFrom } from '#shared/local/live-samples.ts';
import { DEFAULT_EVENTS_DIR, signedRequestFor } from '#shared/local/samples.ts';
import { type HubSession, startHubSession } from '#tests/support/hub-session.ts';

/*
 * A local hub that a tunnel exposes (SWITCHBOARD_PUBLIC_BASE_URL, as the README tells): its SMS
 * webhook checks every Twilio signature over the tunnel's URL, so everything the hub and its tools
 * sign for Twilio (replay, the console's customer and sample replay, the demo, the Twilio
 * simulator's status callbacks) is signed over that URL too, and still delivered over loopback.
 * Found by a review (2026-12-05): they all signed the loopback URL and were refused 403.
 */

const TUNNEL = 'https://r9-tunnel.example';

describe('a local hub behind a tunnel: the local tools sign Twilio requests over the URL it checks', () => {
  let session: HubSession;
  const consolePost = (path: string, body: unknown) =>
    fetch(`${session.hub.urls.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.hub.apiToken}` },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    session = await startHubSession({ functionSettings: { SWITCHBOARD_PUBLIC_BASE_URL: TUNNEL } });
  }, 120_000);
  afterAll(async () => {
    await session?.stop();
  });

  it('tells the tools its public base URL, and npm run replay has its SMS sample accepted', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const info = await fetchHubInfo(session.hub.urls.base);
    const code = await replay(
      [join(DEFAULT_EVENTS_DIR, 'sms/sms-inbound.json'), '--hub', session.hub.urls.base],
      output,
    );
    // Assess
    expect(output.lines).toContain('sent 1, accepted 1, rejected 0');
    expect(code).toBe(0);
    expect(info?.publicBaseUrl).toBe(TUNNEL);
  }, 60_000);

  it("has the console's SMS customer and its SMS sample replay accepted by the webhook", async () => {
    // Act
    const customer = await consolePost('/_local/console/customer-message', {
      channel: 'sms',
      from: '+14155550167',
      text: 'Hello through the tunnel',
    });
    const sample = await consolePost('/_local/console/replay', { name: 'sms/help' });
    // Assess
    expect([customer.status, await customer.json()]).toEqual([202, { webhookStatus: 200 }]);
    expect([sample.status, await sample.json()]).toEqual([202, { webhookStatus: 200 }]);
  }, 60_000);

  it("records the simulator's status callbacks for an SMS reply to a customer who wrote through the tunnel", async () => {
    // Prepare: a customer's SMS as Twilio posts it through the tunnel (signed over the public URL)
    const signed = signedRequestFor(smsFrom('+14155550166', `r9${Date.now()}`), {
      targetBaseUrl: TUNNEL,
      secrets: LOCAL_DEV_SECRETS,
    });
    await session.takeHelpdesk();
    const posted = await fetch(signed.url.replace(TUNNEL, session.hub.urls.base), {
      method: 'POST',
      headers: signed.headers,
      body: signed.body,
    });
    expect(posted.status).toBe(200);
    const received = await session.collectUntil((seen) =>
      seen.some((event) => event.type === 'switchboard.message.received'),
    );
    const conversationId = received.find((event) => event.type === 'switchboard.message.received')?.subject;
    expect(conversationId).toBeDefined();
    // Act: the helpdesk answers
    const hubMessageId = await session.sendCommand(conversationId ?? '', `r9-${Date.now()}`, [
      { type: 'text', text: 'Thanks' },
    ]);
    const deadline = Date.now() + 20_000;
    const events: { type: string; data?: unknown }[] = [];
    while (Date.now() < deadline && !events.some((e) => e.type === 'switchboard.message.status_updated')) {
      events.push(...(await session.takeHelpdesk()));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Assess: sent, then Twilio's statuses for it, none of its callbacks refused
    expect(events.map((event) => event.type)).toContain('switchboard.message.sent');
    expect(
      events.filter((event) => event.type === 'switchboard.message.status_updated').length,
      `no status for ${hubMessageId}: the simulator's callbacks were refused`,
    ).toBeGreaterThan(0);
    const callbacks = session.hub.providers?.requests().flatMap((request) => request.callbacks) ?? [];
    expect(callbacks.filter((callback) => callback.status === 403)).toEqual([]);
  }, 60_000);

  it('runs the documented demo: the SMS customer is recorded and answered', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const summary = await runTwoWayDemo(session.hub, output);
    // Assess
    expect(summary.replies.find((reply) => reply.channel === 'sms')?.outcome).toBe('sent');
  }, 120_000);
});

import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubEvent, HubEventOf } from '#shared/contract/index.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import { postSample, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';

/*
 * The attention sweeper on the local hub, on its timer (every 250 ms here), as a helpdesk sees it:
 * a snooze reopens by itself with one state change by the hub, a customer's message ends a snooze,
 * and a customer waiting past a tiny response target (WhatsApp: 2 s here) is reported once.
 */

const SWEEP_MS = 250;
/** Long enough for six sweeps: anything a sweep would repeat shows up in it. */
const SEVERAL_SWEEPS_MS = 6 * SWEEP_MS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type StateChanged = HubEventOf<'switchboard.conversation.state_changed'>;
type Overdue = HubEventOf<'switchboard.conversation.response_overdue'>;

describe('attention sweeper on the local hub', () => {
  let hub: LocalHub;
  let sqs: SQSClient;
  /** Every event the helpdesk stream carried, in order. */
  const stream: HubEvent[] = [];

  beforeAll(async () => {
    hub = await startLocalHub({
      inMemory: true,
      port: 0,
      pollWaitSeconds: 1,
      retryVisibilitySeconds: 1,
      attentionSweepIntervalMs: SWEEP_MS,
      functionSettings: { SWITCHBOARD_RESPONSE_TARGET_SECONDS: 'whatsapp=2' },
    });
    sqs = new SQSClient({ endpoint: hub.endpoints.sqs, region: hub.region, credentials: hub.credentials });
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    await hub?.stop();
  });

  const readStream = async () => {
    stream.push(...(await takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl)));
    return stream;
  };
  /** Reads the stream until `done` holds for it, or the time is up. */
  const readUntil = async (done: (events: HubEvent[]) => boolean, timeoutMs = 15_000) => {
    const until = Date.now() + timeoutMs;
    while (!done(await readStream()) && Date.now() < until) await sleep(100);
    return stream;
  };
  /** Reads the stream for a while, to see what more arrives. */
  const readFor = async (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await readStream();
      await sleep(100);
    }
    return readStream();
  };

  const call = async (
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: unknown } = {},
  ) => {
    const response = await fetch(`${hub.urls.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${hub.apiToken}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  /** The customer writes through the signed webhook; the conversation's id, once recorded. */
  const customerWrites = async (customer: string, wamid: string): Promise<string> => {
    const posted = await postSample(hub.urls.base, whatsappTextFrom(customer, wamid.replace(/^wamid\./, '')));
    expect(posted).toBeLessThan(300);
    const events = await readUntil((seen) =>
      seen.some(
        (event) => event.type === 'switchboard.message.received' && event.data.providerMessageId === wamid,
      ),
    );
    const received = events.find(
      (event) => event.type === 'switchboard.message.received' && event.data.providerMessageId === wamid,
    );
    if (!received) throw new Error(`${wamid} was not recorded`);
    return received.subject;
  };

  /** Snoozes for `ms` from the PATCH: the GET before it may take a good part of a short snooze. */
  const snooze = async (conversationId: string, ms: number) => {
    const read = await call('GET', `/v1/conversations/${conversationId}`);
    const patched = await call('PATCH', `/v1/conversations/${conversationId}`, {
      headers: { 'if-match': read.headers.get('etag') ?? '' },
      body: { status: 'snoozed', snoozedUntil: new Date(Date.now() + ms).toISOString() },
    });
    expect(patched.status).toBe(200);
    return patched.body;
  };

  const stateChangesOf = (conversationId: string) =>
    stream.filter(
      (event): event is StateChanged =>
        event.type === 'switchboard.conversation.state_changed' && event.subject === conversationId,
    );
  const overdueOf = (conversationId: string) =>
    stream.filter(
      (event): event is Overdue =>
        event.type === 'switchboard.conversation.response_overdue' && event.subject === conversationId,
    );
  const byTheHub = (event: StateChanged) => event.data.changedBy?.kind === 'system';

  it('reopens a conversation snoozed for a second by itself, with exactly one state change by the hub', async () => {
    // Prepare
    const conversationId = await customerWrites('306900000101', 'wamid.e2e-sweep-snooze');
    const snoozed = await snooze(conversationId, 1000);
    // Act
    await readUntil(() => stateChangesOf(conversationId).some(byTheHub));
    await readFor(SEVERAL_SWEEPS_MS);
    const now = await call('GET', `/v1/conversations/${conversationId}`);
    // Assess
    expect(snoozed.status).toBe('snoozed');
    const wakes = stateChangesOf(conversationId).filter(byTheHub);
    expect(wakes).toHaveLength(1);
    expect(wakes[0]?.data).toMatchObject({
      previousStatus: 'snoozed',
      changedBy: { kind: 'system', id: 'switchboard:snooze-timer' },
      changes: ['status', 'snoozedUntil'],
      state: { status: 'open', snoozedUntil: null, version: Number(snoozed.version) + 1 },
    });
    expect(now.body).toMatchObject({
      status: 'open',
      snoozedUntil: null,
      version: Number(snoozed.version) + 1,
    });
  }, 60_000);

  it('reopens a snoozed conversation when the customer writes again, with no wake by the hub', async () => {
    // Prepare
    const conversationId = await customerWrites('306900000102', 'wamid.e2e-sweep-reopen-1');
    await snooze(conversationId, 3_600_000);
    // Act
    await customerWrites('306900000102', 'wamid.e2e-sweep-reopen-2');
    await readFor(SEVERAL_SWEEPS_MS);
    const now = await call('GET', `/v1/conversations/${conversationId}`);
    // Assess
    expect(now.body).toMatchObject({ status: 'open', snoozedUntil: null });
    expect(now.body.waitingSince).not.toBeNull();
    const reopened = stateChangesOf(conversationId).find((event) => event.data.previousStatus === 'snoozed');
    expect(reopened?.data.changedBy).toBeUndefined();
    expect(reopened?.data.state).toMatchObject({ status: 'open', snoozedUntil: null });
    expect(stateChangesOf(conversationId).filter(byTheHub)).toEqual([]);
  }, 60_000);

  it('reports a customer waiting past a tiny target exactly once across many sweeps, and nothing after the answer', async () => {
    // Prepare
    const conversationId = await customerWrites('306900000103', 'wamid.e2e-sweep-overdue');
    // Act: past the 2 s target, then several more sweeps
    await readUntil((events) =>
      events.some(
        (event) =>
          event.type === 'switchboard.conversation.response_overdue' && event.subject === conversationId,
      ),
    );
    await readFor(SEVERAL_SWEEPS_MS);
    const reportedWhileWaiting = overdueOf(conversationId).length;
    const reply = await call('POST', `/v1/conversations/${conversationId}/messages`, {
      headers: { 'idempotency-key': 'e2e-sweep-answer' },
      body: { parts: [{ type: 'text', text: 'Here to help.' }], sender: { kind: 'agent', id: 'agent-1' } },
    });
    await readUntil((events) =>
      events.some((event) => event.type === 'switchboard.message.sent' && event.subject === conversationId),
    );
    await readFor(4 * 1000);
    const answered = await call('GET', `/v1/conversations/${conversationId}`);
    // Assess
    expect(reportedWhileWaiting).toBe(1);
    expect(reply.status).toBe(202);
    expect(answered.body.waitingSince).toBeNull();
    expect(overdueOf(conversationId)).toHaveLength(1);
    const [overdue] = overdueOf(conversationId);
    expect(overdue?.data).toMatchObject({
      conversationId,
      channel: 'whatsapp',
      targetSeconds: 2,
      contact: { identities: [expect.objectContaining({ type: 'wa_id', value: '306900000103' })] },
    });
    expect(overdue?.data.waitedSeconds).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

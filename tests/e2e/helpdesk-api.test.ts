import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import { signedRequestFor } from '#shared/local/samples.ts';
import { whatsappCustomerSample } from '#tests/support/fresh-samples.ts';
import { takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';

/*
 * The helpdesk API over HTTP on the local hub, as a helpdesk uses it: list the conversations that
 * wait, page one's messages, resolve it (and see the change on the stream), reply, and be told
 * when it acted on a stale version.
 */

describe('helpdesk API on the local hub', () => {
  let hub: LocalHub;
  let sqs: SQSClient;

  beforeAll(async () => {
    hub = await startLocalHub({ inMemory: true, port: 0, pollWaitSeconds: 1, retryVisibilitySeconds: 1 });
    sqs = new SQSClient({ endpoint: hub.endpoints.sqs, region: hub.region, credentials: hub.credentials });
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    await hub?.stop();
  });

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

  const helpdeskEvents = () => takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl);

  it('lists waiting conversations, pages messages, resolves with an event, replies (202) and gets 412 on a stale version', async () => {
    // Prepare: two messages of one customer, one of another, through the signed webhook
    for (const [customer, wamid] of [
      ['306900000001', 'wamid.e2e-api-1'],
      ['306900000001', 'wamid.e2e-api-2'],
      ['306900000002', 'wamid.e2e-api-3'],
    ] as const) {
      const request = signedRequestFor(whatsappCustomerSample(customer, wamid), {
        targetBaseUrl: hub.urls.base,
        secrets: LOCAL_DEV_SECRETS,
      });
      const posted = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
      });
      expect(posted.status).toBeLessThan(300);
    }
    expect(await hub.waitForRecorder()).toBe(true);
    await helpdeskEvents();
    // Act
    const anonymous = await fetch(`${hub.urls.base}/v1/conversations`);
    const waiting = await call('GET', '/v1/conversations?waiting=true&limit=10');
    const items = waiting.body.items as { conversationId: string; messageCount: number }[];
    const busiest = items.find((item) => item.messageCount === 2);
    if (!busiest) throw new Error('the two-message conversation is not listed');
    const path = `/v1/conversations/${busiest.conversationId}`;
    const firstPage = await call('GET', `${path}/messages?limit=1`);
    const secondPage = await call(
      'GET',
      `${path}/messages?limit=1&cursor=${String(firstPage.body.nextCursor)}`,
    );
    const read = await call('GET', path);
    const etag = read.headers.get('etag') ?? '';
    const resolved = await call('PATCH', path, {
      headers: { 'if-match': etag },
      body: { status: 'resolved' },
    });
    const stale = await call('PATCH', path, { headers: { 'if-match': etag }, body: { priority: 'high' } });
    const reply = await call('POST', `${path}/messages`, {
      headers: { 'idempotency-key': 'e2e-api-reply' },
      body: { parts: [{ type: 'text', text: 'On it.' }], sender: { kind: 'agent', id: 'agent-1' } },
    });
    const events = await helpdeskEvents();
    // Assess
    expect(anonymous.status).toBe(401);
    expect(waiting.status).toBe(200);
    expect(items).toHaveLength(2);
    const idsOf = (page: { body: Record<string, unknown> }) =>
      (page.body.items as { message: { providerMessageId: string } }[]).map(
        (item) => item.message.providerMessageId,
      );
    // Same second: the hub message id orders them, so the pages hold one each, in either order.
    expect([...idsOf(firstPage), ...idsOf(secondPage)].sort()).toEqual([
      'wamid.e2e-api-1',
      'wamid.e2e-api-2',
    ]);
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('resolved');
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json');
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({
      conversationId: busiest.conversationId,
      idempotencyKey: 'e2e-api-reply',
    });
    const change = events.find((event) => event.type === 'switchboard.conversation.state_changed');
    expect(change?.data).toMatchObject({
      state: { conversationId: busiest.conversationId, status: 'resolved' },
      previousStatus: 'open',
      changedBy: { kind: 'agent', id: 'local-developer' },
      changes: ['status'],
    });
  }, 60_000);
});

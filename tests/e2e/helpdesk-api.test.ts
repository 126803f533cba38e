import { SQSClient } from '@aws-sdk/client-sqs';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { paths } from '#shared/contract/generated/helpdesk-api.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import { postSample, whatsappTextFrom } from '#shared/local/live-samples.ts';
import { takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';
import { publishedOpenApi } from '#tests/support/openapi-contract.ts';

/*
 * The helpdesk API over HTTP on the local hub, as a helpdesk uses it through a client generated
 * from the OpenAPI document only: list the conversations that
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

  /** A client generated from the published document alone: openapi-fetch over its openapi-typescript types. */
  const client = () =>
    createClient<paths>({ baseUrl: hub.urls.base, headers: { authorization: `Bearer ${hub.apiToken}` } });

  const helpdeskEvents = () => takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl);

  it('lists waiting conversations, pages messages, resolves with an event, replies (202) and gets 412 on a stale version', async () => {
    // Prepare: two messages of one customer, one of another, through the signed webhook
    for (const [customer, wamid] of [
      ['306900000001', 'e2e-api-1'],
      ['306900000001', 'e2e-api-2'],
      ['306900000002', 'e2e-api-3'],
    ] as const) {
      expect(await postSample(hub.urls.base, whatsappTextFrom(customer, wamid))).toBeLessThan(300);
    }
    expect(await hub.waitForRecorder()).toBe(true);
    await helpdeskEvents();
    // Act
    const api = client();
    const anonymous = await fetch(`${hub.urls.base}/v1/conversations`);
    const served = await api.GET('/v1/openapi.json');
    const waiting = await api.GET('/v1/conversations', { params: { query: { waiting: true, limit: 10 } } });
    const items = waiting.data?.items ?? [];
    const busiest = items.find((item) => item.messageCount === 2);
    if (!busiest) throw new Error('the two-message conversation is not listed');
    const path = { conversationId: busiest.conversationId };
    const firstPage = await api.GET('/v1/conversations/{conversationId}/messages', {
      params: { path, query: { limit: 1 } },
    });
    const secondPage = await api.GET('/v1/conversations/{conversationId}/messages', {
      params: { path, query: { limit: 1, cursor: firstPage.data?.nextCursor ?? '' } },
    });
    const read = await api.GET('/v1/conversations/{conversationId}', { params: { path } });
    const etag = read.response.headers.get('etag') ?? '';
    const resolved = await api.PATCH('/v1/conversations/{conversationId}', {
      params: { path, header: { 'If-Match': etag } },
      body: { status: 'resolved' },
    });
    const stale = await api.PATCH('/v1/conversations/{conversationId}', {
      params: { path, header: { 'If-Match': etag } },
      body: { priority: 'high' },
    });
    const reply = await api.POST('/v1/conversations/{conversationId}/messages', {
      params: { path, header: { 'Idempotency-Key': 'e2e-api-reply' } },
      body: { parts: [{ type: 'text', text: 'On it.' }], sender: { kind: 'agent', id: 'agent-1' } },
    });
    const events = await helpdeskEvents();
    // Assess
    expect(anonymous.status).toBe(401);
    expect(served.data).toEqual(publishedOpenApi());
    expect(waiting.response.status).toBe(200);
    expect(items).toHaveLength(2);
    const idsOf = (page: typeof firstPage) =>
      (page.data?.items ?? []).map((item) => item.message.providerMessageId);
    // Same second: the hub message id orders them, so the pages hold one each, in either order.
    expect([...idsOf(firstPage), ...idsOf(secondPage)].sort()).toEqual([
      'wamid.e2e-api-1',
      'wamid.e2e-api-2',
    ]);
    expect(resolved.response.status).toBe(200);
    expect(resolved.data?.status).toBe('resolved');
    expect(stale.response.status).toBe(412);
    expect(stale.response.headers.get('content-type')).toBe('application/problem+json');
    expect(stale.error).toMatchObject({ type: 'urn:switchboard:problem:version-mismatch', status: 412 });
    expect(reply.response.status).toBe(202);
    expect(reply.data).toMatchObject({
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

  it('answers an unknown path 404 and a method a path does not take 405 with Allow, both problem+json, and an anonymous one 401', async () => {
    // Prepare
    const conversation = `${hub.urls.base}/v1/conversations/conv_${'0'.repeat(32)}`;
    const authorization = { authorization: `Bearer ${hub.apiToken}` };
    // Act
    const unknown = await fetch(`${hub.urls.base}/v1/nothing/here`, { headers: authorization });
    const wrongMethod = await fetch(conversation, { method: 'DELETE', headers: authorization });
    const anonymous = await fetch(conversation, { method: 'DELETE' });
    // Assess: before, API Gateway's (and the local hub's) bare {"message":"Not Found"} for both
    expect([unknown.status, wrongMethod.status, anonymous.status]).toEqual([404, 405, 401]);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(await unknown.json()).toMatchObject({ type: 'urn:switchboard:problem:not-found', status: 404 });
    expect(wrongMethod.headers.get('content-type')).toBe('application/problem+json');
    expect(wrongMethod.headers.get('allow')).toBe('GET, PATCH');
    expect(await wrongMethod.json()).toMatchObject({ type: 'urn:switchboard:problem:method-not-allowed' });
  });
});

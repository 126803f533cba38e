import type { ApiRequest } from '#shared/api/http.ts';
import type { WebhookRequest } from '#shared/channels/inbound.ts';

/** Every golden fixture is normalized as if received at this instant, so expectations are stable. */
export const FIXTURE_RECEIVED_AT = new Date('2026-11-22T12:00:00.000Z');

/** Test factory for a webhook request; headers are lower-cased like API Gateway's. */
export const webhookRequest = (
  overrides: Partial<WebhookRequest> & { body?: Buffer | string },
): WebhookRequest => {
  const { body, headers, ...rest } = overrides;
  return {
    method: 'POST',
    path: '/webhooks/test',
    rawQueryString: '',
    receivedAt: FIXTURE_RECEIVED_AT,
    ...rest,
    headers: Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? Buffer.alloc(0)),
  };
};

/** Who a test's helpdesk API requests come from: an IAM user, as API Gateway's authorizer names one. */
const AGENT_PRINCIPAL = 'arn:aws:iam::123456789012:user/agent';

/**
 * Test factory for a helpdesk API request as API Gateway routes it: no query, no headers, from an
 * agent, unless `extra` says otherwise.
 */
export const apiRequest = (method: string, path: string, extra: Partial<ApiRequest> = {}): ApiRequest => ({
  method,
  path,
  query: {},
  headers: {},
  principal: AGENT_PRINCIPAL,
  ...extra,
});

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

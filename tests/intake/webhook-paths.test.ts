import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { useEmulatedHub } from '#tests/support/emulated-hub.ts';
import { apiGatewayEvent, lambdaContext } from '#tests/support/factories.ts';

/**
 * Behind its own function URL a webhook receives every path; the stack tells it which ones it
 * serves (SWITCHBOARD_WEBHOOK_PATHS), as the HTTP API's routes do in the other mode.
 */
describe('the paths a webhook serves behind a function URL', () => {
  const hub = useEmulatedHub({ SWITCHBOARD_WEBHOOK_PATHS: '/webhooks/messenger' });
  const handshake = (path: string) =>
    apiGatewayEvent({
      method: 'GET',
      path,
      rawQueryString: `hub.mode=subscribe&hub.verify_token=${LOCAL_DEV_SECRETS.meta.verifyToken}&hub.challenge=1158201444`,
    });

  it('answers 404 on any other path, before reading secrets or queueing anything', async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-messenger.ts');
    // Act
    const result = (await handler(handshake('/'), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    const signedPost = (await handler(
      apiGatewayEvent({ path: '/webhooks/whatsapp', body: '{"object":"page","entry":[]}' }),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    // Assess
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(String(result.body))).toEqual({ error: 'no webhook at this path' });
    expect(signedPost.statusCode).toBe(404);
    expect(await hub.ingestQueueMessages()).toEqual([]);
  });

  it('serves its own path as before', async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-messenger.ts');
    // Act
    const result = (await handler(
      handshake('/webhooks/messenger'),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('1158201444');
  });
});

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { toWebhookRequest } from '#shared/aws/apigw.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import {
  awsAttemptCounts,
  awsCommandCounts,
  resetAwsCommandCounts,
} from '#shared/local/aws-command-counter.ts';
import { useEmulatedHub } from '#tests/support/emulated-hub.ts';
import { apiGatewayEvent, lambdaContext } from '#tests/support/factories.ts';

const PAGE_ID = '104728593216847';

/** Two customers writing to one page in one POST; non-ASCII text travels as Meta's \u escapes. */
const messengerBody = JSON.stringify({
  object: 'page',
  entry: [
    {
      id: PAGE_ID,
      time: 1795166404043,
      messaging: [
        {
          sender: { id: '6854120937718452' },
          recipient: { id: PAGE_ID },
          timestamp: 1795166403832,
          message: { mid: 'm_integration_first', text: 'Grüße aus Köln' },
        },
        {
          sender: { id: '7012345678901234' },
          recipient: { id: PAGE_ID },
          timestamp: 1795166403900,
          message: { mid: 'm_integration_second', text: 'Hello' },
        },
      ],
    },
  ],
}).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

const signedPost = () =>
  apiGatewayEvent({
    path: '/webhooks/messenger',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, messengerBody),
    },
    body: messengerBody,
  });

describe('Messenger webhook Lambda into the local ingest queue', () => {
  const hub = useEmulatedHub();

  beforeAll(() => {
    resetAwsCommandCounts();
  });

  it('queues every event of a signed POST exactly once, grouped by conversation, and answers 200', async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-messenger.ts');
    const event = signedPost();
    const expected = handleMessengerWebhook(toWebhookRequest(event, new Date()), {
      secrets: LOCAL_DEV_SECRETS,
    });
    if (expected.kind !== 'accept') throw new Error('the adapter should accept the signed body');
    // Act
    const first = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
    const retry = (await handler(signedPost(), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    const messages = await hub.ingestQueueMessages();
    // Assess
    expect([first.statusCode, retry.statusCode]).toEqual([200, 200]);
    const queued = messages.map((message) => HubEventSchema.parse(JSON.parse(message.Body ?? '')));
    expect(queued.map((queuedEvent) => queuedEvent.id).sort()).toEqual(
      expected.events.map((expectedEvent) => expectedEvent.id).sort(),
    );
    expect(queued.length).toBeGreaterThanOrEqual(2);
    for (const [index, message] of messages.entries()) {
      expect(message.Attributes?.MessageGroupId).toBe(queued[index]?.subject);
      expect(message.Attributes?.MessageDeduplicationId).toBe(queued[index]?.id);
    }
    expect(JSON.stringify(queued)).toContain('Grüße aus Köln');
    expect(awsCommandCounts()).toMatchObject({ SendMessageBatch: 2 });
    expect(awsAttemptCounts()).toMatchObject({ SendMessageBatch: 2 });
  });

  it('answers 403 to a body signed with another secret and queues nothing', async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-messenger.ts');
    const forged = apiGatewayEvent({
      path: '/webhooks/messenger',
      headers: { 'x-hub-signature-256': signMetaBody('not-the-app-secret', messengerBody) },
      body: messengerBody,
    });
    // Act
    const result = (await handler(forged, lambdaContext())) as APIGatewayProxyStructuredResultV2;
    const messages = await hub.ingestQueueMessages();
    // Assess
    expect(result.statusCode).toBe(403);
    expect(messages).toEqual([]);
  });
});

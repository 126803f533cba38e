import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2, ScheduledEvent, SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { signTwilioRequest } from '#shared/channels/sms/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { toSqsRecord } from '#shared/local/event-source.ts';
import { LOCAL_REGION } from '#shared/local/local-aws.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { useEmulatedHub } from '#tests/support/emulated-hub.ts';
import { apiGatewayEvent, drainQueue, lambdaContext, useHubEnvironment } from '#tests/support/factories.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';

/*
 * Twilio sends an inbound message once (its retries all fit in 15 seconds): a STOP the ingest queue
 * refuses must not be lost. Against the emulators: the webhook, its queue unreachable, keeps the
 * STOP's events in the spill and answers Twilio 200; the drain, once the queue is back, queues
 * them with the message group and deduplication id the webhook would have used, and deletes the
 * object.
 */

const PUBLIC_BASE_URL = 'https://hooks.switchboard.example';
const PATH = '/webhooks/sms/twilio';
const INGEST_QUEUE_ARN = 'arn:aws:sqs:eu-west-1:000000000000:switchboard-ingest.fifo';

const twilioStop = () => {
  const params = Object.entries(
    JSON.parse(readFileSync(join(EVENTS_DIR, 'sms/stop.json'), 'utf8')) as Record<string, string>,
  );
  return apiGatewayEvent({
    path: PATH,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(
        LOCAL_DEV_SECRETS.twilio.authToken,
        `${PUBLIC_BASE_URL}${PATH}`,
        params,
      ),
      host: 'api1234567.execute-api.eu-west-1.amazonaws.com',
    },
    body: new URLSearchParams(params).toString(),
    base64: true,
  });
};

describe('a Twilio STOP the ingest queue refuses', () => {
  const hub = useEmulatedHub({ SWITCHBOARD_PUBLIC_BASE_URL: PUBLIC_BASE_URL });

  /** Every message on a queue, each deleted once received (a FIFO group hands out its next one only then). */
  const takeMessages = async (queueUrl: string): Promise<Message[]> => {
    const { sqs } = hub.emulators.clients;
    const taken: Message[] = [];
    for (let poll = 0; poll < 20; poll++) {
      const batch = await drainQueue(sqs, queueUrl);
      if (batch.length === 0) break;
      taken.push(...batch);
      for (const message of batch)
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
        );
    }
    return taken;
  };

  const spillKeys = async (): Promise<string[]> => {
    const listed = await hub.emulators.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: hub.emulators.resources.bucketName,
        Prefix: PAYLOAD_BUCKET.prefixes.spill,
      }),
    );
    return (listed.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
  };

  it('is answered 200, kept in the spill, queued by the drain and recorded', async () => {
    // Prepare: the webhook's queue does not exist (SQS refuses every SendMessageBatch)
    const { handler: webhook } = await import('#functions/webhook-sms-twilio.ts');
    const { handler: drain } = await import('#functions/ingest-spill-drain.ts');
    const restore = useHubEnvironment({
      SWITCHBOARD_INGEST_QUEUE_URL: `${hub.emulators.resources.ingestQueueUrl.replace(/\.fifo$/, '')}-gone.fifo`,
    });
    let answer: APIGatewayProxyStructuredResultV2;
    try {
      // Act: Twilio's request while SQS refuses
      answer = (await webhook(twilioStop(), lambdaContext())) as APIGatewayProxyStructuredResultV2;
    } finally {
      restore();
    }
    const spilled = await spillKeys();
    const queuedMeanwhile = await hub.ingestQueueMessages();
    // Act: the next drain run, the queue back
    await drain({} as ScheduledEvent, lambdaContext());
    const messages = await takeMessages(hub.emulators.resources.ingestQueueUrl);
    // Assess
    expect(answer.statusCode).toBe(200);
    expect(queuedMeanwhile).toEqual([]);
    expect(spilled).toEqual([expect.stringMatching(/^spill\/conv_[0-9a-f]+\/[0-9a-f]{64}\.json$/)]);
    const events = messages.map((message) => HubEventSchema.parse(JSON.parse(message.Body ?? '')));
    expect(events.map((event) => event.type)).toContain('switchboard.message.received');
    expect(events.map((event) => event.type)).toContain('switchboard.contact.consent_changed');
    for (const [index, message] of messages.entries()) {
      expect(message.Attributes?.MessageGroupId).toBe(events[index]?.subject);
      expect(message.Attributes?.MessageDeduplicationId).toBe(events[index]?.id);
    }
    expect(await spillKeys()).toEqual([]);
    // Act: the recorder's batch of what the drain queued
    const restoreDlq = useHubEnvironment({
      SWITCHBOARD_INGEST_DLQ_URL: hub.emulators.resources.ingestDlqUrl,
      SWITCHBOARD_PSEUDONYM_KEY_ARN: 'local',
    });
    let recorded: SQSBatchResponse;
    try {
      const { handler: recorder } = await import('#functions/recorder.ts');
      recorded = (await recorder(
        { Records: messages.map((message) => toSqsRecord(message, INGEST_QUEUE_ARN, LOCAL_REGION)) },
        lambdaContext(),
      )) as SQSBatchResponse;
    } finally {
      restoreDlq();
    }
    const told = await takeMessages(hub.emulators.resources.helpdeskQueueUrl);
    // Assess: recorded, the opt-out told to the helpdesk
    expect(recorded.batchItemFailures).toEqual([]);
    const toldTypes = told.map((message) => HubEventSchema.parse(JSON.parse(message.Body ?? '')).type);
    expect(toldTypes).toContain('switchboard.contact.consent_changed');
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { main as replayMain } from '#shared/cli/replay.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { listConversations } from '#shared/local/conversations.ts';
import { localClients } from '#shared/local/emulators.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import { queueDepth } from '#shared/local/queue-depth.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample, signedRequestFor } from '#shared/local/samples.ts';

/** One inbound message per channel, with the events its golden file says it produces. */
const SAMPLE_PATHS = {
  messenger: join(DEFAULT_EVENTS_DIR, 'messenger/text.json'),
  whatsapp: join(DEFAULT_EVENTS_DIR, 'whatsapp/text.json'),
  sms: join(DEFAULT_EVENTS_DIR, 'sms/sms-inbound.json'),
  email: join(DEFAULT_EVENTS_DIR, 'email/plain-text.eml'),
} as const;

const ExpectedSchema = z.union([
  z.array(z.looseObject({ id: z.string(), type: z.string(), subject: z.string() })),
  z.looseObject({
    events: z.array(z.looseObject({ id: z.string(), type: z.string(), subject: z.string() })),
  }),
]);

const expectedEventsOf = (sample: Sample) => {
  const parsed = ExpectedSchema.parse(
    JSON.parse(readFileSync(sample.path.replace(/\.(json|eml)$/, '.expected.json'), 'utf8')),
  );
  return Array.isArray(parsed) ? parsed : parsed.events;
};

const sampleAt = (path: string): Sample => {
  const [sample] = collectSamples([path]).samples;
  if (!sample) throw new Error(`no sample at ${path}`);
  return sample;
};

const post = async (hub: LocalHub, sample: Sample, tamper = false) => {
  const request = signedRequestFor(sample, {
    targetBaseUrl: hub.urls.base,
    secrets: LOCAL_DEV_SECRETS,
    tamper,
  });
  return fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
};

/** Reads (and deletes) everything on the helpdesk queue, over the SQS protocol at the printed endpoint. */
const drainHelpdesk = async (hub: LocalHub) => {
  const sqs = new SQSClient({
    endpoint: hub.endpoints.sqs,
    region: hub.region,
    credentials: hub.credentials,
  });
  const bodies: string[] = [];
  try {
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: hub.resources.helpdeskQueueUrl, MaxNumberOfMessages: 10 }),
      );
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((message) => message.Body ?? ''));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: hub.resources.helpdeskQueueUrl,
          Entries: Messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
    }
  } finally {
    sqs.destroy();
  }
};

const conversationIdsIn = async (hub: LocalHub): Promise<string[]> => {
  const clients = localClients(hub.endpoints);
  try {
    return (await listConversations(clients.dynamodb, hub.resources.tableName)).map(
      (state) => state.conversationId,
    );
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
};

describe('local hub end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-hub-'));
  let hub: LocalHub;
  const start = () => startLocalHub({ port: 0, dataDir, pollWaitSeconds: 1, retryVisibilitySeconds: 1 });

  beforeAll(async () => {
    hub = await start();
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loads every webhook function and the recorder', () => {
    expect(hub.missingFunctions).toEqual([]);
    expect(hub.urls.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers the Meta subscription handshake', async () => {
    // Prepare
    const query = `hub.mode=subscribe&hub.verify_token=${LOCAL_DEV_SECRETS.meta.verifyToken}&hub.challenge=1158201444`;
    // Act
    const accepted = await fetch(`${hub.urls.base}/webhooks/whatsapp?${query}`);
    const refused = await fetch(
      `${hub.urls.base}/webhooks/messenger?${query.replace('local-verify-token', 'nope')}`,
    );
    // Assess
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toBe('1158201444');
    expect(refused.status).toBe(403);
  });

  it('answers unknown routes with API Gateway 404 JSON', async () => {
    // Act
    const response = await fetch(`${hub.urls.base}/webhooks/telegram`, { method: 'POST', body: '{}' });
    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it.each(Object.entries(SAMPLE_PATHS))(
    'takes a signed %s sample through to the helpdesk queue and DynamoDB',
    async (_channel, path) => {
      // Prepare
      const sample = sampleAt(path);
      const expected = expectedEventsOf(sample);
      // Act
      const response = await post(hub, sample);
      const settled = await hub.waitForRecorder(30_000);
      const bodies = await drainHelpdesk(hub);
      const conversations = await conversationIdsIn(hub);
      // Assess
      expect(response.status).toBe(200);
      expect(settled).toBe(true);
      const delivered = bodies.map((body) => HubEventSchema.parse(JSON.parse(body)));
      const deliveredIds = delivered.map((event) => event.id);
      for (const event of expected) expect(deliveredIds).toContain(event.id);
      expect(delivered.some((event) => event.type === 'switchboard.conversation.state_changed')).toBe(true);
      const messageEvent = expected.find((event) => event.type === 'switchboard.message.received');
      expect(conversations).toContain(messageEvent?.subject);
    },
  );

  it('refuses a tampered signature and queues nothing', async () => {
    // Prepare
    const sample = sampleAt(join(DEFAULT_EVENTS_DIR, 'sms/help.json'));
    await drainHelpdesk(hub);
    // Act
    const responses = await Promise.all([
      post(hub, sample, true),
      post(hub, sampleAt(SAMPLE_PATHS.whatsapp), true),
      post(hub, sampleAt(SAMPLE_PATHS.email), true),
    ]);
    await hub.waitForRecorder(10_000);
    const { sqs } = localClients(hub.endpoints);
    const ingestDepth = await queueDepth(sqs, hub.resources.ingestQueueUrl);
    sqs.destroy();
    // Assess
    for (const response of responses) expect([401, 403]).toContain(response.status);
    expect(ingestDepth).toBe(0);
    // The sweeper may meanwhile report the earlier samples' customers (who wrote long ago) as overdue.
    const arrived = (await drainHelpdesk(hub)).map((body) => HubEventSchema.parse(JSON.parse(body)));
    expect(arrived.filter((event) => event.type !== 'switchboard.conversation.response_overdue')).toEqual([]);
  });

  it('replays a folder through the replay CLI and summarizes', async () => {
    // Prepare
    const output = memoryOutput();
    // Act
    const code = await replayMain([join(DEFAULT_EVENTS_DIR, 'sms'), '--target', hub.urls.base], output);
    // Assess
    expect(code).toBe(0);
    const summary = output.lines.find((line) => line.startsWith('sent '));
    expect(summary).toMatch(/^sent (\d+), accepted \1, rejected 0$/);
    expect(output.lines.some((line) => /new event\(s\) on the helpdesk queue/.test(line))).toBe(true);
    expect(output.lines.join('\n')).not.toContain('+1555');
  });

  it('keeps conversations across a restart with the same data folder', async () => {
    // Prepare
    const before = await conversationIdsIn(hub);
    // Act
    await hub.stop();
    hub = await start();
    const after = await conversationIdsIn(hub);
    // Assess
    expect(before.length).toBeGreaterThan(0);
    expect(after.sort()).toEqual(before.sort());
  });

  it('still takes webhooks after the restart', async () => {
    // Act
    const response = await post(hub, sampleAt(join(DEFAULT_EVENTS_DIR, 'whatsapp/image.json')));
    const settled = await hub.waitForRecorder(30_000);
    const bodies = await drainHelpdesk(hub);
    // Assess
    expect(response.status).toBe(200);
    expect(settled).toBe(true);
    expect(bodies.length).toBeGreaterThan(0);
  });
});

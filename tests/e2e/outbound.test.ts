import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { COMMAND_TYPES, type OutboundPart } from '#shared/contract/commands.ts';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample, signedRequestFor } from '#shared/local/samples.ts';
import { collectHelpdeskUntil, takeHelpdeskEvents } from '#tests/support/helpdesk-queue.ts';

/*
 * Two-way, end to end on the local hub: a customer's message arrives through a signed webhook, the
 * helpdesk answers on the outbox, the real sender calls the simulated provider over HTTP, and the
 * provider's statuses come back through the hub's own webhooks, carrying the hub message.
 */

/** A sample whose provider times are now: the customer just wrote, so the reply window is open. */
const freshSample = (relativePath: string): Sample => {
  const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, relativePath)]).samples;
  if (!sample) throw new Error(`no sample ${relativePath}`);
  const nowMs = Date.now();
  const text = sample.payload
    .toString('utf8')
    .replace(/"timestamp":\s*"\d{10}"/g, `"timestamp":"${Math.floor(nowMs / 1000)}"`)
    .replace(/"(timestamp|time)":\s*\d{13}/g, (_match, key: string) => `"${key}":${nowMs}`);
  return { ...sample, payload: Buffer.from(text, 'utf8') };
};

describe('outbound end to end', () => {
  let hub: LocalHub;
  let sqs: SQSClient;

  beforeAll(async () => {
    hub = await startLocalHub({
      inMemory: true,
      port: 0,
      pollWaitSeconds: 1,
      retryVisibilitySeconds: 1,
      providerStatusDelaysMs: { sent: 20, delivered: 40, read: 60 },
    });
    sqs = new SQSClient({ endpoint: hub.endpoints.sqs, region: hub.region, credentials: hub.credentials });
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    await hub?.stop();
  });

  const post = async (sample: Sample) => {
    const request = signedRequestFor(sample, { targetBaseUrl: hub.urls.base, secrets: LOCAL_DEV_SECRETS });
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    expect(response.status).toBeLessThan(300);
  };

  const takeHelpdesk = () => takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl);

  const collectUntil = (done: (events: HubEvent[]) => boolean) =>
    collectHelpdeskUntil(sqs, hub.resources.helpdeskQueueUrl, done);

  const sendCommand = async (conversationId: string, key: string, parts: OutboundPart[]) => {
    const command = {
      specversion: '1.0',
      id: `e2e-${key}`,
      source: 'helpdesk:e2e',
      type: COMMAND_TYPES.sendMessage,
      data: { idempotencyKey: key, conversationId, parts, sender: { kind: 'agent', id: 'agent-1' } },
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: hub.resources.outboxQueueUrl,
        MessageBody: JSON.stringify(command),
        MessageGroupId: conversationId,
        MessageDeduplicationId: key,
      }),
    );
    return outboundHubMessageId(conversationId, key);
  };

  /** The customer writes; the helpdesk sees the conversation. */
  const customerWrites = async (sample: Sample): Promise<string> => {
    await takeHelpdesk();
    await post(sample);
    const events = await collectUntil((seen) =>
      seen.some((event) => event.type === 'switchboard.message.received'),
    );
    const received = events.find((event) => event.type === 'switchboard.message.received');
    if (!received?.subject) throw new Error('no message.received');
    return received.subject;
  };

  it.each([
    {
      channel: 'whatsapp',
      sample: 'whatsapp/text.json',
      provider: 'whatsapp',
      path: /^\/v\d+\.\d+\/\d+\/messages$/,
      statuses: ['sent', 'delivered', 'read'],
      correlated: true,
    },
    {
      channel: 'messenger',
      sample: 'messenger/text.json',
      provider: 'messenger',
      path: /^\/v\d+\.\d+\/\d+\/messages$/,
      statuses: ['delivered', 'read'],
      // Messenger's deliveries and reads are watermarks: they name no message.
      correlated: false,
    },
    {
      channel: 'sms',
      sample: 'sms/sms-inbound.json',
      provider: 'twilio',
      path: /^\/2010-04-01\/Accounts\/AC\w+\/Messages\.json$/,
      statuses: ['sent', 'delivered'],
      correlated: true,
    },
  ])(
    '$channel: one provider request, one message.sent, and statuses that name the hub message',
    async ({ sample, provider, path, statuses, correlated }) => {
      // Prepare
      const conversationId = await customerWrites(freshSample(sample));
      const before = hub.providers?.requests().length ?? 0;
      // Act
      const hubMessageId = await sendCommand(conversationId, `reply-${sample}`, [
        { type: 'text', text: 'Thanks for writing, we are on it.' },
      ]);
      const events = await collectUntil(
        (seen) =>
          seen.some((event) => event.type === 'switchboard.message.sent') &&
          statuses.every((status) =>
            seen.some(
              (event) => event.type === 'switchboard.message.status_updated' && event.data.status === status,
            ),
          ),
      );
      // Assess
      const calls = (hub.providers?.requests() ?? [])
        .slice(before)
        .filter((request) => request.provider === provider && path.test(request.path));
      expect(calls).toHaveLength(1);
      const sent = events.filter((event) => event.type === 'switchboard.message.sent');
      expect(sent).toHaveLength(1);
      expect(sent[0]?.data).toMatchObject({ hubMessageId, sentBy: 'hub', conversationId });
      const updates = events.filter((event) => event.type === 'switchboard.message.status_updated');
      for (const status of statuses) {
        const update = updates.find(
          (event) => event.type === 'switchboard.message.status_updated' && event.data.status === status,
        );
        expect(update, status).toBeDefined();
        if (correlated && update?.type === 'switchboard.message.status_updated') {
          expect(update.data.correlationId).toBe(`${hubMessageId}.0`);
        }
      }
      // The echo of a Messenger send is the hub's own message: never a second message.sent.
      expect(events.filter((event) => event.type === 'switchboard.message.sent')).toHaveLength(1);
    },
    60_000,
  );

  it('e-mail through Mailgun: one provider request, threaded to the customer message', async () => {
    // Prepare
    const conversationId = await customerWrites(freshSample('email/plain-text.eml'));
    const before = hub.providers?.requests().length ?? 0;
    // Act
    const hubMessageId = await sendCommand(conversationId, 'reply-email', [
      { type: 'text', text: 'Hello again.' },
    ]);
    const events = await collectUntil((seen) =>
      seen.some((event) => event.type === 'switchboard.message.sent'),
    );
    // Assess
    const calls = (hub.providers?.requests() ?? [])
      .slice(before)
      .filter((request) => request.provider === 'mailgun');
    expect(calls).toHaveLength(1);
    const sent = events.find((event) => event.type === 'switchboard.message.sent');
    expect(sent?.data).toMatchObject({ hubMessageId, sentBy: 'hub', provider: 'mailgun' });
    if (sent?.type === 'switchboard.message.sent') {
      expect(sent.data.email?.subject).toMatch(/^Re: /);
      expect(sent.data.email?.inReplyTo).toBeDefined();
      expect(sent.data.email?.replyTo[0]?.address).toMatch(/\+conv_[0-9a-f]{32}\.[0-9a-f]{16}@/);
    }
  }, 60_000);
});

import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { COMMAND_TYPES, type OutboundPart } from '#shared/contract/commands.ts';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { type LocalHub, type LocalHubOptions, startLocalHub } from '#shared/local/hub.ts';
import { collectSamples, DEFAULT_EVENTS_DIR, type Sample, signedRequestFor } from '#shared/local/samples.ts';
import { collectHelpdeskUntil, takeHelpdeskEvents } from './helpdesk-queue.ts';

/*
 * A local hub as the two-way end-to-end tests drive it: signed customer webhooks in, commands on the
 * outbox, events taken from the helpdesk queue as a helpdesk would.
 */

/** A sample whose provider times are now: the customer just wrote, so the reply window is open. */
export const freshSample = (relativePath: string): Sample => {
  const [sample] = collectSamples([join(DEFAULT_EVENTS_DIR, relativePath)]).samples;
  if (!sample) throw new Error(`no sample ${relativePath}`);
  const nowMs = Date.now();
  const text = sample.payload
    .toString('utf8')
    .replace(/"timestamp":\s*"\d{10}"/g, `"timestamp":"${Math.floor(nowMs / 1000)}"`)
    .replace(/"(timestamp|time)":\s*\d{13}/g, (_match, key: string) => `"${key}":${nowMs}`);
  return { ...sample, payload: Buffer.from(text, 'utf8') };
};

export interface HubSession {
  readonly hub: LocalHub;
  readonly sqs: SQSClient;
  /** Posts a sample, signed as its provider would; expects a 2xx. */
  post(sample: Sample): Promise<void>;
  takeHelpdesk(): Promise<HubEvent[]>;
  collectUntil(done: (events: HubEvent[]) => boolean): Promise<HubEvent[]>;
  /** Queues a send command by an agent; returns the hub message id it will have. */
  sendCommand(conversationId: string, key: string, parts: OutboundPart[]): Promise<string>;
  /** The customer writes; returns the conversation id the helpdesk saw it under. */
  customerWrites(sample: Sample): Promise<string>;
  stop(): Promise<void>;
}

export const startHubSession = async (options: LocalHubOptions = {}): Promise<HubSession> => {
  const hub = await startLocalHub({
    inMemory: true,
    port: 0,
    pollWaitSeconds: 1,
    retryVisibilitySeconds: 1,
    providerStatusDelaysMs: { sent: 20, delivered: 40, read: 60 },
    ...options,
  });
  const sqs = new SQSClient({
    endpoint: hub.endpoints.sqs,
    region: hub.region,
    credentials: hub.credentials,
  });
  const takeHelpdesk = () => takeHelpdeskEvents(sqs, hub.resources.helpdeskQueueUrl);
  const collectUntil = (done: (events: HubEvent[]) => boolean) =>
    collectHelpdeskUntil(sqs, hub.resources.helpdeskQueueUrl, done);
  const post = async (sample: Sample) => {
    const request = signedRequestFor(sample, { targetBaseUrl: hub.urls.base, secrets: LOCAL_DEV_SECRETS });
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    expect(response.status).toBeLessThan(300);
  };
  return {
    hub,
    sqs,
    post,
    takeHelpdesk,
    collectUntil,
    async sendCommand(conversationId, key, parts) {
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
          MessageDeduplicationId: `${key}-${Date.now()}`,
        }),
      );
      return outboundHubMessageId(conversationId, key);
    },
    async customerWrites(sample) {
      await takeHelpdesk();
      await post(sample);
      const events = await collectUntil((seen) =>
        seen.some((event) => event.type === 'switchboard.message.received'),
      );
      const received = events.find((event) => event.type === 'switchboard.message.received');
      if (!received?.subject) throw new Error('no message.received');
      return received.subject;
    },
    async stop() {
      sqs.destroy();
      await hub.stop();
    },
  };
};

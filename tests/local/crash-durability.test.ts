import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { WebhookRequest } from '#shared/channels/inbound.ts';
import { handleTwilioWebhook } from '#shared/channels/sms/inbound/webhook.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { fetchHubInfo, type HubInfo } from '#shared/local/hub-info.ts';
import { queueDepth } from '#shared/local/queue-depth.ts';
import {
  collectSamples,
  DEFAULT_EVENTS_DIR,
  type OutgoingRequest,
  type Sample,
  signedRequestFor,
} from '#shared/local/samples.ts';

/**
 * Kills a local hub with SIGKILL while webhooks pour in, starts it again on the same data folder and
 * checks that every event of every acknowledged request reached the helpdesk queue: a 2xx is a
 * promise the hub must keep, crash or not.
 */

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const HUB_PROCESS = join(import.meta.dirname, 'fixtures/hub-process.ts');
const REQUESTS = 600;
const IN_FLIGHT = 16;
/** SIGKILL once this many requests were acknowledged: mid-load, with the recorder behind. */
const KILL_AFTER_ACKS = 250;
/** Distinct customers per channel: FIFO groups the recorder works through in parallel. */
const CUSTOMERS = 40;

interface HubProcess {
  readonly child: ChildProcess;
  readonly info: HubInfo;
  readonly base: string;
  readonly exited: Promise<void>;
}

const ReadyLineSchema = z.object({ base: z.string() });

const startHubProcess = async (dataDir: string): Promise<HubProcess> => {
  const child = spawn(process.execPath, ['--import', 'tsx', HUB_PROCESS, '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWITCHBOARD_LOG_LEVEL: 'error' },
  });
  const { stdout } = child;
  if (!stdout) throw new Error('hub process has no stdout');
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const firstLine = await new Promise<string>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error('hub process not ready in 60 s')), 60_000);
    createInterface({ input: stdout }).once('line', (line) => {
      clearTimeout(timer);
      ready(line);
    });
    void exited.then(() => {
      clearTimeout(timer);
      fail(new Error(`hub process exited before it was ready:\n${stderr.join('')}`));
    });
  });
  const { base } = ReadyLineSchema.parse(JSON.parse(firstLine));
  const info = await fetchHubInfo(base);
  if (!info) throw new Error(`no hub description at ${base}`);
  return { child, info, base, exited };
};

const killHard = async (hub: HubProcess): Promise<void> => {
  if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
  await hub.exited;
};

const sqsClientFor = (info: HubInfo) =>
  new SQSClient({ endpoint: info.endpoints.sqs, region: info.region, credentials: info.credentials });

const sampleAt = (path: string): Sample => {
  const [sample] = collectSamples([path]).samples;
  if (!sample) throw new Error(`no sample at ${path}`);
  return sample;
};

/** Another inbound SMS: its own MessageSid, one of CUSTOMERS senders. */
const smsCopy = (sample: Sample, copy: number): Sample => {
  const params = z.record(z.string(), z.string()).parse(JSON.parse(sample.payload.toString('utf8')));
  const sid = `SM${copy.toString(16).padStart(32, '0')}`;
  return {
    ...sample,
    name: `${sample.name}#${copy}`,
    payload: Buffer.from(
      JSON.stringify({
        ...params,
        MessageSid: sid,
        SmsSid: sid,
        SmsMessageSid: sid,
        From: `+1415555${String(1000 + (copy % CUSTOMERS))}`,
      }),
    ),
  };
};

/** Another inbound WhatsApp text: its own wamid, one of CUSTOMERS senders. */
const whatsAppCopy = (sample: Sample, copy: number): Sample => {
  const text = sample.payload.toString('utf8');
  const wamid = /"(wamid\.[^"]+)"/.exec(text)?.[1];
  const waId = /"wa_id":\s*"(\d+)"/.exec(text)?.[1];
  if (!wamid || !waId) throw new Error(`${sample.name} has no wamid or wa_id`);
  return {
    ...sample,
    name: `${sample.name}#${copy}`,
    payload: Buffer.from(
      text
        .replaceAll(wamid, `wamid.crash${String(copy).padStart(8, '0')}`)
        .replaceAll(waId, `4915100000${String(copy % CUSTOMERS).padStart(3, '0')}`),
    ),
  };
};

const toWebhookRequest = (outgoing: OutgoingRequest): WebhookRequest => {
  const url = new URL(outgoing.url);
  return {
    method: 'POST',
    path: url.pathname,
    rawQueryString: '',
    headers: Object.fromEntries(
      Object.entries({ ...outgoing.headers, host: url.host }).map(([name, value]) => [
        name.toLowerCase(),
        value,
      ]),
    ),
    body: outgoing.body,
    receivedAt: new Date(),
  };
};

interface Job {
  readonly request: OutgoingRequest;
  /** The events the hub derives from it: adapters are pure, event ids deterministic. */
  readonly eventIds: readonly string[];
}

const buildJobs = (base: string): Job[] => {
  const sms = sampleAt(join(DEFAULT_EVENTS_DIR, 'sms/sms-inbound.json'));
  const whatsapp = sampleAt(join(DEFAULT_EVENTS_DIR, 'whatsapp/text.json'));
  return Array.from({ length: REQUESTS }, (_, copy) => {
    const sample = copy % 2 === 0 ? smsCopy(sms, copy) : whatsAppCopy(whatsapp, copy);
    const request = signedRequestFor(sample, { targetBaseUrl: base, secrets: LOCAL_DEV_SECRETS });
    const outcome =
      sample.channel === 'sms'
        ? handleTwilioWebhook(toWebhookRequest(request), {
            secrets: LOCAL_DEV_SECRETS,
            publicUrl: request.url,
          })
        : handleWhatsAppWebhook(toWebhookRequest(request), { secrets: LOCAL_DEV_SECRETS });
    if (outcome.kind !== 'accept' || outcome.events.length === 0)
      throw new Error(`${sample.name} yields no event`);
    return { request, eventIds: outcome.events.map((event) => event.id) };
  });
};

/** Posts the jobs IN_FLIGHT at a time and SIGKILLs the hub after KILL_AFTER_ACKS acknowledgements. */
const postUntilKilled = async (jobs: readonly Job[], hub: HubProcess) => {
  const acknowledged: Job[] = [];
  let next = 0;
  let killed = false;
  const worker = async () => {
    while (!killed && next < jobs.length) {
      const job = jobs[next++] as Job;
      try {
        const response = await fetch(job.request.url, {
          method: 'POST',
          headers: job.request.headers,
          body: job.request.body,
        });
        await response.arrayBuffer();
        if (response.status >= 200 && response.status < 300) acknowledged.push(job);
      } catch {
        // Refused or cut off by the kill: never acknowledged, so nothing was promised.
      }
      if (!killed && acknowledged.length >= KILL_AFTER_ACKS) {
        killed = true;
        hub.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
  return { acknowledged, sent: next };
};

/** A helpdesk consumer: receives, remembers each event id, deletes. */
const readHelpdesk = async (sqs: SQSClient, info: HubInfo, seen: Set<string>): Promise<number> => {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: info.resources.helpdeskQueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      // A receive cut off by the kill comes back soon after the restart.
      VisibilityTimeout: 2,
    }),
  );
  for (const message of Messages) {
    seen.add(z.object({ id: z.string() }).parse(JSON.parse(message.Body ?? '{}')).id);
  }
  if (Messages.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: info.resources.helpdeskQueueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
  return Messages.length;
};

const consumeWhileAlive = (hub: HubProcess, seen: Set<string>): Promise<void> => {
  const sqs = sqsClientFor(hub.info);
  return (async () => {
    while (hub.child.exitCode === null && hub.child.signalCode === null) {
      await readHelpdesk(sqs, hub.info, seen).catch(() => 0);
    }
  })().finally(() => sqs.destroy());
};

/** Reads the helpdesk queue until the recorder has emptied the ingest queue and nothing is left anywhere. */
const drainAfterRestart = async (hub: HubProcess, seen: Set<string>, timeoutMs: number): Promise<boolean> => {
  const sqs = sqsClientFor(hub.info);
  const { ingestQueueUrl, helpdeskQueueUrl } = hub.info.resources;
  const deadline = Date.now() + timeoutMs;
  try {
    let quietRounds = 0;
    while (Date.now() < deadline) {
      const read = await readHelpdesk(sqs, hub.info, seen);
      const left = (await queueDepth(sqs, ingestQueueUrl)) + (await queueDepth(sqs, helpdeskQueueUrl));
      quietRounds = read === 0 && left === 0 ? quietRounds + 1 : 0;
      if (quietRounds >= 2) return true;
    }
    return false;
  } finally {
    sqs.destroy();
  }
};

describe('local hub killed with SIGKILL under load', () => {
  const started: HubProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-crash-'));

  afterEach(async () => {
    await Promise.all(started.map((hub) => killHard(hub)));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every event it acknowledged once restarted on the same data folder', async () => {
    // Prepare
    const first = await startHubProcess(dataDir);
    started.push(first);
    const jobs = buildJobs(first.base);
    const seen = new Set<string>();
    const consumer = consumeWhileAlive(first, seen);

    // Act
    const { acknowledged, sent } = await postUntilKilled(jobs, first);
    await first.exited;
    await consumer;
    const seenBeforeRestart = seen.size;
    const second = await startHubProcess(dataDir);
    started.push(second);
    const drained = await drainAfterRestart(second, seen, 90_000);

    // Assess
    const expected = acknowledged.flatMap((job) => job.eventIds);
    const missing = expected.filter((id) => !seen.has(id));
    console.info(
      `crash test: ${sent} sent, ${acknowledged.length} acknowledged, ${expected.length} events expected, ` +
        `${expected.length - missing.length} found (${seenBeforeRestart} read before the kill), ${missing.length} lost`,
    );
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(sent).toBeLessThan(jobs.length);
    expect(drained).toBe(true);
    expect({ lost: missing.length, someLost: missing.slice(0, 5) }).toEqual({ lost: 0, someLost: [] });
  }, 240_000);
});

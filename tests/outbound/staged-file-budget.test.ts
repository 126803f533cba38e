import type { SQSBatchResponse } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { MediaObjects } from '#shared/aws/media-objects.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { createMailgunSender } from '#shared/channels/email/outbound/mailgun-sender.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import { isMessageEvent } from '#shared/domain/conversation.ts';
import type { ChannelSender } from '#shared/outbound/channel-sender.ts';
import { createStagingBudget, stagingBudgetBytes } from '#shared/outbound/staging-budget.ts';
import {
  HARNESS_LIMITS,
  outcomesOf,
  receivedCommand,
  sendCommand,
  T0,
  useOutboundHarness,
} from './harness.ts';

/*
 * An e-mail reply reads its files whole and holds them, with the MIME and the request body made of
 * them, until the provider answers; the batch's conversations send at once. Before the staging
 * budget a batch of replies with large files read them all at once (a review measured 500–616 MB
 * in the 512 MB sender), and a crash there left every command with a noted attempt, to end
 * `outcome_unknown` though nothing went. Now a send takes its files' bytes from the environment's
 * budget before it reads them and gives them back when its call ends.
 */

const REPLY_TAG_KEY = 'test-reply-tag-key-of-at-least-32-characters';
const MiB = 1024 * 1024;

/** Customer `n` mails support@ (through Mailgun): the conversation a reply goes to. */
const customerMails = async (n: number) => {
  const receivedAt = new Date(T0.getTime() - 10 * 60_000);
  const raw = Buffer.from(
    [
      `From: Customer ${n} <customer${n}@customer.example>`,
      'To: support@acme.example',
      `Subject: Invoice ${n}`,
      `Message-ID: <mail-${n}@customer.example>`,
      `Date: ${receivedAt.toUTCString()}`,
      '',
      'please send the invoice',
    ].join('\r\n'),
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt,
    envelopeRecipients: ['support@acme.example'],
    replyTagKey: REPLY_TAG_KEY,
  });
  const [event] = events;
  if (event === undefined || !isMessageEvent(event)) throw new Error('no message event');
  return event;
};

/**
 * A bucket of files of `bytes` each, read as fresh memory (as S3's GetObject gives it): counts the
 * bytes read and not yet through their provider call, and the most there ever were.
 */
const largeFiles = (bytes: number) => {
  const memory = { inFlight: 0, most: 0, reads: 0 };
  const objects: MediaObjects = {
    head: async () => ({ bytes, contentType: 'application/pdf' }),
    read: async () => {
      memory.reads += 1;
      memory.inFlight += bytes;
      memory.most = Math.max(memory.most, memory.inFlight);
      // S3's answer arrives a moment later: reads that were let through overlap.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return new Uint8Array(bytes).fill(37);
    },
    open: async () => {
      throw new Error('an e-mail never streams its files');
    },
    presignGet: async () => 'unused',
    presignPut: async () => 'unused',
  };
  return { objects, memory };
};

/** A text and customer `n`'s invoice, a file of the bucket. */
const reply = (n: number): [OutboundPart, OutboundPart] => [
  { type: 'text', text: 'Your invoice is attached.' },
  {
    type: 'media',
    kind: 'file',
    source: { s3Key: `media/outbound/${'a'.repeat(31)}${n}/file.pdf` },
    filename: `invoice-${n}.pdf`,
  },
];

/** The real Mailgun sender against a Mailgun that answers each request after a moment. */
const mailgun = (onAnswered: (body: number) => void): ChannelSender =>
  createMailgunSender({
    apiBaseUrl: 'https://api.mailgun.test',
    domain: 'acme.example',
    apiKey: 'key-test',
    timeoutMs: 5_000,
    fetch: (async (_url: string, init: RequestInit) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      onAnswered((init.body as Uint8Array).byteLength);
      return new Response(JSON.stringify({ id: '<queued@acme.example>', message: 'Queued. Thank you.' }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof fetch,
  });

describe('the staging budget of e-mail replies with files', () => {
  const hub = useOutboundHarness();

  it('holds the files of a batch of replies within the budget, and sends them all', async () => {
    // Prepare: six conversations, each answered with a 3 MiB file; a budget of two such files
    const fileBytes = 3 * MiB;
    const budget = 7 * MiB;
    const { objects, memory } = largeFiles(fileBytes);
    const requestBodies: number[] = [];
    const real = mailgun((body) => requestBodies.push(body));
    const provider = hub.provider.sender as { -readonly [K in keyof ChannelSender]: ChannelSender[K] };
    const { prepare, send } = provider;
    provider.prepare = real.prepare;
    provider.send = async (message, context) => {
      const outcome = await real.send(message, context);
      hub.provider.calls.push({ message, context });
      // The call is over: its files, MIME and body may go.
      memory.inFlight -= fileBytes * (message.attachments?.length ?? 0);
      return outcome;
    };
    const customers = [1, 2, 3, 4, 5, 6];
    for (const n of customers) {
      const mail = await customerMails(n);
      await hub.pipeline.ingest([mail]);
      await hub.pipeline.drain();
      await hub.pipeline.takeHelpdesk();
      await hub.enqueue(sendCommand(mail.subject, `invoice-${n}`, reply(n)));
    }
    let totals: { received: number; failed: number } | undefined;
    try {
      // Act: one batch of all six conversations, sent concurrently
      totals = await hub.runOutbox(
        hub.sender(undefined, { mediaObjects: objects, stagingBudgetBytes: budget }),
      );
    } finally {
      provider.prepare = prepare;
      provider.send = send;
    }
    // Assess: never more than the budget's two files read and unsent; every reply sent once, whole
    // Each waited its turn within its one receive: none was sent back.
    expect(totals).toEqual({ received: customers.length, failed: 0 });
    expect(memory.reads).toBe(customers.length);
    expect(memory.most).toBeGreaterThan(0);
    expect(memory.most).toBeLessThanOrEqual(budget);
    expect(memory.inFlight).toBe(0);
    expect(requestBodies).toHaveLength(customers.length);
    for (const body of requestBodies) expect(body).toBeGreaterThan(fileBytes);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(customers.map(() => 'switchboard.message.sent'));
  });
});

describe('a reply that cannot get the budget in time', () => {
  const hub = useOutboundHarness();

  it('goes back to its queue with nothing noted, leaving the invocation its last minRemainingMs', async () => {
    // Prepare: two replies with a 3 MiB file, a budget of one; the first's call takes 300 ms and
    // the invocation has 50 ms to spare past the 12 s a call needs
    const fileBytes = 3 * MiB;
    const { objects, memory } = largeFiles(fileBytes);
    const provider = hub.provider.sender as { -readonly [K in keyof ChannelSender]: ChannelSender[K] };
    const { prepare, send } = provider;
    const real = mailgun(() => {});
    provider.prepare = real.prepare;
    provider.send = async (message, context) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      hub.provider.calls.push({ message, context });
      return real.send(message, context);
    };
    const commands = [];
    for (const n of [7, 8]) {
      const mail = await customerMails(n);
      await hub.pipeline.ingest([mail]);
      await hub.pipeline.drain();
      await hub.pipeline.takeHelpdesk();
      commands.push(sendCommand(mail.subject, `invoice-${n}`, [reply(n)[1]]));
    }
    const sender = hub.sender(undefined, {
      mediaObjects: objects,
      stagingBudgetBytes: fileBytes,
      endpointTurn: () => ({ waitMs: 0 }),
      limits: { ...HARNESS_LIMITS, minRemainingMs: 12_000 },
    });
    let response: SQSBatchResponse | undefined;
    try {
      // Act
      response = await sender.handleSqsEvent(
        { Records: commands.map((command) => receivedCommand(command, 1)) },
        () => 12_050,
      );
    } finally {
      provider.prepare = prepare;
      provider.send = send;
    }
    // Assess: one sent; the other sent back before it read its file, no attempt noted, no outcome
    expect(hub.provider.calls).toHaveLength(1);
    expect(memory.reads).toBe(1);
    expect(response?.batchItemFailures).toHaveLength(1);
    const waited = commands.find(
      (command) => response?.batchItemFailures[0]?.itemIdentifier === receivedCommand(command, 1).messageId,
    );
    if (waited === undefined) throw new Error('no command was sent back');
    const record = await hub.sends.get(
      outboundHubMessageId(waited.data.conversationId, waited.data.idempotencyKey),
    );
    expect(record?.state).toBe('sending');
    expect(record?.inFlight).toBeUndefined();
    expect(outcomesOf(await hub.pipeline.takeHelpdesk())).toHaveLength(1);
  });
});

describe('the staging budget', () => {
  it('lets sends in while their bytes fit, in the order they asked, and a larger one alone', async () => {
    // Prepare: a budget of 10 bytes, 6 of them taken
    const budget = createStagingBudget(10);
    const first = await budget.take(6, 0);
    const order: string[] = [];
    // Act: a send of 20 (more than the whole budget) asks, then one of 2 that would fit beside the first
    const large = budget.take(20, 1_000).then((release) => {
      order.push('large');
      return release;
    });
    const small = budget.take(2, 1_000).then((release) => {
      order.push('small');
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const waitingBehindFirst = [...order];
    first?.();
    const releaseLarge = await large;
    await new Promise((resolve) => setTimeout(resolve, 10));
    const inFlightWithLarge = budget.inFlight();
    const waitingBehindLarge = [...order];
    releaseLarge?.();
    (await small)?.();
    // Assess: the large one waited for the first and ran alone; the small one did not pass it
    expect(waitingBehindFirst).toEqual([]);
    expect(inFlightWithLarge).toBe(20);
    expect(waitingBehindLarge).toEqual(['large']);
    expect(order).toEqual(['large', 'small']);
    expect(budget.inFlight()).toBe(0);
  });

  it('gives up a wait that runs out, taking nothing, and lets the ones behind it in', async () => {
    // Prepare: 8 of 10 bytes taken
    const budget = createStagingBudget(10);
    const held = await budget.take(8, 0);
    // Act: 5 bytes wait 20 ms, 2 bytes behind them wait longer
    const tooLate = await Promise.all([budget.take(5, 20), budget.take(2, 1_000)]);
    // Assess
    expect(tooLate[0]).toBeUndefined();
    expect(tooLate[1]).toBeTypeOf('function');
    expect(budget.inFlight()).toBe(10);
    held?.();
    tooLate[1]?.();
    expect(budget.inFlight()).toBe(0);
  });

  it('is what the memory leaves past the environment, at 10 bytes of memory per byte of files', () => {
    // Act / Assess: 512 MB leaves (512 − 160) / 10 MiB (one 27 MiB file); an unknown memory is the construct's 512
    expect(stagingBudgetBytes(512)).toBe(Math.floor((352 * MiB) / 10));
    expect(stagingBudgetBytes(Number.NaN)).toBe(stagingBudgetBytes(512));
    expect(stagingBudgetBytes(1024)).toBe(Math.floor((864 * MiB) / 10));
    expect(stagingBudgetBytes(128)).toBe(0);
  });
});

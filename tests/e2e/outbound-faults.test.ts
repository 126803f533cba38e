import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { type LocalHub, startLocalHub } from '#shared/local/hub.ts';
import { postSample, whatsappTextFrom } from '#shared/local/live-samples.ts';
import type { Fault } from '#shared/local/simulators/index.ts';
import { collectHelpdeskUntil } from '#tests/support/helpdesk-queue.ts';
import { noSuchObjectError } from '#tests/support/meta-errors.ts';
import { isOutcome, queueReplies } from '#tests/support/outbox.ts';

/*
 * The sender against misbehaving providers, end to end on the local hub: the simulated Graph API is
 * told to time out after accepting, throttle, refuse, or refuse the token, and the hub must still make
 * one accepted provider request per message, keep each conversation's order, and end every command
 * in exactly one event.
 */

describe('outbound under provider faults', () => {
  let hub: LocalHub;
  let sqs: SQSClient;
  let customers = 0;

  beforeAll(async () => {
    hub = await startLocalHub({
      inMemory: true,
      port: 0,
      pollWaitSeconds: 1,
      retryVisibilitySeconds: 1,
      providerStatusDelaysMs: { sent: 20, delivered: 40, read: 60 },
      // An accept held longer than this is an unanswered request the sender must reconcile.
      functionSettings: { SWITCHBOARD_PROVIDER_TIMEOUT_MS: '1000' },
    });
    sqs = new SQSClient({ endpoint: hub.endpoints.sqs, region: hub.region, credentials: hub.credentials });
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    await hub?.stop();
  });

  const collectUntil = (done: (events: HubEvent[]) => boolean, timeoutMs: number) =>
    collectHelpdeskUntil(sqs, hub.resources.helpdeskQueueUrl, done, timeoutMs);

  /**
   * `count` customers write (to the sample's business number, or to `phoneNumberId`); resolves with
   * their numbers and conversation ids once recorded.
   */
  const customersWrite = async (count: number, phoneNumberId?: string) => {
    const written = Array.from({ length: count }, () => {
      customers += 1;
      return `4917700${String(customers).padStart(6, '0')}`;
    });
    for (const customer of written) {
      expect(
        await postSample(hub.urls.base, whatsappTextFrom(customer, `in${customer}`, phoneNumberId)),
      ).toBe(200);
    }
    const received = await collectUntil(
      (events) => events.filter((event) => event.type === 'switchboard.message.received').length >= count,
      60_000,
    );
    const byCustomer = new Map<string, string>();
    for (const event of received) {
      if (event.type !== 'switchboard.message.received' || !event.subject) continue;
      const [identity] = event.data.contact.identities;
      if (identity) byCustomer.set(identity.value, event.subject);
    }
    return written.map((customer) => ({ customer, conversationId: byCustomer.get(customer) as string }));
  };

  const send = (commands: readonly { conversationId: string; key: string }[]) =>
    queueReplies(sqs, hub.resources.outboxQueueUrl, commands, 'faults');

  /** The simulated Graph API's message sends to one customer, in the order it received them. */
  const graphSendsTo = (customer: string) =>
    (hub.providers?.requests() ?? []).filter(
      (request) =>
        request.provider === 'whatsapp' &&
        /\/messages$/.test(request.path) &&
        (request.body as { to?: string; type?: string }).to === customer &&
        (request.body as { type?: string }).type === 'text',
    );
  /** Requests the provider acted on: answered 200, or accepted and never answered. */
  const accepted = (requests: ReturnType<typeof graphSendsTo>) =>
    requests.filter((request) => request.response.status === 200 || request.response.withheld);

  it('accept then time out: one provider request, reconciled from its status into one message.sent', async () => {
    // Prepare
    const [{ customer, conversationId }] = (await customersWrite(1)) as [
      { customer: string; conversationId: string },
    ];
    hub.providers?.setFaults([
      { provider: 'whatsapp', recipient: customer, kind: 'accept_then_timeout', delayMs: 3_000, times: 1 },
    ]);
    // Act
    await send([{ conversationId, key: 'held-1' }]);
    const events = await collectUntil((seen) => seen.some(isOutcome), 30_000);
    // Assess
    const requests = graphSendsTo(customer);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.response.withheld).toBe(true);
    const outcomes = events.filter(isOutcome);
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(outcomes[0]?.data).toMatchObject({ hubMessageId: outboundHubMessageId(conversationId, 'held-1') });
    hub.providers?.clearFaults();
  }, 60_000);

  it('1,000 commands over 100 conversations with random faults: order kept, nothing doubled, one event each', async () => {
    // Prepare: every conversation gets one fault or none, at random (seeded: the same run each time)
    const conversations = await customersWrite(100);
    let seed = 17;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const faultFor = (recipient: string): Fault | undefined => {
      const pick = random();
      if (pick < 0.15) return { provider: 'whatsapp', recipient, kind: 'throttle', times: 2 };
      if (pick < 0.3) return { provider: 'whatsapp', recipient, kind: 'slow', delayMs: 300, times: 3 };
      if (pick < 0.4)
        return { provider: 'whatsapp', recipient, kind: 'accept_then_timeout', delayMs: 1_500, times: 1 };
      if (pick < 0.5) return { provider: 'whatsapp', recipient, kind: 'error', code: 131026, times: 1 };
      return undefined;
    };
    hub.providers?.setFaults(
      conversations.map(({ customer }) => faultFor(customer)).filter((fault) => fault !== undefined),
    );
    const commands = Array.from({ length: 10 }, (_, round) =>
      conversations.map(({ conversationId }, index) => ({ conversationId, key: `load-${index}-${round}` })),
    ).flat();
    // Act
    const started = Date.now();
    await send(commands);
    const events = await collectUntil((seen) => seen.filter(isOutcome).length >= commands.length, 240_000);
    const seconds = (Date.now() - started) / 1000;
    // Assess: exactly one outcome per command
    const outcomes = events.filter(isOutcome);
    const perMessage = new Map<string, number>();
    for (const event of outcomes) {
      const id = (event.data as { hubMessageId: string }).hubMessageId;
      perMessage.set(id, (perMessage.get(id) ?? 0) + 1);
    }
    expect(perMessage.size).toBe(commands.length);
    expect([...perMessage.values()].every((count) => count === 1)).toBe(true);
    for (const { customer, conversationId } of conversations) {
      const acted = accepted(graphSendsTo(customer)).map(
        (request) => (request.body as { text: { body: string } }).text.body,
      );
      // Nothing doubled at the provider, and the customer got the replies in the order they were sent.
      expect(new Set(acted).size, conversationId).toBe(acted.length);
      const rounds = acted.map((body) => Number(body.split('-').at(-1)));
      expect(rounds, conversationId).toEqual([...rounds].sort((a, b) => a - b));
    }
    const sent = outcomes.filter((event) => event.type === 'switchboard.message.sent').length;
    expect(sent).toBeGreaterThan(900);
    console.info(`outbound load: ${commands.length} commands in ${seconds.toFixed(1)} s, ${sent} sent`);
    hub.providers?.clearFaults();
  }, 360_000);

  it('131047 (window closed at WhatsApp) fails with window_closed; an expired token pauses the number', async () => {
    // Prepare
    const [first, second] = (await customersWrite(2)) as [
      { customer: string; conversationId: string },
      { customer: string; conversationId: string },
    ];
    hub.providers?.setFaults([
      { provider: 'whatsapp', recipient: first.customer, kind: 'error', code: 131047, times: 1 },
      { provider: 'whatsapp', recipient: second.customer, kind: 'error', code: 190, times: 1 },
    ]);
    // Act
    await send([{ conversationId: first.conversationId, key: 'late-1' }]);
    const late = await collectUntil((seen) => seen.some(isOutcome), 30_000);
    await send([{ conversationId: second.conversationId, key: 'token-1' }]);
    const refused = await collectUntil((seen) => seen.some(isOutcome), 30_000);
    await send([{ conversationId: second.conversationId, key: 'token-2' }]);
    const paused = await collectUntil((seen) => seen.some(isOutcome), 30_000);
    // Assess
    const [lateOutcome] = late.filter(isOutcome);
    expect(lateOutcome?.type === 'switchboard.message.send_failed' && lateOutcome.data.reason).toBe(
      'window_closed',
    );
    const [refusedOutcome] = refused.filter(isOutcome);
    const [pausedOutcome] = paused.filter(isOutcome);
    expect(refusedOutcome?.type === 'switchboard.message.send_failed' && refusedOutcome.data.reason).toBe(
      'credentials',
    );
    expect(pausedOutcome?.type === 'switchboard.message.send_failed' && pausedOutcome.data.reason).toBe(
      'credentials',
    );
    // The paused command never reached the provider.
    expect(graphSendsTo(first.customer)).toHaveLength(1);
    expect(graphSendsTo(second.customer)).toHaveLength(1);
    hub.providers?.clearFaults();
  }, 90_000);

  it("Graph's 100/33 naming the number's own id (a token never given it) pauses the number as 190 does", async () => {
    // Prepare: a number of its own, which no other test has paused
    const phoneNumberId = '106540352242922';
    const [writer] = (await customersWrite(1, phoneNumberId)) as [
      { customer: string; conversationId: string },
    ];
    const { message } = noSuchObjectError(phoneNumberId);
    hub.providers?.setFaults([
      {
        provider: 'whatsapp',
        recipient: writer.customer,
        kind: 'error',
        code: 100,
        subcode: 33,
        message,
        times: 1,
      },
    ]);
    // Act
    await send([{ conversationId: writer.conversationId, key: 'unreachable-1' }]);
    const refused = await collectUntil((seen) => seen.some(isOutcome), 30_000);
    await send([{ conversationId: writer.conversationId, key: 'unreachable-2' }]);
    const paused = await collectUntil((seen) => seen.some(isOutcome), 30_000);
    // Assess: both end `credentials`, not `content_invalid`; the second never reached the provider
    const reasonOf = (events: HubEvent[]) => {
      const [outcome] = events.filter(isOutcome);
      return outcome?.type === 'switchboard.message.send_failed' ? outcome.data.reason : outcome?.type;
    };
    expect(reasonOf(refused)).toBe('credentials');
    expect(reasonOf(paused)).toBe('credentials');
    expect(graphSendsTo(writer.customer)).toHaveLength(1);
    hub.providers?.clearFaults();
  }, 90_000);
});

import { describe, expect, it } from 'vitest';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { parseCorrelationId } from '#shared/outbound/channel-sender.ts';
import {
  openCustomerConversation,
  outcomesOf,
  receivedCommand,
  type Scripted,
  sendCommand,
  T0,
  useOutboundHarness,
} from './harness.ts';

/*
 * Two or three deliveries of one command at once (an SQS redelivery while the first still runs, a
 * helpdesk retry under a new command id, the give-up receive beside live ones), with random delays
 * in DynamoDB and at the provider, random provider answers (accepted, accepted with the answer lost,
 * throttled, credentials refused, refused), random deadlines and statuses linked at random moments.
 * Whatever the interleaving: no provider message is delivered twice, the command ends in exactly
 * one outcome event, and that event agrees with what the provider holds (a `message.sent` lists
 * every delivered id in order; a `send_failed` lists the delivered prefix, leaving out at most the
 * one message whose answer was lost, and only as `outcome_unknown`). Seeded, so a failing trial can
 * be replayed with its seed (CONCURRENT_DELIVERIES_SEED), though timers make each run's interleaving
 * its own.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;
type Sent = HubEventOf<'switchboard.message.sent'>;

const SEED = Number(process.env.CONCURRENT_DELIVERIES_SEED ?? 7);
let seed = SEED;
/** How often a trial's command carries a deadline, and how often a delivery is the give-up receive. */
const DEADLINE_SHARE = 0.3;
const LAST_RECEIVE_SHARE = 0.3;
const rand = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('concurrent deliveries of one command', () => {
  const hub = useOutboundHarness();
  let customer = 0;

  const trials = 25;
  it(`keeps exactly-once over ${trials} random interleavings`, async () => {
    const dynamodb = hub.pipeline.emulators.clients.dynamodb;
    dynamodb.middlewareStack.add(
      (next) => async (args) => {
        await sleep(Math.floor(rand() * 6));
        return next(args);
      },
      { step: 'initialize', name: 'fuzz-delay' },
    );
    const provider = hub.provider.sender as { send: typeof hub.provider.sender.send };
    const originalSend = provider.send;
    provider.send = async (message, context) => {
      await sleep(Math.floor(rand() * 15));
      const outcome = await originalSend(message, context);
      await sleep(Math.floor(rand() * 15));
      return outcome;
    };
    const problems: string[] = [];
    const stats: Record<string, number> = {};
    const count = (k: string) => {
      stats[k] = (stats[k] ?? 0) + 1;
    };
    try {
      for (let trial = 0; trial < trials; trial++) {
        const base = new Date(T0.getTime() + trial * 6 * 60_000);
        hub.now = base;
        hub.provider.calls.length = 0;
        hub.provider.script.length = 0;
        hub.provider.delivered.length = 0;
        await hub.pipeline.takeHelpdesk();
        const { conversationId } = await openCustomerConversation(
          hub,
          { prefix: '4915559', tag: 'fuzz' },
          ++customer,
        );
        const key = `fuzz-${trial}`;
        const parts = rand() < 0.3 ? undefined : [{ type: 'text' as const, text: 'one|two|three' }];
        const deadline =
          rand() < DEADLINE_SHARE
            ? { deadline: new Date(base.getTime() + Math.floor(rand() * 100_000)).toISOString() }
            : {};
        const command = sendCommand(conversationId, key, parts, deadline);
        const hubMessageId = outboundHubMessageId(conversationId, key);
        for (let i = 0; i < 30; i++) {
          const r = rand();
          const scripted: Scripted =
            r < 0.6
              ? { kind: 'accepted', providerMessageId: '' }
              : r < 0.8
                ? { kind: 'accepted-silently' }
                : r < 0.9
                  ? { kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } }
                  : r < 0.95
                    ? { kind: 'credentials', error: { code: '190', title: 'expired' } }
                    : {
                        kind: 'refused',
                        reason: 'content_invalid',
                        retryable: false,
                        error: { code: '100', title: 'bad' },
                      };
          hub.provider.script.push(scripted);
        }
        const linked = new Set<string>();
        const linkSome = async (probability: number) => {
          for (const entry of [...hub.provider.delivered]) {
            if (linked.has(entry.correlationId) || rand() >= probability) continue;
            const correlation = parseCorrelationId(entry.correlationId);
            if (!correlation) continue;
            linked.add(entry.correlationId);
            await hub.sends.linkIfAwaited(
              correlation.hubMessageId,
              correlation.sequence,
              entry.providerMessageId,
            );
          }
        };
        let receive = 0;
        const deliveries = Array.from({ length: 3 }, async () => {
          await sleep(Math.floor(rand() * 20));
          const count = rand() < LAST_RECEIVE_SHARE ? 50 + Math.floor(rand() * 3) : ++receive;
          // A retry under a new command id is the same command (the key): half the deliveries are one.
          const own =
            rand() < 0.5 ? { ...command, id: `${command.id}-${count}-${Math.floor(rand() * 1e6)}` } : command;
          await hub.sender().handleSqsEvent({ Records: [receivedCommand(own, count)] });
        });
        let running = true;
        const linker = (async () => {
          while (running) {
            await sleep(Math.floor(rand() * 10));
            await linkSome(0.3);
          }
        })();
        await Promise.all(deliveries);
        // Later deliveries, spread in time, until the send is final and published.
        for (let round = 0; round < 40; round++) {
          const record = await hub.sends.get(hubMessageId);
          if (record && record.state !== 'sending' && record.published) break;
          hub.now = new Date(hub.now.getTime() + (round < 5 ? 40_000 : 120_000));
          const count = ++receive;
          await hub.sender().handleSqsEvent({ Records: [receivedCommand(command, count)] });
        }
        running = false;
        await linker;
        // Late statuses of everything delivered, then one more delivery: nothing more may come out.
        await linkSome(1);
        await hub.sender().handleSqsEvent({ Records: [receivedCommand(command, ++receive)] });
        const events: HubEvent[] = outcomesOf(await hub.pipeline.takeHelpdesk());
        const distinct = new Map(events.map((event) => [event.id, event]));
        const label = `trial ${trial} (seed ${SEED})`;
        const bySequence = new Map<number, string[]>();
        for (const entry of hub.provider.delivered) {
          const sequence = parseCorrelationId(entry.correlationId)?.sequence ?? -1;
          bySequence.set(sequence, [...(bySequence.get(sequence) ?? []), entry.providerMessageId]);
        }
        for (const [sequence, ids] of bySequence)
          if (ids.length > 1) problems.push(`${label}: message ${sequence} delivered ${ids.length} times`);
        if (distinct.size !== 1) {
          problems.push(
            `${label}: ${distinct.size} outcome events: ${[...distinct.values()].map((e) => e.type).join(', ')}`,
          );
          continue;
        }
        const [event] = [...distinct.values()];
        count(
          event?.type === 'switchboard.message.sent' ? 'sent' : `failed:${(event as Failed).data.reason}`,
        );
        count(`calls:${hub.provider.calls.length}`);
        const deliveredInOrder = [...bySequence.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, ids]) => ids[0] as string);
        if (event?.type === 'switchboard.message.sent') {
          const ids = (event as Sent).data.providerMessageIds;
          if (JSON.stringify(ids) !== JSON.stringify(deliveredInOrder))
            problems.push(`${label}: sent names ${ids} but provider holds ${deliveredInOrder}`);
        } else {
          const data = (event as Failed).data;
          const sent = data.sentProviderMessageIds ?? [];
          const unnamed = deliveredInOrder.filter((id) => !sent.includes(id));
          const prefixOk = sent.every((id, index) => deliveredInOrder[index] === id);
          if (!prefixOk || unnamed.length > 1 || (unnamed.length === 1 && data.reason !== 'outcome_unknown'))
            problems.push(
              `${label}: failed ${data.reason} names ${sent} but provider holds ${deliveredInOrder}`,
            );
        }
      }
    } finally {
      dynamodb.middlewareStack.remove('fuzz-delay');
      provider.send = originalSend;
    }
    expect(problems).toEqual([]);
    // The trials reached both endings, so the invariants were checked on each
    expect(stats.sent ?? 0).toBeGreaterThan(0);
    expect(Object.keys(stats).filter((name) => name.startsWith('failed:')).length).toBeGreaterThan(0);
  }, 600_000);
});

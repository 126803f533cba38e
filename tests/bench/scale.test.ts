import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INDEX_SHARDS } from '#shared/store/keys.ts';
import type { AwsCostResult } from '../../bench/aws-cost.ts';
import { PRICES } from '../../bench/prices.ts';
import {
  AS_BUILT,
  campaignMix,
  inputsFrom,
  type ModelInputs,
  modelScale,
  outboundCost,
  raisedFor,
  type ScaleResult,
} from '../../bench/scale.ts';
import { inboundProfilesFrom, OUTBOUND_PROFILE } from '../../bench/scale-counts.ts';
import { QUOTAS, type Quota, type QuotaId } from '../../bench/scale-quotas.ts';

/*
 * The scale model is arithmetic: these check it against hand-computed figures on a simple profile,
 * and that its inputs are the benchmark's own counts (bench/results/latest.json).
 */

const profile = {
  webhookRequests: 1,
  ingestSendCalls: 1,
  helpdeskSendCalls: 0.2,
  helpdeskMessages: 2,
  readUnits: 2,
  writeUnits: 4,
  tableWriteUnits: 3,
  // One conversation opened every five messages: its by-status entry and its wait, one unit each.
  indexWriteUnits: { 'gsi1 STATUS#open': 0.2, 'gsi2 per item': 0.6, 'gsi4 WAITING': 0.2 },
  s3Puts: 0,
  s3Gets: 0,
  measuredWebhookMs: 1,
  measuredRecorderBatchMs: 50,
};
const inputs: ModelInputs = {
  profiles: {
    chat: profile,
    status: { ...profile, readUnits: 0, writeUnits: 1, tableWriteUnits: 1, indexWriteUnits: {} },
    email: { ...profile, s3Puts: 1 },
  },
  costs: { chat: { full: 4, trickle: 6 }, status: { full: 2, trickle: 4 }, email: { full: 12, trickle: 14 } },
};
const quiet = {
  activeConversations: 10_000,
  busiestConversationShare: 0.01,
  emailShare: 0,
  mediaShare: 0,
  chatMediaShare: 0,
  whatsappShare: 0,
  hubSendStatusShare: 0,
  apiSendShare: 0,
};
const loadOf = (result: ScaleResult, resource: string) =>
  result.loads.find((entry) => entry.resource.startsWith(resource));
/** The loads at or above `share` of their limit, launch conditions left out. */
const over = (result: ScaleResult, share: number): QuotaId[] =>
  result.loads
    .filter((entry) => !(QUOTAS[entry.quota] as Quota).transient && entry.utilisation >= share)
    .map((entry) => entry.quota)
    .sort();

describe('scale model', () => {
  it("applies Little's law and the per-event counts to each resource", () => {
    // Prepare: 1,000 chat messages and 500 statuses a second, no sends
    const mix = { ...quiet, inboundPerSecond: 1_000, statusPerSecond: 500, outboundPerSecond: 0 };
    // Act
    const result = modelScale(mix, inputs);
    // Assess
    const rate = (resource: string) => loadOf(result, resource)?.rate;
    expect(result.webhookRequestsPerSecond).toBe(1_500);
    // 1,500 requests/s × 30 ms; 1,500 events/s in batches of 10 × 100 ms
    expect(result.concurrency).toEqual({
      webhook: 45,
      recorder: 15,
      sender: 0,
      mediaFetcher: 0,
      helpdeskApi: 0,
    });
    // The table's own units and each index's apart: on demand, each has its quota
    expect(rate('DynamoDB write units, table')).toBe(1_000 * 3 + 500 * 1);
    expect(rate('DynamoDB write units, busiest index (gsi2)')).toBe(600);
    expect(rate('DynamoDB read units, table')).toBe(2_000);
    expect(rate('API Gateway requests, busiest webhook route')).toBe(1_500);
    expect(rate('DynamoDB write units, hottest partition (busiest conversation)')).toBe(15);
    expect(rate('ingest queue, busiest conversation group')).toBe(15);
    expect(result.busiestConversation.recorderLaneEventsPerSecond).toBe(100);
    expect(result.dollarsPerMillion).toBeCloseTo((1_000 * 4 + 500 * 2) / 1_500, 2);
  });

  it("adds each chat attachment's fetch: its Lambda time, units, S3 PUT, queue calls and cost", () => {
    // Prepare: 1,000 chat messages a second, a tenth with one image
    const plain = { ...quiet, inboundPerSecond: 1_000, statusPerSecond: 0, outboundPerSecond: 0 };
    const withMedia = { ...plain, chatMediaShare: 0.1 };
    // Act
    const without = modelScale(plain, inputs);
    const result = modelScale(withMedia, inputs);
    // Assess
    const rate = (model: ScaleResult, resource: string) => loadOf(model, resource)?.rate ?? 0;
    // 100 attachments/s × 500 ms
    expect(result.concurrency.mediaFetcher).toBe(50);
    expect(rate(result, 'S3 PUT (raw e-mail and attachments, one prefix)')).toBe(100);
    expect(rate(result, 'media queue, busiest action (SendMessageBatch, receive)')).toBe(100);
    expect(rate(result, 'DynamoDB write units, table') - rate(without, 'DynamoDB write units, table')).toBe(
      200,
    );
    // $10–11 per million attachments (media bench: $10.37 on 2026-12-07), spread over every message
    const added = (result.dollarsPerMillion - without.dollarsPerMillion) * 10;
    expect(added).toBeGreaterThan(9);
    expect(added).toBeLessThan(12);
  });

  it('costs a send from the counted calls: overlapping calls and shared publishes in a full batch', () => {
    // Act
    const full = outboundCost('full');
    const trickle = outboundCost('trickle');
    const two = outboundCost(2);
    // Assess: 2 read units, 10 write units; 172.5 ms of 512 MB per send in a batch of ten to one
    // number (600 ms and nine 125 ms turns), 600 ms alone
    expect(full.dollarsPerMillion).toBe(8.37);
    expect(trickle.dollarsPerMillion).toBe(13.2);
    expect(two.dollarsPerMillion).toBeGreaterThan(full.dollarsPerMillion);
    expect(two.dollarsPerMillion).toBeLessThan(trickle.dollarsPerMillion);
    expect(Object.fromEntries(full.lines.map(([item, , dollars]) => [item, dollars]))).toEqual({
      'sender Lambda requests': 0.02,
      'sender Lambda GB-s': 1.15,
      'DynamoDB read units': 0.25,
      'DynamoDB write units (GSI included)': 6.25,
      'SQS FIFO requests': 0.7,
    });
  });

  it("weighs sends against the sender's capped environments, with the time its cost charges", () => {
    // Prepare: sends only, 1,000 a second, from one number
    const mix = { ...quiet, inboundPerSecond: 0, statusPerSecond: 0, outboundPerSecond: 1_000 };
    // Act
    const result = modelScale(mix, inputs);
    const raised = modelScale(mix, inputs, {
      ...AS_BUILT,
      senderMaxConcurrency: 100,
      whatsappNumbers: 100,
    });
    // Assess: full batches of 1,725 ms hold an environment 172.5 ms per send (the cost's time):
    // 172.5 environments wanted, 10 allowed, which send 10 × 10 / 1.725 s = 58 a second
    expect(result.concurrency.sender).toBe(172.5);
    const sender = loadOf(result, 'sender');
    expect(sender?.limit).toBe(58);
    expect(sender?.utilisation).toBeCloseTo(1_000 / ((10 * 10) / 1.725));
    expect(result.first.quota).toBe('senderCapacity');
    expect(result.first.atMessagesPerSecond).toBe(58);
    // Raised, and every send of a batch to a number of its own: no turns, 100 × 10 / 0.6 s
    expect(loadOf(raised, 'sender')?.limit).toBeCloseTo(1_666.7, 1);
    expect(loadOf(result, 'DynamoDB write units, table')?.rate).toBe(
      1_000 * OUTBOUND_PROFILE.tableWriteUnits,
    );
  });

  it("caps one WhatsApp number at Meta's rate, messages in and out, whatever the sender's concurrency", () => {
    // Prepare: 100 customer messages and 100 sends a second, all WhatsApp
    const mix = {
      ...quiet,
      inboundPerSecond: 100,
      statusPerSecond: 0,
      outboundPerSecond: 100,
      whatsappShare: 1,
    };
    // Act
    const one = modelScale(mix, inputs, { ...AS_BUILT, senderMaxConcurrency: 1_000 });
    const five = modelScale(mix, inputs, { ...AS_BUILT, whatsappNumbers: 5 });
    // Assess: 200 messages/s on one number of 80; on five, 40 each
    expect(loadOf(one, 'WhatsApp, one business number')?.utilisation).toBe(200 / 80);
    expect(loadOf(five, 'WhatsApp, one business number')?.utilisation).toBe(40 / 80);
  });

  it("weighs attachments against the media fetcher's capped environments", () => {
    // Prepare: 1,000 chat messages a second, a tenth with one image
    const mix = {
      ...quiet,
      inboundPerSecond: 1_000,
      statusPerSecond: 0,
      outboundPerSecond: 0,
      chatMediaShare: 0.1,
    };
    // Act
    const result = modelScale(mix, inputs);
    // Assess: 10 environments, one job of 500 ms each: 20 attachments a second
    const fetcher = loadOf(result, 'media fetcher');
    expect(fetcher?.limit).toBe(20);
    expect(fetcher?.utilisation).toBe(5);
    expect(fetcher?.warnedBy).toMatch(/^MediaBacklogAge/);
  });

  it("counts a send made through the helpdesk API: its HTTP API request, Lambda time, two reads and its key's reservation", () => {
    // Prepare: 100 sends a second, all through the helpdesk API, against the same sends put on the outbox
    const direct = { ...quiet, inboundPerSecond: 0, statusPerSecond: 0, outboundPerSecond: 100 };
    const api = { ...direct, apiSendShare: 1 };
    const withApi = { ...AS_BUILT, helpdeskApi: true };
    // Act
    const queued = modelScale(direct, inputs, withApi);
    const result = modelScale(api, inputs, withApi);
    // Assess
    const rate = (model: ScaleResult, resource: string) => loadOf(model, resource)?.rate ?? 0;
    const added = (resource: string) => rate(result, resource) - rate(queued, resource);
    // One request each on the account's throttle, and on the send route's own 50/s (200 %)
    expect(added('API Gateway requests (account)')).toBe(100);
    expect(loadOf(result, 'helpdesk API, send route')?.utilisation).toBe(2);
    // Two consistent GetItems (the conversation, the send record), one conditional PutItem (the
    // reservation, in the conversation's partition: the busiest conversation's 1 % of the sends)
    expect(added('DynamoDB read units, table')).toBe(200);
    expect(added('DynamoDB write units, table')).toBe(100);
    expect(added('DynamoDB write units, hottest partition')).toBe(1);
    // 100 requests/s × 40 ms of the API function
    expect(result.concurrency.helpdeskApi).toBe(4);
    expect(added('Lambda concurrency')).toBeCloseTo(4, 5);
    // $1 the HTTP API request, $0.2 the invocation, $0.267 its 40 ms of 512 MB, $0.25 the reads, $0.625 the write
    const viaApi = outboundCost('full', undefined, undefined, 'helpdesk-api');
    expect(viaApi.dollarsPerMillion).toBe(10.71);
    expect(outboundCost('full').dollarsPerMillion).toBe(8.37);
    expect(result.dollarsPerMillion - queued.dollarsPerMillion).toBeCloseTo(2.34, 2);
    // A deployment without the helpdesk API takes no sends through it
    expect(() => modelScale(api, inputs)).toThrow(/helpdeskApi/);
    expect(queued.loads.some((entry) => entry.quota === 'helpdeskApiRoute')).toBe(true);
    expect(modelScale(direct, inputs).loads.some((entry) => entry.quota === 'helpdeskApiRoute')).toBe(false);
  });

  it("weighs the busiest conversation's WhatsApp sends against Meta's pair rate, one message per 6 s to one user", () => {
    // Prepare: 100 sends a second, the busiest conversation 1 % of them: one a second to one user
    const mix = { ...quiet, inboundPerSecond: 0, statusPerSecond: 0, outboundPerSecond: 100 };
    // Act
    const whatsapp = modelScale({ ...mix, whatsappShare: 1 }, inputs);
    const other = modelScale(mix, inputs);
    const campaign = modelScale(campaignMix(1_000, 0.3), inputs);
    // Assess: 1 a second against 1/6; the campaign's 2 sends/s to one user run it out at 83 messages/s
    const pair = loadOf(whatsapp, 'WhatsApp pair rate');
    expect(pair?.rate).toBe(1);
    expect(pair?.utilisation).toBeCloseTo(6);
    expect(pair?.limit).toBe(0.167);
    expect(loadOf(other, 'WhatsApp pair rate')?.rate).toBe(0);
    // Its sends go through the outbox, not the ingest queue: that group takes none of them, while
    // its conversation item is written once for each
    expect(loadOf(whatsapp, 'ingest queue, busiest conversation group')?.rate).toBe(0);
    expect(loadOf(whatsapp, 'DynamoDB write units, hottest partition')?.rate).toBe(1);
    expect(campaign.first.quota).toBe('whatsappPairRate');
    expect(campaign.first.atMessagesPerSecond).toBe(83);
  });

  it("weighs the stage throttle, a default route throttle, against the busiest webhook route, and the account's against them all", () => {
    // Prepare: 1,000 chat messages and 500 statuses a second, 60 % of them WhatsApp's
    const mix = {
      ...quiet,
      inboundPerSecond: 1_000,
      statusPerSecond: 500,
      outboundPerSecond: 0,
      whatsappShare: 0.6,
    };
    // Act
    const result = modelScale(mix, inputs);
    // Assess: 900 requests/s on WhatsApp's route (600 on the other channels' routes), 1,500 on the account
    expect(loadOf(result, 'API Gateway requests, busiest webhook route')?.rate).toBe(900);
    expect(loadOf(result, 'API Gateway requests (account)')?.rate).toBe(1_500);
  });

  it('adds up the writes of every conversation in the index partitions they share', () => {
    // Prepare: 1,000 chat messages (a conversation opened every five) and 100 sends a second
    const mix = { ...quiet, inboundPerSecond: 1_000, statusPerSecond: 0, outboundPerSecond: 100 };
    // Act
    const result = modelScale(mix, inputs);
    // Assess: STATUS#open takes 200 openings, 2 units per send's move and 2 per active
    // conversation's hourly move; WAITING 200 waits started, and as many ended (100 by the sends,
    // the rest by the helpdesk resolving or snoozing); each spread over its shards, one of which is
    // the load
    const status = loadOf(result, 'DynamoDB index partition STATUS#open');
    expect(status?.rate).toBeCloseTo((200 + 100 * 2 + (10_000 / 3_600) * 2) / INDEX_SHARDS, 1);
    expect(status?.limit).toBe(1_000);
    expect(loadOf(result, 'DynamoDB index partition WAITING')?.rate).toBe(400 / INDEX_SHARDS);
  });

  it('starts as many waits as the sends end: a customer writing after a reply waits again', () => {
    // Prepare: 1,000 chat messages (200 conversations opened, each starting a wait) and 500 sends
    // a second, each ending one; against the same with every wait's start counted (0.5 a message)
    const mix = { ...quiet, inboundPerSecond: 1_000, statusPerSecond: 0, outboundPerSecond: 500 };
    const chat = { ...profile, indexWriteUnits: { ...profile.indexWriteUnits, 'gsi4 WAITING': 0.5 } };
    const allCounted = { ...inputs, profiles: { ...inputs.profiles, chat } };
    // Act
    const result = modelScale(mix, inputs);
    const counted = modelScale(mix, allCounted);
    // Assess: 500 waits ended need 500 started, not the 200 the openings start: 1,000 units a
    // second in WAITING, over its shards
    expect(loadOf(result, 'DynamoDB index partition WAITING')?.rate).toBe(1_000 / INDEX_SHARDS);
    expect(loadOf(counted, 'DynamoDB index partition WAITING')?.rate).toBe(1_000 / INDEX_SHARDS);
    // The 300 starts the counts missed are write units like the rest: $0.625 per million each, here
    // 300 × 0.625 / 1,500 messages = $0.125 per million more than the counts alone
    expect(result.dollarsPerMillion - counted.dollarsPerMillion).toBeCloseTo(
      (300 * PRICES.dynamoPerWriteUnit * 1e6) / 1_500,
      1,
    );
  });

  it('answers webhooks through function URLs at 10 requests/s per reserved environment', () => {
    // Prepare: 1,000 WhatsApp messages a second
    const mix = {
      ...quiet,
      inboundPerSecond: 1_000,
      statusPerSecond: 0,
      outboundPerSecond: 0,
      whatsappShare: 1,
    };
    // Act
    const result = modelScale(mix, inputs, { ...AS_BUILT, ingress: 'function-urls' });
    // Assess: one webhook of 50 reserved environments serves 500 a second; no API Gateway
    const webhook = loadOf(result, 'busiest webhook function');
    expect(webhook?.limit).toBe(500);
    expect(webhook?.utilisation).toBe(2);
    expect(webhook?.warnedBy).toMatch(/^WebhookThrottles/);
    expect(result.loads.some((entry) => entry.quota === 'apiGatewayStage')).toBe(false);
    expect(result.dollarsPerMillion).toBe(4 - 1);
  });

  it("counts every function-URL webhook's reserved concurrency against the account's, used or not", () => {
    // Prepare: 1,000 WhatsApp messages a second; four webhooks deployed
    const mix = {
      ...quiet,
      inboundPerSecond: 1_000,
      statusPerSecond: 0,
      outboundPerSecond: 0,
      whatsappShare: 1,
    };
    const urls = { ...AS_BUILT, ingress: 'function-urls', webhookFunctions: 4 } as const;
    // Act
    const api = modelScale(mix, inputs);
    const reserved = modelScale(mix, inputs, { ...urls, webhookReservedConcurrency: 50 });
    const raised = modelScale(mix, inputs, { ...urls, webhookReservedConcurrency: 200 });
    // Assess: behind the HTTP API, the webhooks' 30 environments and the recorder's 10 (1,000 × 30 ms,
    // 100 batches of 100 ms); with function URLs no other function can use the four reservations
    const lambda = (result: ScaleResult) => loadOf(result, 'Lambda concurrency')?.rate;
    expect(lambda(api)).toBe(30 + 10);
    expect(lambda(reserved)).toBe(4 * 50 + 10);
    expect(lambda(raised)).toBe(4 * 200 + 10);
    expect(AS_BUILT.webhookFunctions).toBe(4);
  });

  it("reads the send record of each status of the hub's own sends", () => {
    // Prepare: 1,000 statuses a second, every one of a hub send
    const mix = { ...quiet, inboundPerSecond: 0, statusPerSecond: 1_000, outboundPerSecond: 0 };
    // Act
    const others = modelScale(mix, inputs);
    const hubs = modelScale({ ...mix, hubSendStatusShare: 1 }, inputs);
    // Assess: one read unit each ($0.125 per million)
    expect(loadOf(hubs, 'DynamoDB read units, table')?.rate).toBe(1_000);
    expect(loadOf(others, 'DynamoDB read units, table')?.rate).toBe(0);
    expect(hubs.dollarsPerMillion - others.dollarsPerMillion).toBeCloseTo(0.125, 2);
  });

  it('fills recorder and sender batches only as far as the traffic allows, and charges small batches more', () => {
    // Act
    const trickle = modelScale(
      { ...quiet, inboundPerSecond: 5, statusPerSecond: 0, outboundPerSecond: 0 },
      inputs,
    );
    const busy = modelScale(
      { ...quiet, inboundPerSecond: 500, statusPerSecond: 0, outboundPerSecond: 0 },
      inputs,
    );
    const fewSends = modelScale(
      { ...quiet, inboundPerSecond: 0, statusPerSecond: 0, outboundPerSecond: 2 },
      inputs,
    );
    const manySends = modelScale(
      { ...quiet, inboundPerSecond: 0, statusPerSecond: 0, outboundPerSecond: 50 },
      inputs,
    );
    // Assess
    expect(trickle.eventsPerRecorderBatch).toBe(1);
    expect(trickle.dollarsPerMillion).toBe(6);
    expect(busy.eventsPerRecorderBatch).toBe(10);
    expect(busy.dollarsPerMillion).toBe(4);
    // 2 sends a second arrive 1.2 to a 600 ms send; 50 fill the batch
    expect(fewSends.commandsPerSenderBatch).toBe(1.2);
    expect(fewSends.dollarsPerMillion).toBe(outboundCost(1.2).dollarsPerMillion);
    expect(manySends.dollarsPerMillion).toBe(outboundCost('full').dollarsPerMillion);
  });

  it('keeps a new table’s instant capacity out of the ceiling but reports it', () => {
    // Prepare: 5,000 table write units a second, over a new table's 4,000
    const mix = { ...quiet, inboundPerSecond: 5_000 / 3, statusPerSecond: 0, outboundPerSecond: 0 };
    // Act
    const result = modelScale(mix, inputs);
    // Assess
    const warm = result.loads.find((entry) => entry.quota === 'dynamoNewTableWarm');
    expect(warm?.utilisation).toBeCloseTo(5_000 / QUOTAS.dynamoNewTableWarm.limit);
    expect(result.first.quota).not.toBe('dynamoNewTableWarm');
    expect(result.highest.quota).not.toBe('dynamoNewTableWarm');
  });

  it('names the KMS calls a deployment makes with AWS-managed keys too, not only with customerManagedKey', () => {
    // Act
    const kms = modelScale(campaignMix(1_000), inputs).loads.find((entry) => entry.quota === 'kmsSymmetric');
    // Assess: as built, each secret read decrypts under aws/secretsmanager, on the same request quota
    expect(kms?.resource).toMatch(/aws\/secretsmanager/);
    expect(kms?.resource).not.toMatch(/customerManagedKey on\)/);
    expect(QUOTAS.kmsSymmetric.name).toMatch(/AWS managed keys/);
  });

  it('cites a documentation page and a warning alarm for every quota', () => {
    // Assess
    for (const quota of Object.values(QUOTAS)) {
      expect(quota.source).toMatch(
        /^(https:\/\/docs\.aws\.amazon\.com\/|https:\/\/developers\.facebook\.com\/|infra\/)/,
      );
      expect(quota.warnedBy.length).toBeGreaterThan(0);
      expect(quota.limit).toBeGreaterThan(0);
    }
  });

  it("takes its inbound counts from the benchmark's last full run, and shows what is over half of its limit at 1,000/s with 30 % statuses", () => {
    // Prepare
    const latest = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../bench/results/latest.json'), 'utf8'),
    ) as { awsCost: AwsCostResult };
    const mix = campaignMix(1_000, 0.3);
    const measured = inputsFrom(latest.awsCost);
    // Act
    const profiles = inboundProfilesFrom(latest.awsCost);
    const built = modelScale(mix, measured);
    const raised = modelScale(mix, measured, raisedFor(mix, measured));
    // Assess: one SendMessageBatch per webhook request, as the benchmark counted
    expect(profiles.chat.ingestSendCalls).toBe(1);
    expect(profiles.status.webhookRequests).toBe(1);
    expect(profiles.email.s3Puts).toBe(1);
    expect(built.messagesPerSecond).toBe(1_000);
    // The by-status partition every conversation shares is spread over shards, so none of them is near its limit
    // As built: the sender's and the fetcher's caps, one WhatsApp number, and the busiest
    // conversation's 2 sends/s to one user against Meta's pair rate (1 % of 200 sends/s), which
    // runs out first, at 83 messages/s
    expect(over(built, 0.5)).toEqual([
      'fetcherCapacity',
      'senderCapacity',
      'whatsappNumber',
      'whatsappPairRate',
    ]);
    expect(built.first.quota).toBe('whatsappPairRate');
    expect(built.first.atMessagesPerSecond).toBe(83);
    // The stage's throttle is a route's: WhatsApp's 750 requests/s of the 800
    expect(loadOf(built, 'API Gateway requests, busiest webhook route')?.rate).toBe(750);
    expect(loadOf(built, 'DynamoDB index partition STATUS#open')?.utilisation).toBeLessThan(0.1);
    // The busiest conversation's 1 % of the 800 events taken in a second, in its ingest group
    expect(loadOf(built, 'ingest queue, busiest conversation group')?.rate).toBe(8);
    // Raised where a deployment can: nothing left at half of its limit but the pair rate, which no
    // setting raises; the fetcher next
    expect(over(raised, 0.5)).toEqual(['whatsappPairRate']);
    expect(raised.first.quota).toBe('whatsappPairRate');
    expect(loadOf(raised, 'media fetcher')?.runsOutAt).toBeGreaterThan(2_000);
    // With function URLs, the webhooks' reservations raised to keep WhatsApp's under half (151 × 4)
    // hold most of the account's 1,000 environments: its Lambda concurrency quota is then over half
    const urls = raisedFor(mix, measured, 0.5, { ...AS_BUILT, ingress: 'function-urls' });
    expect(urls.webhookReservedConcurrency).toBe(151);
    expect(over(modelScale(mix, measured, urls), 0.5)).toEqual(['lambdaConcurrency', 'whatsappPairRate']);
    // With the helpdesk API, every send through it: 200 requests/s more on the account (800 + 200),
    // its 200 reservations on the table, and the send route's own 50/s throttle at 400 %
    const viaApi = modelScale(campaignMix(1_000, 0.3, 1), measured, { ...AS_BUILT, helpdeskApi: true });
    expect(loadOf(viaApi, 'API Gateway requests (account)')?.rate).toBe(1_000);
    expect(loadOf(viaApi, 'DynamoDB write units, table')?.rate).toBeCloseTo(
      (loadOf(built, 'DynamoDB write units, table')?.rate ?? 0) + 200,
      1,
    );
    expect(loadOf(viaApi, 'helpdesk API, send route')?.utilisation).toBe(4);
  });
});

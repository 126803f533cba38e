import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AwsCostResult } from '../../bench/aws-cost.ts';
import { campaignMix, inputsFrom, type ModelInputs, modelScale, outboundCost } from '../../bench/scale.ts';
import { inboundProfilesFrom, OUTBOUND_PROFILE } from '../../bench/scale-counts.ts';
import { QUOTAS, type Quota } from '../../bench/scale-quotas.ts';

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
};

describe('scale model', () => {
  it("applies Little's law and the per-event counts to each resource", () => {
    // Prepare: 1,000 chat messages and 500 statuses a second, no sends
    const mix = { ...quiet, inboundPerSecond: 1_000, statusPerSecond: 500, outboundPerSecond: 0 };
    // Act
    const result = modelScale(mix, inputs);
    // Assess
    const rate = (resource: string) => result.loads.find((entry) => entry.resource === resource)?.rate;
    expect(result.webhookRequestsPerSecond).toBe(1_500);
    // 1,500 requests/s × 30 ms; 1,500 events/s in batches of 10 × 100 ms
    expect(result.concurrency).toEqual({ webhook: 45, recorder: 15, sender: 0, mediaFetcher: 0 });
    expect(rate('DynamoDB write units, table (GSI included)')).toBe(1_000 * 4 + 500 * 1);
    expect(rate('DynamoDB read units, table')).toBe(2_000);
    expect(rate('API Gateway requests (stage)')).toBe(1_500);
    expect(rate('DynamoDB write units, hottest partition (busiest conversation)')).toBe(15);
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
    const rate = (model: typeof result, resource: string) =>
      model.loads.find((entry) => entry.resource === resource)?.rate ?? 0;
    // 100 attachments/s × 500 ms
    expect(result.concurrency.mediaFetcher).toBe(50);
    expect(rate(result, 'S3 PUT (raw e-mail and attachments, one prefix)')).toBe(100);
    expect(rate(result, 'media queue, busiest action (SendMessageBatch, receive)')).toBe(100);
    expect(
      rate(result, 'DynamoDB write units, table (GSI included)') -
        rate(without, 'DynamoDB write units, table (GSI included)'),
    ).toBe(200);
    // $10–11 per million attachments (media bench: $10.24), spread over every message
    const added = (result.dollarsPerMillion - without.dollarsPerMillion) * 10;
    expect(added).toBeGreaterThan(9);
    expect(added).toBeLessThan(12);
  });

  it('costs a send from the counted calls: overlapping calls and shared publishes in a full batch', () => {
    // Act
    const full = outboundCost('full');
    const trickle = outboundCost('trickle');
    // Assess: 2 read units, 10 write units; 86 ms of 512 MB per send in a batch of ten (600 ms alone)
    expect(full.dollarsPerMillion).toBe(8.37);
    expect(trickle.dollarsPerMillion).toBe(13.2);
    expect(Object.fromEntries(full.lines.map(([item, , dollars]) => [item, dollars]))).toEqual({
      'sender Lambda requests': 0.02,
      'sender Lambda GB-s': 1.15,
      'DynamoDB read units': 0.25,
      'DynamoDB write units (GSI included)': 6.25,
      'SQS FIFO requests': 0.7,
    });
  });

  it('names the resource nearest its quota and the rate at which it runs out', () => {
    // Prepare: sends only, each holding a sender for 600 ms
    const mix = { ...quiet, inboundPerSecond: 0, statusPerSecond: 0, outboundPerSecond: 1_000 };
    // Act
    const result = modelScale(mix, inputs);
    // Assess: 600 concurrent sends of the account's 1,000
    expect(result.concurrency.sender).toBe(600);
    expect(result.first.quota).toBe('lambdaConcurrency');
    expect(result.first.atMessagesPerSecond).toBe(Math.round(1_000 / 0.6));
    expect(result.loads.find((entry) => entry.quota === 'dynamoTableOnDemand')?.rate).toBe(
      1_000 * OUTBOUND_PROFILE.writeUnits,
    );
  });

  it('fills recorder batches only as far as the traffic allows, and charges small batches more', () => {
    // Act
    const trickle = modelScale(
      { ...quiet, inboundPerSecond: 5, statusPerSecond: 0, outboundPerSecond: 0 },
      inputs,
    );
    const busy = modelScale(
      { ...quiet, inboundPerSecond: 500, statusPerSecond: 0, outboundPerSecond: 0 },
      inputs,
    );
    // Assess
    expect(trickle.eventsPerRecorderBatch).toBe(1);
    expect(trickle.dollarsPerMillion).toBe(6);
    expect(busy.eventsPerRecorderBatch).toBe(10);
    expect(busy.dollarsPerMillion).toBe(4);
  });

  it('keeps a new table’s instant capacity out of the ceiling but reports it', () => {
    // Prepare: 5,000 write units a second, over a new table's 4,000
    const mix = { ...quiet, inboundPerSecond: 1_250, statusPerSecond: 0, outboundPerSecond: 0 };
    // Act
    const result = modelScale(mix, inputs);
    // Assess
    const warm = result.loads.find((entry) => entry.quota === 'dynamoNewTableWarm');
    expect(warm?.utilisation).toBeCloseTo(5_000 / QUOTAS.dynamoNewTableWarm.limit);
    expect(result.first.quota).not.toBe('dynamoNewTableWarm');
  });

  it('cites a documentation page and a warning alarm for every quota', () => {
    // Assess
    for (const quota of Object.values(QUOTAS)) {
      expect(quota.source).toMatch(/^(https:\/\/docs\.aws\.amazon\.com\/|infra\/)/);
      expect(quota.warnedBy.length).toBeGreaterThan(0);
      expect(quota.limit).toBeGreaterThan(0);
    }
  });

  it("takes its inbound counts from the benchmark's last full run, and keeps 1,000/s with 30 % statuses under half of every steady quota", () => {
    // Prepare
    const latest = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../bench/results/latest.json'), 'utf8'),
    ) as { awsCost: AwsCostResult };
    // Act
    const profiles = inboundProfilesFrom(latest.awsCost);
    const result = modelScale(campaignMix(1_000, 0.3), inputsFrom(latest.awsCost));
    // Assess: one SendMessageBatch per webhook request, as the benchmark counted
    expect(profiles.chat.ingestSendCalls).toBe(1);
    expect(profiles.status.webhookRequests).toBe(1);
    expect(profiles.email.s3Puts).toBe(1);
    expect(result.messagesPerSecond).toBe(1_000);
    for (const entry of result.loads) {
      if (!(QUOTAS[entry.quota] as Quota).transient)
        expect(entry.utilisation, entry.resource).toBeLessThan(0.5);
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS, webhookConnectors } from '#shared/channels/registry.ts';
import { MEDIA_FETCHER } from '#shared/resources/definitions.ts';
import { type AwsCostResult, costOf, type DesignCost } from '../../bench/aws-cost.ts';
import { FUNCTION_MEMORY_MB } from '../../bench/aws-functions.ts';
import { PRICES } from '../../bench/prices.ts';
import { campaignMix, inputsFrom, modelScale } from '../../bench/scale.ts';
import { API_SEND } from '../../bench/scale-counts.ts';
import { round } from '../../bench/stats.ts';
import { ALL_CHANNELS_CONTEXT, buildHub, logicalId } from '../infra/support.ts';

/*
 * The AWS section's $ per million, which the scale model adds up, prices each Lambda invocation at
 * the memory the stack deploys its function with and for the time the scale model states for it in
 * AWS (the local median when that is longer): the same time the model's concurrency uses. Before
 * 2026-12-06 every invocation was priced at 256 MB and at the local loopback medians (2.3 ms a chat
 * webhook, 21 ms a recorder batch), found by a review.
 */

const latest = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../bench/results/latest.json'), 'utf8'),
) as { awsCost: AwsCostResult };
const scenarioOf = (name: string) => {
  const found = latest.awsCost.scenarios.find((scenario) => scenario.scenario === name);
  if (!found) throw new Error(`latest.json has no '${name}'`);
  return found;
};
/** One invocation in $ per million, by hand: a request and its GB-seconds at the Arm price. */
const perMillion = (memoryMb: number, ms: number): number =>
  (PRICES.lambdaPerRequest + (memoryMb / 1024) * (ms / 1000) * PRICES.lambdaArmPerGbSecond) * 1e6;
const lineOf = (cost: DesignCost, item: string): number | undefined =>
  cost.lines.find((line) => line.item.startsWith(item))?.dollarsPerMillion;

describe('Lambda pricing of an inbound event', () => {
  it('prices a chat webhook at 256 MB for 30 ms, and a recorder batch at 512 MB for 100 ms', () => {
    // Prepare: the AWS section's chat messages (Messenger, WhatsApp, SMS: 256 MB webhooks)
    const { usage } = scenarioOf('inbound chat message');
    // Act
    const cost = costOf(usage, ['messenger', 'whatsapp', 'sms']);
    // Assess: $0.30 per million webhooks (not 0.21 at 2.3 ms); a full batch of ten shares one
    // recorder invocation ($0.087 an event, not 0.027 at 256 MB and 21 ms), a trickle event has one
    expect(lineOf(cost.switchboard, 'webhook Lambda')).toBe(round(perMillion(256, 30), 3));
    expect(lineOf(cost.switchboard, 'recorder Lambda')).toBe(round(perMillion(512, 100) / 10, 3));
    expect(lineOf(cost.switchboardTrickle, 'recorder Lambda')).toBe(round(perMillion(512, 100), 3));
    expect(lineOf(cost.switchboardFunctionUrls, 'webhook Lambda')).toBe(round(perMillion(256, 30), 3));
  });

  it("prices the Mailgun webhook at its 512 MB for the 60 ms stated for an e-mail's", () => {
    // Prepare
    const { usage } = scenarioOf('inbound e-mail');
    // Act
    const cost = costOf(usage, ['email-mailgun']);
    // Assess: $0.60 per million (not 0.23 at 256 MB and 7.6 ms)
    expect(lineOf(cost.switchboard, 'webhook Lambda')).toBe(round(perMillion(512, 60), 3));
  });

  it('takes the local median where it is longer than the stated time, for cost and concurrency alike', () => {
    // Prepare: the chat messages as if their webhook had taken 45 ms on the emulators
    const chat = scenarioOf('inbound chat message');
    const slow = {
      ...chat,
      usage: { ...chat.usage, webhook: { ...chat.usage.webhook, medianDurationMs: 45 } },
    };
    const awsCost = {
      ...latest.awsCost,
      scenarios: latest.awsCost.scenarios.map((scenario) => (scenario === chat ? slow : scenario)),
    };
    const mix = { ...campaignMix(1_000), inboundPerSecond: 1_000, statusPerSecond: 0, outboundPerSecond: 0 };
    const chatOnly = { ...mix, emailShare: 0, chatMediaShare: 0 };
    // Act
    const cost = costOf(slow.usage, ['whatsapp']);
    const model = modelScale(chatOnly, inputsFrom(awsCost));
    // Assess: 45 ms priced, and 1,000 requests/s × 45 ms = 45 webhook environments
    expect(lineOf(cost.switchboard, 'webhook Lambda')).toBe(round(perMillion(256, 45), 3));
    expect(model.concurrency.webhook).toBe(45);
  });

  it("gives the scale model the inbound costs so priced, not the saved section's totals", () => {
    // Prepare: the saved chat message, priced before 2026-12-06 (256 MB, local medians)
    const chat = scenarioOf('inbound chat message');
    const savedWebhook = lineOf(chat.switchboard, 'webhook Lambda') ?? 0;
    const savedRecorder = lineOf(chat.switchboard, 'recorder Lambda') ?? 0;
    // Act
    const inputs = inputsFrom(latest.awsCost);
    // Assess: the saved total with its two Lambda lines priced anew (about 15 cents more)
    expect(inputs.costs.chat.full).toBeCloseTo(
      chat.switchboard.dollarsPerMillion -
        savedWebhook -
        savedRecorder +
        perMillion(256, 30) +
        perMillion(512, 100) / 10,
      1,
    );
    expect(inputs.costs.chat.full).toBeGreaterThan(chat.switchboard.dollarsPerMillion + 0.1);
  });

  it('prices each function at the memory the stack deploys it with', () => {
    // Prepare: every channel, and the helpdesk API
    const { stack, template } = buildHub({ ...ALL_CHANNELS_CONTEXT, helpdeskApi: true });
    const functions = template.findResources('AWS::Lambda::Function');
    const memoryOf = (construct: Parameters<typeof logicalId>[0]): unknown =>
      functions[logicalId(construct)]?.Properties?.MemorySize;
    // Assess: the bench's copies of the sizes infra writes inline, and the registry's it reads
    expect(memoryOf(stack.recorder.function)).toBe(FUNCTION_MEMORY_MB.recorder);
    expect(memoryOf(stack.sender.function)).toBe(FUNCTION_MEMORY_MB.sender);
    expect(memoryOf(stack.mediaFetcher.function)).toBe(MEDIA_FETCHER.memoryMb);
    expect(stack.helpdeskApi && memoryOf(stack.helpdeskApi.function)).toBe(API_SEND.memoryMb);
    for (const [id] of webhookConnectors()) {
      const webhook = stack.webhooks[id];
      expect(webhook && memoryOf(webhook.function), id).toBe(CONNECTORS[id].memorySizeMb);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '#shared/outbound/endpoint-rate.ts';
import { DEFAULT_SEND_LIMITS } from '#shared/outbound/send-command.ts';
import { OUTBOX_QUEUE, SENDER } from '#shared/resources/definitions.ts';

/*
 * A backlog on one slow endpoint, modelled receive by receive: sender environments each hold their
 * own limiter (the real one, on a simulated clock) and take batches of up to 10 commands from the
 * conversations that are visible; a command the limiter sends back makes its conversation invisible
 * until the time it was told (in whole seconds, as the outbox sets it). Every return is a receive,
 * and a command not done at its 50th ends send_failed: a backlog must drain in far fewer.
 */

interface Conversation {
  /** Receives of each of its commands, in order; `sent` of them are done. */
  readonly receives: number[];
  sent: number;
  visibleAt: number;
}

/** A seeded generator, so the model runs the same every time. */
const seeded = (seed: number) => {
  let state = seed;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return state / 2_147_483_647;
  };
};

const drain = (options: {
  environments: number;
  conversations: number;
  commandsEach: number;
  ratePerSecond: number;
}) => {
  const random = seeded(11);
  let now = 0;
  const callMs = 150;
  const budgetMs = SENDER.timeoutSeconds * 1_000 - DEFAULT_SEND_LIMITS.minRemainingMs;
  const conversations: Conversation[] = Array.from({ length: options.conversations }, () => ({
    receives: Array.from({ length: options.commandsEach }, () => 0),
    sent: 0,
    visibleAt: 0,
  }));
  const environments = Array.from({ length: options.environments }, () => ({
    freeAt: 0,
    limiter: createRateLimiter({
      environments: options.environments,
      maxWaitMs: SENDER.maxRateWaitMs,
      now: () => now,
    }),
  }));
  const waiting = () => conversations.filter((conversation) => conversation.sent < options.commandsEach);
  while (waiting().length > 0 && now < 3_600_000) {
    const environment = environments.reduce((a, b) => (b.freeAt < a.freeAt ? b : a));
    const start = Math.max(now, environment.freeAt);
    now = start;
    const visible = waiting()
      .filter((conversation) => conversation.visibleAt <= start)
      .sort(() => random() - 0.5);
    if (visible.length === 0) {
      environment.freeAt = Math.min(...waiting().map((conversation) => conversation.visibleAt));
      continue;
    }
    let taken = 0;
    let batchEnd = start;
    for (const conversation of visible) {
      if (taken >= 10) break;
      const commands = Math.min(options.commandsEach - conversation.sent, 10 - taken);
      taken += commands;
      for (let index = conversation.sent; index < conversation.sent + commands; index++)
        conversation.receives[index] = (conversation.receives[index] ?? 0) + 1;
      let at = start;
      let comeBackAt: number | undefined;
      for (let index = 0; index < commands; index++) {
        now = at;
        const turn = environment.limiter.reserve(
          'twilio#phone_number:+15550001',
          options.ratePerSecond,
          budgetMs - (at - start),
        );
        if ('freeInMs' in turn) {
          comeBackAt = start + Math.max(1, Math.ceil(turn.freeInMs / 1_000)) * 1_000;
          break;
        }
        at += turn.waitMs + callMs;
        conversation.sent += 1;
      }
      conversation.visibleAt = Math.max(at, comeBackAt ?? at);
      batchEnd = Math.max(batchEnd, at);
    }
    environment.freeAt = batchEnd + 10;
    now = start;
  }
  const receives = conversations.flatMap((conversation) => conversation.receives);
  return { done: waiting().length === 0, mostReceives: Math.max(...receives), drainedInMs: now };
};

describe('a backlog on one 10/s sender shared by many sender environments', () => {
  it.each([
    [10, 200, 5],
    [25, 200, 5],
    [25, 2_000, 1],
  ])(
    'drains %i environments × %i conversations × %i commands well within the receives a command has',
    (environments, conversations, commandsEach) => {
      // Prepare: the sender's concurrency (10 by default, 25 as the scale model raises it), one SMS sender
      // Act
      const result = drain({ environments, conversations, commandsEach, ratePerSecond: 10 });
      // Assess: every command went, none near its give-up receive (before turns told apart, a
      // backlog of 200 × 5 at 25 reached 50)
      expect(result.done).toBe(true);
      expect(result.mostReceives).toBeLessThanOrEqual((OUTBOX_QUEUE.consumerGivesUpAtReceive ?? 0) / 4);
    },
  );
});

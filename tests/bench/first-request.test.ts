import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FirstRequestBench, startFirstRequestBench } from '../../bench/first-request.ts';

/*
 * The cold-start bench measures the sender's first request on a conversation its set-up records,
 * and fails the run unless that request reached the simulated Graph API (afterRun). Here the same
 * invocation goes to the sender's own handler in this process, with the bench's environment: if
 * the set-up stops giving an open reply window (it once dated the customer's message at a fixed
 * instant days past, so every reply was refused window_closed), this fails instead of the bench.
 */
describe('the cold-start bench: the sender\u2019s first request', () => {
  let bench: FirstRequestBench;
  beforeAll(async () => {
    bench = await startFirstRequestBench(['sender'], []);
    Object.assign(process.env, bench.env);
  });
  afterAll(async () => {
    await bench?.stop();
  });

  it('sends the reply to the simulated provider and its statuses come back', async () => {
    // Prepare
    const invocation = await bench.invocationFor('sender');
    const { handler } = await import('#functions/sender.ts');
    // Act
    const result = await handler(
      invocation?.event as never,
      {
        awsRequestId: 'first-request-test',
        functionName: 'sender',
        getRemainingTimeInMillis: () => 30_000,
      } as never,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    await expect(bench.afterRun('sender')).resolves.toBeUndefined();
  });
});
